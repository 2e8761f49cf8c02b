"""Queries shared by the appointment service's operations (run inside a unit of work)."""

from __future__ import annotations

import random
import time as _time
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session
from typing import TypeVar

from ..db.error_mapping import is_retryable
from ..db.models import Appointment, Clinic, ClinicClosedDay, DoctorProfile, DoctorWorkingHours, Patient, StaffAccount
from ..domain.appointment_rules import (
    DEFAULT_HOURS,
    MAX_DURATION_MIN,
    Interval,
    WeeklyHours,
    find_free_slots,
    local_wall_time,
    working_windows,
)
from ..domain.enums import AppointmentStatus
from ..domain.errors import FieldProblem, NotFound, ValidationError
from .appointment_dto import AppointmentDTO, DoctorDTO, FreeSlot

T = TypeVar("T")
OCCUPYING = tuple(s for s in AppointmentStatus if s.occupies_slot)
_LOOKBACK = timedelta(minutes=MAX_DURATION_MIN)  # an appointment overlapping a span starts at most this early
_SEARCH_CHUNK_DAYS = 14
SEARCH_HORIZON_DAYS = 120


def clinic_zone(session: Session, clinic_id: uuid.UUID) -> ZoneInfo:
    """The clinic's time zone (from its row): every local day and wall-clock time uses it."""
    return ZoneInfo(session.execute(select(Clinic.timezone).where(Clinic.id == clinic_id)).scalar_one())


_DTO_COLUMNS = (
    Appointment.id, Appointment.patient_id, Appointment.doctor_id, Appointment.starts_at, Appointment.ends_at,
    Appointment.reason, Appointment.status, Appointment.version, Appointment.notes, Appointment.checklist,
    Appointment.cancel_reason, Appointment.series_id,
)


def appointment_rows() -> Select:
    """Appointments with the patient's and doctor's names, ready for `to_dto`. Plain columns, not
    ORM entities: a day of 30 doctors is ~800 rows and entity loading would triple the cost."""
    return (
        select(*_DTO_COLUMNS, Patient.given_name, Patient.family_name, Patient.mrn, DoctorProfile.display_name)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(DoctorProfile, DoctorProfile.id == Appointment.doctor_id)
        .where(Appointment.deleted_at.is_(None))
    )


def overlapping(select_: Select, start: datetime, end: datetime) -> Select:
    """Restrict to appointments overlapping [start, end); the lower bound on starts_at lets the
    (doctor|clinic, starts_at) indexes do the work."""
    return select_.where(
        Appointment.starts_at >= start - _LOOKBACK, Appointment.starts_at < end, Appointment.ends_at > start
    )


def to_dto(r) -> AppointmentDTO:  # noqa: ANN001 - a Row of appointment_rows()
    return AppointmentDTO(
        id=r.id,
        patient_id=r.patient_id,
        patient_name=f"{r.family_name}, {r.given_name}",
        patient_mrn=r.mrn,
        doctor_id=r.doctor_id,
        doctor_name=r.display_name,
        starts_at=r.starts_at,
        ends_at=r.ends_at,
        reason=r.reason,
        status=r.status,
        version=r.version,
        notes=r.notes,
        checklist=tuple(r.checklist or ()),
        cancel_reason=r.cancel_reason,
        series_id=r.series_id,
    )


def load_dto(session: Session, appointment_id: uuid.UUID) -> AppointmentDTO:
    row = session.execute(appointment_rows().where(Appointment.id == appointment_id)).first()
    if row is None:
        raise NotFound("This appointment no longer exists.")
    return to_dto(row)


def load_appointment(session: Session, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, lock: bool = True) -> Appointment:
    query = select(Appointment).where(
        Appointment.id == appointment_id, Appointment.clinic_id == clinic_id, Appointment.deleted_at.is_(None)
    )
    appt = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if appt is None:
        raise NotFound("This appointment no longer exists.")
    return appt


def doctors(session: Session, clinic_id: uuid.UUID, *, active_only: bool = True) -> tuple[DoctorDTO, ...]:
    query = (
        select(DoctorProfile.id, DoctorProfile.display_name, DoctorProfile.active)
        .where(DoctorProfile.clinic_id == clinic_id)
        .order_by(DoctorProfile.display_name)
    )
    if active_only:
        query = query.join(StaffAccount, StaffAccount.id == DoctorProfile.staff_id).where(
            DoctorProfile.active.is_(True), StaffAccount.active.is_(True)
        )
    return tuple(DoctorDTO(r.id, r.display_name, r.active) for r in session.execute(query))


def check_parties(session: Session, clinic_id: uuid.UUID, patient_id: uuid.UUID, doctor_id: uuid.UUID) -> DoctorProfile:
    """The patient must exist and not be archived; the doctor must exist and be active."""
    problems = []
    patient = session.get(Patient, patient_id) if patient_id else None
    if patient is None or patient.clinic_id != clinic_id:
        problems.append(FieldProblem("patient", "Choose a patient of this clinic."))
    elif patient.deleted_at is not None:
        problems.append(FieldProblem("patient", "This patient's record is archived; restore it before booking."))
    doctor = session.get(DoctorProfile, doctor_id) if doctor_id else None
    if doctor is None or doctor.clinic_id != clinic_id:
        problems.append(FieldProblem("doctor", "Choose a doctor of this clinic."))
    else:
        account_active = session.execute(
            select(StaffAccount.active).where(StaffAccount.id == doctor.staff_id)
        ).scalar_one()
        if not (doctor.active and account_active):
            problems.append(FieldProblem("doctor", f"{doctor.display_name} is no longer active; choose another doctor."))
    if problems:
        raise ValidationError(problems)
    return doctor


