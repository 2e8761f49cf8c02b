"""Medication schedules: frequencies, validation and the scheduled doses in a date range.

Plain Python (zoneinfo, no database). Dose times are wall-clock times in the clinic's time zone;
each scheduled dose is returned as an aware UTC datetime. Daylight-saving rules:
- a time that does not exist on a spring-forward day (02:30 in Europe/Berlin) is taken at the
  same offset as before the jump, i.e. it moves forward by the gap (03:30 local) — the dose is
  not lost;
- a time that occurs twice on a fall-back day is taken once, at its first occurrence (fold=0).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .errors import FieldProblem


class Frequency(StrEnum):
    """How often a prescription is taken."""

    ONCE_DAILY = "once_daily"
    TWICE_DAILY = "twice_daily"
    THREE_TIMES_DAILY = "three_times_daily"
    EVERY_N_HOURS = "every_n_hours"
    AS_NEEDED = "as_needed"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return {
            "once_daily": "Once daily",
            "twice_daily": "Twice daily",
            "three_times_daily": "Three times daily",
            "every_n_hours": "Every N hours",
            "as_needed": "As needed",
            "custom": "Custom times",
        }[self.value]


#: How many dose times each fixed frequency needs.
FIXED_COUNTS = {Frequency.ONCE_DAILY: 1, Frequency.TWICE_DAILY: 2, Frequency.THREE_TIMES_DAILY: 3}
#: A dose may be recorded as taken up to this long before its scheduled time (given early).
EARLY_WINDOW = timedelta(hours=2)
#: Every-N-hours intervals that repeat at the same wall-clock times each day (divisors of 24);
#: nurses and patients work to clock times, so other intervals would drift round the clock.
ALLOWED_INTERVALS = (1, 2, 3, 4, 6, 8, 12)


def parse_dose_time(text: str) -> time:
    """'08:00' → time(8, 0); ValueError with a readable sentence when outside 00:00–23:59."""
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not a time between 00:00 and 23:59 (HH:MM).") from None


def parse_dose_times(texts: Iterable[str], field: str = "times") -> tuple[list[time], list[FieldProblem]]:
    """Parse every entry; one FieldProblem per bad entry, naming its position."""
    parsed: list[time] = []
    problems: list[FieldProblem] = []
    for index, text in enumerate(t for t in texts if t.strip()):
        try:
            parsed.append(parse_dose_time(text))
        except ValueError as exc:
            problems.append(FieldProblem(field, f"Dose time {index + 1}: {exc}"))
    return parsed, problems


def expand_interval(first: time, every_n_hours: int) -> list[time]:
    """The daily wall-clock times of an every-N-hours schedule starting at `first`."""
    return sorted(time((first.hour + k * every_n_hours) % 24, first.minute) for k in range(24 // every_n_hours))


def validate_schedule(
    *,
    frequency: Frequency,
    times: Sequence[time],
    every_n_hours: int | None,
    start_date: date | None,
    end_date: date | None,
) -> list[FieldProblem]:
    """Every rule a schedule must meet, as field problems (empty when valid)."""
    problems: list[FieldProblem] = []
    if start_date is None:
        problems.append(FieldProblem("start_date", "Enter the date the prescription starts."))
    elif end_date is not None and end_date < start_date:
        problems.append(FieldProblem("end_date", "The end date is before the start date."))
    if len(set(times)) != len(times):
        problems.append(FieldProblem("times", "The same dose time is given twice."))
    expected = FIXED_COUNTS.get(frequency)
    if expected is not None and len(times) != expected:
        problems.append(
            FieldProblem("times", f"{frequency.label} needs {expected} dose time(s); {len(times)} given.")
        )
    elif frequency is Frequency.EVERY_N_HOURS:
        if every_n_hours not in ALLOWED_INTERVALS:
            allowed = ", ".join(str(n) for n in ALLOWED_INTERVALS)
            problems.append(FieldProblem("every_n_hours", f"Choose an interval of {allowed} hours."))
        if len(times) != 1:
            problems.append(FieldProblem("times", f"Every N hours needs exactly one first dose time; {len(times)} given."))
    elif frequency is Frequency.AS_NEEDED and times:
        problems.append(FieldProblem("times", "An as-needed prescription has no scheduled dose times."))
    elif frequency is Frequency.CUSTOM and not times:
        problems.append(FieldProblem("times", "Custom times need at least one dose time."))
    if frequency is not Frequency.EVERY_N_HOURS and every_n_hours is not None:
        problems.append(FieldProblem("every_n_hours", "An interval only applies to 'every N hours'."))
    return problems


def daily_times(frequency: Frequency, times: Sequence[time], every_n_hours: int | None) -> list[time]:
    """The wall-clock dose times of one day (empty for as-needed)."""
    if frequency is Frequency.AS_NEEDED:
        return []
    if frequency is Frequency.EVERY_N_HOURS and every_n_hours and times:
        return expand_interval(times[0], every_n_hours)
    return sorted(times)


def describe_schedule(frequency: Frequency, times: Sequence[time], every_n_hours: int | None) -> str:
    """'Twice daily at 08:00, 20:00', 'Every 8 hours (06:00, 14:00, 22:00)', 'As needed'."""
    clock = ", ".join(t.strftime("%H:%M") for t in daily_times(frequency, times, every_n_hours))
    if frequency is Frequency.AS_NEEDED:
        return frequency.label
    if frequency is Frequency.EVERY_N_HOURS and every_n_hours:
        return f"Every {every_n_hours} hours" + (f" ({clock})" if clock else "")
    return f"{frequency.label} at {clock}" if clock else frequency.label


@dataclass(frozen=True)
class ActiveWindow:
    """When a prescription counts: [starts, ends) in UTC, minus its pauses."""

    starts: datetime
    ends: datetime | None
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()

    def covers(self, moment: datetime) -> bool:
        if moment < self.starts or (self.ends is not None and moment >= self.ends):
            return False
        return not any(p0 <= moment and (p1 is None or moment < p1) for p0, p1 in self.pauses)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def dose_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock dose time on a local day, as UTC (DST rules in the module docstring)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def scheduled_doses(
    times_of_day: Sequence[time], first_day: date, last_day: date, zone: ZoneInfo, window: ActiveWindow | None = None
) -> Iterator[datetime]:
    """Scheduled dose instants (UTC, ascending) on local days first_day..last_day inclusive,
    keeping only those inside `window` when given."""
    day = first_day
    while day <= last_day:
        for at in times_of_day:
            instant = dose_instant(day, at, zone)
            if window is None or window.covers(instant):
                yield instant
        day += timedelta(days=1)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The clinic-local calendar day of an instant."""
    return moment.astimezone(zone).date()


