"""The workstation's password never reaches the server: only a SCRAM verifier computed here is sent.

A server that logs every statement (`log_statement = 'all'`, what audited servers often do for DDL)
runs the wizard's server step — migrate as the owner, create the workstation login — and its log
must not contain the password, while the role signs in with it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import psycopg
import pytest

from clinic_desktop.db.engine import target_for_url
from clinic_desktop.db.local_server import LocalCluster
from clinic_desktop.runtime import migrate_with_owner
from tests.support import create_empty_database, private_cluster, require_scram_for


@pytest.fixture
def logging_server():
    with private_cluster(log_statement="all", log_connections="on") as cluster:
        yield cluster


def test_the_wizards_server_step_logs_no_password(logging_server: LocalCluster) -> None:
    create_empty_database(logging_server, "clinic")
    role, password = "ws_logcheck", "Pw-" + secrets.token_urlsafe(18)
    owner = target_for_url(logging_server.sqlalchemy_url("clinic"))
    migrate_with_owner(owner, app_login=role, app_password=password)  # what the wizard runs for a server
    migrate_with_owner(owner, app_login=role, app_password=password + "-again")  # and on a re-run (ALTER ROLE)
    require_scram_for(logging_server, role)

    dsn = f"host=127.0.0.1 port={logging_server.port} dbname=clinic user={role}"
    with psycopg.connect(dsn, password=password + "-again") as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(dsn, password=password).close()

    log = logging_server.log_file.read_text(encoding="utf-8", errors="replace")
    assert "CREATE ROLE" in log and "ALTER ROLE" in log  # the statements were logged…
    assert "SCRAM-SHA-256$" in log  # …with a verifier in them
    assert password not in log  # …and never the password
    assert logging_server.log_file in _files_containing(logging_server.root, "SCRAM-SHA-256$")  # the scan sees it
    assert _files_containing(logging_server.root, password) == []  # nor any file of the server (data, WAL)


def _files_containing(root: Path, secret: str) -> list[Path]:
    """Every file under `root` whose bytes contain `secret`."""
    needle = secret.encode()
    return [path for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]
