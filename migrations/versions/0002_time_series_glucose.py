"""Time-series glucose storage (hypertable, hourly aggregates; or plain SQL equivalents).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

With TimescaleDB (available on the server AND preloaded):
- `glucose_reading` becomes a hypertable with 7-day chunks;
- `glucose_internal.glucose_hourly_cagg`: a continuous aggregate per patient and hour (count,
  sum, sum of squares, min, max, counts per consensus range) with real-time aggregation
  (materialized_only = false) and a refresh policy; `glucose_daily_cagg` rolls it up per UTC
  day (a hierarchical continuous aggregate, real-time too). The policies have no start offset:
  a refresh only recomputes buckets the invalidation log marks, so imported history is picked up;
- retention: off by default (clinical records are kept); `-x glucose_retention_years=N` adds it;
- compression: NOT enabled. TimescaleDB (checked on 2.28.3) refuses columnstore on a table with
  row security ("columnstore cannot be used on table with row security") and refuses ENABLE ROW
  LEVEL SECURITY on a hypertable with columnstore ("operation not supported on hypertables that
  have columnstore enabled"); revision 0006 isolates clinics by RLS on every clinic-owned table,
  this one included. Revision 0007 isolates this table by a view instead and then enables
  compression (after 30 days, segmented by patient_id).

On plain PostgreSQL the same numbers live in real tables `glucose_internal.glucose_hourly_rollup`
and `glucose_daily_rollup` kept current by `glucose_rollup_refresh(patient, from, to)` (SECURITY DEFINER), which the
service calls in the same transaction as every write of readings.

Either way the app reads only the public views `glucose_hourly` and `glucose_daily`: security-barrier views that
show the rows of the transaction's clinic (`app.clinic_id`). Continuous aggregates and views run
with their owner's rights and so bypass the row-level security of `glucose_reading`; the schema
`glucose_internal` is not granted to the application role, and the view filters by clinic.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import context, op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BANDS = """
    count(*) FILTER (WHERE value_mgdl < 54) AS n_very_low,
    count(*) FILTER (WHERE value_mgdl >= 54 AND value_mgdl < 70) AS n_low,
    count(*) FILTER (WHERE value_mgdl >= 70 AND value_mgdl <= 180) AS n_in_range,
    count(*) FILTER (WHERE value_mgdl > 180 AND value_mgdl <= 250) AS n_high,
    count(*) FILTER (WHERE value_mgdl > 250) AS n_very_high
"""
_COLUMNS = (
    "count(*) AS n, sum(value_mgdl::float8) AS total, sum(value_mgdl::float8 * value_mgdl::float8) AS total_sq, "
    "min(value_mgdl) AS lo, max(value_mgdl) AS hi, " + _BANDS
)
#: Re-aggregation of hourly rows into days (sums of sums, min of mins...).
_ROLLUP_COLUMNS = (
    "sum(n)::bigint AS n, sum(total) AS total, sum(total_sq) AS total_sq, min(lo) AS lo, max(hi) AS hi, "
    "sum(n_very_low)::bigint AS n_very_low, sum(n_low)::bigint AS n_low, sum(n_in_range)::bigint AS n_in_range, "
    "sum(n_high)::bigint AS n_high, sum(n_very_high)::bigint AS n_very_high"
)
_VIEW_COLUMNS = "clinic_id, patient_id, bucket, n, total, total_sq, lo, hi, n_very_low, n_low, n_in_range, n_high, n_very_high"


def _timescale_possible() -> bool:
    """The same rule as the wizard's "Check connection" (installed and preloaded)."""
    from clinic_desktop.db.timeseries.timescale_support import SUPPORT_QUERY, TimescaleSupport, timescale_support

    available, loaded = op.get_bind().exec_driver_sql(SUPPORT_QUERY).one()
    return timescale_support(bool(available), bool(loaded)) is TimescaleSupport.USABLE


def _x(name: str) -> str | None:
    return context.get_x_argument(as_dictionary=True).get(name)


def upgrade() -> None:
    op.execute("CREATE SCHEMA glucose_internal")
    op.execute("REVOKE ALL ON SCHEMA glucose_internal FROM PUBLIC")
    if _timescale_possible():
        op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        _upgrade_timescale()
        source = "cagg"
    else:
        _upgrade_plain()
        source = "rollup"
    for level in ("hourly", "daily"):
        # The clinic is computed once per query (an InitPlan), not once per row.
        op.execute(
            f"CREATE VIEW glucose_{level} WITH (security_barrier) AS SELECT {_VIEW_COLUMNS} "
            f"FROM glucose_internal.glucose_{level}_{source} "
            "WHERE clinic_id = (SELECT NULLIF(current_setting('app.clinic_id', true), '')::uuid)"
        )


