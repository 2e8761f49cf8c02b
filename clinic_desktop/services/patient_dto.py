"""Frozen DTOs of the patient registry, shared by the patient service, the list and the record.

Clinical fields are None for receptionists (and `clinical_visible` is False), so a widget can
tell "hidden" from "not recorded".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..domain.enums import DiabetesType, GlucoseUnit, ManagementMode, Sex
from .medication_dto import AdherenceFigure


def age_on(date_of_birth: date, today: date) -> int:
    """Completed years on `today`."""
    return today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))


@dataclass(frozen=True)
class PatientSummary:
    """One search hit (picker, duplicates): enough to tell patients apart."""

    id: uuid.UUID
    mrn: str
    display_name: str  # "Family, Given"
    date_of_birth: date
    archived: bool
    phone_e164: str | None = None
    match: str = "name"  # which key matched: name, mrn, phone, dob
    score: float = 1.0
    glucose_unit: GlucoseUnit | None = None  # the patient's preferred unit, for charts opened from a hit


class PatientSort(StrEnum):
    """Sort orders of the patient list (each has a keyset index)."""

    NAME = "name"
    NAME_DESC = "name_desc"
    AGE = "age"  # youngest first (latest date of birth first)
    AGE_DESC = "age_desc"  # oldest first
    LAST_VISIT = "last_visit"  # most recent first, never-visited last


@dataclass(frozen=True)
class PatientFilters:
    """Filters of the list; None means "any"."""

    doctor_id: uuid.UUID | None = None
    diabetes_type: DiabetesType | None = None
    archived: bool = False  # False: active patients; True: archived ones only


@dataclass(frozen=True)
class PatientRow:
    """One row of the patient list. `sort_key` is opaque: pass it back as `after`."""

    id: uuid.UUID
    mrn: str
    display_name: str
    date_of_birth: date
    age: int
    diabetes_type: DiabetesType | None
    doctor_name: str | None
    last_visit_on: date | None
    next_appointment_at: datetime | None
    last_glucose_mgdl: float | None
    last_glucose_at: datetime | None
    risk: str | None
    archived: bool
    sort_key: tuple[Any, ...] = ()


@dataclass(frozen=True)
class PatientPage:
    rows: tuple[PatientRow, ...]
    has_more: bool
    clinical_visible: bool


@dataclass(frozen=True)
class CareTeamDoctor:
    doctor_id: uuid.UUID
    display_name: str
    specialty: str | None
    responsible: bool


@dataclass(frozen=True)
class CareTeamCaregiver:
    caregiver_id: uuid.UUID
    display_name: str
    relationship: str | None
    phone_e164: str | None
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class CareTeam:
    doctors: tuple[CareTeamDoctor, ...] = ()
    caregivers: tuple[CareTeamCaregiver, ...] = ()


#: Days of the adherence figure in the record's header (today so far included).
HEADER_ADHERENCE_DAYS = 30


@dataclass(frozen=True)
class PatientHeader:
    """The record's header line: age, type, HbA1c against target, last reading, next visit."""

    age: int
    diabetes_type: DiabetesType | None
    last_hba1c: Decimal | None
    target_hba1c: Decimal | None
    last_glucose_mgdl: float | None
    last_glucose_at: datetime | None
    next_appointment_at: datetime | None
    active_medications: int | None
    #: Overall adherence over the last 30 days (clinicians only; None for reception).
    adherence_30d: AdherenceFigure | None = None


@dataclass(frozen=True)
class PatientRecord:
    """The full record as the actor may see it; `version` goes back with an update."""

    id: uuid.UUID
    version: int
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: Sex
    phone_e164: str | None
    email: str | None
    address: str | None
    archived: bool
    clinical_visible: bool
    diabetes_type: DiabetesType | None = None
    diagnosed_on: date | None = None
    last_hba1c: Decimal | None = None
    last_hba1c_on: date | None = None
    target_hba1c: Decimal | None = None
    glucose_unit: GlucoseUnit | None = None
    management_mode: ManagementMode | None = None
    notes: str | None = None
    responsible_doctor_id: uuid.UUID | None = None
    header: PatientHeader | None = None
    care_team: CareTeam = field(default_factory=CareTeam)
    updated_at: datetime | None = None

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def form_values(self) -> dict[str, Any]:
        """Field name → value as the form and `update(data=...)` name them."""
        values = {
            "mrn": self.mrn, "given_name": self.given_name, "family_name": self.family_name,
            "date_of_birth": self.date_of_birth, "sex": self.sex, "phone": self.phone_e164,
            "email": self.email, "address": self.address,
        }
        if self.clinical_visible:
            values.update(
                diabetes_type=self.diabetes_type, diagnosed_on=self.diagnosed_on, last_hba1c=self.last_hba1c,
                last_hba1c_on=self.last_hba1c_on, target_hba1c=self.target_hba1c, glucose_unit=self.glucose_unit,
                management_mode=self.management_mode, notes=self.notes,
                responsible_doctor_id=self.responsible_doctor_id,
            )
        return values


@dataclass(frozen=True)
class DoctorOption:
    """A doctor to choose in filters and the care team."""

    id: uuid.UUID
    display_name: str


@dataclass(frozen=True)
class MergeResult:
    keep_id: uuid.UUID
    merged_id: uuid.UUID
    moved: dict[str, int]


@dataclass(frozen=True)
class MergePreview:
    """Both records side by side before a merge, with what each holds (label → count)."""

    keep: PatientRecord
    duplicate: PatientRecord
    keep_counts: dict[str, int]
    duplicate_counts: dict[str, int]
