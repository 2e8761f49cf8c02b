"""A small real-SQL patient search with the signature of PatientService.search, for the calendar's
Qt tests until the patients branch (its PatientService and PatientPicker) is merged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from clinic_desktop.db.models import Patient


@dataclass(frozen=True)
class PatientHit:
    id: uuid.UUID
    display_name: str
    mrn: str
    date_of_birth: date
    archived: bool


class PatientSearchStandIn:
    """`search(actor, text=..., limit=20)` over names and MRN, archived patients included (flagged)."""

    def __init__(self, database) -> None:  # noqa: ANN001
        self._db = database

    def search(self, actor, *, text: str, limit: int = 20) -> list[PatientHit]:  # noqa: ANN001
        pattern = f"%{text.strip()}%"
        with self._db.unit_of_work(actor, read_only=True) as uow:
            rows = uow.session.execute(
                select(Patient).where(Patient.clinic_id == actor.clinic_id, or_(
                    Patient.family_name.ilike(pattern), Patient.given_name.ilike(pattern), Patient.mrn.ilike(pattern)))
                .order_by(Patient.family_name, Patient.given_name).limit(limit)
            ).scalars().all()
            return [PatientHit(p.id, f"{p.family_name}, {p.given_name}", p.mrn, p.date_of_birth, p.deleted_at is not None)
                    for p in rows]
