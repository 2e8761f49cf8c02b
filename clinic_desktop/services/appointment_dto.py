"""Frozen results of the appointment service: what panes and dialogs show (never ORM rows)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time

from ..domain.appointment_rules import OPEN_STATUSES
from ..domain.enums import AppointmentReason, AppointmentStatus
from ..domain.errors import ConflictError


@dataclass(frozen=True)
class DoctorDTO:
    id: uuid.UUID
    display_name: str
    active: bool = True


@dataclass(frozen=True)
class AppointmentDTO:
    """One appointment as the calendar shows it (times are aware; show them in the clinic's zone)."""

    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    patient_mrn: str
    doctor_id: uuid.UUID
    doctor_name: str
    starts_at: datetime
    ends_at: datetime
    reason: AppointmentReason
    status: AppointmentStatus
    version: int
    notes: str | None = None
    checklist: tuple[str, ...] = ()
    cancel_reason: str | None = None
    series_id: uuid.UUID | None = None

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class FreeSlot:
    doctor_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class WorkingBlock:
    """One block of weekly hours, in clinic-local wall-clock time (weekday: ISO, 1 = Monday)."""

    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class ClosedDayDTO:
    day: date
    label: str


@dataclass(frozen=True)
class CalendarWindow:
    """A bookable span of one doctor (for shading the calendar)."""

    doctor_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class CalendarView:
    """A day (all doctors) or a week (one doctor): the columns' doctors, the appointments, the
    working windows and the closed days inside the span; `timezone` is the clinic's."""

    timezone: str
    starts_at: datetime
    ends_at: datetime
    doctors: tuple[DoctorDTO, ...]
    appointments: tuple[AppointmentDTO, ...]
    windows: tuple[CalendarWindow, ...] = ()
    closed_days: tuple[ClosedDayDTO, ...] = ()


@dataclass(frozen=True)
class SeriesOccurrence:
    """One planned appointment of a series; `collision` says what it would clash with."""

    starts_at: datetime
    ends_at: datetime
    collision: str | None = None
    outside_hours: str | None = None

    @property
    def bookable(self) -> bool:
        return self.collision is None


@dataclass(frozen=True)
class SeriesPreview:
    occurrences: tuple[SeriesOccurrence, ...]

    @property
    def collisions(self) -> tuple[SeriesOccurrence, ...]:
        return tuple(o for o in self.occurrences if o.collision)


@dataclass(frozen=True)
class SeriesResult:
    series_id: uuid.UUID
    booked: tuple[AppointmentDTO, ...]
    skipped: tuple[SeriesOccurrence, ...] = ()


@dataclass(frozen=True)
class StatusChangeDTO:
    from_status: AppointmentStatus | None
    to_status: AppointmentStatus
    changed_at: datetime
    changed_by: str
    note: str | None = None


@dataclass(frozen=True)
class PatientAppointments:
    """A patient's record: upcoming and past appointments and how often they did not come."""

    upcoming: tuple[AppointmentDTO, ...]
    past: tuple[AppointmentDTO, ...]
    no_show_count: int


@dataclass(frozen=True)
class AppointmentFilter:
    """The list view's filters (all optional; dates are clinic-local days, inclusive)."""

    doctor_id: uuid.UUID | None = None
    statuses: frozenset[AppointmentStatus] = field(default_factory=frozenset)
    reason: AppointmentReason | None = None
    first_day: date | None = None
    last_day: date | None = None
    patient_id: uuid.UUID | None = None
    limit: int = 500


class SlotTaken(ConflictError):
    """The doctor's slot was taken (perhaps a moment ago on another workstation); carries the
    doctor's next free slots so the user can pick one straight away."""

    def __init__(self, message: str, *, next_slots: tuple[FreeSlot, ...] = ()) -> None:
        super().__init__(message, field="starts_at")
        self.next_slots = next_slots
