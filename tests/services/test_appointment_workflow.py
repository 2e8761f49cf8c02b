"""Status workflow, cancelling, moving and stale edits — each role, audited from → to."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from clinic_desktop.db.models import AuditEvent
from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus, Role
from clinic_desktop.domain.errors import DomainError, PermissionDenied, StaleRecord, ValidationError
from clinic_desktop.services.appointment_dto import SlotTaken
from clinic_desktop.services.appointment_service import AppointmentService

from .appointment_support import BERLIN, add_doctor, add_patient, at, future_monday
from clinic_desktop.domain.clock import FixedClock

S = AppointmentStatus


@pytest.fixture
def service(database):
    return AppointmentService(database)


@pytest.fixture
def later(database):
    """The same service on a day after every test appointment (check-in and no-shows are allowed)."""
    return AppointmentService(database, clock=FixedClock(datetime.now(timezone.utc) + timedelta(days=400)))


@pytest.fixture
def booked(database, clinic, service):
    patient = add_patient(database, clinic)
    return service.book(clinic.receptionist, patient_id=patient, doctor_id=clinic.doctor.doctor_id,
                        starts_at=at(future_monday(), 10), duration_minutes=30, reason=AppointmentReason.FOLLOW_UP)


def test_full_workflow_is_recorded_with_who_and_from_to(database, clinic, service, booked, later):
    a = later.change_status(clinic.receptionist, booked.id, expected_version=booked.version, status=S.CONFIRMED)
    a = later.change_status(clinic.receptionist, a.id, expected_version=a.version, status=S.CHECKED_IN)
    a = later.change_status(clinic.doctor, a.id, expected_version=a.version, status=S.COMPLETED)
    assert a.status == S.COMPLETED and a.version == booked.version + 3
    history = service.status_history(clinic.nurse, a.id)
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, S.REQUESTED), (S.REQUESTED, S.CONFIRMED), (S.CONFIRMED, S.CHECKED_IN), (S.CHECKED_IN, S.COMPLETED)]
    assert history[-1].changed_by == clinic.doctor.full_name
    with database.engine.connect() as conn:
        audits = conn.execute(select(AuditEvent.changes, AuditEvent.actor_id).where(
            AuditEvent.entity_id == a.id, AuditEvent.action == "status").order_by(AuditEvent.occurred_at)).all()
    assert [c.changes["status"] for c in audits][-1] == ["checked_in", "completed"]
    assert audits[-1].actor_id == clinic.doctor.staff_id
    with pytest.raises(DomainError, match="already completed"):
        later.change_status(clinic.doctor, a.id, expected_version=a.version, status=S.NO_SHOW)


def test_reception_may_not_complete_a_visit_and_admin_may_not_check_in(clinic, service, booked, later):
    with pytest.raises(PermissionDenied):
        later.change_status(clinic.receptionist, booked.id, expected_version=booked.version, status=S.COMPLETED)
    with pytest.raises(PermissionDenied):
        later.change_status(clinic.admin, booked.id, expected_version=booked.version, status=S.CHECKED_IN)
    with pytest.raises(DomainError, match="cannot become completed"):
        later.change_status(clinic.nurse, booked.id, expected_version=booked.version, status=S.COMPLETED)


@pytest.mark.parametrize("start", [S.REQUESTED, S.CONFIRMED, S.CHECKED_IN])
@pytest.mark.parametrize("end", [S.CANCELLED, S.NO_SHOW])
def test_cancelled_and_no_show_from_every_open_state(database, clinic, service, start, end, later):
    patient = add_patient(database, clinic)
    a = service.book(clinic.nurse, patient_id=patient, doctor_id=clinic.doctor.doctor_id,
                     starts_at=at(future_monday(3), 8, 0), duration_minutes=15, reason=AppointmentReason.ROUTINE)
    path = {S.REQUESTED: [], S.CONFIRMED: [S.CONFIRMED], S.CHECKED_IN: [S.CONFIRMED, S.CHECKED_IN]}[start]
    for step in path:
        a = later.change_status(clinic.receptionist, a.id, expected_version=a.version, status=step)
    if end == S.CANCELLED:
        a = service.cancel(clinic.receptionist, a.id, expected_version=a.version, reason="Patient ill")
        assert a.cancel_reason == "Patient ill"
    else:
        a = later.change_status(clinic.receptionist, a.id, expected_version=a.version, status=end)
    assert a.status == end and not a.is_open
    with pytest.raises(DomainError, match="can no longer change"):
        later.change_status(clinic.receptionist, a.id, expected_version=a.version, status=S.CONFIRMED)


def test_cancel_needs_a_reason(clinic, service, booked):
    with pytest.raises(ValidationError) as err:
        service.cancel(clinic.receptionist, booked.id, expected_version=booked.version, reason="  ")
    assert err.value.for_field("cancel_reason")


def test_stale_version_is_reported_with_both_versions(clinic, service, booked, later):
    later.change_status(clinic.receptionist, booked.id, expected_version=booked.version, status=S.CONFIRMED)
    with pytest.raises(StaleRecord) as err:
        service.cancel(clinic.nurse, booked.id, expected_version=booked.version, reason="double click")
    assert err.value.mine == booked.version and err.value.theirs.status == S.CONFIRMED


def test_reschedule_moves_and_reports_a_taken_target(database, clinic, service, booked):
    day = future_monday()
    moved = service.reschedule(clinic.receptionist, booked.id, expected_version=booked.version,
                               starts_at=at(day, 11), duration_minutes=45)
    assert moved.starts_at == at(day, 11) and moved.duration_minutes == 45
    other = service.book(clinic.receptionist, patient_id=add_patient(database, clinic), doctor_id=clinic.doctor.doctor_id,
                         starts_at=at(day, 13), duration_minutes=30, reason=AppointmentReason.ROUTINE)
    with pytest.raises(SlotTaken) as err:
        service.reschedule(clinic.receptionist, moved.id, expected_version=moved.version, starts_at=at(day, 13, 15))
    # The moving appointment's own slot counts as free in the suggestions.
    assert err.value.next_slots[0].starts_at == at(day, 13, 30)
    assert other.id != moved.id
    second = add_doctor(database, clinic, name="Dr Other")
    to_other = service.reschedule(clinic.receptionist, moved.id, expected_version=moved.version,
                                  starts_at=at(day, 13), doctor_id=second)
    assert to_other.doctor_id == second and to_other.doctor_name == "Dr Other"


def test_checked_in_appointment_cannot_be_moved(clinic, service, booked, later):
    a = later.change_status(clinic.receptionist, booked.id, expected_version=booked.version, status=S.CHECKED_IN)
    with pytest.raises(DomainError, match="checked in"):
        service.reschedule(clinic.receptionist, a.id, expected_version=a.version, starts_at=at(future_monday(), 15))


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_patient_record_with_no_show_count(database, clinic, service, role, later):
    patient = add_patient(database, clinic)
    day = future_monday(4)
    kept = None
    for hour in (9, 10, 11):
        a = service.book(clinic.receptionist, patient_id=patient, doctor_id=clinic.doctor.doctor_id,
                         starts_at=at(day, hour), duration_minutes=30, reason=AppointmentReason.ROUTINE)
        if hour < 11:
            later.change_status(clinic.receptionist, a.id, expected_version=a.version, status=S.NO_SHOW)
        else:
            kept = a
    record = service.patient_appointments(clinic.as_role(role), patient)
    assert record.no_show_count == 2
    assert [a.id for a in record.upcoming] == [kept.id]


def test_check_in_opens_on_the_day_and_no_show_needs_the_time_to_have_come(database, clinic, booked):
    day = booked.starts_at.astimezone(BERLIN).date()
    eve = AppointmentService(database, clock=FixedClock(at(day - timedelta(days=1), 18)))
    with pytest.raises(DomainError, match="Check-in opens on the day"):
        eve.change_status(clinic.receptionist, booked.id, expected_version=booked.version, status=S.CHECKED_IN)
    morning = AppointmentService(database, clock=FixedClock(at(day, 7, 30)))
    with pytest.raises(DomainError, match="no-show can be recorded once the appointment has begun"):
        morning.change_status(clinic.receptionist, booked.id, expected_version=booked.version, status=S.NO_SHOW)
    early = morning.change_status(clinic.receptionist, booked.id, expected_version=booked.version, status=S.CHECKED_IN)
    assert early.status == S.CHECKED_IN
