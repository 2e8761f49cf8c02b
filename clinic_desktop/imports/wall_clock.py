"""Device local time (no offset) → UTC in the clinic's zone, correct across daylight-saving changes.

CGM exports carry wall-clock times without an offset. In the autumn hour that repeats, a wall time
is ambiguous; we read the file in order and take the second occurrence (fold=1) once the first
interpretation would go back in time (a sensor's readings are chronological). A wall time that
does not exist (the spring gap) cannot come from a correctly set device clock: the line is
rejected with that reason rather than silently shifted.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_UTC = timezone.utc


class WallClock:
    """Converts a file's naive local times, in order, to aware UTC datetimes."""

    def __init__(self, zone: ZoneInfo | str) -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self._last_utc: datetime | None = None
        self.ambiguous = 0  # readings in a repeated hour, resolved by order
        self._steady: dict[tuple[int, int, int, int], timedelta | None] = {}  # local hour → its UTC offset or None

    def _offset_of_hour(self, naive: datetime) -> timedelta | None:
        """The UTC offset valid for the whole local hour of `naive`, or None if a change happens in it."""
        key = (naive.year, naive.month, naive.day, naive.hour)
        try:
            return self._steady[key]
        except KeyError:
            hour = datetime(*key)
            ends = (hour, hour + timedelta(minutes=59, seconds=59))
            offsets = {t.replace(tzinfo=self.zone, fold=f).utcoffset() for t in ends for f in (0, 1)}
            self._steady[key] = offsets.pop() if len(offsets) == 1 else None
            return self._steady[key]

    def to_utc(self, naive: datetime) -> tuple[datetime | None, str | None]:
        """(UTC time, None) or (None, reason) for a wall time that does not exist or has no UTC time."""
        try:
            return self._to_utc(naive)
        except OverflowError:  # e.g. 9999-12-31 22:00 west of UTC is already in the year 10000 there
            return None, (f"{naive.isoformat(sep=' ', timespec='minutes')} in {self.zone.key} falls outside the years 1–9999 "
                          "when converted to UTC")

    def _to_utc(self, naive: datetime) -> tuple[datetime | None, str | None]:
        offset = self._offset_of_hour(naive)
        if offset is not None:  # the common case: plain arithmetic, no zone lookups
            chosen = (naive - offset).replace(tzinfo=_UTC)
            if self._last_utc is None or chosen > self._last_utc:
                self._last_utc = chosen
            return chosen, None
        first = naive.replace(tzinfo=self.zone, fold=0)
        second = naive.replace(tzinfo=self.zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            a, b = first.astimezone(_UTC), second.astimezone(_UTC)
            if a.astimezone(self.zone).replace(tzinfo=None) != naive:
                return None, (f"{naive:%Y-%m-%d %H:%M} does not exist in {self.zone.key} "
                              "(the clock was put forward for daylight saving)")
            earlier, later = min(a, b), max(a, b)
            self.ambiguous += 1
            chosen = later if self._last_utc is not None and earlier < self._last_utc - timedelta(minutes=1) else earlier
        else:
            chosen = first.astimezone(_UTC)
        self._last_utc = chosen if self._last_utc is None else max(self._last_utc, chosen)
        return chosen, None
