"""Enumerations of the clinic's domain, stored by their string values."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a staff account may do; enforced by the service layer."""

    ADMIN = "admin"
    DOCTOR = "doctor"
    NURSE = "nurse"
    RECEPTIONIST = "receptionist"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_clinical(self) -> bool:
        """Doctors and nurses read and edit clinical fields; admins read them for audit."""
        return self in (Role.DOCTOR, Role.NURSE)


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class DiabetesType(StrEnum):
    TYPE_1 = "type_1"
    TYPE_2 = "type_2"
    GESTATIONAL = "gestational"
    LADA = "lada"
    MODY = "mody"
    OTHER = "other"
    PREDIABETES = "prediabetes"

    @property
    def label(self) -> str:
        return {
            "type_1": "Type 1",
            "type_2": "Type 2",
            "gestational": "Gestational",
            "lada": "LADA",
            "mody": "MODY",
            "other": "Other",
            "prediabetes": "Prediabetes",
        }[self.value]


class GlucoseUnit(StrEnum):
    MG_DL = "mg/dL"
    MMOL_L = "mmol/L"


class ManagementMode(StrEnum):
    """How the patient's diabetes is managed."""

    LIFESTYLE = "lifestyle"
    ORAL = "oral"
    INJECTABLE_NON_INSULIN = "injectable_non_insulin"
    MDI = "mdi"
    PUMP = "pump"
    CLOSED_LOOP = "closed_loop"


class AppointmentStatus(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def occupies_slot(self) -> bool:
        """Statuses that hold the doctor's time (used by the exclusion constraint)."""
        return self in (
            AppointmentStatus.REQUESTED,
            AppointmentStatus.CONFIRMED,
            AppointmentStatus.CHECKED_IN,
            AppointmentStatus.COMPLETED,
        )


class AppointmentReason(StrEnum):
    ROUTINE = "routine"
    FOLLOW_UP = "follow_up"
    TEST_RESULTS = "test_results"
    EMERGENCY = "emergency"


class MedicationState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISCONTINUED = "discontinued"


class DoseStatus(StrEnum):
    PENDING = "pending"
    TAKEN = "taken"
    TAKEN_LATE = "taken_late"
    MISSED = "missed"
    SKIPPED = "skipped"


class ReadingSource(StrEnum):
    """Where a glucose reading came from; part of its unique key."""

    MANUAL = "manual"
    DEXCOM = "dexcom"
    LIBRE = "libre"
    CSV = "csv"
    DEMO = "demo"


class ReadingContext(StrEnum):
    FASTING = "fasting"
    BEFORE_BREAKFAST = "before_breakfast"
    AFTER_BREAKFAST = "after_breakfast"
    BEFORE_LUNCH = "before_lunch"
    AFTER_LUNCH = "after_lunch"
    BEFORE_DINNER = "before_dinner"
    AFTER_DINNER = "after_dinner"
    BEDTIME = "bedtime"
    RANDOM = "random"
    CGM = "cgm"


class ReadingFlag(StrEnum):
    """A sensor's out-of-range marker, kept as a flagged value instead of being dropped."""

    NONE = "none"
    LOW = "low"
    HIGH = "high"


class EmergencyKind(StrEnum):
    HYPO = "hypo"
    HYPER = "hyper"


class EmergencyState(StrEnum):
    ACTIVE = "active"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class CaregiverPermission(StrEnum):
    VIEW = "view"
    RECORD_DOSES = "record_doses"
    RECORD_READINGS = "record_readings"