@dataclass(frozen=True)
class ClockChange:
    """A daylight-saving change seen on the wall clock: local times [starts, ends) (naive) are
    skipped (`gap`, spring forward) or occur twice (`overlap`, fall back); `size` is the jump."""

    starts: datetime
    ends: datetime
    size: timedelta
    overlap: bool


def clock_changes(zone: ZoneInfo, first_day: date, last_day: date) -> list[ClockChange]:
    """The clock changes on local days first_day..last_day (usually none; two a year where DST applies).

    The database's AT TIME ZONE reads a twice-occurring time as its second occurrence; the
    schedule takes the first (module docstring). The SQL expansion of the schedule uses these
    intervals to read such times as this module does."""
    start = local_midnight(first_day, zone) - timedelta(hours=3)
    end = local_midnight(last_day + timedelta(days=1), zone) + timedelta(hours=3)
    changes: list[ClockChange] = []
    day_start = start
    while day_start < end:  # one probe per day: a zone changes its clock at most once in a day
        day_end = min(day_start + timedelta(days=1), end)
        before, after = _offset(day_start, zone), _offset(day_end, zone)
        if before != after:
            moment = _transition(day_start, day_end, zone)
            wall_before, wall_after = (moment + before).replace(tzinfo=None), (moment + after).replace(tzinfo=None)
            changes.append(ClockChange(min(wall_before, wall_after), max(wall_before, wall_after),
                                       abs(after - before), overlap=after < before))
        day_start = day_end
    return changes


def _offset(moment: datetime, zone: ZoneInfo) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)


def _transition(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (low, high] with high's offset (bisection to the second)."""
    target = _offset(high, zone)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if _offset(middle, zone) == target:
            high = middle
        else:
            low = middle
    return high
