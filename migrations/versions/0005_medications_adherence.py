"""Medications and adherence: replacement/end instants, pauses, clinic-wide due-today indexes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Dose-log design: only recorded events are stored (taken / taken late / missed / skipped); pending
doses are generated from each prescription's schedule when read (see services/medication_service.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("medication", sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("medication", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("medication", sa.Column("ended_by", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_medication_ended_by_staff_account"), "medication", "staff_account", ["ended_by"], ["id"],
        ondelete="RESTRICT",
    )
    op.create_index("ix_medication_clinic_id_state", "medication", ["clinic_id", "state"], unique=False)
    op.create_index(
        "ix_medication_dose_log_clinic_id_scheduled_at", "medication_dose_log", ["clinic_id", "scheduled_at"],
        unique=False,
    )
    op.create_table(
        "medication_pause",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("medication_id", sa.UUID(), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("paused_by", sa.UUID(), nullable=True),
        sa.Column("clinic_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "resumed_at IS NULL OR resumed_at >= paused_at", name=op.f("ck_medication_pause_resumed_not_before_paused")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_medication_pause_clinic_id_clinic"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["medication_id"], ["medication.id"], name=op.f("fk_medication_pause_medication_id_medication"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paused_by"], ["staff_account.id"], name=op.f("fk_medication_pause_paused_by_staff_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medication_pause")),
    )
    op.create_index(op.f("ix_medication_pause_clinic_id"), "medication_pause", ["clinic_id"], unique=False)
    op.create_index(
        "ix_medication_pause_medication_id_paused_at", "medication_pause", ["medication_id", "paused_at"], unique=False
    )
    op.execute(
        "CREATE TRIGGER trg_medication_pause_updated_at BEFORE UPDATE ON medication_pause "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_medication_pause_updated_at ON medication_pause")
    op.drop_index("ix_medication_pause_medication_id_paused_at", table_name="medication_pause")
    op.drop_index(op.f("ix_medication_pause_clinic_id"), table_name="medication_pause")
    op.drop_table("medication_pause")
    op.drop_index("ix_medication_dose_log_clinic_id_scheduled_at", table_name="medication_dose_log")
    op.drop_index("ix_medication_clinic_id_state", table_name="medication")
    op.drop_constraint(op.f("fk_medication_ended_by_staff_account"), "medication", type_="foreignkey")
    op.drop_column("medication", "ended_by")
    op.drop_column("medication", "ended_at")
    op.drop_column("medication", "effective_at")
