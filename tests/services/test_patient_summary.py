"""The one-page patient summary's data: role-aware, audited, gathered in one unit of work."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinic_desktop.db.models import AuditEvent
from clinic_desktop.domain.enums import AppointmentReason, DiabetesType, Role
from clinic_desktop.domain.errors import NotFound
from clinic_desktop.services.patient_service import PatientService

from .patient_support import seed_summary_patient


@pytest.fixture(scope="module")
def service(database):
    return PatientService(database)


def _summary_audits(database, patient_id):
    with database.engine.connect() as conn:
        return conn.execute(select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.changes)
                            .where(AuditEvent.patient_id == patient_id, AuditEvent.action == "print_summary")).all()


def test_clinical_summary_has_everything_and_is_audited(service, database, clinic):
    patient = seed_summary_patient(database, service, clinic, medications=3)
    sheet = service.summary_sheet(clinic.doctor, patient.id)
    assert sheet.clinical and sheet.record.diabetes_type is DiabetesType.TYPE_1
    assert str(sheet.record.last_hba1c) == "8.1" and str(sheet.record.target_hba1c) == "7.0"
    assert [m.drug for m in sheet.medications] == ["DrugA 500 mg, 1 tablet", "DrugB 500 mg, 1 tablet",
                                                   "DrugC 500 mg, 1 tablet"]
    assert sheet.medications[0].schedule == "Twice daily at 08:00, 20:00"
    assert sheet.glucose is not None and sheet.glucose.readings > 3000 and sheet.glucose.ranges is not None
    assert len(sheet.appointments) == 2 and sheet.appointments[0].reason is AppointmentReason.FOLLOW_UP
    assert sheet.appointments[0].starts_at < sheet.appointments[1].starts_at
    assert sheet.record.care_team.caregivers[0].permissions == ("record_doses", "view")
    assert sheet.clinic_name.startswith("Test Clinic") and sheet.printed_by.endswith("(doctor)")
    assert str(sheet.printed_at.tzinfo) == "Europe/Berlin"
    audits = _summary_audits(database, patient.id)
    assert [(a.action, a.actor_id, a.changes) for a in audits] == [
        ("print_summary", clinic.doctor.staff_id, {"summary": [None, "clinical"]})]


def test_receptionist_summary_has_no_clinical_data(service, database, clinic):
    patient = seed_summary_patient(database, service, clinic, medications=2)
    sheet = service.summary_sheet(clinic.receptionist, patient.id)
    assert not sheet.clinical and not sheet.record.clinical_visible
    assert sheet.medications == () and sheet.glucose is None
    assert sheet.record.diabetes_type is None and sheet.record.last_hba1c is None and sheet.record.notes is None
    assert sheet.record.header.active_medications is None and sheet.record.header.last_glucose_mgdl is None
    assert len(sheet.appointments) == 2 and all(a.reason is None for a in sheet.appointments)
    assert sheet.record.address == "Lindenallee 4\n10115 Berlin"  # demographics stay
    assert _summary_audits(database, patient.id)[-1].changes == {"summary": [None, "demographics only"]}


def test_summary_without_readings_or_appointments(service, database, clinic):
    patient = seed_summary_patient(database, service, clinic, medications=0, readings=False, appointments=0)
    sheet = service.summary_sheet(clinic.nurse, patient.id)
    assert sheet.glucose is None and sheet.medications == () and sheet.appointments == ()


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_print_but_not_another_clinics_patient(service, database, clinic, role):
    from tests.conftest import create_clinic_with_staff

    patient = seed_summary_patient(database, service, clinic, medications=0, readings=False, appointments=0)
    assert service.summary_sheet(clinic.as_role(role), patient.id).record.id == patient.id
    other = create_clinic_with_staff(database, name="Elsewhere")
    with pytest.raises(NotFound):
        service.summary_sheet(other.as_role(role), patient.id)
