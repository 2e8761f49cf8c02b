"""Recurring follow-ups: a series (every N weeks, M times) stored as individual appointments, a
preview that lists collisions, and "this and following" edits (wall-clock times kept across DST)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from ..db.models import Appointment, AppointmentSeries
from ..domain.actor import Actor
from ..domain.appointment_rules import (
    Interval,
    booking_problems,
    hours_problem,
    local_wall_time,
    series_problems,
    series_starts,
)
from ..domain.enums import AppointmentReason, AppointmentStatus
from ..domain.errors import ConflictError, DomainError, FieldProblem, ValidationError
from ..domain.permissions import Capability
from . import appointment_queries as q
from .appointment_dto import (
    AppointmentDTO,
    SeriesOccurrence,
    SeriesPreview,
    SeriesResult,
)
from ..domain.changes import ChangeKind
from ..domain.text_rules import refuse_bad_text

_MOVABLE = (AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)


class AppointmentSeriesMixin:
    """Series operations of `AppointmentService`."""

    def preview_series(
        self, actor: Actor, *, patient_id: uuid.UUID, doctor_id: uuid.UUID, first_starts_at: datetime,
        duration_minutes: int, interval_weeks: int, occurrences: int,
    ) -> SeriesPreview:
        """Every planned date of a series with what it would collide with (nothing is written)."""
        actor.require(Capability.BOOK_APPOINTMENTS, action="plan appointment series")
        self._series_input(first_starts_at, duration_minutes, interval_weeks, occurrences)
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return self._plan(uow.session, actor, patient_id, doctor_id, first_starts_at, duration_minutes,
                              interval_weeks, occurrences)

    def book_series(
        self, actor: Actor, *, patient_id: uuid.UUID, doctor_id: uuid.UUID, first_starts_at: datetime,
        duration_minutes: int, interval_weeks: int, occurrences: int, reason: AppointmentReason,
        notes: str | None = None, checklist: Sequence[str] = (), request_id: uuid.UUID | None = None,
        skip_collisions: bool = False, override_hours: bool = False,
    ) -> SeriesResult:
        """Book the whole series in one transaction; colliding dates are refused (listed) unless
        `skip_collisions`, and a race that takes one of the dates meanwhile books none of them."""
        actor.require(Capability.BOOK_APPOINTMENTS, action="book appointment series")
        self._series_input(first_starts_at, duration_minutes, interval_weeks, occurrences)
        args = dict(patient_id=patient_id, doctor_id=doctor_id, first_starts_at=first_starts_at,
                    duration_minutes=duration_minutes, interval_weeks=interval_weeks, occurrences=occurrences,
                    reason=reason, notes=notes, checklist=checklist, request_id=request_id,
                    skip_collisions=skip_collisions, override_hours=override_hours)
        return q.retry_on_deadlock(lambda: self._book_series_once(actor, **args))

    def _book_series_once(
        self, actor: Actor, *, patient_id, doctor_id, first_starts_at, duration_minutes, interval_weeks,  # noqa: ANN001
        occurrences, reason, notes, checklist, request_id, skip_collisions, override_hours,
    ) -> SeriesResult:
        with self._db.unit_of_work(actor) as uow:
            earlier = uow.claim_request(request_id, "appointment_series")
            if earlier is not None:
                return self._series_result(uow.session, earlier)
            q.check_parties(uow.session, actor.clinic_id, patient_id, doctor_id)
            plan = self._plan(uow.session, actor, patient_id, doctor_id, first_starts_at, duration_minutes,
                              interval_weeks, occurrences)
            _refuse_unless_allowed(plan, skip_collisions, override_hours)
            series = AppointmentSeries(clinic_id=actor.clinic_id, patient_id=patient_id, doctor_id=doctor_id,
                                       interval_weeks=interval_weeks, occurrences=occurrences)
            uow.session.add(series)
            uow.session.flush()
            for occ in plan.occurrences:
                if occ.bookable:
                    appt = Appointment(
                        clinic_id=actor.clinic_id, patient_id=patient_id, doctor_id=doctor_id, series_id=series.id,
                        starts_at=occ.starts_at, ends_at=occ.ends_at, reason=AppointmentReason(reason),
                        status=AppointmentStatus.REQUESTED, notes=(notes or "").strip() or None,
                        checklist=[c.strip() for c in checklist if c.strip()] or None)
                    uow.session.add(appt)
                    uow.session.flush()
                    self._record_status(uow, appt, None, note="booked in series")
                    uow.changed(ChangeKind.APPOINTMENT, appt.id)
            uow.audit("book_series", "appointment_series", series.id, patient_id=patient_id, changes={
                "interval_weeks": [None, interval_weeks], "occurrences": [None, occurrences],
                "first_starts_at": [None, first_starts_at], "skipped": [None, len(plan.collisions) or None]})
            uow.complete_request(request_id, series.id)
            return self._series_result(uow.session, series.id, skipped=plan.collisions)

    def reschedule_following(
        self, actor: Actor, appointment_id: uuid.UUID, *, expected_version: int, starts_at: datetime,
        duration_minutes: int | None = None, override_hours: bool = False,
    ) -> tuple[AppointmentDTO, ...]:
        """Move this appointment and the later open ones of its series by the same wall-clock shift
        (e.g. Tuesday 09:00 → Wednesday 10:30 for each), all or none."""
        actor.require(Capability.BOOK_APPOINTMENTS, action="move appointments")
        with self._db.unit_of_work(actor) as uow:
            appt, following = self._this_and_following(uow.session, actor, appointment_id, expected_version)
            tz = q.clinic_zone(uow.session, actor.clinic_id)
            minutes = duration_minutes or int((appt.ends_at - appt.starts_at).total_seconds() // 60)
            problems = booking_problems(starts_at, minutes, now=self._clock.now())
            if problems:
                raise ValidationError(problems)
            old_local, new_local = appt.starts_at.astimezone(tz), starts_at.astimezone(tz)
            day_shift = new_local.date() - old_local.date()
            # Move the latest first when going later (earliest first when going earlier) so the
            # series never collides with itself half-way.
            ordered = sorted(following, key=lambda a: a.starts_at, reverse=starts_at > appt.starts_at)
            ids = [a.id for a in ordered]
            for item in ordered:
                new_start = local_wall_time(item.starts_at.astimezone(tz).date() + day_shift, new_local.time(), tz)
                slot = Interval(new_start, new_start + timedelta(minutes=minutes))
                self._check_free(uow.session, item, slot, ids)
                self._check_hours(uow.session, actor, item.doctor_id, slot, override_hours)
                before = item.starts_at
                item.starts_at, item.ends_at = slot.start, slot.end
                uow.session.flush()
                uow.audit("reschedule", "appointment", item.id, patient_id=item.patient_id,
                          changes={"starts_at": [before, slot.start], "scope": [None, "this and following"]})
                uow.changed(ChangeKind.APPOINTMENT, item.id)
            return tuple(q.load_dto(uow.session, i) for i in sorted(ids, key=lambda i: _start_of(ordered, i)))

    def cancel_following(
        self, actor: Actor, appointment_id: uuid.UUID, *, expected_version: int, reason: str
    ) -> tuple[AppointmentDTO, ...]:
        """Cancel this appointment and the later open ones of its series, with one reason."""
        actor.require(Capability.BOOK_APPOINTMENTS, action="cancel appointments")
        refuse_bad_text(("cancel_reason", "reason for cancelling", reason, False))
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError([FieldProblem("cancel_reason", "Say why the appointments are cancelled.")])
        with self._db.unit_of_work(actor) as uow:
            _, following = self._this_and_following(uow.session, actor, appointment_id, expected_version)
            for item in following:
                item.cancel_reason = reason[:200]
                self._transition(uow, item, AppointmentStatus.CANCELLED, note=reason)
            return tuple(q.load_dto(uow.session, a.id) for a in following)

    # -- helpers ---------------------------------------------------------------------------

    def _series_input(self, first: datetime, minutes: int, interval_weeks: int, occurrences: int) -> None:
        problems = booking_problems(first, minutes, now=self._clock.now()) + series_problems(interval_weeks, occurrences)
        if problems:
            raise ValidationError(problems)

    def _plan(self, session, actor: Actor, patient_id, doctor_id, first: datetime, minutes: int,  # noqa: ANN001
              interval_weeks: int, occurrences: int) -> SeriesPreview:
        tz = q.clinic_zone(session, actor.clinic_id)
        starts = series_starts(first, interval_weeks=interval_weeks, occurrences=occurrences, tz=tz)
        slots = [Interval(s, s + timedelta(minutes=minutes)) for s in starts]
        busy = q.busy_intervals(session, slots[0].start, slots[-1].end, doctor_id=doctor_id, patient_id=patient_id)
        hours = q.weekly_hours(session, [doctor_id])[doctor_id]
        closed = q.closed_days(session, actor.clinic_id, slots[0].start.astimezone(tz).date(), slots[-1].end.astimezone(tz).date())
        result = []
        for slot in slots:
            clash = next((b for b in busy if b[0].overlaps(slot)), None)
            collision = None
            if clash is not None:
                who = "the doctor" if clash[1] == doctor_id else "the patient"
                at = clash[0].start.astimezone(tz)
                collision = f"{who} already has an appointment at {at:%H:%M} on {at:%a %d %b %Y}"
            result.append(SeriesOccurrence(slot.start, slot.end, collision, hours_problem(slot, hours, closed, tz)))
        return SeriesPreview(tuple(result))

    def _series_result(self, session, series_id: uuid.UUID, skipped=()) -> SeriesResult:  # noqa: ANN001
        rows = session.execute(q.appointment_rows().where(Appointment.series_id == series_id)
                               .order_by(Appointment.starts_at))
        return SeriesResult(series_id, tuple(q.to_dto(r) for r in rows), tuple(skipped))

    def _this_and_following(self, session, actor: Actor, appointment_id: uuid.UUID, expected_version: int):  # noqa: ANN001, ANN202
        appt = self._editable(session, actor, appointment_id, expected_version)
        if appt.series_id is None:
            return appt, [appt]
        following = session.execute(
            select(Appointment).where(
                Appointment.series_id == appt.series_id, Appointment.starts_at >= appt.starts_at,
                Appointment.deleted_at.is_(None), Appointment.status.in_(_MOVABLE),
            ).order_by(Appointment.starts_at).with_for_update()
        ).scalars().all()
        return appt, list(following)

    def _check_free(self, session, item: Appointment, slot: Interval, own: list[uuid.UUID]) -> None:  # noqa: ANN001
        """Say which date collides (the exclusion constraint stays the final guard)."""
        clash = q.busy_intervals(session, slot.start, slot.end, doctor_id=item.doctor_id,
                                 patient_id=item.patient_id, exclude=own)
        if clash:
            tz = q.clinic_zone(session, item.clinic_id)
            raise ConflictError(f"The move collides on {slot.start.astimezone(tz):%a %d %b %Y %H:%M} with another "
                                "appointment; nothing was moved.", field="starts_at")


def _refuse_unless_allowed(plan: SeriesPreview, skip_collisions: bool, override_hours: bool) -> None:
    if plan.collisions and not skip_collisions:
        listed = "; ".join(c.collision for c in plan.collisions)
        err = ConflictError(f"{len(plan.collisions)} of the dates collide ({listed}). Skip them or choose "
                            "another time; nothing was booked.", field="starts_at")
        err.preview = plan  # type: ignore[attr-defined]
        raise err
    outside = [o for o in plan.occurrences if o.outside_hours and o.bookable]
    if outside and not override_hours:
        raise ValidationError([FieldProblem("starts_at", outside[0].outside_hours
                                            + " Tick “Book outside working hours” to book anyway.")])
    if not any(o.bookable for o in plan.occurrences):
        raise DomainError("Every date of this series collides; nothing was booked.", field="starts_at")


def _start_of(items: list[Appointment], appointment_id: uuid.UUID) -> datetime:
    return next(a.starts_at for a in items if a.id == appointment_id)
