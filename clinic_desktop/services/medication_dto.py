"""Frozen DTOs of the medications area, returned by MedicationService to panes and other services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple

from ..domain.enums import DoseStatus, MedicationState
from ..domain.medication_schedule import Frequency


@dataclass(frozen=True)
class PrescriptionInput:
    """What a doctor fills in on the prescription dialog (times as 'HH:MM' text, parsed by the service)."""

    drug_name: str
    strength: str | None = None
    dose: str | None = None
    form: str | None = None
    route: str | None = None
    frequency: Frequency = Frequency.ONCE_DAILY
    times: tuple[str, ...] = ()
    every_n_hours: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    instructions: str | None = None


@dataclass(frozen=True)
class PrescriptionDTO:
    id: uuid.UUID
    patient_id: uuid.UUID
    drug_name: str
    strength: str | None
    dose: str | None
    form: str | None
    route: str | None
    frequency: Frequency
    times: tuple[time, ...]
    every_n_hours: int | None
    start_date: date
    end_date: date | None
    prescriber_name: str | None
    instructions: str | None
    state: MedicationState
    discontinued_reason: str | None
    replaces_id: uuid.UUID | None
    effective_at: datetime | None
    ended_at: datetime | None
    version: int

    @property
    def summary(self) -> str:
        """'Metformin 500 mg, 1 tablet' — drug with strength and dose."""
        parts = [self.drug_name, self.strength or "", (", " + self.dose) if self.dose else ""]
        return (parts[0] + (" " + parts[1] if parts[1] else "") + parts[2]).strip()


@dataclass(frozen=True)
class DuplicateWarning:
    """A prescription was refused because the drug is already active; confirm to prescribe anyway."""

    drug_name: str
    existing_ids: tuple[uuid.UUID, ...]


class DoseDTO(NamedTuple):
    """One scheduled (or as-needed) dose: pending when nothing was recorded yet (`log_id` None).

    An immutable NamedTuple rather than a frozen dataclass: the clinic-wide due list builds ~30,000
    of them per refresh, and a frozen dataclass's __init__ (object.__setattr__ per field) costs ~5x more.
    """

    medication_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    drug_summary: str
    scheduled_at: datetime
    status: DoseStatus
    taken_at: datetime | None = None
    reason: str | None = None
    recorded_by_name: str | None = None
    log_id: uuid.UUID | None = None
    log_version: int | None = None
    overdue: bool = False


class DueWindow(StrEnum):
    """Which of the day's doses a nurse looks at (the due list filters on the server)."""

    ALL_DAY = "all_day"
    DUE_NOW = "due_now"  # from the grace window ago to two hours ahead (a dose may be given early)
    OVERDUE = "overdue"  # not recorded and past the grace window
    MORNING = "morning"  # before 12:00
    AFTERNOON = "afternoon"  # 12:00-18:00
    EVENING = "evening"  # from 18:00

    @property
    def label(self) -> str:
        return {"all_day": "All day", "due_now": "Due now", "overdue": "Overdue", "morning": "This morning",
                "afternoon": "This afternoon", "evening": "This evening"}[self.value]


@dataclass(frozen=True)
class DoseFilter:
    """The nurse's filter of the clinic's due list: text in patient or medication, not recorded, time window."""

    text: str = ""
    not_recorded_only: bool = False
    window: DueWindow = DueWindow.ALL_DAY


class DoseCursor(NamedTuple):
    """Where the next page starts: the sort key of the last dose shown (time, patient, drug)."""

    scheduled_at: datetime
    family_name: str
    given_name: str
    drug_name: str
    medication_id: uuid.UUID


@dataclass(frozen=True)
class DoseCounts:
    """The whole day's figures (not only the page): all doses, not recorded, overdue, matching the filter."""

    total: int
    not_recorded: int
    overdue: int
    matching: int


@dataclass(frozen=True)
class DosePage:
    """One page of the clinic's due list; `next_cursor` None on the last page; `counts` on the first page only."""

    day: date
    doses: tuple[DoseDTO, ...]
    next_cursor: DoseCursor | None
    counts: DoseCounts | None


class DayMark(StrEnum):
    """One calendar-strip cell."""

    ALL_TAKEN = "all_taken"
    SOME_MISSED = "some_missed"
    NONE_TAKEN = "none_taken"
    PENDING = "pending"  # today's doses not yet due / recorded
    NOT_SCHEDULED = "not_scheduled"


#: Below this overall adherence a patient needs attention (the worklist and the header mark it).
ADHERENCE_ATTENTION_PERCENT = 80.0


@dataclass(frozen=True)
class AdherenceFigure:
    """Taken doses over doses that were due while the prescription was active."""

    scheduled: int
    taken: int
    taken_late: int
    missed: int
    skipped: int
    not_recorded: int

    @property
    def percent(self) -> float | None:
        """None when nothing was due ("no doses due" is not "0 %")."""
        return None if self.scheduled == 0 else 100.0 * (self.taken + self.taken_late) / self.scheduled

    @property
    def needs_attention(self) -> bool:
        percent = self.percent
        return percent is not None and percent < ADHERENCE_ATTENTION_PERCENT

    def describe(self, days: int) -> str:
        """'40 of 46 doses taken in the last 30 days (4 missed, 1 skipped, 1 not recorded)'."""
        if self.scheduled == 0:
            return f"No scheduled doses were due in the last {days} days."
        parts = [f"{n} {what}" for n, what in ((self.taken_late, "late"), (self.missed, "missed"),
                                                 (self.skipped, "skipped"), (self.not_recorded, "not recorded")) if n]
        detail = f" ({', '.join(parts)})" if parts else ""
        return f"{self.taken + self.taken_late} of {self.scheduled} doses taken in the last {days} days{detail}."


@dataclass(frozen=True)
class MedicationAdherence:
    medication_id: uuid.UUID
    drug_summary: str
    by_days: dict[int, AdherenceFigure]


@dataclass(frozen=True)
class AdherenceReport:
    """Per medication and overall, for 7/30/90 days, plus the calendar strip of the last days."""

    patient_id: uuid.UUID
    overall: dict[int, AdherenceFigure]
    medications: tuple[MedicationAdherence, ...]
    strip_days: tuple[date, ...]
    strip: dict[uuid.UUID, tuple[DayMark, ...]]


@dataclass(frozen=True)
class GlucoseAdherenceComparison:
    """Mean glucose (mg/dL) on days with every dose taken vs days with a dose not taken."""

    days: int
    full_adherence_days: int
    full_adherence_mean_mgdl: float | None
    missed_days: int
    missed_mean_mgdl: float | None
