"""The workstation's password never reaches the server: only a SCRAM verifier computed here is sent.

A server that logs every statement (`log_statement = 'all'`, what audited servers often do for DDL)
runs the wizard's server step — migrate as the owner, create the workstation login — and its log
must not contain the password, while the role signs in with it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, pool, text

from clinic_desktop.db.engine import target_for_url
from clinic_desktop.db.local_server import LocalCluster, free_port
from clinic_desktop.runtime import migrate_with_owner


@pytest.fixture
def logging_server():
    root = Path(tempfile.mkdtemp(prefix="clinic-logall-", dir="/tmp"))
    os.chmod(root, 0o755)
    cluster = LocalCluster(root, port=free_port(), tcp=True, auth="trust",
                           extra_settings={"fsync": "off", "log_statement": "all", "log_connections": "on"})
    cluster.ensure_started()
    try:
        yield cluster
    finally:
        cluster.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


def _require_password_for(cluster: LocalCluster, role: str) -> None:
    """pg_hba: the workstation role signs in over TCP with SCRAM; the owner keeps trust (the test's admin)."""
    hba = cluster.data_dir / "pg_hba.conf"
    info = hba.stat()
    hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + hba.read_text(encoding="utf-8"), encoding="utf-8")
    os.chown(hba, info.st_uid, info.st_gid)
    admin = create_engine(cluster.sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()


def test_the_wizards_server_step_logs_no_password(logging_server: LocalCluster) -> None:
    admin = create_engine(logging_server.sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT",
                          poolclass=pool.NullPool)
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE clinic"))
    admin.dispose()
    role, password = "ws_logcheck", "Pw-" + secrets.token_urlsafe(18)
    owner = target_for_url(logging_server.sqlalchemy_url("clinic"))
    migrate_with_owner(owner, app_login=role, app_password=password)  # what the wizard runs for a server
    migrate_with_owner(owner, app_login=role, app_password=password + "-again")  # and on a re-run (ALTER ROLE)
    _require_password_for(logging_server, role)

    dsn = f"host=127.0.0.1 port={logging_server.port} dbname=clinic user={role}"
    with psycopg.connect(dsn, password=password + "-again") as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(dsn, password=password).close()

    log = logging_server.log_file.read_text(encoding="utf-8", errors="replace")
    assert "CREATE ROLE" in log and "ALTER ROLE" in log  # the statements were logged…
    assert "SCRAM-SHA-256$" in log  # …with a verifier in them
    assert password not in log  # …and never the password
