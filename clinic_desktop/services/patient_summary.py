"""The one-page patient summary (printed or saved as PDF), gathered in one unit of work.

The sheet is built from what the actor may see: for receptionists the clinical parts (diabetes,
HbA1c, glucose, medications, visit reasons) are never read, not merely left off the page.
Printing is audited like a view of the record, with what kind of summary left the system.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import (
    Appointment,
    Clinic,
    DoctorProfile,
    Medication,
    Patient,
    StaffAccount,
)
from ..db.timeseries import TimeSeriesBackend
from ..domain.actor import Actor
from ..domain.enums import AppointmentReason, AppointmentStatus, MedicationState
from ..domain.medication_schedule import Frequency, describe_schedule
from .glucose_dto import GlucoseMetrics
from .glucose_service import metrics_of
from .patient_dto import PatientRecord

GLUCOSE_DAYS = 14
MAX_APPOINTMENTS = 4
UPCOMING = (AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)


@dataclass(frozen=True)
class SummaryMedication:
    """One active prescription as the sheet lists it."""

    drug: str  # "Metformin 500 mg, 1 tablet"
    schedule: str  # "Twice daily at 08:00, 20:00"
    instructions: str | None


@dataclass(frozen=True)
class SummaryAppointment:
    starts_at: datetime  # in the clinic's time zone
    doctor_name: str
    reason: AppointmentReason | None  # None on a receptionist's sheet


@dataclass(frozen=True)
class PatientSummarySheet:
    """Everything the one-page summary shows; no database access is needed to draw it."""

    record: PatientRecord
    clinic_name: str
    locale: str
    printed_by: str
    printed_at: datetime  # in the clinic's time zone
    clinical: bool
    medications: tuple[SummaryMedication, ...] = ()
    glucose: GlucoseMetrics | None = None
    appointments: tuple[SummaryAppointment, ...] = ()
    more_appointments: int = 0


def build_sheet(
    session: Session, actor: Actor, patient: Patient, record: PatientRecord, backend: TimeSeriesBackend, *,
    now: datetime,
) -> PatientSummarySheet:
    """The sheet for `patient` as `actor` may see it at `now` (the caller audits the printing)."""
    clinic = session.execute(select(Clinic.name, Clinic.timezone, Clinic.locale).where(Clinic.id == actor.clinic_id)).one()
    zone = ZoneInfo(clinic.timezone)
    staff = session.scalar(select(StaffAccount.full_name).where(StaffAccount.id == actor.staff_id)) if actor.staff_id else None
    clinical = actor.sees_clinical
    appointments, more = _appointments(session, patient.id, now, zone, clinical)
    return PatientSummarySheet(
        record=record, clinic_name=clinic.name, locale=clinic.locale,
        printed_by=f"{staff or actor.full_name or actor.username} ({actor.role.label.lower()})",
        printed_at=now.astimezone(zone), clinical=clinical,
        medications=_medications(session, patient.id, now.astimezone(zone).date()) if clinical else (),
        glucose=_glucose(session, patient.id, now, zone, backend) if clinical else None,
        appointments=appointments, more_appointments=more,
    )


def _medications(session: Session, patient_id: uuid.UUID, today: date) -> tuple[SummaryMedication, ...]:
    rows = session.execute(
        select(Medication.drug_name, Medication.strength, Medication.dose, Medication.frequency,
               Medication.scheduled_times, Medication.every_n_hours, Medication.instructions)
        .where(Medication.patient_id == patient_id, Medication.deleted_at.is_(None),
               Medication.state == MedicationState.ACTIVE, Medication.start_date <= today,
               (Medication.end_date.is_(None)) | (Medication.end_date >= today))
        .order_by(Medication.drug_name, Medication.start_date)
    )
    out = []
    for r in rows:
        drug = " ".join(p for p in (r.drug_name, r.strength) if p) + (f", {r.dose}" if r.dose else "")
        schedule = describe_schedule(Frequency(r.frequency), tuple(r.scheduled_times or ()), r.every_n_hours)
        out.append(SummaryMedication(drug, schedule, r.instructions))
    return tuple(out)


def _appointments(
    session: Session, patient_id: uuid.UUID, now: datetime, zone: ZoneInfo, clinical: bool
) -> tuple[tuple[SummaryAppointment, ...], int]:
    where = (Appointment.patient_id == patient_id, Appointment.deleted_at.is_(None), Appointment.starts_at > now,
             Appointment.status.in_(UPCOMING))
    total = session.scalar(select(func.count()).select_from(Appointment).where(*where)) or 0
    rows = session.execute(
        select(Appointment.starts_at, Appointment.reason, DoctorProfile.display_name)
        .join(DoctorProfile, DoctorProfile.id == Appointment.doctor_id)
        .where(*where).order_by(Appointment.starts_at).limit(MAX_APPOINTMENTS)
    ).all()
    shown = tuple(SummaryAppointment(r.starts_at.astimezone(zone), r.display_name, r.reason if clinical else None)
                  for r in rows)
    return shown, total - len(shown)


def _glucose(
    session: Session, patient_id: uuid.UUID, now: datetime, zone: ZoneInfo, backend: TimeSeriesBackend
) -> GlucoseMetrics | None:
    """Consensus metrics of the last 14 days, or None without readings."""
    start = now - timedelta(days=GLUCOSE_DAYS)
    times, values, _ = backend.raw_points(session, patient_id, start, now, with_flags=False)
    return metrics_of(times, values, zone, start, now) if values.size else None
