"""Read queries of the medications area: plain rows (Core selects, no ORM identity map) for the ledger.

Core selects keep the clinic-wide "due today" list cheap: 15,000 prescriptions become tuples, not
tracked ORM objects.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..db.models import Clinic, Medication, MedicationDoseLog, MedicationPause, Patient, StaffAccount
from ..domain.enums import MedicationState
from ..domain.errors import NotFound
from ..domain.medication_schedule import Frequency
from .medication_ledger import LogRow, PlanRow


def clinic_settings(session: Session, clinic_id: uuid.UUID) -> tuple[ZoneInfo, timedelta]:
    """The clinic's time zone and the grace window after which a dose counts as taken late."""
    row = session.execute(select(Clinic.timezone, Clinic.dose_grace_minutes).where(Clinic.id == clinic_id)).one_or_none()
    if row is None:
        raise NotFound("The clinic was not found.")
    return ZoneInfo(row.timezone), timedelta(minutes=int(row.dose_grace_minutes))


def drug_summary(drug_name: str, strength: str | None, dose: str | None) -> str:
    text = drug_name + (f" {strength}" if strength else "")
    return text + (f", {dose}" if dose else "")


_PLAN_COLUMNS = (
    Medication.id, Medication.patient_id, Medication.frequency, Medication.scheduled_times,
    Medication.every_n_hours, Medication.start_date, Medication.end_date, Medication.effective_at,
    Medication.ended_at, Medication.drug_name, Medication.strength, Medication.dose,
    Patient.given_name, Patient.family_name,
)


def _plan(row) -> PlanRow:  # noqa: ANN001 - a Core Row
    return PlanRow(
        id=row.id, patient_id=row.patient_id, frequency=Frequency(row.frequency), times=tuple(row.scheduled_times),
        every_n_hours=row.every_n_hours, start_date=row.start_date, end_date=row.end_date,
        effective_at=row.effective_at, ended_at=row.ended_at,
        summary=drug_summary(row.drug_name, row.strength, row.dose),
        patient_name=f"{row.family_name}, {row.given_name}",
    )


def plans_overlapping(
    session: Session,
    clinic_id: uuid.UUID,
    *,
    first_start: datetime,
    last_end: datetime,
    first_day: date,
    last_day: date,
    patient_ids: Iterable[uuid.UUID] | None = None,
) -> list[PlanRow]:
    """Prescriptions (any state) whose dates and end instant overlap the local days given."""
    query = (
        select(*_PLAN_COLUMNS)
        .join(Patient, Patient.id == Medication.patient_id)
        .where(
            Medication.clinic_id == clinic_id,
            Medication.deleted_at.is_(None),
            Medication.start_date <= last_day,
            or_(Medication.end_date.is_(None), Medication.end_date >= first_day),
            or_(Medication.ended_at.is_(None), Medication.ended_at > first_start),
            or_(Medication.effective_at.is_(None), Medication.effective_at < last_end),
        )
    )
    if patient_ids is not None:
        query = query.where(Medication.patient_id.in_(list(patient_ids)))
    else:  # the clinic-wide list: ended prescriptions are rare on any one day; use the state index
        query = query.where(or_(Medication.state != MedicationState.DISCONTINUED, Medication.ended_at > first_start))
    return [_plan(row) for row in session.execute(query)]


def pauses_for(
    session: Session, medication_ids: list[uuid.UUID], first_start: datetime, last_end: datetime
) -> dict[uuid.UUID, list[tuple[datetime, datetime | None]]]:
    """Pauses overlapping [first_start, last_end), by prescription."""
    result: dict[uuid.UUID, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    if not medication_ids:
        return result
    rows = session.execute(
        select(MedicationPause.medication_id, MedicationPause.paused_at, MedicationPause.resumed_at).where(
            MedicationPause.medication_id.in_(medication_ids),
            MedicationPause.paused_at < last_end,
            or_(MedicationPause.resumed_at.is_(None), MedicationPause.resumed_at > first_start),
        )
    )
    for row in rows:
        result[row.medication_id].append((row.paused_at, row.resumed_at))
    return result


def logs_between(
    session: Session,
    clinic_id: uuid.UUID,
    first_start: datetime,
    last_end: datetime,
    *,
    patient_ids: Iterable[uuid.UUID] | None = None,
) -> list[LogRow]:
    """Recorded doses scheduled in [first_start, last_end), with the recorder's name."""
    query = (
        select(
            MedicationDoseLog.id, MedicationDoseLog.medication_id, MedicationDoseLog.scheduled_at,
            MedicationDoseLog.status, MedicationDoseLog.taken_at, MedicationDoseLog.reason,
            MedicationDoseLog.version, StaffAccount.full_name,
        )
        .outerjoin(StaffAccount, StaffAccount.id == MedicationDoseLog.recorded_by)
        .where(MedicationDoseLog.scheduled_at >= first_start, MedicationDoseLog.scheduled_at < last_end)
    )
    if patient_ids is not None:
        query = query.where(MedicationDoseLog.patient_id.in_(list(patient_ids)))
    else:
        query = query.where(MedicationDoseLog.clinic_id == clinic_id)
    return [
        LogRow(r.id, r.medication_id, r.scheduled_at, r.status, r.taken_at, r.reason, r.full_name, r.version)
        for r in session.execute(query)
    ]


def drug_names(session: Session, clinic_id: uuid.UUID, text: str, limit: int) -> list[str]:
    """Names already prescribed in the clinic containing `text`, the most used (and prefix matches) first."""
    pattern = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    prefix_first = func.lower(Medication.drug_name).startswith(text.strip().lower())
    rows = session.execute(
        select(Medication.drug_name, func.count().label("uses"))
        .where(Medication.clinic_id == clinic_id, Medication.drug_name.ilike(pattern))
        .group_by(Medication.drug_name)
        .order_by(func.bool_or(prefix_first).desc(), func.count().desc(), Medication.drug_name)
        .limit(limit)
    )
    return [r.drug_name for r in rows]


def daily_glucose_means(
    session: Session, patient_id: uuid.UUID, zone: ZoneInfo, first_start: datetime, last_end: datetime
) -> dict[date, float]:
    """Mean glucose (mg/dL) per clinic-local day, from the glucose_reading table."""
    from ..db.models import GlucoseReading  # local: keeps this module's import list about medications

    day = func.date(func.timezone(zone.key, GlucoseReading.recorded_at))
    rows = session.execute(
        select(day.label("day"), func.avg(GlucoseReading.value_mgdl).label("mean"))
        .where(
            and_(
                GlucoseReading.patient_id == patient_id,
                GlucoseReading.recorded_at >= first_start,
                GlucoseReading.recorded_at < last_end,
            )
        )
        .group_by(day)
    )
    return {r.day: float(r.mean) for r in rows}
