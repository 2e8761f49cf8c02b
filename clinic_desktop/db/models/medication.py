"""Prescriptions with their schedules, and the log of doses."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ...domain.enums import DoseStatus, MedicationState
from ..base import Base, ClinicOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin, uuid_pk
from ._types import enum_type


class Medication(ClinicOwnedMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A prescription. A dose change ends this row and starts a new one (`replaces_id`)."""

    __tablename__ = "medication"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_not_before_start"),
        Index("ix_medication_patient_id_state", "patient_id", "state"),
        Index("ix_medication_clinic_id_drug_name", "clinic_id", "drug_name"),
        # Doses due today across the clinic start from the clinic's current prescriptions.
        Index("ix_medication_clinic_id_state", "clinic_id", "state"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="RESTRICT"), nullable=False
    )
    drug_name: Mapped[str] = mapped_column(String(200), nullable=False)
    strength: Mapped[str | None] = mapped_column(String(64))
    dose: Mapped[str | None] = mapped_column(String(64))
    form: Mapped[str | None] = mapped_column(String(64))
    route: Mapped[str | None] = mapped_column(String(64))
    frequency: Mapped[str] = mapped_column(String(32), nullable=False)
    every_n_hours: Mapped[int | None] = mapped_column(Integer)
    scheduled_times: Mapped[list[time]] = mapped_column(ARRAY(Time), nullable=False, server_default=text("'{}'"))
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(Date)
    prescriber_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("doctor_profile.id", ondelete="RESTRICT")
    )
    instructions: Mapped[str | None] = mapped_column(Text)
    state: Mapped[MedicationState] = mapped_column(
        enum_type(MedicationState, "medication_state"), nullable=False, server_default=text("'active'")
    )
    discontinued_reason: Mapped[str | None] = mapped_column(String(200))
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("medication.id", ondelete="SET NULL")
    )
    # A replacement made mid-day counts from this instant (the old one counts until it): past
    # adherence stays true to what was prescribed at the time of each dose.
    effective_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_account.id", ondelete="RESTRICT")
    )


class MedicationDoseLog(ClinicOwnedMixin, TimestampMixin, VersionedMixin, Base):
    """What happened to one scheduled dose; one row per (medication, scheduled time)."""

    __tablename__ = "medication_dose_log"
    __table_args__ = (
        UniqueConstraint("medication_id", "scheduled_at"),
        Index("ix_medication_dose_log_patient_id_scheduled_at", "patient_id", "scheduled_at"),
        # The clinic-wide "due today" list reads one day of the whole clinic's log.
        Index("ix_medication_dose_log_clinic_id_scheduled_at", "clinic_id", "scheduled_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    medication_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("medication.id", ondelete="RESTRICT"), nullable=False
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="RESTRICT"), nullable=False
    )
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[DoseStatus] = mapped_column(enum_type(DoseStatus, "dose_status"), nullable=False)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_account.id", ondelete="RESTRICT")
    )


class MedicationPause(ClinicOwnedMixin, TimestampMixin, Base):
    """One pause of a prescription: doses scheduled in [paused_at, resumed_at) do not count."""

    __tablename__ = "medication_pause"
    __table_args__ = (
        CheckConstraint("resumed_at IS NULL OR resumed_at >= paused_at", name="resumed_not_before_paused"),
        Index("ix_medication_pause_medication_id_paused_at", "medication_id", "paused_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    medication_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("medication.id", ondelete="CASCADE"), nullable=False
    )
    paused_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    resumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(200))
    paused_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_account.id", ondelete="RESTRICT")
    )
