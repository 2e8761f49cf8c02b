"""The app's one clock: "today" is the clinic's, whatever the workstation's zone or date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic_desktop.domain.clock import FixedClock, SystemClock, clinic_today, local_now


@pytest.mark.parametrize(("utc", "zone", "expected"), [
    (datetime(2026, 12, 7, 23, 30, tzinfo=UTC), "Europe/Berlin", date(2026, 12, 8)),  # already tomorrow
    (datetime(2026, 12, 8, 0, 30, tzinfo=UTC), "Pacific/Pago_Pago", date(2026, 12, 7)),  # still yesterday
    (datetime(2026, 12, 8, 10, 30, tzinfo=UTC), "Pacific/Kiritimati", date(2026, 12, 9)),  # UTC+14
    (datetime(2027, 3, 28, 0, 59, tzinfo=UTC), "Europe/Berlin", date(2027, 3, 28)),  # DST starts at 01:00 UTC
])
def test_clinic_today_is_the_date_in_the_clinics_zone(utc: datetime, zone: str, expected: date) -> None:
    assert clinic_today(FixedClock(utc), zone) == expected
    assert clinic_today(FixedClock(utc), ZoneInfo(zone)) == expected


def test_fixed_clock_needs_a_zone_and_moves_only_when_told() -> None:
    with pytest.raises(ValueError, match="zone"):
        FixedClock(datetime(2026, 1, 1, 12))  # noqa: DTZ001 - the point of the test
    clock = FixedClock(datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")))
    assert clock.now() == clock.now() and clock.now().tzinfo is UTC
    clock.advance(timedelta(hours=1))
    assert local_now(clock, "Europe/Berlin").hour == 3  # 02:30 does not exist that night


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)

