"""Appointments calendar rules.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

- No double booking, enforced by the server: GiST exclusion constraints (btree_gist, created in
  0001) over the doctor — and over the patient — with the half-open range [starts_at, ends_at),
  for rows whose status occupies the slot and that are not soft-deleted. Two workstations
  booking the same slot at the same moment cannot both commit.
- Doctors' weekly working hours (clinic-local wall-clock times) and the clinic's closed days.
- The status history of each appointment (who moved it from what to what, and when).
Row-level security and grants for the new tables are applied by 0006 (it covers every table
with a clinic_id).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OCCUPYING = "deleted_at IS NULL AND status IN ('requested', 'confirmed', 'checked_in', 'completed')"
_STATUSES = ("requested", "confirmed", "checked_in", "completed", "cancelled", "no_show")
_NEW_TABLES = ("doctor_working_hours", "clinic_closed_day", "appointment_status_change")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for who in ("doctor", "patient"):
        op.execute(
            f"ALTER TABLE appointment ADD CONSTRAINT ex_appointment_{who}_slot EXCLUDE USING gist "
            f"({who}_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE ({_OCCUPYING})"
        )
    _create_working_hours()
    _create_closed_days()
    _create_status_changes()
    for table in _NEW_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
        )


def _common_columns(table: str) -> list:
    return [
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("clinic_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"], name=f"fk_{table}_clinic_id_clinic", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _create_working_hours() -> None:
    op.create_table(
        "doctor_working_hours",
        *_common_columns("doctor_working_hours"),
        sa.Column("doctor_id", sa.UUID(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("starts_local", sa.Time(), nullable=False),
        sa.Column("ends_local", sa.Time(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name="ck_doctor_working_hours_weekday_iso"),
        sa.CheckConstraint("ends_local > starts_local", name="ck_doctor_working_hours_ends_after_start"),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctor_profile.id"], name="fk_doctor_working_hours_doctor_id_doctor_profile",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_doctor_working_hours_clinic_id", "doctor_working_hours", ["clinic_id"])
    op.create_index("ix_doctor_working_hours_doctor_id_weekday", "doctor_working_hours", ["doctor_id", "weekday"])


def _create_closed_days() -> None:
    op.create_table(
        "clinic_closed_day",
        *_common_columns("clinic_closed_day"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.UniqueConstraint("clinic_id", "day", name="uq_clinic_closed_day_clinic_id_day"),
    )
    op.create_index("ix_clinic_closed_day_clinic_id", "clinic_closed_day", ["clinic_id"])


def _status_type(name: str) -> sa.Enum:
    return sa.Enum(*_STATUSES, name=name, native_enum=False, create_constraint=True, length=32)


def _create_status_changes() -> None:
    op.create_table(
        "appointment_status_change",
        *_common_columns("appointment_status_change"),
        sa.Column("appointment_id", sa.UUID(), nullable=False),
        sa.Column("from_status", _status_type("appointment_status_change_from"), nullable=True),
        sa.Column("to_status", _status_type("appointment_status_change_to"), nullable=False),
        sa.Column("changed_by", sa.UUID(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointment.id"], name="fk_appointment_status_change_appointment_id_appointment",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["staff_account.id"], name="fk_appointment_status_change_changed_by_staff_account",
            ondelete="RESTRICT",
        ),
    )
    op.create_index("ix_appointment_status_change_clinic_id", "appointment_status_change", ["clinic_id"])
    op.create_index(
        "ix_appointment_status_change_appointment_id_changed_at",
        "appointment_status_change",
        ["appointment_id", "changed_at"],
    )


def downgrade() -> None:
    for table in _NEW_TABLES:
        op.drop_table(table)  # drops their indexes and triggers too
    op.execute("ALTER TABLE appointment DROP CONSTRAINT ex_appointment_patient_slot")
    op.execute("ALTER TABLE appointment DROP CONSTRAINT ex_appointment_doctor_slot")
