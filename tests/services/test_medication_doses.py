"""Dose log: roles, taken / taken late / missed / skipped, bad inputs, concurrent double log, due lists, bulk morning."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic_desktop.db.models import AuditEvent, MedicationDoseLog
from clinic_desktop.domain.enums import DoseStatus, Role
from clinic_desktop.domain.medication_schedule import Frequency
from clinic_desktop.domain.errors import ConflictError, PermissionDenied, StaleRecord, ValidationError
from clinic_desktop.services.medication_service import MedicationService

from .medication_support import BERLIN, add_patient, at_local, today, twice_daily


@pytest.fixture
def service(database):
    return MedicationService(database)


@pytest.fixture
def med(service, database, clinic):
    patient = add_patient(database, clinic.admin)
    return service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily())


def yesterday_8():
    return at_local(today() - timedelta(days=1), 8)


def test_nurse_records_taken_with_time_and_recorder(service, database, clinic, med):
    dose = service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=yesterday_8(), status=DoseStatus.TAKEN,
                               taken_at=yesterday_8() + timedelta(minutes=20))
    assert dose.status is DoseStatus.TAKEN and dose.recorded_by_name == clinic.nurse.full_name
    with database.unit_of_work(clinic.admin, read_only=True) as uow:
        assert uow.session.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == dose.log_id)) == "record_dose"


def test_taken_after_grace_window_is_late(service, clinic, med):
    dose = service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=yesterday_8(), status=DoseStatus.TAKEN,
                               taken_at=yesterday_8() + timedelta(minutes=61))  # clinic grace: 60 minutes
    assert dose.status is DoseStatus.TAKEN_LATE


def test_skipped_needs_reason_and_missed_is_kept(service, clinic, med):
    with pytest.raises(ValidationError) as err:
        service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=yesterday_8(), status=DoseStatus.SKIPPED)
    assert err.value.for_field("reason")
    skipped = service.record_dose(clinic.doctor, medication_id=med.id, scheduled_at=yesterday_8(),
                                  status=DoseStatus.SKIPPED, reason="hypoglycaemia")
    assert skipped.reason == "hypoglycaemia"
    missed = service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=yesterday_8() + timedelta(hours=12),
                                 status=DoseStatus.MISSED)
    assert missed.status is DoseStatus.MISSED


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.ADMIN])
def test_only_nurses_and_doctors_record(service, clinic, med, role):
    with pytest.raises(PermissionDenied):
        service.record_dose(clinic.as_role(role), medication_id=med.id, scheduled_at=yesterday_8(), status=DoseStatus.TAKEN)


def test_dose_in_the_future_is_refused(service, clinic, med):
    future = at_local(today() + timedelta(days=2), 8)
    with pytest.raises(ValidationError) as err:
        service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=future, status=DoseStatus.TAKEN)
    assert "future" in err.value.for_field("scheduled_at")
    with pytest.raises(ValidationError) as err:
        service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=yesterday_8(), status=DoseStatus.TAKEN,
                            taken_at=datetime.now(UTC) + timedelta(hours=1))
    assert "future" in err.value.for_field("taken_at")


def test_time_that_is_not_scheduled_is_refused(service, clinic, med):
    with pytest.raises(ValidationError) as err:
        service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=yesterday_8() + timedelta(hours=1),
                            status=DoseStatus.TAKEN)
    assert "not a scheduled dose time" in err.value.for_field("scheduled_at")


def test_dose_for_discontinued_prescription_is_refused(service, database, clinic):
    patient = add_patient(database, clinic.admin)
    soon = (datetime.now(BERLIN) + timedelta(hours=1)).replace(second=0, microsecond=0)
    data = dataclasses.replace(twice_daily(start=today() - timedelta(days=5)), frequency=Frequency.CUSTOM,
                               times=(soon.strftime("%H:%M"),))
    med = service.prescribe(clinic.doctor, patient_id=patient, data=data)
    service.discontinue(clinic.doctor, medication_id=med.id, expected_version=med.version, reason="switched")
    with pytest.raises(ValidationError) as err:
        service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=soon.astimezone(UTC), status=DoseStatus.TAKEN)
    assert err.value.for_field("scheduled_at") == "The prescription was discontinued before this dose."
    # a dose given while it was still active may be documented afterwards
    earlier = soon - timedelta(days=1)
    assert service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=earlier.astimezone(UTC),
                               status=DoseStatus.TAKEN, taken_at=earlier.astimezone(UTC))


def test_two_workstations_log_the_same_dose_at_once(service, database, clinic, med):
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def record(actor):
        barrier.wait()
        try:
            outcomes.append(service.record_dose(actor, medication_id=med.id, scheduled_at=yesterday_8(), status=DoseStatus.TAKEN))
        except ConflictError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=record, args=(a,)) for a in (clinic.nurse, clinic.doctor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(outcomes) == 2 and len(errors) == 1
    assert "already recorded" in errors[0].message
    with database.unit_of_work(clinic.admin, read_only=True) as uow:
        count = uow.session.scalar(select(func.count()).select_from(MedicationDoseLog).where(MedicationDoseLog.medication_id == med.id))
    assert count == 1


def test_correct_dose_with_version(service, clinic, med):
    dose = service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=yesterday_8(), status=DoseStatus.MISSED)
    fixed = service.correct_dose(clinic.nurse, log_id=dose.log_id, expected_version=dose.log_version,
                                 status=DoseStatus.TAKEN, taken_at=yesterday_8())
    assert fixed.status is DoseStatus.TAKEN and fixed.log_version == dose.log_version + 1
    with pytest.raises(StaleRecord):
        service.correct_dose(clinic.nurse, log_id=dose.log_id, expected_version=dose.log_version, status=DoseStatus.MISSED)


def test_doses_due_today_across_clinic_and_per_patient(service, database, clinic, med):
    other = add_patient(database, clinic.admin, given="Bob", family="Builder")
    service.prescribe(clinic.doctor, patient_id=other, data=twice_daily("Gliclazide"))
    everyone = service.doses_due(clinic.nurse)
    assert len(everyone) == 4 and {d.scheduled_at for d in everyone} == {at_local(today(), 8), at_local(today(), 20)}
    assert {d.patient_name for d in everyone} == {"Lovelace, Ada", "Builder, Bob"}
    assert all(d.status is DoseStatus.PENDING for d in everyone)
    mine = service.doses_due(clinic.nurse, patient_id=other)
    assert [d.drug_summary for d in mine] == ["Gliclazide 500 mg, 1 tablet"] * 2
    yesterday = service.doses_due(clinic.nurse, day=today() - timedelta(days=1), patient_id=med.patient_id)
    assert [d.overdue for d in yesterday] == [True, True]


def test_paused_prescription_has_no_doses_due(service, clinic, med):
    service.pause(clinic.doctor, medication_id=med.id, expected_version=med.version)
    now = datetime.now(UTC)
    due = service.doses_due(clinic.nurse, patient_id=med.patient_id)
    assert all(d.scheduled_at < now for d in due)  # only doses before the pause remain


def test_bulk_morning_marks_pending_morning_doses(service, clinic, med):
    morning = at_local(today(), 8)
    recorded = service.mark_morning_taken(clinic.nurse, patient_id=med.patient_id)
    local_now = datetime.now(BERLIN)
    if local_now.hour >= 6:  # 08:00 is within the 2-hour early window or past
        assert [d.scheduled_at for d in recorded] == [morning] and recorded[0].status in (DoseStatus.TAKEN, DoseStatus.TAKEN_LATE)
    else:
        assert recorded == []
    again = service.mark_morning_taken(clinic.nurse, patient_id=med.patient_id)
    assert again == []  # nothing recorded twice


def test_every_n_hours_and_as_needed(service, database, clinic):
    patient = add_patient(database, clinic.admin)
    base = twice_daily(start=today() - timedelta(days=2))
    every8 = service.prescribe(clinic.doctor, patient_id=patient, data=dataclasses.replace(
        base, drug_name="Amoxicillin", frequency=Frequency.EVERY_N_HOURS, times=("06:00",), every_n_hours=8))
    prn = service.prescribe(clinic.doctor, patient_id=patient, data=dataclasses.replace(
        base, drug_name="Glucose gel", frequency=Frequency.AS_NEEDED, times=()))
    due = service.doses_due(clinic.nurse, patient_id=patient, day=today() - timedelta(days=1))
    assert [d.scheduled_at for d in due] == [at_local(today() - timedelta(days=1), h) for h in (6, 14, 22)]
    assert all(d.medication_id == every8.id for d in due)  # as-needed: nothing scheduled
    with pytest.raises(ValidationError):
        service.record_dose(clinic.nurse, medication_id=prn.id, scheduled_at=None, status=DoseStatus.MISSED)
    given = service.record_dose(clinic.nurse, medication_id=prn.id, scheduled_at=None, status=DoseStatus.TAKEN)
    assert given.scheduled_at == given.taken_at
    assert any(d.medication_id == prn.id for d in service.doses_due(clinic.nurse, patient_id=patient))
    report = service.adherence(clinic.doctor, patient)
    assert all(m.medication_id != prn.id or m.by_days[7].scheduled == 0 for m in report.medications)
