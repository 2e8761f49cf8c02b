"""Booking on a real PostgreSQL: each role, every bad input of the issue, idempotent retries."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from clinic_desktop.db.models import Appointment, AuditEvent
from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus, Role
from clinic_desktop.domain.errors import ConflictError, ConnectionLost, PermissionDenied, ValidationError
from clinic_desktop.services.appointment_dto import SlotTaken
from clinic_desktop.services.appointment_service import AppointmentService

from .appointment_support import add_doctor, add_patient, at, future_monday


@pytest.fixture
def service(database):
    return AppointmentService(database)


@pytest.fixture
def patient(database, clinic):
    return add_patient(database, clinic)


def _book(service, actor, patient, doctor, start, minutes=30, **kw):
    return service.book(actor, patient_id=patient, doctor_id=doctor, starts_at=start, duration_minutes=minutes,
                        reason=kw.pop("reason", AppointmentReason.ROUTINE), **kw)


def _count(database, **where) -> int:
    with database.engine.connect() as conn:
        q = select(func.count()).select_from(Appointment)
        for k, v in where.items():
            q = q.where(getattr(Appointment, k) == v)
        return conn.execute(q).scalar_one()


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR])
def test_booking_roles_book_and_it_is_audited(database, clinic, service, patient, role):
    day = future_monday()
    appt = _book(service, clinic.as_role(role), patient, clinic.doctor.doctor_id, at(day, 9), 20,
                 notes="first visit", checklist=["bring meter", " ", "HbA1c test done"])
    assert appt.status == AppointmentStatus.REQUESTED and appt.duration_minutes == 20
    assert appt.checklist == ("bring meter", "HbA1c test done") and appt.patient_name == "Lovelace, Ada"
    assert appt.starts_at == at(day, 9)
    with database.engine.connect() as conn:
        audit = conn.execute(select(AuditEvent).where(AuditEvent.entity_id == appt.id)).one()
    assert audit.action == "book" and audit.actor_id == clinic.as_role(role).staff_id
    assert audit.changes["status"] == [None, "requested"]
    history = service.status_history(clinic.admin, appt.id)
    assert [(h.from_status, h.to_status) for h in history] == [(None, AppointmentStatus.REQUESTED)]


def test_admin_may_look_but_not_book(database, clinic, service, patient):
    with pytest.raises(PermissionDenied, match="admin"):
        _book(service, clinic.admin, patient, clinic.doctor.doctor_id, at(future_monday(), 9))
    assert service.day_view(clinic.admin, future_monday()).appointments == ()


@pytest.mark.parametrize(
    ("minutes", "field", "message"),
    [(0, "duration", "more than zero"), (-15, "duration", "more than zero"), (3, "duration", "shortest"),
     (13 * 60, "duration", "12 hours")],
)
def test_bad_durations_are_refused_per_field(database, clinic, service, patient, minutes, field, message):
    with pytest.raises(ValidationError) as err:
        _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(future_monday(), 9), minutes)
    assert message in err.value.for_field(field)
    assert _count(database, patient_id=patient) == 0


def test_slot_in_the_past_and_naive_times_are_refused(database, clinic, service, patient):
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    with pytest.raises(ValidationError) as err:
        _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, past)
    assert "in the past" in err.value.for_field("starts_at")
    with pytest.raises(ValidationError) as err:
        _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(future_monday(), 9).replace(tzinfo=None))
    assert "time zone" in err.value.for_field("starts_at")


def test_end_before_start_is_refused_by_the_database_too(database, clinic, patient):
    start = at(future_monday(), 9)
    with pytest.raises(Exception, match="ends_after_start"):
        with database.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO appointment (clinic_id, patient_id, doctor_id, starts_at, ends_at, reason) "
                "VALUES (:c, :p, :d, :s, :e, 'routine')"),
                {"c": clinic.clinic_id, "p": patient, "d": clinic.doctor.doctor_id, "s": start, "e": start - timedelta(minutes=5)})


def test_archived_patient_and_inactive_doctor_are_refused(database, clinic, service):
    archived = add_patient(database, clinic, archived=True)
    with pytest.raises(ValidationError) as err:
        _book(service, clinic.receptionist, archived, clinic.doctor.doctor_id, at(future_monday(), 9))
    assert "archived" in err.value.for_field("patient")
    gone = add_doctor(database, clinic, name="Dr Retired", active=False)
    patient = add_patient(database, clinic)
    with pytest.raises(ValidationError) as err:
        _book(service, clinic.receptionist, patient, gone, at(future_monday(), 9))
    assert "Dr Retired is no longer active" in err.value.for_field("doctor")
    with pytest.raises(ValidationError):
        _book(service, clinic.receptionist, uuid.uuid4(), clinic.doctor.doctor_id, at(future_monday(), 9))


def test_taken_slot_gives_a_plain_message_and_the_next_free_slots(database, clinic, service):
    day = future_monday()
    first, second = add_patient(database, clinic), add_patient(database, clinic, given="Bob")
    _book(service, clinic.receptionist, first, clinic.doctor.doctor_id, at(day, 9), 30)
    _book(service, clinic.receptionist, first, clinic.doctor.doctor_id, at(day, 9, 30), 30)
    with pytest.raises(SlotTaken) as err:
        _book(service, clinic.nurse, second, clinic.doctor.doctor_id, at(day, 9, 15), 30)
    assert "no longer free" in err.value.message and err.value.field == "starts_at"
    assert [s.starts_at for s in err.value.next_slots[:3]] == [at(day, 10), at(day, 10, 30), at(day, 11)]
    # Back to back is fine: ranges are half-open.
    ok = _book(service, clinic.nurse, second, clinic.doctor.doctor_id, at(day, 10), 30)
    assert ok.starts_at == at(day, 10)


def test_a_patient_cannot_hold_two_overlapping_appointments(database, clinic, service, patient):
    other = add_doctor(database, clinic)
    day = future_monday()
    _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 9), 30)
    with pytest.raises(ConflictError, match="patient already has an appointment") as err:
        _book(service, clinic.receptionist, patient, other, at(day, 9, 15), 30)
    assert not isinstance(err.value, SlotTaken)


def test_cancelled_slot_can_be_booked_again(database, clinic, service, patient):
    day = future_monday()
    a = _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 11), 30)
    service.cancel(clinic.receptionist, a.id, expected_version=a.version, reason="patient called")
    b = _book(service, clinic.receptionist, add_patient(database, clinic), clinic.doctor.doctor_id, at(day, 11), 30)
    assert b.id != a.id


def test_retry_with_the_same_request_id_never_books_twice(database, clinic, service, patient):
    request = uuid.uuid4()
    day = future_monday()
    first = _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 14), request_id=request)
    again = _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 14), request_id=request)
    assert again.id == first.id and _count(database, patient_id=patient) == 1


def test_server_gone_mid_booking_then_retry_books_once(database, clinic, service, patient):
    """The connection dies while the INSERT is on its way: nothing is stored, the error says
    'connection lost', and the retry (same request id) books exactly once."""
    from sqlalchemy import event

    killed = []

    def kill_own_backend(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        if statement.startswith("INSERT INTO appointment ") and not killed:
            killed.append(True)
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with database.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                other.commit()

    event.listen(database.engine, "before_cursor_execute", kill_own_backend)
    request = uuid.uuid4()
    day = future_monday()
    try:
        with pytest.raises(ConnectionLost, match="connection"):
            _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 15), request_id=request)
    finally:
        event.remove(database.engine, "before_cursor_execute", kill_own_backend)
    assert killed and _count(database, patient_id=patient) == 0
    booked = _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 15), request_id=request)
    again = _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 15), request_id=request)
    assert booked.id == again.id and _count(database, patient_id=patient) == 1


def test_outside_hours_and_closed_days_need_an_override(database, clinic, service, patient):
    day = future_monday()
    with pytest.raises(ValidationError) as err:
        _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 18), 30)
    assert "outside the doctor's working hours" in err.value.for_field("starts_at")
    late = _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day, 18), 30, override_hours=True)
    assert late.starts_at == at(day, 18)
    service.set_closed_day(clinic.admin, day=day + timedelta(days=1),
                           label="Staff training")
    with pytest.raises(ValidationError) as err:
        _book(service, clinic.receptionist, patient, clinic.doctor.doctor_id, at(day + timedelta(days=1), 9), 30)
    assert "closed" in err.value.for_field("starts_at") and "Staff training" in err.value.for_field("starts_at")


def test_clinics_do_not_see_each_others_doctors_or_patients(database, clinic, service, patient):
    from tests.conftest import create_clinic_with_staff

    other = create_clinic_with_staff(database, name="Other")
    with pytest.raises(ValidationError) as err:
        _book(service, other.receptionist, patient, other.doctor.doctor_id, at(future_monday(), 9))
    assert err.value.for_field("patient")
    assert [d.id for d in service.doctors(other.receptionist)] == [other.doctor.doctor_id]
