"""Test support: a real PostgreSQL server started by the test run (or an external one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from clinic_desktop.db.local_server import LocalCluster, find_binaries, free_port


def timescaledb_installed(bindir: Path) -> bool:
    """Whether the server binaries can load TimescaleDB (its library is in their pkglibdir)."""
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        libdir = Path(subprocess.run([str(pg_config), "--pkglibdir"], capture_output=True, text=True).stdout.strip())
    else:
        libdir = bindir.parent / "lib"
    return any(libdir.glob("timescaledb*.so"))


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
        tmpl = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{tmpl}')
        return self.url(name)

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
        # The per-database job scheduler keeps a connection to the template database, so
        # CREATE DATABASE … TEMPLATE (one fresh database per test module) would fail.
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
