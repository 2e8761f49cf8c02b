"""Calendar rules in plain Python: durations, the status workflow, wall-clock time in the clinic's
zone (correct across daylight-saving changes), working hours and the free-slot search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .enums import AppointmentStatus
from .permissions import Capability
from .errors import FieldProblem

S = AppointmentStatus
MIN_DURATION_MIN = 5
MAX_DURATION_MIN = 12 * 60  # also a CHECK in the schema; day views look back this far
PAST_GRACE = timedelta(minutes=5)  # a booking typed a minute late is not "in the past"
SLOT_STEP = timedelta(minutes=15)  # suggestions start on quarter hours of the clinic's clock
MAX_SERIES_OCCURRENCES = 52
MAX_SERIES_INTERVAL_WEEKS = 52

OPEN_STATUSES = frozenset({S.REQUESTED, S.CONFIRMED, S.CHECKED_IN})

#: The workflow: requested → confirmed → checked in → completed; cancelled and no-show from any
#: open state. A patient who walks in before confirming may be checked in straight away.
TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    S.REQUESTED: frozenset({S.CONFIRMED, S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CHECKED_IN: frozenset({S.COMPLETED, S.CANCELLED, S.NO_SHOW}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}

#: What it takes to move an appointment into each status (completing a visit is a clinical act);
#: who holds each capability is decided in `permissions`.
STATUS_CAPABILITY: dict[AppointmentStatus, Capability] = {
    S.CONFIRMED: Capability.BOOK_APPOINTMENTS,
    S.CHECKED_IN: Capability.CHECK_IN_PATIENTS,
    S.COMPLETED: Capability.COMPLETE_VISITS,
    S.CANCELLED: Capability.BOOK_APPOINTMENTS,
    S.NO_SHOW: Capability.CHECK_IN_PATIENTS,
}

STATUS_LABELS = {
    S.REQUESTED: "Requested",
    S.CONFIRMED: "Confirmed",
    S.CHECKED_IN: "Checked in",
    S.COMPLETED: "Completed",
    S.CANCELLED: "Cancelled",
    S.NO_SHOW: "No-show",
}

#: When a doctor has no weekly hours recorded yet: Monday to Friday, 08:00–17:00.
DEFAULT_HOURS: dict[int, tuple[tuple[time, time], ...]] = {
    wd: ((time(8, 0), time(17, 0)),) for wd in range(1, 6)
}

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def transition_problem(current: AppointmentStatus, target: AppointmentStatus) -> str | None:
    """Why `current` → `target` is not allowed, or None when it is."""
    if target in TRANSITIONS[current]:
        return None
    if current not in OPEN_STATUSES:
        return f"This appointment is already {STATUS_LABELS[current].lower()}; its status can no longer change."
    return f"An appointment that is {STATUS_LABELS[current].lower()} cannot become {STATUS_LABELS[target].lower()}."


def booking_problems(
    starts_at: datetime | None, duration_minutes: int | None, *, now: datetime, field_prefix: str = ""
) -> list[FieldProblem]:
    """Problems with a requested start and duration (aware start, sensible duration, not past)."""
    problems: list[FieldProblem] = []
    if starts_at is None:
        problems.append(FieldProblem(field_prefix + "starts_at", "Choose a start time."))
    elif starts_at.tzinfo is None or starts_at.utcoffset() is None:
        problems.append(FieldProblem(field_prefix + "starts_at", "The start time needs a time zone."))
    elif starts_at < now - PAST_GRACE:
        problems.append(FieldProblem(field_prefix + "starts_at", "This time is in the past; choose a later slot."))
    if duration_minutes is None or duration_minutes <= 0:
        problems.append(FieldProblem(field_prefix + "duration", "The duration must be more than zero minutes."))
    elif duration_minutes < MIN_DURATION_MIN:
        problems.append(FieldProblem(field_prefix + "duration", f"The shortest appointment is {MIN_DURATION_MIN} minutes."))
    elif duration_minutes > MAX_DURATION_MIN:
        problems.append(FieldProblem(field_prefix + "duration", "An appointment cannot last longer than 12 hours."))
    return problems


def local_wall_time(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant (in UTC) the clinic's clocks show `at` on `day`; a time skipped by a
    spring-forward change maps to the instant just after the change (PEP 495, fold=0).

    UTC, because Python subtracts and adds datetimes sharing one ZoneInfo in wall-clock terms:
    a 23-hour day would come out as 24.
    """
    return datetime.combine(day, at).replace(tzinfo=tz).astimezone(timezone.utc)


def series_starts(first: datetime, *, interval_weeks: int, occurrences: int, tz: ZoneInfo) -> list[datetime]:
    """Starts of a recurring series: the same wall-clock time every N weeks (09:00 stays 09:00
    across a daylight-saving change)."""
    local = first.astimezone(tz)
    return [
        local_wall_time(local.date() + timedelta(weeks=interval_weeks * k), local.time().replace(tzinfo=None), tz)
        for k in range(occurrences)
    ]


