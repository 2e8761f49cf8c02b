"""The time-series backends and the hourly aggregate on a real server (TimescaleDB cases skip without it)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from clinic_desktop.db.timeseries import PlainBackend, TimescaleBackend, backend_for
from clinic_desktop.domain.errors import DomainError
from clinic_desktop.services.glucose_service import GlucoseService

from ..conftest import create_clinic_with_staff
from ..services.glucose_helpers import daily_pattern, make_patient, seed_trace

START = datetime(2025, 3, 1, 0, 2, tzinfo=timezone.utc)  # not on an hour: buckets must still be right


@pytest.fixture(params=["plain", "timescale"])
def backend(request, database):
    if request.param == "timescale":
        request.getfixturevalue("require_timescale")
        return TimescaleBackend()
    return PlainBackend()


@pytest.fixture
def trace(database, clinic):
    patient = make_patient(database, clinic.doctor)
    values = daily_pattern(30).astype(np.float32).astype(float)
    values[4321] = 39.0
    times = seed_trace(database, clinic.clinic_id, patient, START, values)
    return patient, np.array([t.timestamp() for t in times]), values


def in_session(database, clinic_id):
    session = Session(database.engine)
    session.begin()
    session.execute(text("SELECT set_config('app.clinic_id', :c, true)"), {"c": str(clinic_id)})
    return session


def compress_old_chunks(database, attempts: int = 5) -> None:
    """What the compression policy does for chunks past 30 days (the trace is from March 2025).

    The policy job itself may be compressing the same chunks at that moment (background jobs run
    during the tests): TimescaleDB then aborts one of the two with a serialization failure and,
    like the policy, we try again.
    """
    for attempt in range(attempts):
        try:
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks("
                                  "'glucose_internal.glucose_reading', older_than => now() - interval '30 days') c"))
            return
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "40001" or attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def expected_buckets(times, values, origin, width):
    idx = np.floor((times - origin) / width).astype(int)
    keys = np.unique(idx)
    return (origin + keys * width, np.array([values[idx == k].min() for k in keys]),
            np.array([values[idx == k].max() for k in keys]), np.array([values[idx == k].mean() for k in keys]))


def test_both_backends_bucket_raw_readings_exactly(database, clinic, backend, trace):
    patient, times, values = trace
    end = START + timedelta(days=7)
    with in_session(database, clinic.clinic_id) as s:
        got = backend.chart_series(s, patient, START, end, 1000)
    width = 7 * 86400 / 1000
    mask = times < end.timestamp()
    t, lo, hi, mean = expected_buckets(times[mask], values[mask], START.timestamp(), width)
    assert not got.raw and np.allclose(got.times, t) and np.allclose(got.mins, lo) and np.allclose(got.maxs, hi)
    assert np.allclose(got.values, mean, rtol=1e-6)


def test_both_backends_rebucket_the_hourly_aggregate_exactly(database, clinic, backend, trace):
    patient, times, values = trace
    end = START + timedelta(days=30)
    with in_session(database, clinic.clinic_id) as s:
        got = backend.chart_series(s, patient, START, end, 200)
    width = 4 * 3600.0  # 30 days / 200 px = 3.6 h → whole hours: 4 h
    assert got.bucket_seconds == width
    hour_of = np.floor(times / 3600) * 3600  # a reading belongs to its hour's aggregate row
    t, lo, hi, mean = expected_buckets(hour_of, values, START.timestamp(), width)
    assert np.allclose(got.times, t) and np.allclose(got.mins, lo) and np.allclose(got.maxs, hi)
    assert np.allclose(got.values, mean, rtol=1e-6) and got.mins.min() == 39.0


def test_band_stats_from_the_aggregate_match_the_readings(database, clinic, backend, trace):
    patient, times, values = trace
    with in_session(database, clinic.clinic_id) as s:
        stats = backend.band_stats(s, [patient], START - timedelta(hours=1), START + timedelta(days=31))[patient]
        daily = backend.band_stats(s, [patient], START - timedelta(days=1), START + timedelta(days=31), level="daily")[patient]
    assert (daily.n, daily.very_low, daily.total) == (stats.n, stats.very_low, pytest.approx(stats.total))
    assert stats.n == values.size and stats.mean == pytest.approx(values.mean())
    assert stats.sd == pytest.approx(values.std(ddof=1), rel=1e-6)
    assert stats.very_low == np.count_nonzero(values < 54)
    assert stats.in_range == np.count_nonzero((values >= 70) & (values <= 180))
    assert stats.very_low + stats.low + stats.in_range + stats.high + stats.very_high == values.size


def test_aggregate_view_shows_only_the_transactions_clinic(database, app_role_database, clinic, trace):
    patient, _, values = trace
    other = create_clinic_with_staff(database, name="Other")
    sql = text("SELECT coalesce(sum(n), 0) FROM glucose_hourly WHERE patient_id = :p")
    with app_role_database.unit_of_work(clinic.doctor, read_only=True) as uow:
        assert uow.session.execute(sql, {"p": patient}).scalar() == values.size
    with app_role_database.unit_of_work(other.doctor, read_only=True) as uow:
        assert uow.session.execute(sql, {"p": patient}).scalar() == 0
    with app_role_database.engine.connect() as conn:  # no clinic set: nothing
        assert conn.execute(sql, {"p": patient}).scalar() == 0
    internal_kind = "cagg" if database.features.timescale_active else "rollup"
    for internal in (f"glucose_internal.glucose_hourly_{internal_kind}", f"glucose_internal.glucose_daily_{internal_kind}"):
        with pytest.raises(DomainError), app_role_database.unit_of_work(clinic.doctor, read_only=True) as uow:
            uow.session.execute(text(f"SELECT count(*) FROM {internal}"))


def test_service_through_the_app_role_sees_its_patient(app_role_database, clinic, trace):
    patient, _, values = trace
    service = GlucoseService(app_role_database)
    m = service.metrics(clinic.doctor, patient, start=START, end=START + timedelta(days=30))
    assert m.readings == values.size
    wide = service.chart_series(clinic.doctor, patient, start=START, end=START + timedelta(days=30), pixels=100)
    assert wide.mins.min() == 39.0


def test_plain_rollup_follows_deletes_and_updates(database, clinic, trace):
    if database.features.timescale_active:
        pytest.skip("the rollup table exists only on plain PostgreSQL")
    patient, _, values = trace
    with in_session(database, clinic.clinic_id) as s:
        s.execute(text("DELETE FROM glucose_reading WHERE patient_id = :p AND value_mgdl = 39"), {"p": patient})
        s.execute(text("UPDATE glucose_reading SET value_mgdl = 400 WHERE patient_id = :p AND recorded_at = :t"),
                  {"p": patient, "t": START})
        PlainBackend().after_write(s, patient, START, START + timedelta(days=30))
        row = s.execute(text("SELECT sum(n), min(lo), max(hi) FROM glucose_hourly WHERE patient_id = :p"),
                        {"p": patient}).one()
        s.commit()
    assert (row[0], row[2]) == (values.size - 1, 400.0) and row[1] > 39.0


def test_plain_server_has_no_timescale_objects(database):
    if database.features.timescale_active:
        pytest.skip("TimescaleDB is active here")
    assert isinstance(backend_for(database), PlainBackend)
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'")).scalar() == 0
        assert conn.execute(text("SELECT to_regclass('glucose_internal.glucose_hourly_rollup')")).scalar() is not None


def test_timescale_objects_and_storage_health(database, clinic, require_timescale, trace):
    with database.engine.connect() as conn:
        interval = conn.execute(text("SELECT time_interval FROM timescaledb_information.dimensions "
                                     "WHERE hypertable_name = 'glucose_reading'")).scalar()
        cagg = conn.execute(text("SELECT materialized_only FROM timescaledb_information.continuous_aggregates "
                                 "WHERE view_name = 'glucose_hourly_cagg'")).scalar()
        policies = conn.execute(text("SELECT proc_name FROM timescaledb_information.jobs WHERE job_id >= 1000")).scalars().all()
    assert interval == timedelta(days=7) and cagg is False
    assert "policy_refresh_continuous_aggregate" in policies and "policy_retention" not in policies
    health = GlucoseService(database).storage_health(clinic.admin)
    assert health.timescale_active and health.chunks >= 5  # 30 days in 7-day chunks
    assert any(j.name == "policy_refresh_continuous_aggregate" for j in health.jobs)


def test_both_backends_rebucket_the_daily_aggregate_for_long_windows(database, clinic, backend, trace):
    patient, times, values = trace
    end = START + timedelta(days=30)
    with in_session(database, clinic.clinic_id) as s:
        got = backend.chart_series(s, patient, START, end, 20)  # 36 h per pixel → 2-day buckets of daily rows
        last = backend.last_reading_times(s, [patient])[patient]
    assert got.bucket_seconds == 2 * 86400.0
    day_of = np.floor(times / 86400) * 86400
    t, lo, hi, mean = expected_buckets(day_of, values, START.timestamp(), 2 * 86400.0)
    assert np.allclose(got.times, t) and np.allclose(got.mins, lo) and np.allclose(got.maxs, hi)
    assert np.allclose(got.values, mean, rtol=1e-6) and last.timestamp() == times[-1]


def test_imported_history_shows_in_the_aggregates_at_once(database, clinic, require_timescale):
    from clinic_desktop.services.glucose_import_service import GlucoseImportService

    patient = make_patient(database, clinic.doctor)
    seed_trace(database, clinic.clinic_id, patient, datetime.now(timezone.utc) - timedelta(days=3), [100.0] * 300)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for cagg in ("glucose_hourly_cagg", "glucose_daily_cagg"):  # as the policy does: watermark to ~now
            conn.execute(text(f"CALL refresh_continuous_aggregate('glucose_internal.{cagg}', NULL, now())"))
    data = Path(__file__).resolve().parents[1] / "data" / "cgm" / "dexcom_clarity_mgdl.csv"
    GlucoseImportService(database).import_file(clinic.doctor, patient, str(data), kind="dexcom")
    with in_session(database, clinic.clinic_id) as s:
        stats = TimescaleBackend().band_stats(s, [patient], datetime(2024, 10, 1, tzinfo=timezone.utc),
                                              datetime(2024, 11, 1, tzinfo=timezone.utc), level="daily")
    assert stats[patient].n == 48


def test_old_readings_are_compressed_and_still_read_and_written_through_the_view(
        database, app_role_database, clinic, require_timescale, trace):
    """Readings older than 30 days are compressed (segmented by patient); the app still reads them,
    re-imports over them idempotently, adds back-dated readings and corrects values — all through the
    clinic-isolating view, as the application role."""
    patient, times, values = trace
    with database.engine.connect() as conn:
        settings = dict(conn.execute(text(
            "SELECT attname, segmentby_column_index FROM timescaledb_information.compression_settings "
            "WHERE hypertable_schema = 'glucose_internal' AND hypertable_name = 'glucose_reading'")).all())
        policy = conn.execute(text(
            "SELECT config->>'compress_after' FROM timescaledb_information.jobs "
            "WHERE proc_name = 'policy_compression' AND hypertable_name = 'glucose_reading'")).scalar()
    assert settings.get("patient_id") == 1 and policy == "30 days"
    compress_old_chunks(database)
    health = GlucoseService(app_role_database).storage_health(clinic.admin)
    assert health.compression_enabled and health.compressed_chunks >= 5
    assert health.bytes_after_compression < health.bytes_before_compression

    first = datetime.fromtimestamp(times[0], timezone.utc)
    with in_session(app_role_database, clinic.clinic_id) as s:
        got = TimescaleBackend().chart_series(s, patient, first, first + timedelta(hours=6), 1000)  # raw points
        again = s.execute(text(
            "INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source, context) "
            "VALUES (:c, :p, :t, 120, 'dexcom', 'cgm') ON CONFLICT (patient_id, source, recorded_at) DO NOTHING"),
            {"c": clinic.clinic_id, "p": patient, "t": first}).rowcount
        added = s.execute(text(
            "INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source, context) "
            "VALUES (:c, :p, :t, 95, 'manual', 'fasting') ON CONFLICT (patient_id, source, recorded_at) DO NOTHING"),
            {"c": clinic.clinic_id, "p": patient, "t": first + timedelta(minutes=1)}).rowcount
        corrected = s.execute(text(
            "UPDATE glucose_reading SET value_mgdl = 123 WHERE patient_id = :p AND recorded_at = :t AND source = 'dexcom'"),
            {"p": patient, "t": first + timedelta(minutes=5)}).rowcount
        s.commit()
    assert got.raw and np.allclose(got.values[:72], values[:72]) and again == 0 and added == 1 and corrected == 1
    with database.engine.connect() as conn:
        count, fixed = conn.execute(text(
            "SELECT count(*), max(value_mgdl) FILTER (WHERE recorded_at = :t AND source = 'dexcom') "
            "FROM glucose_reading WHERE patient_id = :p"), {"p": patient, "t": first + timedelta(minutes=5)}).one()
    assert count == values.size + 1 and fixed == 123.0


def test_history_written_below_the_watermark_reads_right_before_any_refresh(
        database, app_role_database, clinic, require_timescale):
    """When the refresh after an import does not happen (a server whose background jobs fail, a refresh
    refused or timed out), readings imported into already-materialised time must still show in charts
    and worklist figures at once."""
    from clinic_desktop.services.glucose_import_service import GlucoseImportService

    class RefreshFails(TimescaleBackend):
        def after_commit(self, engine, start, end):  # noqa: ANN001 - as when the CALL is refused
            return None

    patient, recent = make_patient(database, clinic.doctor), make_patient(database, clinic.doctor)
    seed_trace(database, clinic.clinic_id, recent, datetime.now(timezone.utc) - timedelta(days=2), [100.0] * 500)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for cagg in ("glucose_hourly_cagg", "glucose_daily_cagg"):  # what the policies do: watermark to ~now
            conn.execute(text(f"CALL refresh_continuous_aggregate('glucose_internal.{cagg}', NULL, now())"))
    data = Path(__file__).resolve().parents[1] / "data" / "cgm" / "dexcom_clarity_mgdl.csv"
    result = GlucoseImportService(app_role_database, backend=RefreshFails()).import_file(
        clinic.doctor, patient, str(data), kind="dexcom")
    assert result.stored == 48
    window = (result.first_at - timedelta(days=2), result.last_at + timedelta(days=2))
    with database.engine.connect() as conn:  # the aggregate (materialised + real-time part) misses them
        materialised = conn.execute(text("SELECT coalesce(sum(n), 0) FROM glucose_internal.glucose_hourly_cagg "
                                         "WHERE patient_id = :p"), {"p": patient}).scalar()
    assert materialised == 0
    backend = TimescaleBackend()
    with in_session(app_role_database, clinic.clinic_id) as s:
        assert not backend.aggregates_current(s, [patient], *window)
        assert backend.aggregates_current(s, [recent], *window)  # no readings of this one there
        assert backend.aggregates_current(s, [patient, recent], datetime.now(timezone.utc) - timedelta(days=3),
                                          datetime.now(timezone.utc))
        values = np.array(s.execute(text("SELECT value_mgdl FROM glucose_reading WHERE patient_id = :p"),
                                    {"p": patient}).scalars().all(), dtype=float)
        daily = backend.band_stats(s, [patient], *window, level="daily")[patient]
        hourly = backend.band_stats(s, [patient], *window)[patient]
        series = backend.chart_series(s, patient, *window, 40)  # hours per pixel: an aggregate level
    assert daily.n == hourly.n == 48 and daily.mean == pytest.approx(values.mean())
    assert hourly.in_range == np.count_nonzero((values >= 70) & (values <= 180))
    assert not series.raw and series.bucket_seconds >= 3600 and series.mins.min() == values.min()
    assert series.maxs.max() == values.max()


@pytest.mark.timescale
def test_a_write_refreshes_its_period_also_while_a_policy_refresh_runs(database, clinic, require_timescale):
    """TimescaleDB refuses a refresh that overlaps one in progress instead of waiting; the write's
    refresh tries again until the other one (here: a registered policy refresh) has ended."""
    patient = make_patient(database, clinic.doctor)
    start = datetime(2025, 5, 1, tzinfo=timezone.utc)
    holder = database.engine.connect()  # the backend of the policy refresh in progress
    holder.execute(text(
        "INSERT INTO _timescaledb_catalog.continuous_aggs_jobs_refresh_ranges "
        "SELECT mat_hypertable_id, -9223372036854775808, 9223372036854775807, pg_backend_pid(), 0, now() "
        "FROM _timescaledb_catalog.continuous_agg WHERE user_view_name = 'glucose_daily_cagg'"))
    holder.commit()

    def policy_refresh_ends() -> None:
        holder.execute(text("DELETE FROM _timescaledb_catalog.continuous_aggs_jobs_refresh_ranges "
                            "WHERE pid = pg_backend_pid()"))
        holder.commit()

    ends = threading.Timer(1.0, policy_refresh_ends)
    ends.start()
    try:
        seed_trace(database, clinic.clinic_id, patient, start, [120.0] * 864)  # 3 days, refreshed after commit
    finally:
        ends.join()
        holder.close()
    with in_session(database, clinic.clinic_id) as s:
        assert TimescaleBackend().aggregates_current(s, [patient], start, start + timedelta(days=3))
        daily = s.execute(text("SELECT sum(n) FROM glucose_internal.glucose_daily_cagg WHERE patient_id = :p"),
                          {"p": patient}).scalar()
    assert daily == 864
