"""Doctors' weekly working hours and the clinic's closed days (part of `AppointmentService`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select

from ..db.models import ClinicClosedDay, DoctorProfile, DoctorWorkingHours
from ..domain.actor import Actor
from ..domain.appointment_rules import hours_table_problems
from ..domain.errors import FieldProblem, NotFound, ValidationError
from ..domain.permissions import Capability
from ..domain.text_rules import refuse_bad_text
from . import appointment_queries as q
from .appointment_dto import ClosedDayDTO, WorkingBlock
from ..domain.changes import ChangeKind



class ScheduleSettingsMixin:
    """Working hours and closed days; needs `self._db`."""

    def working_hours(self, actor: Actor, doctor_id: uuid.UUID) -> tuple[WorkingBlock, ...]:
        """The doctor's weekly blocks (the default week when none are recorded)."""
        actor.require(Capability.VIEW_CALENDAR, action="see working hours")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            hours = q.weekly_hours(uow.session, [doctor_id])[doctor_id]
            return tuple(WorkingBlock(wd, s, e) for wd in sorted(hours) for s, e in hours[wd])

    def set_working_hours(self, actor: Actor, doctor_id: uuid.UUID, blocks: Sequence[WorkingBlock]) -> tuple[WorkingBlock, ...]:
        """Replace the doctor's weekly hours (admins and reception; a doctor may set their own)."""
        if actor.doctor_id is None or actor.doctor_id != doctor_id:
            actor.require(Capability.EDIT_SCHEDULE, action="change working hours")
        problems = hours_table_problems([(b.weekday, b.starts, b.ends) for b in blocks])
        if problems:
            raise ValidationError(problems)
        with self._db.unit_of_work(actor) as uow:
            doctor = uow.session.get(DoctorProfile, doctor_id)
            if doctor is None or doctor.clinic_id != actor.clinic_id:
                raise NotFound("This doctor is not part of the clinic.")
            before = uow.session.execute(select(DoctorWorkingHours).where(DoctorWorkingHours.doctor_id == doctor_id)).scalars().all()
            old = [f"{h.weekday} {h.starts_local:%H:%M}-{h.ends_local:%H:%M}" for h in before]
            uow.session.execute(delete(DoctorWorkingHours).where(DoctorWorkingHours.doctor_id == doctor_id))
            for b in blocks:
                uow.session.add(DoctorWorkingHours(clinic_id=actor.clinic_id, doctor_id=doctor_id, weekday=b.weekday,
                                                   starts_local=b.starts, ends_local=b.ends))
            new = [f"{b.weekday} {b.starts:%H:%M}-{b.ends:%H:%M}" for b in blocks]
            uow.audit("set_working_hours", "doctor_profile", doctor_id, changes={"hours": [sorted(old), sorted(new)]})
            uow.changed(ChangeKind.WORKING_HOURS, doctor_id)
        return tuple(sorted(blocks, key=lambda b: (b.weekday, b.starts)))

    def closed_days(self, actor: Actor, *, first: date, last: date) -> tuple[ClosedDayDTO, ...]:
        actor.require(Capability.VIEW_CALENDAR, action="see closed days")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return tuple(ClosedDayDTO(d, label) for d, label in sorted(q.closed_days(uow.session, actor.clinic_id, first, last).items()))

    def set_closed_day(self, actor: Actor, *, day: date, label: str) -> ClosedDayDTO:
        """Mark a day closed (or relabel it); existing bookings stay and are listed to reception."""
        actor.require(Capability.EDIT_SCHEDULE, action="change closed days")
        refuse_bad_text(("label", "name of the closed day", label, False))
        label = (label or "").strip()
        if not label or len(label) > 120:
            raise ValidationError([FieldProblem("label", "Name the closed day (up to 120 characters).")])
        with self._db.unit_of_work(actor) as uow:
            row = uow.session.execute(select(ClinicClosedDay).where(ClinicClosedDay.clinic_id == actor.clinic_id, ClinicClosedDay.day == day)).scalar_one_or_none()
            before = row.label if row else None
            if row is None:
                uow.session.add(ClinicClosedDay(clinic_id=actor.clinic_id, day=day, label=label))
            else:
                row.label = label
            uow.audit("set_closed_day", "clinic", actor.clinic_id, changes={"day": [None, day], "label": [before, label]})
            uow.changed(ChangeKind.WORKING_HOURS, actor.clinic_id)
        return ClosedDayDTO(day, label)

    def remove_closed_day(self, actor: Actor, *, day: date) -> None:
        actor.require(Capability.EDIT_SCHEDULE, action="change closed days")
        with self._db.unit_of_work(actor) as uow:
            gone = uow.session.execute(delete(ClinicClosedDay).where(ClinicClosedDay.clinic_id == actor.clinic_id, ClinicClosedDay.day == day)).rowcount
            if not gone:
                raise NotFound("That day is not marked closed.")
            uow.audit("remove_closed_day", "clinic", actor.clinic_id, changes={"day": [day, None]})
            uow.changed(ChangeKind.WORKING_HOURS, actor.clinic_id)
