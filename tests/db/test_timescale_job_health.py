"""The admin storage health while a TimescaleDB background job is running (needs the extension, workers on)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from clinic_desktop.services.glucose_service import GlucoseService

pytestmark = pytest.mark.timescale

_HOLD_S = 120  # longer than the test; the fixture ends the job in any case


def _autocommit(database):  # noqa: ANN001, ANN202
    return database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


@pytest.fixture
def running_job(pg_server, database, require_timescale):  # noqa: ANN001
    """A user-defined job started by the database's own scheduler and held running (pg_sleep)."""
    with _autocommit(database) as conn:
        if not conn.execute(text("SELECT current_setting('timescaledb.max_background_workers')::int")).scalar():
            pytest.skip("TimescaleDB's background workers are off on the test server (timescaledb.max_background_workers = 0)")
        conn.execute(text("CREATE OR REPLACE PROCEDURE public.test_held_job(job_id int, config jsonb) LANGUAGE sql "
                          f"AS $$ SELECT pg_sleep({_HOLD_S}) $$"))
        job_id = conn.execute(text("SELECT add_job('public.test_held_job', '1 day', initial_start => now())")).scalar()
    try:
        pg_server.start_job_scheduler(database.engine.url.database)
        deadline = time.monotonic() + 30
        with _autocommit(database) as conn:
            while not conn.execute(text("SELECT count(*) FROM timescaledb_information.job_stats "
                                        "WHERE job_id = :j AND next_start = '-infinity'"), {"j": job_id}).scalar():
                assert time.monotonic() < deadline, "the scheduler did not start the job within 30 s"
                time.sleep(0.2)
        yield job_id
    finally:
        with _autocommit(database) as conn:
            conn.execute(text("SELECT pg_terminate_backend(a.pid, 5000) FROM pg_stat_activity a "
                              "JOIN timescaledb_information.jobs j ON j.application_name = a.application_name "
                              "WHERE j.job_id = :j AND a.datname = current_database()"), {"j": job_id})
            conn.execute(text("SELECT delete_job(:j)"), {"j": job_id})
            conn.execute(text("DROP PROCEDURE IF EXISTS public.test_held_job(int, jsonb)"))


def test_storage_health_reports_a_running_job(database, app_role_database, clinic, running_job):
    """TimescaleDB keeps next_start = '-infinity' while a job runs; the view reads it as 'running now',
    for the superuser and for the application role (which cannot see the job's backend state)."""
    for db in (database, app_role_database):
        health = GlucoseService(db).storage_health(clinic.admin)
        job = next(j for j in health.jobs if j.job_id == running_job)
        assert job.running and job.name == "test_held_job"
        assert job.next_run_at is None and job.last_run_at is not None and job.last_run_status is None
        assert job not in health.failing_jobs
