"""One unit of work per user action: a session, the actor set for RLS and audit, commit or rollback.

    with database.unit_of_work(actor) as uow:
        patient = uow.session.get(Patient, patient_id)
        uow.audit("view", "patient", patient.id, patient_id=patient.id)
    changes = uow.changes  # ChangeSet, broadcast by the caller
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from ..domain.actor import Actor
from ..domain.changes import ChangeCollector, ChangeSet
from ..domain.errors import DomainError
from .error_mapping import is_retryable, map_db_error
from .models import AuditEvent, ClientRequest

T = TypeVar("T")


class UnitOfWork:
    """A session bound to one transaction, with the actor, audit writer and change collector."""

    def __init__(self, session: Session, actor: Actor | None, workstation: str | None) -> None:
        self.session = session
        self.actor = actor
        self.workstation = workstation
        self._collector = ChangeCollector()
        self.changes: ChangeSet = ChangeSet()

    def changed(self, kind: str, *ids: uuid.UUID) -> None:
        """Record that entities of `kind` changed; they go out on the bus after commit."""
        self._collector.add(kind, *ids)

    def claim_request(self, request_id: uuid.UUID | None, entity: str) -> uuid.UUID | None:
        """Make a client-identified write idempotent.

        Returns None when this request is new (go ahead, then call `complete_request`), or the id
        of the entity an earlier attempt already created — a retry after an ambiguous failure
        (the commit may or may not have happened) then creates nothing twice. A concurrent
        duplicate waits on the key until the first commits.
        """
        if request_id is None:
            return None
        if self.actor is None:
            raise DomainError("An idempotent write needs a signed-in staff member.")
        claimed = self.session.execute(
            insert(ClientRequest)
            .values(id=request_id, clinic_id=self.actor.clinic_id, entity=entity)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(ClientRequest.id)
        ).first()
        if claimed is not None:
            return None
        done = self.session.execute(
            select(ClientRequest.entity, ClientRequest.entity_id).where(ClientRequest.id == request_id)
        ).one()
        if done.entity != entity:
            raise DomainError("This request id was already used for another kind of change.")
        return done.entity_id

    def complete_request(self, request_id: uuid.UUID | None, entity_id: uuid.UUID) -> None:
        """Record what a claimed request created (in the same transaction as the write)."""
        if request_id is not None:
            self.session.execute(
                update(ClientRequest).where(ClientRequest.id == request_id).values(entity_id=entity_id)
            )

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: uuid.UUID | None = None,
        *,
        patient_id: uuid.UUID | None = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        """Write an audit event in this same transaction (it commits or rolls back with the work)."""
        if self.actor is None:
            raise DomainError("An audited action needs a signed-in staff member.")
        self.session.add(
            AuditEvent(
                clinic_id=self.actor.clinic_id,
                actor_id=self.actor.staff_id,
                action=action,
                entity=entity,
                entity_id=entity_id,
                patient_id=patient_id,
                changes=_jsonable(changes) if changes else None,
                workstation=self.workstation,
            )
        )


def set_transaction_clinic(session: Session, clinic_id: uuid.UUID) -> None:
    """Scope this transaction to one clinic before the actor is known (sign-in, first setup)."""
    session.execute(text("SELECT set_config('app.clinic_id', :clinic, true)"), {"clinic": str(clinic_id)})


def set_transaction_identity(session: Session, actor: Actor | None) -> None:
    """Transaction-local settings read by row-level security policies and audit triggers."""
    if actor is None:
        return
    session.execute(
        text(
            "SELECT set_config('app.clinic_id', :clinic, true), set_config('app.actor_id', :actor, true),"
            " set_config('app.role', :role, true)"
        ),
        {"clinic": str(actor.clinic_id), "actor": str(actor.staff_id or ""), "role": actor.role.value},
    )


@contextmanager
def unit_of_work(
    session_factory: sessionmaker[Session],
    actor: Actor | None,
    *,
    workstation: str | None = None,
    read_only: bool = False,
) -> Iterator[UnitOfWork]:
    """Open a transaction for one user action; map database errors to domain errors."""
    session = session_factory()
    uow = UnitOfWork(session, actor, workstation)
    try:
        if read_only:
            session.execute(text("SET TRANSACTION READ ONLY"))
        set_transaction_identity(session, actor)
        yield uow
        _notify_changes(uow)
        session.commit()
        uow.changes = uow._collector.freeze(origin=workstation)
    except BaseException as exc:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the original error matters
            session.invalidate()
        mapped = map_db_error(exc) if not isinstance(exc, DomainError) else None
        if mapped is not None and mapped is not exc:
            if is_retryable(exc):
                mapped.retryable = True  # type: ignore[attr-defined]
            raise mapped from exc
        raise
    finally:
        session.close()


#: PostgreSQL channel on which committed changes are announced to other workstations.
CHANGE_CHANNEL = "clinic_changes"
_MAX_NOTIFY_BYTES = 7000  # NOTIFY payloads must stay under 8000 bytes


def _notify_changes(uow: UnitOfWork) -> None:
    """Announce the changes with NOTIFY inside the transaction: delivered only if it commits."""
    changes = uow._collector.freeze(origin=uow.workstation)
    if not changes or uow.actor is None:
        return
    body = {k: sorted(str(i) for i in v) for k, v in changes.changed.items()}
    payload = json.dumps({"clinic": str(uow.actor.clinic_id), "origin": uow.workstation, "changed": body})
    if len(payload) > _MAX_NOTIFY_BYTES:  # too many ids: say which kinds changed, listeners reload them
        payload = json.dumps(
            {"clinic": str(uow.actor.clinic_id), "origin": uow.workstation, "changed": {k: [] for k in body}}
        )
    uow.session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANGE_CHANNEL, "payload": payload})


def run_with_retry(op: Callable[[], T], *, attempts: int = 4, base_delay_s: float = 0.05) -> T:
    """Run `op` again on serialization failures and deadlocks, with exponential backoff."""
    for attempt in range(attempts):
        try:
            return op()
        except DomainError as exc:
            if not getattr(exc, "retryable", False) or attempt == attempts - 1:
                raise
            time.sleep(base_delay_s * (2**attempt) * (1 + random.random()))
    raise AssertionError("unreachable")


def _jsonable(value: Any) -> Any:
    """Audit `changes` may hold dates, UUIDs, Decimals and enums: store them as text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