def weekly_hours(session: Session, doctor_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, WeeklyHours]:
    """Each doctor's weekly blocks; a doctor with none recorded gets the default week."""
    ids = list(doctor_ids)
    rows = session.execute(
        select(DoctorWorkingHours.doctor_id, DoctorWorkingHours.weekday, DoctorWorkingHours.starts_local,
               DoctorWorkingHours.ends_local).where(DoctorWorkingHours.doctor_id.in_(ids))
    )
    found: dict[uuid.UUID, dict[int, list]] = {}
    for r in rows:
        found.setdefault(r.doctor_id, {}).setdefault(r.weekday, []).append((r.starts_local, r.ends_local))
    return {
        d: {wd: tuple(sorted(b)) for wd, b in found[d].items()} if d in found else DEFAULT_HOURS for d in ids
    }


def closed_days(session: Session, clinic_id: uuid.UUID, first: date, last: date) -> dict[date, str]:
    rows = session.execute(
        select(ClinicClosedDay.day, ClinicClosedDay.label).where(
            ClinicClosedDay.clinic_id == clinic_id, ClinicClosedDay.day.between(first, last)
        )
    )
    return {r.day: r.label for r in rows}


def busy_intervals(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    doctor_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    exclude: Iterable[uuid.UUID] = (),
) -> list[tuple[Interval, uuid.UUID, uuid.UUID]]:
    """Occupied spans overlapping [start, end) of a doctor and/or a patient, sorted by start:
    (interval, doctor_id, patient_id)."""
    who = []
    if doctor_id is not None:
        who.append(Appointment.doctor_id == doctor_id)
    if patient_id is not None:
        who.append(Appointment.patient_id == patient_id)
    query = overlapping(
        select(Appointment.starts_at, Appointment.ends_at, Appointment.doctor_id, Appointment.patient_id)
        .where(Appointment.deleted_at.is_(None), Appointment.status.in_(OCCUPYING), or_(*who))
        .order_by(Appointment.starts_at),
        start,
        end,
    )
    excluded = list(exclude)
    if excluded:
        query = query.where(Appointment.id.not_in(excluded))
    return [(Interval(r.starts_at, r.ends_at), r.doctor_id, r.patient_id) for r in session.execute(query)]


def next_free(
    session: Session,
    clinic_id: uuid.UUID,
    tz: ZoneInfo,
    doctor_id: uuid.UUID,
    *,
    duration: timedelta,
    after: datetime,
    count: int,
    exclude: Iterable[uuid.UUID] = (),
) -> tuple[FreeSlot, ...]:
    """The doctor's earliest free slots inside working hours, searched two weeks at a time."""
    hours = weekly_hours(session, [doctor_id])[doctor_id]
    excluded = tuple(exclude)
    found: list[Interval] = []
    first_day = after.astimezone(tz).date()
    horizon = first_day + timedelta(days=SEARCH_HORIZON_DAYS)
    while first_day < horizon and len(found) < count:
        last_day = first_day + timedelta(days=_SEARCH_CHUNK_DAYS - 1)
        windows = working_windows(hours, closed_days(session, clinic_id, first_day, last_day), first_day, last_day, tz)
        if windows:
            busy = [b[0] for b in busy_intervals(session, windows[0].start, windows[-1].end,
                                                 doctor_id=doctor_id, exclude=excluded)]
            found += find_free_slots(windows, busy, duration=duration, earliest=after, count=count - len(found), tz=tz)
        first_day = last_day + timedelta(days=1)
    return tuple(FreeSlot(doctor_id, s.start, s.end) for s in found)


def local_day_span(day: date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Aware bounds of `days` local days from `day` (a DST day is 23 or 25 hours long)."""
    return local_wall_time(day, time(0), tz), local_wall_time(day + timedelta(days=days), time(0), tz)


def retry_on_deadlock(op: Callable[[], T], attempts: int = 6) -> T:
    """Run a write again when PostgreSQL broke a deadlock or a serialization conflict.

    Bookers racing for one slot wait on each other's uncommitted rows while the exclusion
    constraint is checked; with three or more the server may abort one as a deadlock. The whole
    unit of work was rolled back, so running it again is safe — and it then meets the winner's
    committed row and reports the slot as taken.
    """
    for attempt in range(attempts):
        try:
            return op()
        except Exception as exc:
            cause = exc if is_retryable(exc) else exc.__cause__
            if attempt == attempts - 1 or cause is None or not is_retryable(cause):
                raise
            _time.sleep(0.01 * (2**attempt) * (1 + random.random()))
    raise AssertionError("unreachable")
