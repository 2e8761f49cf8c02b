"""Geometry of the calendar grid, free of painting: columns (a doctor on a day), blocks laid out
in lanes when they overlap (e.g. a cancelled visit and its replacement), and the mapping between
pixels and clinic-local wall-clock times (DST-correct through zoneinfo)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ...domain.appointment_rules import local_wall_time
from ...services.appointment_dto import AppointmentDTO, CalendarView
from ..formats import Formats

SNAP_MINUTES = 5


@dataclass
class CalendarColumn:
    """One column: a doctor on a day (day view: one per doctor; week view: one per day)."""

    doctor_id: uuid.UUID
    day: date
    title: str
    appointments: list[AppointmentDTO] = field(default_factory=list)
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)
    closed: str | None = None


@dataclass(frozen=True)
class PlacedBlock:
    appointment: AppointmentDTO
    column: int
    lane: int
    lanes: int


class CalendarLayout:
    """Columns and blocks of a CalendarView between `first_hour` and `last_hour` local time."""

    def __init__(self, zone: str, *, formats: Formats, first_hour: int = 7, last_hour: int = 20) -> None:
        self.zone = ZoneInfo(zone)
        self.formats = formats
        self.first_hour, self.last_hour = first_hour, last_hour
        self.columns: list[CalendarColumn] = []
        self.blocks: list[PlacedBlock] = []

    @property
    def minutes_shown(self) -> int:
        return (self.last_hour - self.first_hour) * 60

    def set_day_view(self, view: CalendarView, day: date, *, show_closed_statuses: bool) -> None:
        closed = {c.day: c.label for c in view.closed_days}
        self.columns = [CalendarColumn(d.id, day, d.display_name + ("" if d.active else " (inactive)"),
                                       closed=closed.get(day)) for d in view.doctors]
        self._fill(view, show_closed_statuses)

    def set_week_view(self, view: CalendarView, week_start: date, *, show_closed_statuses: bool) -> None:
        doctor = view.doctors[0]
        closed = {c.day: c.label for c in view.closed_days}
        days = [week_start + timedelta(days=i) for i in range(7)]
        self.columns = [CalendarColumn(doctor.id, d, self.formats.weekday_day_month(d), closed=closed.get(d)) for d in days]
        self._fill(view, show_closed_statuses)

    def _fill(self, view: CalendarView, show_closed_statuses: bool) -> None:
        index = {(c.doctor_id, c.day): i for i, c in enumerate(self.columns)}
        for w in view.windows:
            i = index.get((w.doctor_id, w.starts_at.astimezone(self.zone).date()))
            if i is not None:
                self.columns[i].windows.append((w.starts_at, w.ends_at))
        for a in view.appointments:
            if not show_closed_statuses and not a.status.occupies_slot:
                continue
            i = index.get((a.doctor_id, a.starts_at.astimezone(self.zone).date()))
            if i is not None:
                self.columns[i].appointments.append(a)
        self.blocks = [b for i, c in enumerate(self.columns) for b in _lanes(i, c.appointments)]

    # -- time <-> offset ------------------------------------------------------------------

    def minute_of(self, instant: datetime) -> float:
        """Minutes after `first_hour` on the clinic's clock (may be outside 0..minutes_shown)."""
        local = instant.astimezone(self.zone)
        return (local.hour - self.first_hour) * 60 + local.minute + local.second / 60

    def instant_at(self, column: int, minute: float) -> datetime:
        """The aware instant at `minute` after `first_hour` in `column`, snapped to 5 minutes."""
        snapped = int(round(minute / SNAP_MINUTES) * SNAP_MINUTES)
        snapped = max(0, min(snapped, self.minutes_shown))
        total = self.first_hour * 60 + snapped
        day = self.columns[column].day
        if total >= 24 * 60:
            return local_wall_time(day + timedelta(days=1), time(0), self.zone)
        return local_wall_time(day, time(total // 60, total % 60), self.zone)

    def block_at(self, column: int, minute: float) -> PlacedBlock | None:
        for b in self.blocks:
            if b.column == column and self.minute_of(b.appointment.starts_at) <= minute < self.minute_of(b.appointment.ends_at):
                return b
        return None

    def is_free(self, column: int, start: datetime, end: datetime, *, ignore: uuid.UUID | None = None) -> bool:
        return not any(a.starts_at < end and start < a.ends_at and a.status.occupies_slot and a.id != ignore
                       for a in self.columns[column].appointments)

    def column_of(self, appointment_id: uuid.UUID) -> int | None:
        return next((b.column for b in self.blocks if b.appointment.id == appointment_id), None)


def _lanes(column: int, appointments: list[AppointmentDTO]) -> list[PlacedBlock]:
    """Side-by-side lanes for overlapping blocks within one column (greedy interval colouring)."""
    ordered = sorted(appointments, key=lambda a: (a.starts_at, a.ends_at))
    placed: list[tuple[AppointmentDTO, int]] = []
    groups: list[list[int]] = []
    lane_ends: list[datetime] = []
    group_end: datetime | None = None
    for a in ordered:
        if group_end is None or a.starts_at >= group_end:
            groups.append([])
            lane_ends = []
            group_end = a.ends_at
        lane = next((i for i, end in enumerate(lane_ends) if end <= a.starts_at), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(a.ends_at)
        else:
            lane_ends[lane] = a.ends_at
        group_end = max(group_end, a.ends_at)
        groups[-1].append(len(placed))
        placed.append((a, lane))
    result: list[PlacedBlock] = []
    for group in groups:
        lanes = max(placed[i][1] for i in group) + 1
        result += [PlacedBlock(placed[i][0], column, placed[i][1], lanes) for i in group]
    return result