def series_problems(interval_weeks: int | None, occurrences: int | None) -> list[FieldProblem]:
    problems = []
    if not interval_weeks or interval_weeks < 1 or interval_weeks > MAX_SERIES_INTERVAL_WEEKS:
        problems.append(FieldProblem("interval_weeks", f"Repeat every 1 to {MAX_SERIES_INTERVAL_WEEKS} weeks."))
    if not occurrences or occurrences < 2 or occurrences > MAX_SERIES_OCCURRENCES:
        problems.append(FieldProblem("occurrences", f"A series has 2 to {MAX_SERIES_OCCURRENCES} appointments."))
    return problems


WeeklyHours = dict[int, tuple[tuple[time, time], ...]]


@dataclass(frozen=True)
class Interval:
    """A half-open span [start, end) of aware instants."""

    start: datetime
    end: datetime

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end


def working_windows(
    hours: WeeklyHours, closed: Iterable[date], first_day: date, last_day: date, tz: ZoneInfo
) -> list[Interval]:
    """Bookable windows (aware, ascending) of the local days first_day..last_day."""
    closed_set = set(closed)
    windows: list[Interval] = []
    day = first_day
    while day <= last_day:
        if day not in closed_set:
            for start, end in sorted(hours.get(day.isoweekday(), ())):
                windows.append(Interval(local_wall_time(day, start, tz), local_wall_time(day, end, tz)))
        day += timedelta(days=1)
    return windows


def hours_problem(slot: Interval, hours: WeeklyHours, closed: dict[date, str], tz: ZoneInfo) -> str | None:
    """Why a slot lies outside working time (closed day, outside the doctor's hours), or None."""
    local_start, local_end = slot.start.astimezone(tz), slot.end.astimezone(tz)
    for day in {local_start.date(), (local_end - timedelta(microseconds=1)).date()}:
        if day in closed:
            return f"The clinic is closed on {day:%a %d %b %Y} ({closed[day]})."
    windows = working_windows(hours, (), local_start.date(), local_end.date(), tz)
    if any(w.start <= slot.start and slot.end <= w.end for w in windows):
        return None
    return f"{local_start:%a %H:%M}–{local_end:%H:%M} is outside the doctor's working hours ({describe_hours(hours, local_start.isoweekday())})."


def describe_hours(hours: WeeklyHours, weekday: int) -> str:
    blocks = hours.get(weekday, ())
    if not blocks:
        return f"no hours on {WEEKDAY_NAMES[weekday - 1]}"
    spans = ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in sorted(blocks))
    return f"{WEEKDAY_NAMES[weekday - 1]} {spans}"


def hours_table_problems(blocks: Sequence[tuple[int, time, time]]) -> list[FieldProblem]:
    """Weekly hours as entered: valid weekdays, end after start, no overlapping blocks on a day."""
    problems = []
    by_day: dict[int, list[tuple[time, time]]] = {}
    for i, (weekday, start, end) in enumerate(blocks):
        if weekday < 1 or weekday > 7:
            problems.append(FieldProblem(f"hours[{i}].weekday", "The weekday must be Monday (1) to Sunday (7)."))
        elif end <= start:
            problems.append(FieldProblem(f"hours[{i}].ends", f"{WEEKDAY_NAMES[weekday - 1]}: the end must be after the start."))
        else:
            by_day.setdefault(weekday, []).append((start, end))
    for weekday, spans in by_day.items():
        spans.sort()
        for (_, e1), (s2, _) in zip(spans, spans[1:]):
            if s2 < e1:
                problems.append(FieldProblem("hours", f"{WEEKDAY_NAMES[weekday - 1]}: two blocks overlap."))
    return problems


def _round_up(instant: datetime, tz: ZoneInfo, step: timedelta) -> datetime:
    """The next instant at or after `instant` that falls on a `step` boundary of the local clock."""
    local = instant.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    since = local - midnight
    steps = -(-since // step)  # ceiling division on timedeltas
    return (midnight + steps * step).astimezone(instant.tzinfo or timezone.utc) if since % step else instant


def find_free_slots(
    windows: Sequence[Interval],
    busy: Sequence[Interval],
    *,
    duration: timedelta,
    earliest: datetime,
    count: int,
    tz: ZoneInfo,
    step: timedelta = SLOT_STEP,
) -> list[Interval]:
    """The earliest `count` slots of `duration` inside `windows` that overlap nothing in `busy`.

    `busy` must be sorted by start; both lists are walked once (merge), so a doctor's whole
    month costs microseconds.
    """
    found: list[Interval] = []
    b = 0
    for window in windows:
        if window.end <= earliest:
            continue
        candidate = _round_up(max(window.start, earliest), tz, step)
        while candidate + duration <= window.end and len(found) < count:
            while b < len(busy) and busy[b].end <= candidate:
                b += 1
            slot = Interval(candidate, candidate + duration)
            blocker, i = None, b
            while i < len(busy) and busy[i].start < slot.end:
                if busy[i].end > slot.start:
                    blocker = busy[i]
                    break
                i += 1
            if blocker is None:
                found.append(slot)
                candidate = slot.end
            else:
                candidate = _round_up(blocker.end, tz, step)
        if len(found) >= count:
            break
    return found
