"""Pure calendar rules: free-slot search, wall-clock times across DST, the status workflow."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from clinic_desktop.domain.appointment_rules import (
    DEFAULT_HOURS,
    Interval,
    booking_problems,
    find_free_slots,
    hours_problem,
    local_wall_time,
    series_starts,
    transition_problem,
    working_windows,
)
from clinic_desktop.domain.enums import AppointmentStatus as S

TZ = ZoneInfo("Europe/Berlin")


def t(day: date, hh: int, mm: int = 0) -> datetime:
    return local_wall_time(day, time(hh, mm), TZ)


def test_free_slots_skip_busy_spans_and_round_to_quarter_hours():
    day = date(2027, 1, 4)  # Monday
    windows = working_windows(DEFAULT_HOURS, (), day, day, TZ)
    busy = [Interval(t(day, 8), t(day, 9, 10)), Interval(t(day, 9, 30), t(day, 10))]
    slots = find_free_slots(windows, busy, duration=timedelta(minutes=20), earliest=t(day, 0), count=3, tz=TZ)
    assert [s.start for s in slots] == [t(day, 10), t(day, 10, 20), t(day, 10, 40)]
    long = find_free_slots(windows, busy, duration=timedelta(minutes=30), earliest=t(day, 8), count=1, tz=TZ)
    assert long[0].start == t(day, 10)
    none = find_free_slots(windows, [Interval(t(day, 8), t(day, 17))], duration=timedelta(minutes=5),
                           earliest=t(day, 0), count=1, tz=TZ)
    assert none == []


def test_wall_clock_time_survives_both_dst_changes():
    assert local_wall_time(date(2027, 3, 29), time(9), TZ).hour == 7  # CEST, UTC+2
    assert local_wall_time(date(2027, 3, 26), time(9), TZ).hour == 8  # CET, UTC+1
    starts = series_starts(t(date(2027, 10, 25), 9), interval_weeks=1, occurrences=2, tz=TZ)
    assert [s.astimezone(TZ).hour for s in starts] == [9, 9]
    assert starts[1] - starts[0] == timedelta(days=7, hours=1)
    gap = local_wall_time(date(2027, 3, 28), time(2, 30), TZ)  # does not exist on the clinic's clock
    assert gap.astimezone(TZ).hour == 3 and gap.tzinfo == timezone.utc


def test_a_dst_day_has_23_working_window_hours_correctly():
    sunday = date(2027, 3, 28)
    window = working_windows({7: ((time(0), time(23, 59)),)}, (), sunday, sunday, TZ)[0]
    assert window.end - window.start == timedelta(hours=22, minutes=59)


def test_status_workflow():
    assert transition_problem(S.REQUESTED, S.CONFIRMED) is None
    assert transition_problem(S.CHECKED_IN, S.NO_SHOW) is None
    assert "cannot become completed" in transition_problem(S.CONFIRMED, S.COMPLETED)
    assert "no longer change" in transition_problem(S.CANCELLED, S.CONFIRMED)


def test_booking_problems_and_hours():
    now = datetime(2027, 1, 1, tzinfo=timezone.utc)
    fields = {p.field for p in booking_problems(now - timedelta(hours=1), 0, now=now)}
    assert fields == {"starts_at", "duration"}
    assert booking_problems(now - timedelta(minutes=2), 15, now=now) == []  # within the grace minutes
    day = date(2027, 1, 4)
    assert hours_problem(Interval(t(day, 16, 45), t(day, 17, 15)), DEFAULT_HOURS, {}, TZ).startswith("Mon 16:45–17:15")
    assert hours_problem(Interval(t(day, 9), t(day, 10)), DEFAULT_HOURS, {day: "Holiday"}, TZ).startswith("The clinic is closed")
