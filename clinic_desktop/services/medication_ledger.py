"""The dose ledger: scheduled doses generated from prescriptions, merged with the recorded log.

Design: the log stores only what was recorded (taken, taken late, missed, skipped); a pending dose
is a scheduled instant with no log row. Generation is cheap (a few datetimes per prescription per
day) while materialising every scheduled dose would mean ~20 million rows for 5,000 patients over
two years, a nightly job to create tomorrow's rows, and rewriting future rows on every dose change
or pause. Pure functions over plain rows — no ORM objects, no session.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..domain.enums import DoseStatus
from ..domain.medication_schedule import ActiveWindow, Frequency, daily_times, dose_instant, local_day, local_midnight
from .medication_dto import AdherenceFigure, DayMark

TAKEN = (DoseStatus.TAKEN, DoseStatus.TAKEN_LATE)


class PlanRow(NamedTuple):
    """What the ledger needs of one prescription (NamedTuples here: tens of thousands per clinic-wide read)."""

    id: uuid.UUID
    patient_id: uuid.UUID
    frequency: Frequency
    times: tuple[time, ...]
    every_n_hours: int | None
    start_date: date
    end_date: date | None
    effective_at: datetime | None
    ended_at: datetime | None
    summary: str = ""
    patient_name: str = ""


class LogRow(NamedTuple):
    """One recorded dose."""

    id: uuid.UUID
    medication_id: uuid.UUID
    scheduled_at: datetime
    status: DoseStatus
    taken_at: datetime | None
    reason: str | None
    recorded_by_name: str | None
    version: int


class LedgerEntry(NamedTuple):
    """A scheduled dose and what happened to it (`log` None: nothing recorded yet)."""

    plan: PlanRow
    scheduled_at: datetime
    log: LogRow | None

    @property
    def status(self) -> DoseStatus:
        return self.log.status if self.log is not None else DoseStatus.PENDING


def active_window(plan: PlanRow, zone: ZoneInfo, pauses: Iterable[tuple[datetime, datetime | None]] = ()) -> ActiveWindow:
    """When the prescription's doses count: its dates, its replacement/end instants and pauses."""
    starts = _midnight(plan.start_date, zone)
    if plan.effective_at is not None and plan.effective_at > starts:
        starts = plan.effective_at
    ends = _midnight(plan.end_date + timedelta(days=1), zone) if plan.end_date else None
    if plan.ended_at is not None and (ends is None or plan.ended_at < ends):
        ends = plan.ended_at
    return ActiveWindow(starts, ends, tuple(pauses))


@lru_cache(maxsize=4096)
def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """Cached: thousands of prescriptions share a handful of start dates."""
    return local_midnight(day, zone)


def build_ledger(
    plans: Iterable[PlanRow],
    logs: Iterable[LogRow],
    pauses: Mapping[uuid.UUID, list[tuple[datetime, datetime | None]]],
    *,
    first_day: date,
    last_day: date,
    zone: ZoneInfo,
) -> list[LedgerEntry]:
    """Every dose scheduled on local days first_day..last_day while active, with its log row.

    As-needed doses have no schedule: each recorded one appears as its own entry."""
    logs_by_med: dict[uuid.UUID, dict[datetime, LogRow]] = defaultdict(dict)
    for log in logs:
        logs_by_med[log.medication_id][log.scheduled_at] = log
    # A clinic has few distinct schedules: convert each (day, times) once. Each instant counts once a
    # day: on a spring-forward day a time inside the gap (02:30) lands on the same instant as the
    # time one gap later (03:30), and one prescription has one dose per instant (the log's key).
    instants: dict[tuple[date, tuple[time, ...]], tuple[datetime, ...]] = {}
    days = [first_day + timedelta(days=k) for k in range((last_day - first_day).days + 1)]
    entries: list[LedgerEntry] = []
    append = entries.append
    for plan in plans:
        recorded = logs_by_med.get(plan.id, {})
        if plan.frequency is Frequency.AS_NEEDED:
            entries.extend(LedgerEntry(plan, at, log) for at, log in recorded.items())
            continue
        window = active_window(plan, zone, pauses.get(plan.id, ()))
        starts, ends, paused = window.starts, window.ends, bool(window.pauses)
        times = tuple(daily_times(plan.frequency, plan.times, plan.every_n_hours))
        for day in days:
            key = (day, times)
            day_instants = instants.get(key)
            if day_instants is None:
                day_instants = instants[key] = tuple(dict.fromkeys(dose_instant(day, t, zone) for t in times))
            for at in day_instants:
                if at < starts or (ends is not None and at >= ends) or (paused and not window.covers(at)):
                    continue
                append(LedgerEntry(plan, at, recorded.get(at)))
    entries.sort(key=_entry_order)
    return entries


def _entry_order(entry: LedgerEntry) -> tuple:
    return entry.scheduled_at, entry.plan.patient_name, entry.plan.summary


def is_due(entry: LedgerEntry, now: datetime, grace: timedelta) -> bool:
    """Whether the dose counts for adherence: recorded, or its grace window has passed."""
    return entry.log is not None or entry.scheduled_at + grace <= now


def adherence(entries: Iterable[LedgerEntry], now: datetime, grace: timedelta) -> AdherenceFigure:
    """Count due scheduled doses by outcome (as-needed doses are not part of adherence)."""
    counts = {s: 0 for s in DoseStatus}
    for entry in entries:
        if entry.plan.frequency is Frequency.AS_NEEDED or not is_due(entry, now, grace):
            continue
        counts[entry.status] += 1
    scheduled = sum(counts.values())
    return AdherenceFigure(
        scheduled=scheduled,
        taken=counts[DoseStatus.TAKEN],
        taken_late=counts[DoseStatus.TAKEN_LATE],
        missed=counts[DoseStatus.MISSED],
        skipped=counts[DoseStatus.SKIPPED],
        not_recorded=counts[DoseStatus.PENDING],
    )


def day_marks(
    entries: Iterable[LedgerEntry], days: list[date], zone: ZoneInfo, now: datetime, grace: timedelta
) -> dict[date, DayMark]:
    """One calendar cell per day for the given entries (usually one medication's)."""
    per_day: dict[date, list[LedgerEntry]] = defaultdict(list)
    for entry in entries:
        if entry.plan.frequency is not Frequency.AS_NEEDED:
            per_day[local_day(entry.scheduled_at, zone)].append(entry)
    return {day: _mark(per_day.get(day, []), now, grace) for day in days}


def _mark(entries: list[LedgerEntry], now: datetime, grace: timedelta) -> DayMark:
    if not entries:
        return DayMark.NOT_SCHEDULED
    due = [e for e in entries if is_due(e, now, grace)]
    if not due:
        return DayMark.PENDING
    taken = sum(1 for e in due if e.status in TAKEN)
    if taken == len(due):
        return DayMark.PENDING if len(due) < len(entries) else DayMark.ALL_TAKEN
    return DayMark.NONE_TAKEN if taken == 0 else DayMark.SOME_MISSED


def full_adherence_days(
    entries: Iterable[LedgerEntry], zone: ZoneInfo, now: datetime, grace: timedelta
) -> tuple[set[date], set[date]]:
    """(days with every scheduled dose taken, days with at least one due dose not taken)."""
    taken_all: dict[date, bool] = {}
    for entry in entries:
        if entry.plan.frequency is Frequency.AS_NEEDED or not is_due(entry, now, grace):
            continue
        day = local_day(entry.scheduled_at, zone)
        taken_all[day] = taken_all.get(day, True) and entry.status in TAKEN
    full = {d for d, ok in taken_all.items() if ok}
    return full, set(taken_all) - full
