"""Admin-only audit viewer: who viewed or changed which patient's record, when, and what.

Filters by patient, staff member and date range; newest first, keyset-paged by
(occurred_at, id) so a long trail pages as fast at the end as at the start.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_

from ..db.database import Database
from ..db.models import AuditEvent, Patient, StaffAccount
from ..domain.actor import Actor
from ..domain.enums import Role
from ..domain.errors import FieldProblem, ValidationError
from ..domain.permissions import Capability


@dataclass(frozen=True)
class AuditEntry:
    id: uuid.UUID
    occurred_at: datetime
    staff_id: uuid.UUID | None
    staff_name: str | None
    action: str
    entity: str
    entity_id: uuid.UUID | None
    patient_id: uuid.UUID | None
    patient_name: str | None
    changes: dict[str, Any] | None
    workstation: str | None

    @property
    def changed_fields(self) -> tuple[str, ...]:
        return tuple(sorted(self.changes)) if self.changes else ()


@dataclass(frozen=True)
class StaffOption:
    id: uuid.UUID
    full_name: str
    username: str
    role: Role


class AuditService:
    """Reading the append-only audit trail (writing happens in each service's unit of work)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def query(
        self,
        actor: Actor,
        *,
        patient_id: uuid.UUID | None = None,
        staff_id: uuid.UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """Events matching every given filter, newest first; pass the last entry's
        (occurred_at, id) as `before` for the next page."""
        actor.require(Capability.READ_AUDIT_TRAIL)
        if since is not None and until is not None and until < since:
            raise ValidationError([FieldProblem("until", "The end of the period is before its start.")])
        stmt = (
            select(AuditEvent, StaffAccount.full_name, Patient.family_name, Patient.given_name)
            .outerjoin(StaffAccount, StaffAccount.id == AuditEvent.actor_id)
            .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
            .where(AuditEvent.clinic_id == actor.clinic_id)
        )
        if patient_id is not None:
            stmt = stmt.where(AuditEvent.patient_id == patient_id)
        if staff_id is not None:
            stmt = stmt.where(AuditEvent.actor_id == staff_id)
        if since is not None:
            stmt = stmt.where(AuditEvent.occurred_at >= since)
        if until is not None:
            stmt = stmt.where(AuditEvent.occurred_at < until)
        if before is not None:
            stmt = stmt.where(tuple_(AuditEvent.occurred_at, AuditEvent.id) < tuple_(*before))
        stmt = stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(max(1, min(limit, 1000)))
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return [
                AuditEntry(
                    id=r.AuditEvent.id, occurred_at=r.AuditEvent.occurred_at, staff_id=r.AuditEvent.actor_id,
                    staff_name=r.full_name, action=r.AuditEvent.action, entity=r.AuditEvent.entity,
                    entity_id=r.AuditEvent.entity_id, patient_id=r.AuditEvent.patient_id,
                    patient_name=f"{r.family_name}, {r.given_name}" if r.family_name else None,
                    changes=r.AuditEvent.changes, workstation=r.AuditEvent.workstation,
                )
                for r in uow.session.execute(stmt)
            ]

    def staff_options(self, actor: Actor) -> list[StaffOption]:
        """Staff members of the clinic, for the viewer's filter."""
        actor.require(Capability.READ_AUDIT_TRAIL)
        with self._db.unit_of_work(actor, read_only=True) as uow:
            rows = uow.session.execute(
                select(StaffAccount.id, StaffAccount.full_name, StaffAccount.username, StaffAccount.role)
                .where(StaffAccount.clinic_id == actor.clinic_id).order_by(StaffAccount.full_name)
            )
            return [StaffOption(r.id, r.full_name, r.username, r.role) for r in rows]
