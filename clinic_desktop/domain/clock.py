"""The app's one clock: every "now" and every "today" comes from here.

The composition root builds one `SystemClock` and hands it to every service and pane; tests hand
in a `FixedClock`. "Today" is always the clinic's today, in the clinic's zone — never the
workstation's date, which differs from the clinic's for hours a day when the two zones differ.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Tells the current instant (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock, as an aware UTC instant (the zone of the machine plays no part)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told otherwise (tests, demos, replays)."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("a clock's time must carry its zone")
    return at.astimezone(UTC)


def zone_of(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def local_now(clock: Clock, zone: ZoneInfo | str) -> datetime:
    """The clock's instant as wall-clock time in `zone` (the clinic's)."""
    return clock.now().astimezone(zone_of(zone))


def clinic_today(clock: Clock, zone: ZoneInfo | str) -> date:
    """The clinic's calendar date now."""
    return local_now(clock, zone).date()


SYSTEM_CLOCK: Clock = SystemClock()
