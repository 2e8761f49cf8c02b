"""Glucose readings (a TimescaleDB hypertable where available), emergency events and reviews."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, PrimaryKeyConstraint, REAL as Real, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ...domain.enums import EmergencyKind, EmergencyState, ReadingContext, ReadingFlag, ReadingSource
from ..base import Base, ClinicOwnedMixin, TimestampMixin, VersionedMixin, uuid_pk
from ._types import enum_type


class GlucoseReading(Base):
    """One glucose value, stored canonically in mg/dL.

    The key includes `recorded_at` (a hypertable's unique indexes must contain the time column)
    and the source, so importing the same export twice stores each reading once.
    """

    __tablename__ = "glucose_reading"
    __table_args__ = (
        PrimaryKeyConstraint("id", "recorded_at"),
        UniqueConstraint("patient_id", "source", "recorded_at"),
        Index("ix_glucose_reading_patient_id_recorded_at", "patient_id", text("recorded_at DESC")),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), server_default=text("gen_random_uuid()"), default=uuid.uuid4
    )
    # No index on clinic_id here: readings are always reached by patient, and every extra index
    # slows bulk CGM imports.
    clinic_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clinic.id", ondelete="RESTRICT"), nullable=False
    )
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="RESTRICT"), nullable=False
    )
    value_mgdl: Mapped[float] = mapped_column(Real, nullable=False)
    source: Mapped[ReadingSource] = mapped_column(enum_type(ReadingSource, "reading_source"), nullable=False)
    context: Mapped[ReadingContext | None] = mapped_column(enum_type(ReadingContext, "reading_context"))
    flag: Mapped[ReadingFlag] = mapped_column(
        enum_type(ReadingFlag, "reading_flag"), nullable=False, server_default=text("'none'")
    )
    device_serial: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class EmergencyEvent(ClinicOwnedMixin, TimestampMixin, VersionedMixin, Base):
    """A hypo- or hyperglycaemia episode: opened once, closed after 15 minutes back in range."""

    __tablename__ = "emergency_event"
    __table_args__ = (
        Index("ix_emergency_event_clinic_id_state", "clinic_id", "state"),
        Index("ix_emergency_event_patient_id_started_at", "patient_id", text("started_at DESC")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="RESTRICT"), nullable=False
    )
    kind: Mapped[EmergencyKind] = mapped_column(enum_type(EmergencyKind, "emergency_kind"), nullable=False)
    state: Mapped[EmergencyState] = mapped_column(
        enum_type(EmergencyState, "emergency_state"), nullable=False, server_default=text("'active'")
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    extreme_mgdl: Mapped[float] = mapped_column(Real, nullable=False)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_account.id", ondelete="RESTRICT")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class PatientReview(ClinicOwnedMixin, TimestampMixin, Base):
    """A doctor's "mark reviewed" of a patient's glucose picture (who and when)."""

    __tablename__ = "patient_review"
    __table_args__ = (Index("ix_patient_review_patient_id_reviewed_at", "patient_id", text("reviewed_at DESC")),)

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="RESTRICT"), nullable=False
    )
    reviewed_by: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_account.id", ondelete="RESTRICT"), nullable=False
    )
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
