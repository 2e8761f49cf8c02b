"""Schedules: validation of each bad input, and DST-correct dose instants in the clinic's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic_desktop.domain.medication_schedule import (
    ActiveWindow, Frequency, clock_changes, daily_times, parse_dose_time, parse_dose_times, scheduled_doses, validate_schedule,
)

BERLIN = ZoneInfo("Europe/Berlin")


def _fields(**kw):
    defaults = dict(frequency=Frequency.ONCE_DAILY, times=[time(8)], every_n_hours=None,
                    start_date=date(2026, 1, 1), end_date=None)
    defaults.update(kw)
    return [p.field for p in validate_schedule(**defaults)]


def test_valid_schedule_has_no_problems():
    assert _fields() == []
    assert _fields(frequency=Frequency.THREE_TIMES_DAILY, times=[time(8), time(13), time(19)]) == []
    assert _fields(frequency=Frequency.AS_NEEDED, times=[]) == []


def test_end_before_start_is_reported_on_end_date():
    assert _fields(end_date=date(2025, 12, 31)) == ["end_date"]


@pytest.mark.parametrize("text", ["24:00", "23:60", "-1:00", "8 am", "", "12:5x"])
def test_time_outside_day_is_rejected(text):
    with pytest.raises(ValueError, match="between 00:00 and 23:59"):
        parse_dose_time(text or "x")


def test_parse_times_names_the_bad_entry():
    parsed, problems = parse_dose_times(["08:00", "25:00"])
    assert parsed == [time(8)]
    assert problems[0].field == "times" and "Dose time 2" in problems[0].message


@pytest.mark.parametrize(
    ("frequency", "times", "n"),
    [(Frequency.TWICE_DAILY, [time(8)], None), (Frequency.ONCE_DAILY, [time(8), time(20)], None),
     (Frequency.THREE_TIMES_DAILY, [time(8), time(20)], None), (Frequency.AS_NEEDED, [time(8)], None),
     (Frequency.CUSTOM, [], None), (Frequency.EVERY_N_HOURS, [time(8), time(9)], 8)],
)
def test_frequency_disagreeing_with_times(frequency, times, n):
    assert "times" in _fields(frequency=frequency, times=times, every_n_hours=n)


def test_interval_must_divide_the_day():
    assert _fields(frequency=Frequency.EVERY_N_HOURS, times=[time(6)], every_n_hours=5) == ["every_n_hours"]
    assert daily_times(Frequency.EVERY_N_HOURS, [time(6)], 8) == [time(6), time(14), time(22)]


def test_duplicate_time_rejected():
    assert "times" in _fields(frequency=Frequency.CUSTOM, times=[time(8), time(8)])


def test_doses_keep_wall_clock_time_across_spring_forward():
    doses = list(scheduled_doses([time(8)], date(2026, 3, 28), date(2026, 3, 30), BERLIN))
    assert [d.astimezone(BERLIN).hour for d in doses] == [8, 8, 8]
    assert [d.hour for d in doses] == [7, 6, 6]  # UTC shifts with the offset


def test_nonexistent_time_moves_forward_and_ambiguous_time_counts_once():
    spring = list(scheduled_doses([time(2, 30)], date(2026, 3, 29), date(2026, 3, 29), BERLIN))
    assert spring == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]  # 03:30 CEST
    autumn = list(scheduled_doses([time(2, 30)], date(2026, 10, 25), date(2026, 10, 25), BERLIN))
    assert autumn == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]  # first 02:30 (CEST), once


def test_window_drops_doses_outside_active_time_and_pauses():
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    pause = (datetime(2026, 1, 2, 0, tzinfo=UTC), datetime(2026, 1, 3, 0, tzinfo=UTC))
    window = ActiveWindow(start, datetime(2026, 1, 4, 0, tzinfo=UTC), (pause,))
    doses = list(scheduled_doses([time(8), time(20)], date(2026, 1, 1), date(2026, 1, 5), ZoneInfo("UTC"), window))
    assert [d.isoformat() for d in doses] == [
        "2026-01-01T20:00:00+00:00", "2026-01-03T08:00:00+00:00", "2026-01-03T20:00:00+00:00",
    ]


def test_clock_changes_are_found_with_their_size():
    berlin = clock_changes(ZoneInfo("Europe/Berlin"), date(2025, 1, 1), date(2025, 12, 31))
    assert [(c.starts, c.ends, c.overlap) for c in berlin] == [
        (datetime(2025, 3, 30, 2), datetime(2025, 3, 30, 3), False),
        (datetime(2025, 10, 26, 2), datetime(2025, 10, 26, 3), True),
    ]
    assert {c.size for c in clock_changes(ZoneInfo("Australia/Lord_Howe"), date(2025, 1, 1), date(2025, 12, 31))} == {
        timedelta(minutes=30)}
    assert clock_changes(ZoneInfo("Asia/Kolkata"), date(2025, 1, 1), date(2025, 12, 31)) == []
