"""Each test module's database is a copy of one migrated template — also on a server running TimescaleDB's jobs."""

from __future__ import annotations

import contextlib
import time

from sqlalchemy import create_engine, pool, text

from clinic_desktop.db.migrate import upgrade_to_head

SCHEDULER = "TimescaleDB Background Worker Scheduler%"


def _admin_value(pg_server, sql: str, **params):  # noqa: ANN001, ANN003
    engine = create_engine(pg_server.admin_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _wait_for_scheduler(pg_server, database: str, timeout_s: float = 20.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not _admin_value(pg_server, "SELECT count(*) FROM pg_stat_activity WHERE datname = :d "
                                      "AND application_name LIKE :a", d=database, a=SCHEDULER):
        assert time.monotonic() < deadline, f"TimescaleDB's job scheduler never connected to {database}"
        time.sleep(0.1)


def test_a_template_is_copied_while_a_job_scheduler_and_a_session_are_connected_to_it(pg_server):
    """The state a migrated template is in on a clinic's server: its job scheduler is connected, and
    TimescaleDB restarts it on every CREATE DATABASE … TEMPLATE (timescale/timescaledb#4048); a
    leftover session (a job, a psql window) holds it just the same."""
    template = pg_server.unique_name("tpl")
    engine = create_engine(pg_server.create_database(template), poolclass=pool.NullPool)
    copies: list[str] = []
    holder = None
    try:
        upgrade_to_head(engine)
        with engine.connect() as conn:
            jobs_run = conn.execute(text(
                "SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb' "
                "AND current_setting('timescaledb.max_background_workers', true)::int > 0")).scalar()
        if jobs_run:
            pg_server.start_job_scheduler(template)
            _wait_for_scheduler(pg_server, template)
        holder = engine.connect()
        holder.execute(text("SELECT 1"))
        for _ in range(3):
            copies.append(pg_server.unique_name("copy"))
            pg_server.create_database(copies[-1], template=template)
        for copy in copies:
            copied = create_engine(pg_server.url(copy), poolclass=pool.NullPool)
            with copied.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            copied.dispose()
        assert _admin_value(pg_server, "SELECT datallowconn FROM pg_database WHERE datname = :d", d=template) is False
    finally:
        if holder is not None:
            with contextlib.suppress(Exception):  # ended by the copy
                holder.close()
        engine.dispose()
        for name in (*copies, template):
            pg_server.drop_database(name)


def test_the_suite_template_is_sealed_and_module_databases_accept_connections(pg_server, template_database, database):
    assert _admin_value(pg_server, "SELECT datallowconn FROM pg_database WHERE datname = :d", d=template_database) is False
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
