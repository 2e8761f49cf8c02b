"""Prescriptions: roles, validation of each bad input, duplicates, dose change history, pause/resume/discontinue."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic_desktop.db.models import AuditEvent, Medication
from clinic_desktop.domain.enums import MedicationState, Role
from clinic_desktop.domain.errors import DomainError, PermissionDenied, StaleRecord, ValidationError
from clinic_desktop.domain.medication_schedule import Frequency
from clinic_desktop.services.medication_service import DuplicatePrescription, MedicationService

from .medication_support import add_patient, today, twice_daily


@pytest.fixture
def service(database):
    return MedicationService(database)


@pytest.fixture
def patient(database, clinic):
    return add_patient(database, clinic.admin)


def test_doctor_prescribes_and_it_is_audited(service, database, clinic, patient):
    dto = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily())
    assert dto.state is MedicationState.ACTIVE and dto.prescriber_name and dto.times[0].hour == 8
    with database.unit_of_work(clinic.admin, read_only=True) as uow:
        actions = uow.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == dto.id)).all()
    assert actions == ["prescribe"]


@pytest.mark.parametrize("role", [Role.NURSE, Role.RECEPTIONIST, Role.ADMIN])
def test_only_doctors_prescribe(service, clinic, patient, role):
    with pytest.raises(PermissionDenied):
        service.prescribe(clinic.as_role(role), patient_id=patient, data=twice_daily())


def test_receptionist_sees_nothing(service, clinic, patient):
    service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily())
    for call in (lambda a: service.list_prescriptions(a, patient), lambda a: service.doses_due(a),
                 lambda a: service.adherence(a, patient), lambda a: service.drug_name_suggestions(a, "Met")):
        with pytest.raises(PermissionDenied):
            call(clinic.receptionist)
    assert len(service.list_prescriptions(clinic.nurse, patient)) == 1


def test_end_before_start(service, clinic, patient):
    data = twice_daily(end=today() - timedelta(days=20))
    with pytest.raises(ValidationError) as err:
        service.prescribe(clinic.doctor, patient_id=patient, data=data)
    assert err.value.for_field("end_date") == "The end date is before the start date."


def test_time_outside_the_day(service, clinic, patient):
    data = dataclasses.replace(twice_daily(), times=("08:00", "24:00"))
    with pytest.raises(ValidationError) as err:
        service.prescribe(clinic.doctor, patient_id=patient, data=data)
    assert "Dose time 2" in err.value.for_field("times")


def test_frequency_disagreeing_with_times(service, clinic, patient):
    data = dataclasses.replace(twice_daily(), frequency=Frequency.THREE_TIMES_DAILY)
    with pytest.raises(ValidationError) as err:
        service.prescribe(clinic.doctor, patient_id=patient, data=data)
    assert "needs 3 dose time(s); 2 given" in err.value.for_field("times")
    assert service.list_prescriptions(clinic.doctor, patient) == []  # nothing stored


def test_duplicate_active_drug_warns_then_allows_with_confirmation(service, clinic, patient):
    first = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily("Metformin"))
    with pytest.raises(DuplicatePrescription) as err:
        service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily("metformin "))
    assert err.value.existing_ids == (first.id,) and err.value.field == "drug_name"
    second = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily("Metformin"), confirm_duplicate=True)
    assert len({first.id, second.id}) == 2


def test_dose_change_ends_old_and_starts_new(service, database, clinic, patient):
    old = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily())
    new = service.change_dose(clinic.doctor, medication_id=old.id, expected_version=old.version,
                              data=twice_daily(start=today(), dose="2 tablets"))
    history = {p.id: p for p in service.list_prescriptions(clinic.doctor, patient)}
    assert history[old.id].state is MedicationState.DISCONTINUED and history[old.id].ended_at is not None
    assert history[old.id].dose == "1 tablet" and history[old.id].end_date == today()
    assert new.replaces_id == old.id and new.effective_at == history[old.id].ended_at and new.dose == "2 tablets"
    with pytest.raises(StaleRecord):
        service.change_dose(clinic.doctor, medication_id=new.id, expected_version=new.version + 5, data=twice_daily(start=today()))


def test_pause_resume_discontinue(service, clinic, patient):
    med = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily())
    with pytest.raises(PermissionDenied):
        service.pause(clinic.nurse, medication_id=med.id, expected_version=med.version)
    paused = service.pause(clinic.doctor, medication_id=med.id, expected_version=med.version, reason="surgery")
    assert paused.state is MedicationState.PAUSED
    with pytest.raises(DomainError):
        service.pause(clinic.doctor, medication_id=med.id, expected_version=paused.version)
    resumed = service.resume(clinic.doctor, medication_id=med.id, expected_version=paused.version)
    assert resumed.state is MedicationState.ACTIVE
    with pytest.raises(ValidationError):
        service.discontinue(clinic.doctor, medication_id=med.id, expected_version=resumed.version, reason="  ")
    stopped = service.discontinue(clinic.doctor, medication_id=med.id, expected_version=resumed.version, reason="GI upset")
    assert stopped.state is MedicationState.DISCONTINUED and stopped.discontinued_reason == "GI upset"


def test_drug_name_suggestions_come_from_the_clinic(service, clinic, patient):
    service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily("Metformin"))
    service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily("Sitagliptin/Metformin"))
    service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily("Insulin glargine"))
    assert service.drug_name_suggestions(clinic.doctor, "met") == ["Metformin", "Sitagliptin/Metformin"]
    assert service.drug_name_suggestions(clinic.doctor, "%") == []
