"""Appointments: booking, moving, the status workflow and cancellation — one unit of work each.

Double booking is prevented by the database (exclusion constraints per doctor and per patient);
the service turns the loser of a race into `SlotTaken` with the doctor's next free slots. A
client request id makes a retried booking after an ambiguous failure book nothing twice.
Calendar reads live in `AppointmentCalendarMixin`, series in `AppointmentSeriesMixin`, working
hours in `ScheduleSettingsMixin`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from ..db.database import Database
from ..db.models import Appointment, AppointmentStatusChange
from ..domain.actor import Actor
from ..domain.appointment_rules import (
    OPEN_STATUSES,
    STATUS_LABELS,
    STATUS_CAPABILITY,
    Interval,
    booking_problems,
    hours_problem,
    transition_problem,
)
from ..domain.clock import SYSTEM_CLOCK, Clock
from ..domain.enums import AppointmentReason, AppointmentStatus
from ..domain.errors import ConflictError, DomainError, FieldProblem, StaleRecord, ValidationError
from ..domain.permissions import Capability
from . import appointment_queries as q
from .appointment_calendar import AppointmentCalendarMixin
from .appointment_dto import AppointmentDTO, FreeSlot, SlotTaken
from .appointment_series import AppointmentSeriesMixin
from .schedule_settings import ScheduleSettingsMixin
from ..domain.changes import ChangeKind
from ..domain.text_rules import refuse_bad_text, text_field_problems

MAX_NOTES = 2000
MAX_CHECKLIST_ITEMS = 20


class AppointmentService(AppointmentCalendarMixin, AppointmentSeriesMixin, ScheduleSettingsMixin):
    """Use cases of the clinic calendar; every method is one user action."""

    def __init__(self, database: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        self._clock = clock

    # -- booking ---------------------------------------------------------------------------

    def book(
        self,
        actor: Actor,
        *,
        patient_id: uuid.UUID,
        doctor_id: uuid.UUID,
        starts_at: datetime,
        duration_minutes: int,
        reason: AppointmentReason,
        notes: str | None = None,
        checklist: Sequence[str] = (),
        request_id: uuid.UUID | None = None,
        override_hours: bool = False,
    ) -> AppointmentDTO:
        """Book one appointment (status requested). A retry with the same `request_id` returns the
        first booking instead of making a second one."""
        actor.require(Capability.BOOK_APPOINTMENTS, action="book appointments")
        problems = booking_problems(starts_at, duration_minutes, now=self._clock.now())
        problems += _detail_problems(reason, notes, checklist)
        if problems:
            raise ValidationError(problems)
        slot = _slot(starts_at, duration_minutes)
        try:
            return q.retry_on_deadlock(lambda: self._book_once(actor, patient_id, doctor_id, slot, reason, notes, checklist,
                                                     request_id, override_hours))
        except ConflictError as exc:
            raise self._explain_conflict(actor, exc, doctor_id, slot) from exc

    def _book_once(self, actor: Actor, patient_id, doctor_id, slot: Interval, reason, notes, checklist,  # noqa: ANN001
                   request_id, override_hours: bool) -> AppointmentDTO:
        with self._db.unit_of_work(actor) as uow:
            earlier = uow.claim_request(request_id, "appointment")
            if earlier is not None:
                return q.load_dto(uow.session, earlier)
            q.check_parties(uow.session, actor.clinic_id, patient_id, doctor_id)
            self._check_hours(uow.session, actor, doctor_id, slot, override_hours)
            appt = Appointment(
                clinic_id=actor.clinic_id, patient_id=patient_id, doctor_id=doctor_id,
                starts_at=slot.start, ends_at=slot.end, reason=AppointmentReason(reason),
                status=AppointmentStatus.REQUESTED, notes=_clean(notes), checklist=_checklist(checklist),
                request_id=request_id,
            )
            uow.session.add(appt)
            uow.session.flush()  # the exclusion constraints decide here
            self._record_status(uow, appt, None, note="booked")
            uow.audit("book", "appointment", appt.id, patient_id=patient_id, changes={
                "status": [None, appt.status], "starts_at": [None, slot.start], "ends_at": [None, slot.end],
                "doctor_id": [None, doctor_id], "override_hours": [None, override_hours or None],
            })
            uow.complete_request(request_id, appt.id)
            uow.changed(ChangeKind.APPOINTMENT, appt.id)
            return q.load_dto(uow.session, appt.id)

    def reschedule(
        self,
        actor: Actor,
        appointment_id: uuid.UUID,
        *,
        expected_version: int,
        starts_at: datetime,
        duration_minutes: int | None = None,
        doctor_id: uuid.UUID | None = None,
        override_hours: bool = False,
    ) -> AppointmentDTO:
        """Move an open appointment (by drag or dialog), optionally to another doctor."""
        actor.require(Capability.BOOK_APPOINTMENTS, action="move appointments")
        moved: list = [doctor_id, None]  # target doctor and slot, for the explanation of a conflict
        try:
            return q.retry_on_deadlock(lambda: self._reschedule_once(actor, appointment_id, expected_version, starts_at,
                                                           duration_minutes, doctor_id, override_hours, moved))
        except ConflictError as exc:
            if moved[1] is None or moved[0] is None:
                raise
            raise self._explain_conflict(actor, exc, moved[0], moved[1], exclude=(appointment_id,)) from exc

    def _reschedule_once(self, actor: Actor, appointment_id, expected_version, starts_at, duration_minutes,  # noqa: ANN001
                         doctor_id, override_hours, moved: list) -> AppointmentDTO:
        with self._db.unit_of_work(actor) as uow:
            appt = self._editable(uow.session, actor, appointment_id, expected_version)
            if appt.status == AppointmentStatus.CHECKED_IN:
                raise DomainError("The patient is already checked in; this appointment can no longer be moved.")
            minutes = duration_minutes or int((appt.ends_at - appt.starts_at).total_seconds() // 60)
            problems = booking_problems(starts_at, minutes, now=self._clock.now())
            if problems:
                raise ValidationError(problems)
            target_doctor = doctor_id or appt.doctor_id
            slot = _slot(starts_at, minutes)
            moved[:] = [target_doctor, slot]
            if target_doctor != appt.doctor_id:
                q.check_parties(uow.session, actor.clinic_id, appt.patient_id, target_doctor)
            self._check_hours(uow.session, actor, target_doctor, slot, override_hours)
            before = [appt.starts_at, appt.ends_at, appt.doctor_id]
            appt.starts_at, appt.ends_at, appt.doctor_id = slot.start, slot.end, target_doctor
            uow.session.flush()
            uow.audit("reschedule", "appointment", appt.id, patient_id=appt.patient_id, changes={
                "starts_at": [before[0], slot.start], "ends_at": [before[1], slot.end],
                "doctor_id": [before[2], target_doctor], "override_hours": [None, override_hours or None],
            })
            uow.changed(ChangeKind.APPOINTMENT, appt.id)
            return q.load_dto(uow.session, appt.id)

    # -- status workflow -------------------------------------------------------------------

    def change_status(
        self,
        actor: Actor,
        appointment_id: uuid.UUID,
        *,
        expected_version: int,
        status: AppointmentStatus,
        note: str | None = None,
    ) -> AppointmentDTO:
        """Move along requested → confirmed → checked in → completed, or to no-show; audited from → to."""
        status = AppointmentStatus(status)
        if status == AppointmentStatus.CANCELLED:
            return self.cancel(actor, appointment_id, expected_version=expected_version, reason=note or "")
        refuse_bad_text(("note", "note", note, True))
        if status not in STATUS_CAPABILITY:
            raise DomainError(f"An appointment cannot be set back to {STATUS_LABELS[status].lower()}.")
        actor.require(STATUS_CAPABILITY[status], action=f"mark appointments {STATUS_LABELS[status].lower()}")
        with self._db.unit_of_work(actor) as uow:
            appt = self._editable(uow.session, actor, appointment_id, expected_version, open_only=False)
            self._check_timing(uow.session, actor, appt, status)
            self._transition(uow, appt, status, note=_clean(note))
            return q.load_dto(uow.session, appt.id)

    def _check_timing(self, session, actor: Actor, appt: Appointment, status: AppointmentStatus) -> None:  # noqa: ANN001
        """Check-in opens on the appointment's day; a no-show exists only once the time has come."""
        now = self._clock.now()
        if status == AppointmentStatus.NO_SHOW and now < appt.starts_at:
            tz = q.clinic_zone(session, actor.clinic_id)
            raise DomainError(f"A no-show can be recorded once the appointment has begun "
                              f"({appt.starts_at.astimezone(tz):%a %d %b %H:%M}).", field="status")
        if status == AppointmentStatus.CHECKED_IN:
            tz = q.clinic_zone(session, actor.clinic_id)
            if now.astimezone(tz).date() < appt.starts_at.astimezone(tz).date():
                raise DomainError(f"Check-in opens on the day of the appointment "
                                  f"({appt.starts_at.astimezone(tz):%a %d %b}).", field="status")

    def cancel(self, actor: Actor, appointment_id: uuid.UUID, *, expected_version: int, reason: str) -> AppointmentDTO:
        """Cancel an open appointment with a reason; the slot becomes free at once."""
        actor.require(STATUS_CAPABILITY[AppointmentStatus.CANCELLED], action="cancel appointments")
        refuse_bad_text(("cancel_reason", "reason for cancelling", reason, False))
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError([FieldProblem("cancel_reason", "Say why the appointment is cancelled.")])
        if len(reason) > 200:
            raise ValidationError([FieldProblem("cancel_reason", "Keep the reason under 200 characters.")])
        with self._db.unit_of_work(actor) as uow:
            appt = self._editable(uow.session, actor, appointment_id, expected_version, open_only=False)
            appt.cancel_reason = reason
            self._transition(uow, appt, AppointmentStatus.CANCELLED, note=reason)
            return q.load_dto(uow.session, appt.id)

    def next_free_slots(
        self, actor: Actor, *, doctor_id: uuid.UUID, duration_minutes: int, after: datetime | None = None,
        count: int = 5,
    ) -> tuple[FreeSlot, ...]:
        """The doctor's earliest free slots of `duration_minutes` inside working hours, from `after`."""
        actor.require(Capability.VIEW_CALENDAR, action="see free slots")
        if duration_minutes is None or duration_minutes <= 0:
            raise ValidationError([FieldProblem("duration", "The duration must be more than zero minutes.")])
        now = self._clock.now()
        start = max(after or now, now)
        with self._db.unit_of_work(actor, read_only=True) as uow:
            tz = q.clinic_zone(uow.session, actor.clinic_id)
            return q.next_free(uow.session, actor.clinic_id, tz, doctor_id, duration=timedelta(minutes=duration_minutes),
                               after=start, count=count)

    # -- shared steps ----------------------------------------------------------------------

    def _editable(self, session, actor: Actor, appointment_id: uuid.UUID, expected_version: int, *,  # noqa: ANN001
                  open_only: bool = True) -> Appointment:
        appt = q.load_appointment(session, actor.clinic_id, appointment_id)
        if appt.version != expected_version:
            raise StaleRecord("appointment", mine=expected_version, theirs=q.load_dto(session, appt.id))
        if open_only and appt.status not in OPEN_STATUSES:
            raise DomainError(f"This appointment is {STATUS_LABELS[appt.status].lower()}; it can no longer be moved.")
        return appt

    def _transition(self, uow, appt: Appointment, target: AppointmentStatus, *, note: str | None) -> None:  # noqa: ANN001
        problem = transition_problem(appt.status, target)
        if problem:
            raise DomainError(problem, field="status")
        before = appt.status
        appt.status = target
        uow.session.flush()
        self._record_status(uow, appt, before, note=note)
        uow.audit("status", "appointment", appt.id, patient_id=appt.patient_id,
                  changes={"status": [before, target], **({"note": [None, note]} if note else {})})
        uow.changed(ChangeKind.APPOINTMENT, appt.id)

    @staticmethod
    def _record_status(uow, appt: Appointment, before: AppointmentStatus | None, *, note: str | None) -> None:  # noqa: ANN001
        uow.session.add(AppointmentStatusChange(
            clinic_id=appt.clinic_id, appointment_id=appt.id, from_status=before, to_status=appt.status,
            changed_by=uow.actor.staff_id, note=(note or None) and note[:200],
        ))

    def _check_hours(self, session, actor: Actor, doctor_id: uuid.UUID, slot: Interval, override: bool) -> None:  # noqa: ANN001
        """Outside the doctor's hours or on a closed day needs an explicit override."""
        if override:
            return
        tz = q.clinic_zone(session, actor.clinic_id)
        hours = q.weekly_hours(session, [doctor_id])[doctor_id]
        local = slot.start.astimezone(tz).date(), slot.end.astimezone(tz).date()
        problem = hours_problem(slot, hours, q.closed_days(session, actor.clinic_id, *local), tz)
        if problem:
            raise ValidationError([FieldProblem("starts_at", problem + " Tick “Book outside working hours” to book anyway.")])

    def _explain_conflict(
        self, actor: Actor, exc: ConflictError, doctor_id: uuid.UUID, slot: Interval, *,
        exclude: Sequence[uuid.UUID] = (),
    ) -> DomainError:
        """The loser of a race for a doctor's slot: a plain sentence and the next free slots."""
        if getattr(exc, "constraint", None) != "ex_appointment_doctor_slot":
            return exc
        try:
            with self._db.unit_of_work(actor, read_only=True) as uow:
                tz = q.clinic_zone(uow.session, actor.clinic_id)
                slots = q.next_free(uow.session, actor.clinic_id, tz, doctor_id, duration=slot.end - slot.start,
                                    after=max(slot.start, self._clock.now()), count=5, exclude=exclude)
        except DomainError:
            slots = ()  # the suggestion is a courtesy; the refusal itself must still arrive
        return SlotTaken("This time is no longer free for this doctor (it may just have been booked on another "
                         "workstation). Choose one of the next free times.", next_slots=slots)


def _slot(starts_at: datetime, minutes: int) -> Interval:
    """In UTC: Python adds to a ZoneInfo datetime in wall-clock time, wrong across a DST change."""
    start = starts_at.astimezone(timezone.utc)
    return Interval(start, start + timedelta(minutes=minutes))


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _checklist(items: Sequence[str]) -> list[str] | None:
    cleaned = [i.strip() for i in items if i and i.strip()]
    return cleaned or None


def _detail_problems(reason, notes: str | None, checklist: Sequence[str]) -> list[FieldProblem]:  # noqa: ANN001
    problems = []
    try:
        AppointmentReason(reason)
    except ValueError:
        problems.append(FieldProblem("reason", "Choose the reason for the visit."))
    problems += text_field_problems([("notes", "notes", notes, True)]
                                    + [("checklist", "checklist item", item, False) for item in checklist])
    if notes and len(notes) > MAX_NOTES:
        problems.append(FieldProblem("notes", f"Keep the notes under {MAX_NOTES} characters."))
    if len(checklist) > MAX_CHECKLIST_ITEMS or any(len(i) > 120 for i in checklist):
        problems.append(FieldProblem("checklist", f"Up to {MAX_CHECKLIST_ITEMS} checklist items of 120 characters each."))
    return problems
