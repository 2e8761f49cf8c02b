"""The server goes away and comes back; migrations are stepped, raced by processes, and killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool, text

from clinic_desktop.config.settings import PoolSettings
from clinic_desktop.db.database import Database
from clinic_desktop.db.engine import ConnectTarget, create_app_engine
from clinic_desktop.db.local_server import LocalCluster, free_port
from clinic_desktop.db.migrate import alembic_config, downgrade_to, schema_status, upgrade_to_head
from clinic_desktop.domain.errors import ConnectionLost
from clinic_desktop.services.auth_service import AuthService

from ..conftest import create_clinic_with_staff

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_cluster():
    """A private server this test may stop and start."""
    root = Path(tempfile.mkdtemp(prefix="clinic-outage-", dir="/tmp"))
    os.chmod(root, 0o755)
    cluster = LocalCluster(root, port=free_port(), tcp=True, auth="trust", extra_settings={"fsync": "off"})
    cluster.ensure_started()
    try:
        yield cluster
    finally:
        cluster.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


def test_connection_lost_is_reported_and_work_resumes_when_the_server_returns(own_cluster):
    admin = create_engine(own_cluster.sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE outage"))
    admin.dispose()
    url = own_cluster.sqlalchemy_url("outage")
    upgrade_to_head(create_engine(url, poolclass=pool.NullPool))
    database = Database(create_app_engine(ConnectTarget(create_engine(url).url, None, PoolSettings(size=2, max_overflow=0))))
    try:
        clinic = create_clinic_with_staff(database)
        assert AuthService(database).login(clinic.nurse.username, clinic.password)
        own_cluster.stop(mode="fast")
        with pytest.raises(ConnectionLost, match="connection to the database server was lost|does not answer"):
            AuthService(database).login(clinic.nurse.username, clinic.password)
        own_cluster.start()
        # Same engine, same pool: pre-ping discards the dead connections.
        assert AuthService(database).login(clinic.nurse.username, clinic.password).actor.staff_id == clinic.nurse.staff_id
    finally:
        database.dispose()


def test_every_revision_upgrades_and_downgrades_step_by_step(empty_database_url):
    engine = create_engine(empty_database_url, poolclass=pool.NullPool)
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    from alembic import command

    cfg = alembic_config(engine)
    try:
        for index, revision in enumerate(revisions):
            command.upgrade(cfg, revision)
            assert schema_status(engine).current == revision
            previous = revisions[index - 1] if index else "base"
            command.downgrade(cfg, previous)
            assert schema_status(engine).current == (None if previous == "base" else previous)
            command.upgrade(cfg, revision)
        downgrade_to(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


_MIGRATE = (
    "import sys; from sqlalchemy import create_engine, pool; "
    "from clinic_desktop.db.migrate import upgrade_to_head; "
    "s = upgrade_to_head(create_engine(sys.argv[1], poolclass=pool.NullPool)); print(s.current)"
)


def test_two_processes_launching_on_an_empty_database_migrate_once(empty_database_url):
    url = empty_database_url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen([sys.executable, "-c", _MIGRATE, url], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outputs]
    engine = create_engine(empty_database_url, poolclass=pool.NullPool)
    try:
        status = schema_status(engine)
        assert status.at_head and {o[0].strip() for o in outputs} == {status.head}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_migration_killed_midway_leaves_the_previous_revision(empty_database_url):
    engine = create_engine(empty_database_url, poolclass=pool.NullPool)
    from alembic import command

    command.upgrade(alembic_config(engine), "0001")
    url = empty_database_url.render_as_string(hide_password=False)
    blocker = engine.connect()
    blocker.execute(text("LOCK TABLE patient IN ACCESS EXCLUSIVE MODE"))  # stalls a later revision's DDL
    proc = subprocess.Popen([sys.executable, "-c", _MIGRATE, url], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        waiting = False
        while time.time() < deadline and not waiting:
            with engine.connect() as watcher:  # a new transaction: pg_stat_activity is snapshotted per transaction
                waiting = bool(
                    watcher.execute(
                        text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
                    ).scalar_one()
                )
            time.sleep(0.1)
        assert waiting, "the migration never reached the locked table"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    for _ in range(100):  # the killed client's backend notices, and its transaction is rolled back
        with engine.connect() as conn:
            if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).scalar_one():
                break
        time.sleep(0.1)
    status = schema_status(engine)
    assert status.current is not None and status.current != status.head
    assert upgrade_to_head(engine).at_head
    engine.dispose()
