"""Calendar reads of the appointment service: day, week, list and reception views, a patient's
appointments and an appointment's status history. Each is one read-only unit of work."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from ..db.models import Appointment, AppointmentStatusChange, StaffAccount
from ..domain.actor import Actor
from ..domain.appointment_rules import working_windows
from ..domain.enums import AppointmentStatus
from ..domain.errors import NotFound
from ..domain.permissions import Capability
from . import appointment_queries as q
from .appointment_dto import (
    AppointmentDTO,
    AppointmentFilter,
    CalendarView,
    CalendarWindow,
    ClosedDayDTO,
    DoctorDTO,
    PatientAppointments,
    StatusChangeDTO,
)


class AppointmentCalendarMixin:
    """Read side of `AppointmentService` (needs `self._db` and `self._clock`)."""

    def doctors(self, actor: Actor) -> tuple[DoctorDTO, ...]:
        """Active doctors, by name: the day view's columns and the booking dialog's choices."""
        actor.require(Capability.VIEW_CALENDAR, action="see the calendar")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return q.doctors(uow.session, actor.clinic_id)

    def day_view(self, actor: Actor, day: date) -> CalendarView:
        """One clinic-local day, a column per active doctor (plus any inactive one still booked)."""
        actor.require(Capability.VIEW_CALENDAR, action="see the calendar")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return self._view(uow.session, actor, day, 1, None)

    def week_view(self, actor: Actor, *, doctor_id: uuid.UUID, week_start: date) -> CalendarView:
        """Seven clinic-local days from `week_start` for one doctor."""
        actor.require(Capability.VIEW_CALENDAR, action="see the calendar")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return self._view(uow.session, actor, week_start, 7, doctor_id)

    def _view(self, session, actor: Actor, first: date, days: int, doctor_id: uuid.UUID | None) -> CalendarView:  # noqa: ANN001
        tz = q.clinic_zone(session, actor.clinic_id)
        start, end = q.local_day_span(first, days, tz)
        rows = q.appointment_rows().where(Appointment.clinic_id == actor.clinic_id)
        if doctor_id is not None:
            rows = rows.where(Appointment.doctor_id == doctor_id)
        appts = tuple(q.to_dto(r) for r in session.execute(
            q.overlapping(rows, start, end).order_by(Appointment.starts_at, Appointment.id)))
        docs = q.doctors(session, actor.clinic_id, active_only=doctor_id is None)
        if doctor_id is not None:
            docs = tuple(d for d in docs if d.id == doctor_id)
            if not docs:
                raise NotFound("This doctor is not part of the clinic.")
        else:
            known = {d.id for d in docs}
            extra = {a.doctor_id: a.doctor_name for a in appts if a.doctor_id not in known}
            docs += tuple(DoctorDTO(i, n, False) for i, n in sorted(extra.items(), key=lambda x: x[1]))
        last = first + timedelta(days=days - 1)
        closed = q.closed_days(session, actor.clinic_id, first, last)
        hours = q.weekly_hours(session, [d.id for d in docs])
        windows = tuple(
            CalendarWindow(d.id, w.start, w.end)
            for d in docs for w in working_windows(hours[d.id], closed, first, last, tz)
        )
        return CalendarView(
            timezone=tz.key, starts_at=start, ends_at=end, doctors=docs, appointments=appts, windows=windows,
            closed_days=tuple(ClosedDayDTO(d, label) for d, label in sorted(closed.items())),
        )

    def list_appointments(self, actor: Actor, flt: AppointmentFilter) -> tuple[AppointmentDTO, ...]:
        """The list view: filters by doctor, status, reason, patient and clinic-local date range."""
        actor.require(Capability.VIEW_CALENDAR, action="see the calendar")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            tz = q.clinic_zone(uow.session, actor.clinic_id)
            rows = q.appointment_rows().where(Appointment.clinic_id == actor.clinic_id)
            if flt.doctor_id:
                rows = rows.where(Appointment.doctor_id == flt.doctor_id)
            if flt.patient_id:
                rows = rows.where(Appointment.patient_id == flt.patient_id)
            if flt.statuses:
                rows = rows.where(Appointment.status.in_(list(flt.statuses)))
            if flt.reason:
                rows = rows.where(Appointment.reason == flt.reason)
            if flt.first_day:
                rows = rows.where(Appointment.starts_at >= q.local_day_span(flt.first_day, 1, tz)[0])
            if flt.last_day:
                rows = rows.where(Appointment.starts_at < q.local_day_span(flt.last_day, 1, tz)[1])
            rows = rows.order_by(Appointment.starts_at, Appointment.id).limit(max(1, min(flt.limit, 5000)))
            return tuple(q.to_dto(r) for r in uow.session.execute(rows))

    def reception_today(self, actor: Actor, *, day: date | None = None) -> tuple[AppointmentDTO, ...]:
        """Today's appointments of every doctor (clinic-local day), in arrival order, for check-in."""
        actor.require(Capability.VIEW_CALENDAR, action="see the calendar")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            tz = q.clinic_zone(uow.session, actor.clinic_id)
            local_day = day or self._clock.now().astimezone(tz).date()
            start, end = q.local_day_span(local_day, 1, tz)
            rows = q.appointment_rows().where(
                Appointment.clinic_id == actor.clinic_id, Appointment.starts_at >= start, Appointment.starts_at < end
            ).order_by(Appointment.starts_at, Appointment.id)
            return tuple(q.to_dto(r) for r in uow.session.execute(rows))

    def patient_appointments(self, actor: Actor, patient_id: uuid.UUID) -> PatientAppointments:
        """A patient's upcoming and past appointments (newest first) and their no-show count."""
        actor.require(Capability.VIEW_CALENDAR, action="see a patient's appointments")
        now = self._clock.now()
        with self._db.unit_of_work(actor) as uow:
            rows = q.appointment_rows().where(Appointment.clinic_id == actor.clinic_id, Appointment.patient_id == patient_id)
            upcoming = tuple(q.to_dto(r) for r in uow.session.execute(
                rows.where(Appointment.ends_at > now, Appointment.status.in_(
                    [AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED, AppointmentStatus.CHECKED_IN]))
                .order_by(Appointment.starts_at)))
            upcoming_ids = {a.id for a in upcoming}
            past = tuple(a for a in (q.to_dto(r) for r in uow.session.execute(
                rows.where(Appointment.starts_at <= now).order_by(Appointment.starts_at.desc()).limit(200)))
                if a.id not in upcoming_ids)
            no_shows = uow.session.execute(
                select(func.count()).select_from(Appointment).where(
                    Appointment.clinic_id == actor.clinic_id, Appointment.patient_id == patient_id,
                    Appointment.deleted_at.is_(None),
                    Appointment.status == AppointmentStatus.NO_SHOW)
            ).scalar_one()
            uow.audit("view_appointments", "patient", patient_id, patient_id=patient_id)
            return PatientAppointments(upcoming, past, int(no_shows))

    def status_history(self, actor: Actor, appointment_id: uuid.UUID) -> tuple[StatusChangeDTO, ...]:
        """Who moved the appointment from which status to which, and when (oldest first)."""
        actor.require(Capability.VIEW_CALENDAR, action="see an appointment's history")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            rows = uow.session.execute(
                select(AppointmentStatusChange, StaffAccount.full_name)
                .outerjoin(StaffAccount, StaffAccount.id == AppointmentStatusChange.changed_by)
                .where(AppointmentStatusChange.appointment_id == appointment_id,
                       AppointmentStatusChange.clinic_id == actor.clinic_id)
                .order_by(AppointmentStatusChange.changed_at, AppointmentStatusChange.created_at)
            )
            return tuple(
                StatusChangeDTO(c.from_status, c.to_status, c.changed_at, name or "unknown", c.note)
                for c, name in rows
            )


