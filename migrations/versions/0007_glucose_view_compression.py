"""Glucose readings isolated by a view, so TimescaleDB can compress them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

TimescaleDB (checked on 2.28.3) refuses columnstore compression on a table with row-level security,
and refuses row-level security on a compressed hypertable. Readings are by far the largest table
(about 100,000 rows per CGM patient-year), so they need compression; and clinics must stay isolated.
This revision keeps both:

- the readings table moves to the schema `glucose_internal` (not granted to the application role),
  without row-level security;
- `public.glucose_reading` becomes a security-barrier view over it, WITH CASCADED CHECK OPTION,
  showing (and accepting) only the rows of the transaction's clinic (`app.clinic_id`) — the same
  rule as the `clinic_isolation` policies, enforced by the view. Like row-level security it does not
  restrict the owner role (migrations, setup wizard) or superusers. The view is automatically
  updatable: the app and its COPY-through-staging imports write through it, ON CONFLICT included;
- a security-barrier view is not flattened into the query that reads it, so "the latest reading of
  each patient" could no longer walk the (patient_id, recorded_at DESC) index backwards and sorted every
  reading of the patient instead (seconds for a worklist or a list page). `glucose_latest(ids)`, a
  SECURITY DEFINER function restricted to the transaction's clinic, answers it from the index;
- with TimescaleDB: compression segmented by patient and ordered by time, with a policy that
  compresses chunks older than 30 days (`-x glucose_compress_after_days=N` to change it), and a
  SECURITY DEFINER function `glucose_storage_stats()` with which an administrator's storage view
  reads chunk and compression sizes without rights on the internal schema;
- with TimescaleDB: `glucose_stale_ranges()` (SECURITY DEFINER), the periods whose continuous-aggregate
  rows are out of date — written below the aggregates' watermark (an import of history, a correction)
  and not yet refreshed. Real-time aggregation covers only what lies above the watermark, and refreshing
  needs the aggregate's owner (the app role is not) or working background jobs (they fail on some
  servers), so the app reads those periods from the readings themselves until a refresh catches up.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "clinic_app"
COLUMNS = ("id, clinic_id, recorded_at, patient_id, value_mgdl, source, context, flag, device_serial, note, "
           "created_at, updated_at")


def _is_hypertable() -> bool:
    bind = op.get_bind()
    if not bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").scalar():
        return False
    return bool(bind.exec_driver_sql(
        "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'glucose_reading'"
    ).scalar())


def upgrade() -> None:
    hyper = _is_hypertable()
    op.execute("DROP POLICY clinic_isolation ON glucose_reading")
    op.execute("ALTER TABLE glucose_reading DISABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE glucose_reading SET SCHEMA glucose_internal")
    op.execute(f"REVOKE ALL ON glucose_internal.glucose_reading FROM {APP_ROLE}")
    # Who is not held to one clinic: the owner of the readings (and its members) and superusers,
    # exactly those whom row-level security would not restrict either. (Looked up in the catalog by
    # name: a ::regclass cast would need USAGE on the internal schema, which the app role lacks.)
    op.execute(
        """
        CREATE FUNCTION app_sees_every_clinic() RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT pg_has_role(current_user, c.relowner, 'USAGE')
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'glucose_internal' AND c.relname = 'glucose_reading' $$
        """
    )
    op.execute(f"GRANT EXECUTE ON FUNCTION app_sees_every_clinic() TO {APP_ROLE}")
    # Both settings are read once per statement (InitPlans), not once per row.
    op.execute(
        f"CREATE VIEW glucose_reading WITH (security_barrier) AS SELECT {COLUMNS} "
        "FROM glucose_internal.glucose_reading "
        "WHERE clinic_id = (SELECT app_current_clinic()) OR (SELECT app_sees_every_clinic()) "
        "WITH CASCADED CHECK OPTION"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON glucose_reading TO {APP_ROLE}")
    op.execute(
        """
        CREATE FUNCTION glucose_latest(p_ids uuid[])
        RETURNS TABLE (patient_id uuid, recorded_at timestamptz, value_mgdl real)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            SELECT p.id, r.recorded_at, r.value_mgdl
              FROM unnest(p_ids) AS p(id)
              CROSS JOIN LATERAL (
                  SELECT g.recorded_at, g.value_mgdl FROM glucose_internal.glucose_reading g
                   WHERE g.patient_id = p.id AND g.clinic_id = public.app_current_clinic()
                   ORDER BY g.recorded_at DESC LIMIT 1) r
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION glucose_latest(uuid[]) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION glucose_latest(uuid[]) TO {APP_ROLE}")
    if hyper:
        _enable_compression()


