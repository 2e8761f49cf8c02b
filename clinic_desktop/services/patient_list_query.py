"""The patient list: keyset pages (never OFFSET) in each sort order, plus per-page extras.

A page is one index range scan of (clinic_id, sort column, id) starting after the last row the
table model holds, so row 500,000 costs what row 1 costs. Columns that live in other tables
(next appointment, last glucose, open emergencies) are looked up for the page's ids only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Session

from ..db.models import DoctorProfile, Patient
from .patient_dto import PatientFilters, PatientPage, PatientRow, PatientSort, age_on

MAX_PAGE = 1000
HIGH_HBA1C = Decimal("9.0")

_EXTRAS = text(
    """
    SELECT p.id,
      (SELECT a.starts_at FROM appointment a
        WHERE a.patient_id = p.id AND a.deleted_at IS NULL AND a.starts_at > :now
          AND a.status IN ('requested', 'confirmed') ORDER BY a.starts_at LIMIT 1) AS next_at,
      g.value_mgdl, g.recorded_at,
      EXISTS (SELECT 1 FROM emergency_event e
        WHERE e.patient_id = p.id AND e.state IN ('active', 'escalated')) AS emergency
    FROM unnest(:ids) AS p(id)
    LEFT JOIN glucose_latest(CASE WHEN :clinical THEN :ids ELSE '{}'::uuid[] END) g ON g.patient_id = p.id
    """
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))), bindparam("clinical"))


def _columns(clinic_id: uuid.UUID, filters: PatientFilters) -> Select:
    stmt = (
        select(
            Patient.id, Patient.mrn, Patient.family_name, Patient.given_name, Patient.date_of_birth,
            Patient.diabetes_type, Patient.last_visit_on, Patient.last_hba1c, Patient.target_hba1c,
            Patient.deleted_at, Patient.search_name, DoctorProfile.display_name.label("doctor_name"),
        )
        .outerjoin(DoctorProfile, DoctorProfile.id == Patient.responsible_doctor_id)
        .where(Patient.clinic_id == clinic_id)
    )
    stmt = stmt.where(Patient.deleted_at.is_not(None) if filters.archived else Patient.deleted_at.is_(None))
    if filters.doctor_id is not None:
        stmt = stmt.where(Patient.responsible_doctor_id == filters.doctor_id)
    if filters.diabetes_type is not None:
        stmt = stmt.where(Patient.diabetes_type == filters.diabetes_type)
    return stmt


def _ordered(stmt: Select, sort: PatientSort, after: tuple[Any, ...] | None) -> Select:
    """Order and keyset bound for the non-null part of `sort` (all sorts but last visit)."""
    col = {
        PatientSort.NAME: Patient.search_name, PatientSort.NAME_DESC: Patient.search_name,
        PatientSort.AGE: Patient.date_of_birth, PatientSort.AGE_DESC: Patient.date_of_birth,
        PatientSort.LAST_VISIT: Patient.last_visit_on,
    }[sort]
    descending = sort in (PatientSort.NAME_DESC, PatientSort.AGE, PatientSort.LAST_VISIT)
    if after is not None:
        key = tuple_(col, Patient.id)
        stmt = stmt.where(key < tuple_(*after) if descending else key > tuple_(*after))
    if sort == PatientSort.LAST_VISIT:
        stmt = stmt.where(Patient.last_visit_on.is_not(None))
    return stmt.order_by(col.desc(), Patient.id.desc()) if descending else stmt.order_by(col, Patient.id)


def fetch_page(
    session: Session,
    clinic_id: uuid.UUID,
    *,
    after: tuple[Any, ...] | None,
    limit: int,
    sort: PatientSort,
    filters: PatientFilters,
    clinical: bool,
    now: datetime,
) -> PatientPage:
    """One page of rows after the `sort_key` of the previous page's last row."""
    limit = max(1, min(limit, MAX_PAGE))
    base = _columns(clinic_id, filters)
    rows: list[Any] = []
    if sort == PatientSort.LAST_VISIT and after is not None and after[0] is None:
        pass  # already in the never-visited tail
    else:
        rows = list(session.execute(_ordered(base, sort, after).limit(limit + 1)))
    if sort == PatientSort.LAST_VISIT and len(rows) <= limit:
        # Never-visited patients come last, by id descending (their own keyset range).
        tail = base.where(Patient.last_visit_on.is_(None))
        if after is not None and after[0] is None:
            tail = tail.where(Patient.id < after[1])
        rows += list(session.execute(tail.order_by(Patient.id.desc()).limit(limit + 1 - len(rows))))
    has_more = len(rows) > limit
    rows = rows[:limit]
    extras = _extras(session, [r.id for r in rows], clinical, now)
    today = now.date()
    return PatientPage(tuple(_row(r, extras.get(r.id), sort, clinical, today) for r in rows), has_more, clinical)


def _extras(session: Session, ids: list[uuid.UUID], clinical: bool, now: datetime) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    return {r.id: r for r in session.execute(_EXTRAS, {"ids": ids, "clinical": clinical, "now": now})}


def _row(r: Any, extra: Any, sort: PatientSort, clinical: bool, today: date) -> PatientRow:
    key_value = {
        PatientSort.NAME: r.search_name, PatientSort.NAME_DESC: r.search_name,
        PatientSort.AGE: r.date_of_birth, PatientSort.AGE_DESC: r.date_of_birth,
        PatientSort.LAST_VISIT: r.last_visit_on,
    }[sort]
    glucose = extra.value_mgdl if extra is not None and clinical else None
    return PatientRow(
        id=r.id,
        mrn=r.mrn,
        display_name=f"{r.family_name}, {r.given_name}",
        date_of_birth=r.date_of_birth,
        age=age_on(r.date_of_birth, today),
        diabetes_type=r.diabetes_type if clinical else None,
        doctor_name=r.doctor_name,
        last_visit_on=r.last_visit_on,
        next_appointment_at=extra.next_at if extra is not None else None,
        last_glucose_mgdl=float(glucose) if glucose is not None else None,
        last_glucose_at=extra.recorded_at if extra is not None and clinical else None,
        risk=_risk(r, extra, glucose) if clinical else None,
        archived=r.deleted_at is not None,
        sort_key=(key_value, r.id),
    )


def _risk(r: Any, extra: Any, glucose: float | None) -> str | None:
    """The most urgent cue for the list: open emergency, then last reading, then HbA1c."""
    if extra is not None and extra.emergency:
        return "Emergency"
    if glucose is not None and glucose < 70:
        return "Low glucose"
    if glucose is not None and glucose > 250:
        return "High glucose"
    if r.last_hba1c is not None and (
        r.last_hba1c >= HIGH_HBA1C or (r.target_hba1c is not None and r.last_hba1c >= r.target_hba1c + 2)
    ):
        return "High HbA1c"
    return None
