"""Test support: a real PostgreSQL server started by the test run (or an external one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from clinic_desktop.db.local_server import LocalCluster, find_binaries, free_port


def timescaledb_installed(bindir: Path) -> bool:
    """Whether the server binaries can load TimescaleDB (its library is in their pkglibdir)."""
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        libdir = Path(subprocess.run([str(pg_config), "--pkglibdir"], capture_output=True, text=True).stdout.strip())
    else:
        libdir = bindir.parent / "lib"
    return any(libdir.glob("timescaledb*.so"))


_OBJECT_IN_USE = "55006"  # "source database … is being accessed by other users"
_COPY_RETRY_DELAYS_S = (0.2, 0.5, 1.0)  # each failed attempt already waited 5 s inside PostgreSQL


@dataclass
class TestServer:
    """A server on which the tests may create and drop databases."""

    admin_url: URL
    cluster: LocalCluster | None = None

    def url(self, database: str) -> URL:
        return self.admin_url.set(database=database)

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def create_database(self, name: str, *, template: str | None = None) -> URL:
        """A new empty database, or a copy of `template` (which is sealed first: see `seal_template`)."""
        if template is None:
            self._admin(f'CREATE DATABASE "{name}"')
        else:
            self._copy_template(name, template)
        return self.url(name)

    def seal_template(self, name: str) -> None:
        """Refuse new connections to `name` and end the sessions on it, so it can be copied.

        PostgreSQL copies a database only while nobody else is connected to it. With TimescaleDB's
        background workers on (as on a clinic's server) each database has a job scheduler holding
        a connection, and TimescaleDB restarts the template's scheduler on CREATE DATABASE …
        TEMPLATE; the new one can connect first and then waits for that very command, which fails
        after 5 s with "source database … is being accessed by other users"
        (timescale/timescaledb#4048). The launcher starts no scheduler for a database that refuses
        connections, and one already starting quits when it sees that.
        """
        self._admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        self._end_sessions(name)

    def start_job_scheduler(self, name: str) -> None:
        """Start TimescaleDB's job scheduler in `name` now, as a server does for each database at start.

        Otherwise a new database gets one only at the launcher's next poll (up to a minute later).
        Nothing happens without the extension or with background workers off.
        """
        engine = create_engine(self.url(name), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(
                    "SELECT _timescaledb_functions.start_background_workers() "
                    "FROM pg_extension WHERE extname = 'timescaledb' "
                    "AND current_setting('timescaledb.max_background_workers', true)::int > 0"))
        finally:
            engine.dispose()

    def _end_sessions(self, name: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        finally:
            engine.dispose()

    def _copy_template(self, name: str, template: str) -> None:
        # A scheduler starting just then can still connect for a moment (TimescaleDB's workers
        # bypass ALLOW_CONNECTIONS and quit on their own): end the sessions again and retry.
        self.seal_template(template)
        for delay in (*_COPY_RETRY_DELAYS_S, None):
            try:
                self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except OperationalError as exc:
                if delay is None or getattr(exc.orig, "sqlstate", None) != _OBJECT_IN_USE:
                    raise
            time.sleep(delay)
            self._end_sessions(template)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def unique_name(self, prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextmanager
def _server_clock() -> Iterator[None]:
    """Under `python -m tests.time_travel`, the server's processes start at the travelled-to instant.

    The postmaster inherits the environment of the command that starts it, and every backend is
    forked from it; the variables are set only while the cluster starts."""
    travel_to = os.environ.get("CLINIC_TEST_TRAVEL_TO")
    if not travel_to:
        yield
        return
    from .time_travel import server_environment

    extra = server_environment(datetime.now(UTC))  # the test process's (travelled) now
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start_test_server() -> TestServer:
    """CLINIC_TEST_DATABASE_URL (an external server) or a throwaway local cluster."""
    external = os.environ.get("CLINIC_TEST_DATABASE_URL")
    if external:
        url = make_url(external)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return TestServer(url)
    binaries = find_binaries()
    root = Path(tempfile.mkdtemp(prefix="clinic-test-", dir="/tmp"))
    os.chmod(root, 0o755)
    settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}
    if timescaledb_installed(binaries.bindir):
        settings["shared_preload_libraries"] = "timescaledb"
        settings["timescaledb.telemetry_level"] = "off"
        # Background jobs on, as on a clinic's server: a job scheduler per database (and a worker
        # per running job) needs far more worker processes than PostgreSQL's default 8.
        settings["max_worker_processes"] = "32"
        settings["timescaledb.max_background_workers"] = "24"
        if os.environ.get("CLINIC_TEST_TRAVEL_TO"):
            # Under libfaketime TimescaleDB's scheduler never starts a job (its waits mix the faked
            # clock with real latches): a time-travel run checks day logic, the ordinary run the jobs.
            settings["timescaledb.max_background_workers"] = "0"
    cluster = LocalCluster(root, port=free_port(), tcp=True, auth="trust", db_user="clinic", extra_settings=settings)
    with _server_clock():
        cluster.ensure_started()
    return TestServer(make_url(cluster.sqlalchemy_url("postgres")), cluster)


def stop_test_server(server: TestServer) -> None:
    if server.cluster is not None:
        try:
            server.cluster.stop(mode="immediate")
        finally:
            shutil.rmtree(server.cluster.root, ignore_errors=True)


@contextmanager
def private_cluster(**settings: str) -> Iterator[LocalCluster]:
    """A throwaway cluster of its own (TCP, trust) for a test that changes server settings or pg_hba."""
    root = Path(tempfile.mkdtemp(prefix="clinic-private-", dir="/tmp"))
    os.chmod(root, 0o755)
    cluster = LocalCluster(root, port=free_port(), tcp=True, auth="trust", extra_settings={"fsync": "off", **settings})
    cluster.ensure_started()
    try:
        yield cluster
    finally:
        cluster.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


def require_scram_for(cluster: LocalCluster, role: str) -> None:
    """pg_hba: `role` must sign in over TCP with its SCRAM password; everyone else keeps trust."""
    hba = cluster.data_dir / "pg_hba.conf"
    info = hba.stat()
    hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + hba.read_text(encoding="utf-8"), encoding="utf-8")
    os.chown(hba, info.st_uid, info.st_gid)
    admin = create_engine(cluster.sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_reload_conf()"))
    finally:
        admin.dispose()


def create_empty_database(cluster: LocalCluster, name: str) -> None:
    admin = create_engine(cluster.sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
