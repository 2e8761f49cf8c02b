"""Fast typo-tolerant name search: a per-clinic dictionary of distinct names.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

A misspelt name used to be matched by trigram word similarity against a million full names; a
common given name or surname shares trigrams with tens of thousands of rows, so the query read
and re-checked them all (p95 ~200 ms at 1M patients). Names repeat heavily (a million patients
have tens of thousands of distinct surnames and a few thousand given names), so the typo is now
corrected against the distinct names first and the patients are then read by exact key:

- `patient_name_key` (clinic, part 'family'|'given', normalised key): every distinct name ever
  stored, filled by statement-level triggers on patient (COPY-friendly: one INSERT … SELECT
  DISTINCT per statement). Keys are never removed: a stale one only finds nobody. Trigram index
  on the key (no fast-update pending list: new names are rare, searches constant), under
  row-level security like every clinic-owned table.
- `patient.given_key` (generated, lower-cased and accent-free like `search_name`) with a btree
  (clinic, given_key, search_name) for searches by given name alone.
- `fuzzystrmatch` for `levenshtein_less_equal` (bounded edit distance) over one initial's keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
    op.add_column(
        "patient",
        sa.Column(
            "given_key",
            sa.String(length=100, collation="C"),
            sa.Computed("lower(f_unaccent(given_name))", persisted=True),
            nullable=False,
        ),
    )
    op.create_index("ix_patient_clinic_id_given_key_search_name", "patient", ["clinic_id", "given_key", "search_name"])
    op.create_table(
        "patient_name_key",
        sa.Column("clinic_id", sa.UUID(), nullable=False),
        sa.Column("part", sa.String(length=6), nullable=False),
        sa.Column("key", sa.String(length=100, collation="C"), nullable=False),
        sa.CheckConstraint("part IN ('family', 'given')", name=op.f("ck_patient_name_key_part")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_patient_name_key_clinic_id_clinic"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("clinic_id", "part", "key", name=op.f("pk_patient_name_key")),
    )
    op.create_index(
        "ix_patient_name_key_key_trgm", "patient_name_key", ["key"],
        postgresql_using="gin", postgresql_ops={"key": "gin_trgm_ops"}, postgresql_with={"fastupdate": "off"},
    )
    op.execute("SELECT enable_clinic_rls('patient_name_key')")
    # The family key is search_name without " given_key" (both normalise the same way), which
    # spares a second unaccent call per row in a bulk load.
    op.execute(
        """
        CREATE FUNCTION patient_collect_name_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO patient_name_key (clinic_id, part, key)
            SELECT DISTINCT n.clinic_id, v.part, v.key
            FROM new_rows n
            CROSS JOIN LATERAL (VALUES
                ('family', left(n.search_name, length(n.search_name) - length(n.given_key) - 1)),
                ('given', n.given_key)) AS v(part, key)
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$
        """
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER trg_patient_name_keys_{event.lower()} AFTER {event} ON patient "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patient_collect_name_keys()"
        )
    op.execute(
        """
        INSERT INTO patient_name_key (clinic_id, part, key)
        SELECT DISTINCT clinic_id, 'family', left(search_name, length(search_name) - length(given_key) - 1)
        FROM patient
        UNION
        SELECT DISTINCT clinic_id, 'given', given_key FROM patient
        """
    )
    op.execute("ANALYZE patient_name_key")  # the typo search's plan relies on its statistics


def downgrade() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER trg_patient_name_keys_{event} ON patient")
    op.execute("DROP FUNCTION patient_collect_name_keys()")
    op.drop_index("ix_patient_name_key_key_trgm", table_name="patient_name_key")
    op.drop_table("patient_name_key")
    op.drop_index("ix_patient_clinic_id_given_key_search_name", table_name="patient")
    op.drop_column("patient", "given_key")
    op.execute("DROP EXTENSION IF EXISTS fuzzystrmatch")
