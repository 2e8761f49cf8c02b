""""Check connection" says what really happens to glucose readings, by the migrations' own rule.

This machine's PostgreSQL usually has the TimescaleDB files installed system-wide, so a cluster
started WITHOUT shared_preload_libraries=timescaledb is the "installed, not loaded" case. Where the
files are missing (plain PostgreSQL in CI) the expected sentence is derived from what the server
reports, never skipped.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import make_url

from clinic_desktop.db import connection_check as cc
from clinic_desktop.db.database import detect_features
from clinic_desktop.db.engine import ConnectTarget
from clinic_desktop.db.local_server import LocalCluster, find_binaries, free_port
from clinic_desktop.db.migrate import upgrade_to_head
from tests.support import timescaledb_installed


def expected_fresh_sentence(url) -> str:  # noqa: ANN001
    """The sentence for a database without the clinic's tables, from the server's own catalogue."""
    with psycopg.connect(url.render_as_string(hide_password=False).replace("+psycopg", "")) as conn:
        available = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()[0]
        preload = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
    if not available:
        return cc.TIMESCALE_NOT_INSTALLED
    if "timescaledb" not in preload:
        return cc.TIMESCALE_NOT_PRELOADED
    return cc.TIMESCALE_USABLE


def timescale_step(report: cc.CheckReport) -> cc.CheckStep:
    return next(step for step in report.steps if step.name == "timescaledb")


@pytest.fixture(scope="module")
def unloaded_cluster():
    """A small cluster of its own, started without shared_preload_libraries=timescaledb."""
    root = Path(tempfile.mkdtemp(prefix="clinic-nopreload-", dir="/tmp"))
    root.chmod(0o755)
    cluster = LocalCluster(root, port=free_port(), tcp=True, auth="trust", db_user="clinic",
                           extra_settings={"fsync": "off", "max_connections": "20"})
    try:
        cluster.ensure_started()
        yield cluster
    finally:
        cluster.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


def test_installed_but_not_preloaded_says_plain_tables_and_the_migration_agrees(unloaded_cluster):
    url = make_url(unloaded_cluster.sqlalchemy_url("postgres"))
    report = cc.check_connection(ConnectTarget(url))
    step = timescale_step(report)
    installed = timescaledb_installed(find_binaries().bindir)
    assert step.message == (cc.TIMESCALE_NOT_PRELOADED if installed else cc.TIMESCALE_NOT_INSTALLED)
    assert step.message == expected_fresh_sentence(url)
    assert step.warning and not report.timescale_available
    if installed:
        assert "shared_preload_libraries" in step.message and "plain PostgreSQL tables" in step.message
    # What the check promised is what the migration builds.
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        upgrade_to_head(engine)
        assert not detect_features(engine).timescale_active
    finally:
        engine.dispose()
    assert timescale_step(cc.check_connection(ConnectTarget(url))).message == step.message


def test_the_test_server_gets_the_sentence_for_its_state(pg_server, empty_database_url, database):
    fresh = timescale_step(cc.check_connection(ConnectTarget(empty_database_url)))
    assert fresh.message == expected_fresh_sentence(empty_database_url)
    migrated = timescale_step(cc.check_connection(ConnectTarget(database.engine.url)))
    if fresh.message == cc.TIMESCALE_USABLE:
        assert detect_features(database.engine).timescale_active
        assert migrated.message == cc.TIMESCALE_ACTIVE and not migrated.warning
    else:
        assert not detect_features(database.engine).timescale_active
        assert migrated.message == fresh.message and migrated.warning


@pytest.mark.parametrize(("available", "loaded", "case"), [
    (False, True, "NOT_INSTALLED"), (False, False, "NOT_INSTALLED"),
    (True, False, "NOT_PRELOADED"), (True, True, "USABLE"),
])
def test_support_rule(available, loaded, case):
    from clinic_desktop.db.timeseries.timescale_support import TimescaleSupport, timescale_support

    assert timescale_support(available, loaded) is TimescaleSupport[case]


def test_an_account_that_may_not_read_shared_preload_libraries_gets_the_same_sentence(pg_server, empty_database_url):
    """The wizard's account is often not a superuser: SHOW shared_preload_libraries is refused to it."""
    expected = expected_fresh_sentence(empty_database_url)
    admin = empty_database_url.render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS wizard_plain")
        conn.execute("CREATE ROLE wizard_plain LOGIN")
    try:
        step = timescale_step(cc.check_connection(ConnectTarget(empty_database_url.set(username="wizard_plain"))))
        assert step.message == expected
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP ROLE wizard_plain")
