"""Appointments and recurring follow-up series."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...domain.enums import AppointmentReason, AppointmentStatus
from ..base import Base, ClinicOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin, uuid_pk
from ._types import enum_type


#: Rows that hold a slot: an occupying status and not soft-deleted (see AppointmentStatus.occupies_slot).
OCCUPYING_SQL = (
    "deleted_at IS NULL AND status IN ("
    + ", ".join(f"'{s.value}'" for s in AppointmentStatus if s.occupies_slot)
    + ")"
)


class AppointmentSeries(ClinicOwnedMixin, TimestampMixin, Base):
    """A recurring follow-up: its appointments are stored individually and linked here."""

    __tablename__ = "appointment_series"

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    doctor_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("doctor_profile.id", ondelete="RESTRICT"), nullable=False
    )
    interval_weeks: Mapped[int] = mapped_column(Integer, nullable=False)
    occurrences: Mapped[int] = mapped_column(Integer, nullable=False)


class Appointment(ClinicOwnedMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A booked slot of a doctor's time for a patient."""

    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_appointment_doctor_id_starts_at", "doctor_id", "starts_at"),
        Index("ix_appointment_patient_id_starts_at", "patient_id", "starts_at"),
        Index("ix_appointment_clinic_id_starts_at", "clinic_id", "starts_at"),
        # No double booking, enforced by the server: two open appointments of one doctor (or of one
        # patient) may not overlap. Half-open ranges, so 09:00-09:30 and 09:30-10:00 both fit.
        ExcludeConstraint(
            ("doctor_id", "="),
            (func.tstzrange(text("starts_at"), text("ends_at"), text("'[)'")), "&&"),
            name="ex_appointment_doctor_slot",
            using="gist",
            where=text(OCCUPYING_SQL),
        ),
        ExcludeConstraint(
            ("patient_id", "="),
            (func.tstzrange(text("starts_at"), text("ends_at"), text("'[)'")), "&&"),
            name="ex_appointment_patient_slot",
            using="gist",
            where=text(OCCUPYING_SQL),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="RESTRICT"), nullable=False
    )
    doctor_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("doctor_profile.id", ondelete="RESTRICT"), nullable=False
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reason: Mapped[AppointmentReason] = mapped_column(
        enum_type(AppointmentReason, "appointment_reason"), nullable=False
    )
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_type(AppointmentStatus, "appointment_status"), nullable=False, server_default=text("'requested'")
    )
    notes: Mapped[str | None] = mapped_column(Text)
    checklist: Mapped[list | None] = mapped_column(JSONB)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("appointment_series.id", ondelete="SET NULL"), index=True
    )
    request_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), unique=True)


class AppointmentStatusChange(ClinicOwnedMixin, TimestampMixin, Base):
    """One step of an appointment's status workflow: who moved it from what to what, and when."""

    __tablename__ = "appointment_status_change"
    __table_args__ = (Index("ix_appointment_status_change_appointment_id_changed_at", "appointment_id", "changed_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    appointment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("appointment.id", ondelete="RESTRICT"), nullable=False
    )
    from_status: Mapped[AppointmentStatus | None] = mapped_column(
        enum_type(AppointmentStatus, "appointment_status_change_from")
    )
    to_status: Mapped[AppointmentStatus] = mapped_column(
        enum_type(AppointmentStatus, "appointment_status_change_to"), nullable=False
    )
    changed_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_account.id", ondelete="RESTRICT")
    )
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    note: Mapped[str | None] = mapped_column(String(200))
