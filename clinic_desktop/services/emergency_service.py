"""Emergency events: one per hypo/hyper episode, an alerts list, resolve and escalate (audited)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..db.database import Database
from ..db.models import EmergencyEvent, Patient
from ..db.unit_of_work import UnitOfWork
from ..domain.actor import Actor
from ..domain.clock import SYSTEM_CLOCK, Clock
from ..domain.enums import EmergencyState
from ..domain.errors import DomainError, NotFound, StaleRecord
from ..domain.glucose_episodes import RECOVERY, find_episodes
from ..domain.permissions import Capability
from .glucose_access import clinic_thresholds
from .glucose_dto import ChartMarker, EmergencyEventDTO
from ..domain.changes import ChangeKind
from ..domain.text_rules import refuse_bad_text

#: Episodes that ended longer ago than this (e.g. in an imported history) are not raised as
#: alerts: they are past, and show in the metrics (TBR/TAR) and the review worklist instead.
ALERT_HORIZON = timedelta(hours=48)
OPEN_STATES = (EmergencyState.ACTIVE, EmergencyState.ESCALATED)


def detect_events(uow: UnitOfWork, patient_id: uuid.UUID, start: datetime, end: datetime, *, now: datetime) -> int:
    """After readings in [start, end] were written: open or extend events for their episodes.

    Returns how many events were opened. Runs in the writer's transaction; `now` is the app clock's.
    """
    if end < now - ALERT_HORIZON:
        return 0
    s = uow.session
    hypo, hyper = clinic_thresholds(s, uow.actor)
    lo = max(start, now - ALERT_HORIZON) - timedelta(hours=6)  # an episode may have begun earlier
    rows = s.execute(text("SELECT recorded_at, value_mgdl FROM glucose_reading WHERE patient_id = :p "
                          "AND recorded_at >= :s ORDER BY recorded_at"), {"p": patient_id, "s": lo}).all()
    episodes = [e for e in find_episodes([(r[0], float(r[1])) for r in rows], hypo_mgdl=hypo, hyper_mgdl=hyper)
                if e.ended_at is None or e.ended_at >= now - ALERT_HORIZON]
    existing = s.scalars(select(EmergencyEvent).where(EmergencyEvent.patient_id == patient_id,
                                                      EmergencyEvent.started_at >= lo - timedelta(days=1))).all()
    opened = 0
    for ep in episodes:
        same = next((e for e in existing if e.kind == ep.kind and _overlaps(e, ep.started_at, ep.ended_at)), None)
        if same is None:
            event = EmergencyEvent(clinic_id=uow.actor.clinic_id, patient_id=patient_id, kind=ep.kind,
                                   started_at=ep.started_at, ended_at=ep.ended_at, extreme_mgdl=ep.extreme_mgdl)
            s.add(event)
            s.flush()
            existing.append(event)
            uow.audit("open", "emergency_event", event.id, patient_id=patient_id,
                      changes={"kind": [None, ep.kind.value]})
            uow.changed(ChangeKind.EMERGENCY_EVENT, event.id)
            opened += 1
        else:
            _extend(uow, same, ep.started_at, ep.ended_at, ep.extreme_mgdl)
    return opened


def _overlaps(event: EmergencyEvent, start: datetime, end: datetime | None) -> bool:
    ev_end = event.ended_at + RECOVERY if event.ended_at is not None else None
    return (end is None or event.started_at <= end) and (ev_end is None or start <= ev_end)


def _extend(uow: UnitOfWork, event: EmergencyEvent, start: datetime, end: datetime | None, extreme: float) -> None:
    pick = min if event.kind.value == "hypo" else max
    new_extreme = pick(float(event.extreme_mgdl), extreme)
    new_start = min(event.started_at, start)
    new_end = None if end is None else max(end, event.ended_at or end)
    if (new_extreme, new_start, new_end) != (float(event.extreme_mgdl), event.started_at, event.ended_at):
        event.extreme_mgdl, event.started_at, event.ended_at = new_extreme, new_start, new_end
        uow.changed(ChangeKind.EMERGENCY_EVENT, event.id)


class EmergencyService:
    """The alerts list and the staff's actions on an event."""

    def __init__(self, database: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        self._clock = clock

    def active_events(self, actor: Actor, *, patient_id: uuid.UUID | None = None) -> list[EmergencyEventDTO]:
        """Active and escalated events, newest first (one patient or the whole clinic)."""
        actor.require(Capability.VIEW_GLUCOSE, action="see glucose alerts")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            q = (select(EmergencyEvent, Patient.family_name, Patient.given_name)
                 .join(Patient, Patient.id == EmergencyEvent.patient_id)
                 .where(EmergencyEvent.state.in_(OPEN_STATES), Patient.deleted_at.is_(None))
                 .order_by(EmergencyEvent.started_at.desc()))
            if patient_id is not None:
                q = q.where(EmergencyEvent.patient_id == patient_id)
            return [_dto(e, f"{fam}, {giv}") for e, fam, giv in uow.session.execute(q).all()]

    def chart_markers(self, session: Session, patient_id: uuid.UUID, start: datetime, end: datetime) -> list[ChartMarker]:
        rows = session.scalars(select(EmergencyEvent).where(
            EmergencyEvent.patient_id == patient_id, EmergencyEvent.started_at >= start,
            EmergencyEvent.started_at < end)).all()
        return [ChartMarker(e.started_at, e.kind.value, f"{e.kind.value} episode ({e.state.value})") for e in rows]

    def resolve_event(self, actor: Actor, event_id: uuid.UUID, *, expected_version: int,
                      note: str | None = None) -> EmergencyEventDTO:
        return self._act(actor, event_id, expected_version, note, EmergencyState.RESOLVED, "resolve")

    def escalate_event(self, actor: Actor, event_id: uuid.UUID, *, expected_version: int,
                       note: str | None = None) -> EmergencyEventDTO:
        return self._act(actor, event_id, expected_version, note, EmergencyState.ESCALATED, "escalate")

    def _act(self, actor: Actor, event_id: uuid.UUID, expected_version: int, note: str | None,
             target: EmergencyState, verb: str) -> EmergencyEventDTO:
        actor.require(Capability.RECORD_GLUCOSE, action=f"{verb} glucose alerts")
        refuse_bad_text(("note", "note", note, True))
        with self._db.unit_of_work(actor) as uow:
            event = uow.session.get(EmergencyEvent, event_id)
            if event is None or event.clinic_id != actor.clinic_id:
                raise NotFound("This alert does not exist.")
            patient = uow.session.get(Patient, event.patient_id)
            name = f"{patient.family_name}, {patient.given_name}"
            if event.version != expected_version:
                raise StaleRecord("alert", mine=expected_version, theirs=_dto(event, name))
            if event.state == EmergencyState.RESOLVED or (target == event.state):
                raise DomainError(f"This alert is already {event.state.value}.")
            before = event.state
            event.state = target
            if target == EmergencyState.RESOLVED:
                event.resolved_by, event.resolved_at = actor.staff_id, self._clock.now()
            if note and note.strip():
                event.note = note.strip()
            uow.session.flush()
            uow.audit(verb, "emergency_event", event.id, patient_id=event.patient_id,
                      changes={"state": [before.value, target.value], "note": [None, event.note]})
            uow.changed(ChangeKind.EMERGENCY_EVENT, event.id)
            return _dto(event, name)


def _dto(e: EmergencyEvent, name: str) -> EmergencyEventDTO:
    return EmergencyEventDTO(e.id, e.patient_id, name, e.kind, e.state, e.started_at, e.ended_at,
                             float(e.extreme_mgdl), e.version)
