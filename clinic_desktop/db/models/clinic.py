"""Clinic, staff accounts and the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ...domain.enums import Role
from ..base import Base, ClinicOwnedMixin, TimestampMixin, VersionedMixin, uuid_pk
from ._types import enum_type


class Clinic(TimestampMixin, VersionedMixin, Base):
    """A clinic; every other row belongs to one."""

    __tablename__ = "clinic"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, server_default=text("'UTC'"))
    locale: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'en_US'"))
    hypo_threshold_mgdl: Mapped[float] = mapped_column(Numeric(5, 1), nullable=False, server_default=text("54"))
    hyper_threshold_mgdl: Mapped[float] = mapped_column(Numeric(5, 1), nullable=False, server_default=text("250"))
    dose_grace_minutes: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("60"))


class StaffAccount(ClinicOwnedMixin, TimestampMixin, VersionedMixin, Base):
    """A person who signs in: admin, doctor, nurse or receptionist."""

    __tablename__ = "staff_account"
    __table_args__ = (Index("uq_staff_account_username_lower", text("lower(username)"), unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    failed_login_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))


class AuditEvent(ClinicOwnedMixin, Base):
    """Append-only record of who viewed or changed what, written in the same transaction."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_patient_id_occurred_at", "patient_id", text("occurred_at DESC")),
        Index("ix_audit_event_actor_id_occurred_at", "actor_id", text("occurred_at DESC")),
        Index("ix_audit_event_occurred_at", text("occurred_at DESC")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_account.id", ondelete="RESTRICT")
    )
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="RESTRICT")
    )
    changes: Mapped[dict | None] = mapped_column(JSONB)
    workstation: Mapped[str | None] = mapped_column(String(200))
