"""Security: row-level security, database roles, append-only audit.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

- Row-level security on every table with a `clinic_id`, keyed by the transaction-local setting
  `app.clinic_id` that each unit of work sets. The owner role (migrations, setup wizard) is not
  subject to it; the application role is.
- `clinic_app`: a NOLOGIN group role with the daily-work privileges (no DDL, no TRUNCATE, and only
  SELECT/INSERT on the audit trail). Login roles for workstations are made members of it.
- The audit trail is append-only, by privileges and by a trigger that refuses UPDATE, DELETE and
  TRUNCATE for everybody, the owner included.
- `client_request`: client-generated ids of writes, for idempotent retries.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "clinic_app"


def upgrade() -> None:
    op.create_table(
        "client_request",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column("clinic_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_client_request_clinic_id_clinic"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_request")),
    )
    op.create_index(op.f("ix_client_request_clinic_id"), "client_request", ["clinic_id"], unique=False)
    op.execute(
        "CREATE TRIGGER trg_client_request_updated_at BEFORE UPDATE ON client_request "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    _create_functions()
    _enable_row_level_security()
    _append_only_audit()
    _create_app_role_and_grants()


def _create_functions() -> None:
    op.execute(
        """
        CREATE FUNCTION app_current_clinic() RETURNS uuid LANGUAGE sql STABLE AS
        $$ SELECT NULLIF(current_setting('app.clinic_id', true), '')::uuid $$
        """
    )
    # Sign-in must find an account before the clinic is known. This function, owned by the owner
    # role, reveals only the id and clinic of the account; the hash is then read under RLS.
    op.execute(
        """
        CREATE FUNCTION auth_find_staff(p_username text)
        RETURNS TABLE (staff_id uuid, clinic_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT id, clinic_id FROM staff_account WHERE lower(username) = lower(p_username) $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION app_has_any_clinic() RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT EXISTS (SELECT 1 FROM clinic) $$
        """
    )
    # Reused by later migrations: every new clinic-owned table must call it.
    op.execute(
        """
        CREATE FUNCTION enable_clinic_rls(p_table regclass) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
            EXECUTE format(
                'CREATE POLICY clinic_isolation ON %s USING (clinic_id = app_current_clinic()) '
                'WITH CHECK (clinic_id = app_current_clinic())', p_table);
        END $$
        """
    )


def _enable_row_level_security() -> None:
    op.execute(
        """
        DO $$
        DECLARE t regclass;
        BEGIN
            FOR t IN
                SELECT c.oid::regclass FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'clinic_id' AND NOT a.attisdropped
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
            LOOP
                PERFORM enable_clinic_rls(t);
            END LOOP;
        END $$
        """
    )
    op.execute("ALTER TABLE clinic ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY clinic_isolation ON clinic USING (id = app_current_clinic()) "
        "WITH CHECK (id = app_current_clinic())"
    )


def _append_only_audit() -> None:
    op.execute(
        """
        CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )
    op.execute(
        "CREATE TRIGGER trg_audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )


def _create_app_role_and_grants() -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                BEGIN
                    CREATE ROLE {APP_ROLE} NOLOGIN;
                EXCEPTION
                    WHEN duplicate_object THEN NULL;
                    WHEN insufficient_privilege THEN
                        RAISE EXCEPTION 'The account running the migration may not create roles. Ask the '
                            'database administrator to run: CREATE ROLE {APP_ROLE} NOLOGIN; then try again.'
                            USING ERRCODE = 'insufficient_privilege';
                END;
            END IF;
        END $$
        """
    )
    op.execute(
        f"""
        DO $$ BEGIN
            EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO {APP_ROLE}', current_database());
        END $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"REVOKE ALL ON audit_event FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON audit_event TO {APP_ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {APP_ROLE}")
    # Tables created by later migrations (run by the same owner) get the daily-work grants too.
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")
    op.execute(
        f"DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM {APP_ROLE}', current_database()); END $$"
    )
    # The role is cluster-wide: other databases on the server may still use it, so it stays.
    op.execute("DROP TRIGGER trg_audit_event_no_truncate ON audit_event")
    op.execute("DROP TRIGGER trg_audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION audit_event_append_only()")
    op.execute(
        """
        DO $$
        DECLARE r record;
        BEGIN
            FOR r IN SELECT schemaname, tablename FROM pg_policies WHERE policyname = 'clinic_isolation'
                     AND schemaname = 'public'
            LOOP
                EXECUTE format('DROP POLICY clinic_isolation ON %I.%I', r.schemaname, r.tablename);
                EXECUTE format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY', r.schemaname, r.tablename);
            END LOOP;
        END $$
        """
    )
    op.execute("DROP FUNCTION enable_clinic_rls(regclass)")
    op.execute("DROP FUNCTION app_has_any_clinic()")
    op.execute("DROP FUNCTION auth_find_staff(text)")
    op.execute("DROP FUNCTION app_current_clinic()")
    op.drop_index(op.f("ix_client_request_clinic_id"), table_name="client_request")
    op.drop_table("client_request")