def _enable_compression() -> None:
    days = int(context.get_x_argument(as_dictionary=True).get("glucose_compress_after_days") or 30)
    op.execute(
        "ALTER TABLE glucose_internal.glucose_reading SET (timescaledb.compress, "
        "timescaledb.compress_segmentby = 'patient_id', timescaledb.compress_orderby = 'recorded_at DESC')"
    )
    op.execute(
        "SELECT add_compression_policy('glucose_internal.glucose_reading', "
        f"compress_after => interval '{days} days')"
    )
    op.execute(
        """
        CREATE FUNCTION glucose_storage_stats(
            OUT chunks bigint, OUT compressed_chunks bigint, OUT compression_enabled boolean,
            OUT bytes_before bigint, OUT bytes_after bigint)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            SELECT (SELECT count(*) FROM timescaledb_information.chunks
                     WHERE hypertable_schema = 'glucose_internal' AND hypertable_name = 'glucose_reading'),
                   (SELECT count(*) FROM timescaledb_information.chunks
                     WHERE hypertable_schema = 'glucose_internal' AND hypertable_name = 'glucose_reading'
                       AND is_compressed),
                   (SELECT h.compression_enabled FROM timescaledb_information.hypertables h
                     WHERE h.hypertable_schema = 'glucose_internal' AND h.hypertable_name = 'glucose_reading'),
                   (SELECT sum(s.before_compression_total_bytes)::bigint
                      FROM public.hypertable_compression_stats('glucose_internal.glucose_reading') s),
                   (SELECT sum(s.after_compression_total_bytes)::bigint
                      FROM public.hypertable_compression_stats('glucose_internal.glucose_reading') s)
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION glucose_storage_stats() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION glucose_storage_stats() TO {APP_ROLE}")
    # Invalidation logs hold internal times (microseconds since 1970) with ±infinity sentinels; a
    # range matters only below the watermark of the hypertable the aggregate reads from.
    op.execute(
        """
        CREATE FUNCTION glucose_stale_ranges(OUT lo timestamptz, OUT hi timestamptz) RETURNS SETOF record
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            WITH caggs AS (
                SELECT ca.mat_hypertable_id AS mat, ca.raw_hypertable_id AS raw
                  FROM _timescaledb_catalog.continuous_agg ca
                 WHERE ca.user_view_schema = 'glucose_internal'
                   AND ca.user_view_name IN ('glucose_hourly_cagg', 'glucose_daily_cagg')),
            logs AS (
                SELECT l.lowest_modified_value AS lo, l.greatest_modified_value AS hi, c.raw
                  FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log l
                  JOIN caggs c ON c.raw = l.hypertable_id
                UNION ALL
                SELECT l.lowest_modified_value, l.greatest_modified_value, c.raw
                  FROM _timescaledb_catalog.continuous_aggs_materialization_invalidation_log l
                  JOIN caggs c ON c.mat = l.materialization_id)
            SELECT _timescaledb_functions.to_timestamp(greatest(l.lo, 0)),
                   _timescaledb_functions.to_timestamp(least(l.hi, t.watermark, 253402300799000000))
              FROM logs l
              JOIN _timescaledb_catalog.continuous_aggs_invalidation_threshold t ON t.hypertable_id = l.raw
             WHERE l.lo < t.watermark AND l.hi >= l.lo AND l.hi >= 0
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION glucose_stale_ranges() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION glucose_stale_ranges() TO {APP_ROLE}")


def downgrade() -> None:
    hyper = _is_hypertable()
    if hyper:
        op.execute("DROP FUNCTION glucose_stale_ranges()")
        op.execute("DROP FUNCTION glucose_storage_stats()")
        op.execute("SELECT remove_compression_policy('glucose_internal.glucose_reading', if_exists => true)")
        op.execute(
            "SELECT decompress_chunk(c, if_compressed => true) "
            "FROM show_chunks('glucose_internal.glucose_reading') c"
        )
        op.execute("ALTER TABLE glucose_internal.glucose_reading SET (timescaledb.compress = false)")
    op.execute("DROP FUNCTION glucose_latest(uuid[])")
    op.execute("DROP VIEW glucose_reading")
    op.execute("DROP FUNCTION app_sees_every_clinic()")
    op.execute("ALTER TABLE glucose_internal.glucose_reading SET SCHEMA public")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON glucose_reading TO {APP_ROLE}")
    op.execute("SELECT enable_clinic_rls('glucose_reading'::regclass)")
