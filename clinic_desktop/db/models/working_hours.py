"""Doctors' weekly working hours and the clinic's closed days (the calendar's bookable time)."""

from __future__ import annotations

import uuid
from datetime import date, time

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, Time, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, ClinicOwnedMixin, TimestampMixin, uuid_pk


class DoctorWorkingHours(ClinicOwnedMixin, TimestampMixin, Base):
    """One block of a doctor's weekly hours in clinic-local wall-clock time (several per day allowed)."""

    __tablename__ = "doctor_working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
        CheckConstraint("ends_local > starts_local", name="ends_after_start"),
        Index("ix_doctor_working_hours_doctor_id_weekday", "doctor_id", "weekday"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    doctor_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("doctor_profile.id", ondelete="CASCADE"), nullable=False
    )
    weekday: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # ISO: 1 = Monday … 7 = Sunday
    starts_local: Mapped[time] = mapped_column(Time, nullable=False)
    ends_local: Mapped[time] = mapped_column(Time, nullable=False)


class ClinicClosedDay(ClinicOwnedMixin, TimestampMixin, Base):
    """A day the whole clinic is closed (public holiday, training day)."""

    __tablename__ = "clinic_closed_day"
    __table_args__ = (UniqueConstraint("clinic_id", "day"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    day: Mapped[date] = mapped_column(Date, nullable=False)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
