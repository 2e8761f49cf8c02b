"""Permission and patient checks shared by the glucose services.

Every read of readings or of the hourly aggregate starts by loading the patient through the
row-level-secured `patient` table: a patient of another clinic is simply not found. The
aggregate view (which, like every view, runs with its owner's rights) is then only ever queried
for that checked patient, and filters by the transaction's clinic as well.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Clinic, Patient
from ..domain.actor import Actor
from ..domain.enums import GlucoseUnit
from ..domain.errors import NotFound


@dataclass(frozen=True)
class PatientRef:
    id: uuid.UUID
    name: str
    mrn: str
    unit: GlucoseUnit


def checked_patient(session: Session, actor: Actor, patient_id: uuid.UUID) -> PatientRef:
    """The patient if visible to this clinic and not deleted; NotFound otherwise."""
    row = session.execute(
        select(Patient.id, Patient.family_name, Patient.given_name, Patient.mrn, Patient.glucose_unit).where(
            Patient.id == patient_id, Patient.clinic_id == actor.clinic_id, Patient.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound("This patient does not exist or is not a patient of your clinic.")
    return PatientRef(row.id, f"{row.family_name}, {row.given_name}", row.mrn, GlucoseUnit(row.glucose_unit))


def patient_birth_date(session: Session, patient_id: uuid.UUID) -> date:
    """The date of birth of a patient already checked with `checked_patient` (no reading can precede it)."""
    return session.execute(select(Patient.date_of_birth).where(Patient.id == patient_id)).scalar_one()


def clinic_zone(session: Session, actor: Actor) -> ZoneInfo:
    """The clinic's time zone (device local times and local days are read in it)."""
    name = session.execute(select(Clinic.timezone).where(Clinic.id == actor.clinic_id)).scalar() or "UTC"
    return ZoneInfo(name)


def clinic_thresholds(session: Session, actor: Actor) -> tuple[float, float]:
    """The clinic's hypo and hyper event thresholds (mg/dL; 54 and 250 by default)."""
    row = session.execute(select(Clinic.hypo_threshold_mgdl, Clinic.hyper_threshold_mgdl)
                          .where(Clinic.id == actor.clinic_id)).one()
    return float(row[0]), float(row[1])
