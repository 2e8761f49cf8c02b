"""Patient registry search.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

- `unaccent` and an IMMUTABLE wrapper `f_unaccent(text)`: the extension's own function is only
  STABLE (its dictionary could change), so it cannot appear in an index or a generated column.
- `patient.search_name` (generated: lower-cased, accent-free "family given", collation "C") with a
  GIN trigram index for typo-tolerant ranked search and a btree for prefix search and the keyset
  sort by name; `patient.phone_digits` (generated) with a trigram index for "any formatting".
- MRN prefix index (text_pattern_ops works under any database collation), keyset indexes for the
  sort by age and by last visit.
- `patient.last_visit_on`, kept current by a trigger on appointments, so the list can sort a
  million patients by last visit without scanning appointments.
- CHECK constraints backing the domain rules (HbA1c 3–20 %, diagnosis not before birth).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(
        """
        CREATE FUNCTION f_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
        $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
        """
    )
    op.add_column(
        "patient",
        sa.Column(
            "search_name",
            sa.String(length=201, collation="C"),
            sa.Computed("lower(f_unaccent((family_name || ' ') || given_name))", persisted=True),
            nullable=False,
        ),
    )
    op.add_column(
        "patient",
        sa.Column(
            "phone_digits",
            sa.String(length=16, collation="C"),
            sa.Computed("regexp_replace(phone_e164, '[^0-9]', '', 'g')", persisted=True),
            nullable=True,
        ),
    )
    op.add_column("patient", sa.Column("last_visit_on", sa.Date(), nullable=True))
    op.create_index(
        "ix_patient_search_name_trgm", "patient", ["search_name"],
        postgresql_using="gin", postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_patient_phone_digits_trgm", "patient", ["phone_digits"],
        postgresql_using="gin", postgresql_ops={"phone_digits": "gin_trgm_ops"},
    )
    op.create_index("ix_patient_clinic_id_search_name_id", "patient", ["clinic_id", "search_name", "id"])
    op.create_index(
        "ix_patient_clinic_id_mrn_pattern", "patient", ["clinic_id", "mrn"], postgresql_ops={"mrn": "text_pattern_ops"}
    )
    op.create_index("ix_patient_clinic_id_date_of_birth_id", "patient", ["clinic_id", "date_of_birth", "id"])
    op.create_index("ix_patient_clinic_id_last_visit_on_id", "patient", ["clinic_id", "last_visit_on", "id"])
    op.create_check_constraint(
        "ck_patient_last_hba1c_range", "patient", "last_hba1c IS NULL OR last_hba1c BETWEEN 3 AND 20"
    )
    op.create_check_constraint(
        "ck_patient_target_hba1c_range", "patient", "target_hba1c IS NULL OR target_hba1c BETWEEN 3 AND 20"
    )
    op.create_check_constraint(
        "ck_patient_diagnosed_after_birth", "patient", "diagnosed_on IS NULL OR diagnosed_on >= date_of_birth"
    )
    _last_visit_trigger()


def _last_visit_trigger() -> None:
    # A visit counts once the patient checked in or the appointment was completed; the day is
    # the clinic's local day. Only the patients an appointment row touches are recomputed.
    op.execute(
        """
        CREATE FUNCTION patient_refresh_last_visit() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            pid uuid;
            last_day date;
        BEGIN
            FOR pid IN
                SELECT DISTINCT x FROM unnest(ARRAY[OLD.patient_id, NEW.patient_id]) AS x WHERE x IS NOT NULL
            LOOP
                SELECT max((a.starts_at AT TIME ZONE c.timezone)::date) INTO last_day
                FROM appointment a JOIN clinic c ON c.id = a.clinic_id
                WHERE a.patient_id = pid AND a.deleted_at IS NULL
                  AND a.status IN ('checked_in', 'completed') AND a.starts_at <= now();
                UPDATE patient SET last_visit_on = last_day
                WHERE id = pid AND last_visit_on IS DISTINCT FROM last_day;
            END LOOP;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_appointment_patient_last_visit AFTER INSERT OR DELETE OR UPDATE OF "
        "status, starts_at, patient_id, deleted_at ON appointment "
        "FOR EACH ROW EXECUTE FUNCTION patient_refresh_last_visit()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER trg_appointment_patient_last_visit ON appointment")
    op.execute("DROP FUNCTION patient_refresh_last_visit()")
    op.drop_constraint("ck_patient_diagnosed_after_birth", "patient", type_="check")
    op.drop_constraint("ck_patient_target_hba1c_range", "patient", type_="check")
    op.drop_constraint("ck_patient_last_hba1c_range", "patient", type_="check")
    op.drop_index("ix_patient_clinic_id_last_visit_on_id", table_name="patient")
    op.drop_index("ix_patient_clinic_id_date_of_birth_id", table_name="patient")
    op.drop_index("ix_patient_clinic_id_mrn_pattern", table_name="patient")
    op.drop_index("ix_patient_clinic_id_search_name_id", table_name="patient")
    op.drop_index("ix_patient_phone_digits_trgm", table_name="patient")
    op.drop_index("ix_patient_search_name_trgm", table_name="patient")
    op.drop_column("patient", "last_visit_on")
    op.drop_column("patient", "phone_digits")
    op.drop_column("patient", "search_name")
    op.execute("DROP FUNCTION f_unaccent(text)")
    op.execute("DROP EXTENSION IF EXISTS unaccent")
