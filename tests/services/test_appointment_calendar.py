"""Calendar reads and scheduling rules: day/week/list/reception views, working hours, next free
slots, recurring series with collisions and "this and following", daylight-saving changes."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus, Role
from clinic_desktop.domain.errors import ConflictError, PermissionDenied, ValidationError
from clinic_desktop.services.appointment_dto import AppointmentFilter, WorkingBlock
from clinic_desktop.domain.clock import FixedClock
from clinic_desktop.services.appointment_service import AppointmentService

from .appointment_support import BERLIN, add_doctor, add_patient, at, future_monday

R = AppointmentReason.ROUTINE


@pytest.fixture
def service(database):
    return AppointmentService(database)


def _book(service, clinic, patient, doctor, start, minutes=30, reason=R):
    return service.book(clinic.receptionist, patient_id=patient, doctor_id=doctor, starts_at=start,
                        duration_minutes=minutes, reason=reason)


def test_day_view_has_a_column_per_doctor_and_week_view_one_doctor(database, clinic, service):
    second = add_doctor(database, clinic, name="Dr Beta")
    p1, p2 = add_patient(database, clinic), add_patient(database, clinic, given="Bo")
    day = future_monday()
    a = _book(service, clinic, p1, clinic.doctor.doctor_id, at(day, 9))
    b = _book(service, clinic, p2, second, at(day, 9))
    c = _book(service, clinic, p1, clinic.doctor.doctor_id, at(day + timedelta(days=2), 9))
    view = service.day_view(clinic.receptionist, day)
    assert {d.id for d in view.doctors} == {clinic.doctor.doctor_id, second}
    assert {x.id for x in view.appointments} == {a.id, b.id}
    assert view.timezone == "Europe/Berlin" and view.starts_at == at(day, 0)
    assert {w.doctor_id for w in view.windows} == {clinic.doctor.doctor_id, second}
    week = service.week_view(clinic.doctor, doctor_id=clinic.doctor.doctor_id, week_start=day)
    assert [x.id for x in week.appointments] == [a.id, c.id] and len(week.doctors) == 1
    assert len(week.windows) == 5  # default hours, Monday to Friday


def test_list_view_filters_and_reception_today(database, clinic, service):
    p = add_patient(database, clinic)
    day = future_monday()
    a = _book(service, clinic, p, clinic.doctor.doctor_id, at(day, 9), reason=AppointmentReason.TEST_RESULTS)
    b = _book(service, clinic, p, clinic.doctor.doctor_id, at(day + timedelta(days=1), 9))
    service.change_status(clinic.receptionist, b.id, expected_version=b.version, status=AppointmentStatus.CONFIRMED)
    by_reason = service.list_appointments(clinic.nurse, AppointmentFilter(reason=AppointmentReason.TEST_RESULTS,
                                                                          patient_id=p))
    assert [x.id for x in by_reason] == [a.id]
    confirmed = service.list_appointments(clinic.nurse, AppointmentFilter(
        statuses=frozenset({AppointmentStatus.CONFIRMED}), doctor_id=clinic.doctor.doctor_id,
        first_day=day, last_day=day + timedelta(days=6)))
    assert [x.id for x in confirmed] == [b.id]
    one_day = service.list_appointments(clinic.nurse, AppointmentFilter(first_day=day, last_day=day, patient_id=p))
    assert [x.id for x in one_day] == [a.id]
    assert [x.id for x in service.reception_today(clinic.receptionist, day=day)] == [a.id]


def test_next_free_slots_respect_hours_bookings_and_closed_days(database, clinic, service):
    doctor = add_doctor(database, clinic, name="Dr Hours")
    day = future_monday()
    service.set_working_hours(clinic.admin, doctor, [WorkingBlock(1, time(9), time(10)), WorkingBlock(3, time(14), time(15))])
    p = add_patient(database, clinic)
    _book(service, clinic, p, doctor, at(day, 9), 30)
    slots = service.next_free_slots(clinic.receptionist, doctor_id=doctor, duration_minutes=30, after=at(day, 0), count=3)
    assert [s.starts_at for s in slots] == [at(day, 9, 30), at(day + timedelta(days=2), 14), at(day + timedelta(days=2), 14, 30)]
    service.set_closed_day(clinic.receptionist, day=day + timedelta(days=2), label="Holiday")
    slots = service.next_free_slots(clinic.receptionist, doctor_id=doctor, duration_minutes=30, after=at(day, 0), count=2)
    assert [s.starts_at for s in slots] == [at(day, 9, 30), at(day + timedelta(days=7), 9)]
    with pytest.raises(ValidationError):
        service.next_free_slots(clinic.receptionist, doctor_id=doctor, duration_minutes=0)


def test_working_hours_rules_and_who_may_set_them(database, clinic, service):
    doctor = clinic.doctor.doctor_id
    with pytest.raises(ValidationError) as err:
        service.set_working_hours(clinic.admin, doctor, [WorkingBlock(1, time(12), time(9))])
    assert "end must be after the start" in err.value.message
    with pytest.raises(ValidationError, match="overlap"):
        service.set_working_hours(clinic.admin, doctor, [WorkingBlock(2, time(8), time(12)), WorkingBlock(2, time(11), time(13))])
    with pytest.raises(PermissionDenied):
        service.set_working_hours(clinic.nurse, doctor, [WorkingBlock(1, time(8), time(12))])
    own = service.set_working_hours(clinic.doctor, doctor, [WorkingBlock(1, time(8), time(12))])  # their own hours
    assert service.working_hours(clinic.nurse, doctor) == own


def test_series_keeps_wall_clock_time_across_the_spring_change(database, clinic):
    """Weekly at 09:00 from Monday 22 March 2027 — Europe/Berlin moves clocks on 28 March."""
    service = AppointmentService(database, clock=FixedClock(at(date(2027, 3, 1), 12)))  # booked ahead of time
    p = add_patient(database, clinic)
    first = at(date(2027, 3, 22), 9)
    result = service.book_series(clinic.receptionist, patient_id=p, doctor_id=clinic.doctor.doctor_id,
                                 first_starts_at=first, duration_minutes=30, interval_weeks=1, occurrences=3,
                                 reason=AppointmentReason.FOLLOW_UP)
    local = [a.starts_at.astimezone(BERLIN) for a in result.booked]
    assert [(t.date(), t.hour, t.minute) for t in local] == [
        (date(2027, 3, 22), 9, 0), (date(2027, 3, 29), 9, 0), (date(2027, 4, 5), 9, 0)]
    assert [a.starts_at.utcoffset() is not None for a in result.booked]
    assert (result.booked[1].starts_at - result.booked[0].starts_at) == timedelta(days=7) - timedelta(hours=1)
    week = service.week_view(clinic.receptionist, doctor_id=clinic.doctor.doctor_id, week_start=date(2027, 3, 22))
    assert week.ends_at - week.starts_at == timedelta(days=7, hours=-1)  # a 23-hour Sunday


def test_series_preview_lists_collisions_and_booking_refuses_or_skips(database, clinic, service):
    p, other = add_patient(database, clinic), add_patient(database, clinic, given="Cy")
    day = future_monday(5)
    _book(service, clinic, other, clinic.doctor.doctor_id, at(day + timedelta(weeks=2), 9, 15))
    kw = dict(patient_id=p, doctor_id=clinic.doctor.doctor_id, first_starts_at=at(day, 9), duration_minutes=30,
              interval_weeks=2, occurrences=4)
    preview = service.preview_series(clinic.nurse, **kw)
    assert len(preview.occurrences) == 4 and len(preview.collisions) == 1
    assert "the doctor already has an appointment at 09:15" in preview.collisions[0].collision
    with pytest.raises(ConflictError, match="1 of the dates collide") as err:
        service.book_series(clinic.nurse, reason=R, **kw)
    assert err.value.preview.collisions == preview.collisions
    assert service.list_appointments(clinic.nurse, AppointmentFilter(patient_id=p)) == ()
    result = service.book_series(clinic.nurse, reason=R, skip_collisions=True, **kw)
    assert len(result.booked) == 3 and len(result.skipped) == 1
    assert {a.series_id for a in result.booked} == {result.series_id}
    with pytest.raises(ValidationError) as err:
        service.preview_series(clinic.nurse, **{**kw, "occurrences": 1, "interval_weeks": 0})
    assert err.value.for_field("occurrences") and err.value.for_field("interval_weeks")


def test_this_and_following_moves_and_cancels_only_the_rest(database, clinic, service):
    p = add_patient(database, clinic)
    day = future_monday(8)
    series = service.book_series(clinic.receptionist, patient_id=p, doctor_id=clinic.doctor.doctor_id,
                                 first_starts_at=at(day, 9), duration_minutes=30, interval_weeks=1, occurrences=4,
                                 reason=R)
    one, two, three, four = series.booked
    # Cancelling one leaves the others alone.
    service.cancel(clinic.receptionist, one.id, expected_version=one.version, reason="holiday")
    moved = service.reschedule_following(clinic.receptionist, two.id, expected_version=two.version,
                                         starts_at=at(day + timedelta(weeks=1, days=1), 10, 30))
    assert [m.starts_at for m in moved] == [at(day + timedelta(weeks=w, days=1), 10, 30) for w in (1, 2, 3)]
    # A one-week shift forward moves into the series' own slots without colliding with itself.
    again = service.reschedule_following(clinic.receptionist, moved[0].id, expected_version=moved[0].version,
                                         starts_at=moved[1].starts_at)
    assert [m.starts_at for m in again] == [at(day + timedelta(weeks=w, days=1), 10, 30) for w in (2, 3, 4)]
    cancelled = service.cancel_following(clinic.receptionist, again[1].id, expected_version=again[1].version,
                                         reason="moved away")
    assert [c.status for c in cancelled] == [AppointmentStatus.CANCELLED] * 2
    left = service.list_appointments(clinic.receptionist, AppointmentFilter(patient_id=p))
    assert [a.status for a in left] == [AppointmentStatus.CANCELLED, AppointmentStatus.REQUESTED,
                                        AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED]


def test_moving_following_into_a_taken_date_moves_nothing(database, clinic, service):
    p, other = add_patient(database, clinic), add_patient(database, clinic, given="Di")
    day = future_monday(12)
    series = service.book_series(clinic.receptionist, patient_id=p, doctor_id=clinic.doctor.doctor_id,
                                 first_starts_at=at(day, 9), duration_minutes=30, interval_weeks=1, occurrences=3,
                                 reason=R)
    _book(service, clinic, other, clinic.doctor.doctor_id, at(day + timedelta(weeks=2), 11))
    first = series.booked[0]
    with pytest.raises(ConflictError, match="nothing was moved"):
        service.reschedule_following(clinic.receptionist, first.id, expected_version=first.version, starts_at=at(day, 11))
    left = service.list_appointments(clinic.receptionist, AppointmentFilter(patient_id=p))
    assert [a.starts_at for a in left] == [b.starts_at for b in series.booked]


@pytest.mark.parametrize("role", [Role.ADMIN])
def test_admin_cannot_book_series(database, clinic, service, role):
    with pytest.raises(PermissionDenied):
        service.preview_series(clinic.as_role(role), patient_id=add_patient(database, clinic),
                               doctor_id=clinic.doctor.doctor_id, first_starts_at=at(future_monday(), 9),
                               duration_minutes=30, interval_weeks=1, occurrences=2)