def _upgrade_timescale() -> None:
    op.execute(
        "SELECT create_hypertable('glucose_reading', 'recorded_at', chunk_time_interval => interval '7 days', "
        "migrate_data => true, create_default_indexes => false, if_not_exists => true)"
    )
    op.execute(
        "CREATE MATERIALIZED VIEW glucose_internal.glucose_hourly_cagg "
        "WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS "
        "SELECT clinic_id, patient_id, time_bucket(interval '1 hour', recorded_at) AS bucket, "
        f"{_COLUMNS} FROM public.glucose_reading GROUP BY clinic_id, patient_id, bucket WITH NO DATA"
    )
    op.execute(
        "CREATE INDEX ix_glucose_hourly_cagg_patient_bucket ON glucose_internal.glucose_hourly_cagg (patient_id, bucket)"
    )
    op.execute(
        "SELECT add_continuous_aggregate_policy('glucose_internal.glucose_hourly_cagg', start_offset => NULL, "
        "end_offset => interval '1 hour', schedule_interval => interval '10 minutes')"
    )
    # Daily level on top of the hourly one (hierarchical continuous aggregate): long chart
    # windows and the worklist read 24 times fewer rows.
    op.execute(
        "CREATE MATERIALIZED VIEW glucose_internal.glucose_daily_cagg "
        "WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS "
        f"SELECT clinic_id, patient_id, time_bucket(interval '1 day', bucket) AS bucket, {_ROLLUP_COLUMNS} "
        "FROM glucose_internal.glucose_hourly_cagg GROUP BY clinic_id, patient_id, time_bucket(interval '1 day', bucket) "
        "WITH NO DATA"
    )
    op.execute(
        "CREATE INDEX ix_glucose_daily_cagg_patient_bucket ON glucose_internal.glucose_daily_cagg (patient_id, bucket)"
    )
    op.execute(
        "SELECT add_continuous_aggregate_policy('glucose_internal.glucose_daily_cagg', start_offset => NULL, "
        "end_offset => interval '1 day', schedule_interval => interval '30 minutes')"
    )
    years = _x("glucose_retention_years")
    if years:  # off by default: clinical records are kept
        op.execute(f"SELECT add_retention_policy('glucose_reading', drop_after => interval '{int(years)} years')")


def _upgrade_plain() -> None:
    op.execute(
        """
        CREATE TABLE glucose_internal.glucose_hourly_rollup (
            clinic_id uuid NOT NULL, patient_id uuid NOT NULL, bucket timestamptz NOT NULL,
            n bigint NOT NULL, total float8 NOT NULL, total_sq float8 NOT NULL, lo real NOT NULL, hi real NOT NULL,
            n_very_low bigint NOT NULL, n_low bigint NOT NULL, n_in_range bigint NOT NULL,
            n_high bigint NOT NULL, n_very_high bigint NOT NULL,
            PRIMARY KEY (patient_id, bucket)
        )
        """
    )
    op.execute("CREATE TABLE glucose_internal.glucose_daily_rollup (LIKE glucose_internal.glucose_hourly_rollup "
               "INCLUDING ALL)")
    # Recompute the hours touched by a write from the readings themselves (exact, idempotent),
    # then the days containing them from those hours.
    op.execute(
        f"""
        CREATE FUNCTION glucose_rollup_refresh(p_patient uuid, p_from timestamptz, p_to timestamptz)
        RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE v_from timestamptz := date_bin(interval '1 hour', p_from, timestamptz '2000-01-01 00:00+00');
        BEGIN
            DELETE FROM glucose_internal.glucose_hourly_rollup
             WHERE patient_id = p_patient AND bucket >= v_from AND bucket <= p_to;
            INSERT INTO glucose_internal.glucose_hourly_rollup
            SELECT clinic_id, patient_id, date_bin(interval '1 hour', recorded_at, timestamptz '2000-01-01 00:00+00') AS b,
                   {_COLUMNS}
              FROM glucose_reading
             WHERE patient_id = p_patient AND recorded_at >= v_from
               AND recorded_at < date_bin(interval '1 hour', p_to, timestamptz '2000-01-01 00:00+00') + interval '1 hour'
             GROUP BY clinic_id, patient_id, b;
            v_from := date_bin(interval '1 day', v_from, timestamptz '2000-01-01 00:00+00');
            DELETE FROM glucose_internal.glucose_daily_rollup
             WHERE patient_id = p_patient AND bucket >= v_from AND bucket <= p_to;
            INSERT INTO glucose_internal.glucose_daily_rollup
            SELECT clinic_id, patient_id, date_bin(interval '1 day', bucket, timestamptz '2000-01-01 00:00+00') AS d,
                   {_ROLLUP_COLUMNS}
              FROM glucose_internal.glucose_hourly_rollup
             WHERE patient_id = p_patient AND bucket >= v_from
               AND bucket < date_bin(interval '1 day', p_to, timestamptz '2000-01-01 00:00+00') + interval '1 day'
             GROUP BY clinic_id, patient_id, d;
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS glucose_daily")
    op.execute("DROP VIEW IF EXISTS glucose_hourly")
    op.execute("DROP FUNCTION IF EXISTS glucose_rollup_refresh(uuid, timestamptz, timestamptz)")
    bind = op.get_bind()
    has_cagg = bind.exec_driver_sql(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'glucose_internal' AND c.relname = 'glucose_hourly_cagg'"
    ).scalar()
    if has_cagg:
        op.execute("DROP MATERIALIZED VIEW glucose_internal.glucose_daily_cagg")
        op.execute("DROP MATERIALIZED VIEW glucose_internal.glucose_hourly_cagg")
        op.execute("SELECT remove_retention_policy('glucose_reading', if_exists => true)")
    # The hypertable itself goes with revision 0001's DROP TABLE; the extension stays installed
    # (other databases' objects or an admin's choice may depend on it).
    op.execute("DROP SCHEMA glucose_internal CASCADE")
