"""Database roles: the owner (migrations, setup) and the application's login roles.

Migration 0006 creates the NOLOGIN group role `clinic_app` with the daily-work privileges (no DDL,
no TRUNCATE, append-only audit). The setup wizard creates a LOGIN role for the workstations and
makes it a member; the owner's credentials are not kept after setup.
"""

from __future__ import annotations

import re

from psycopg import sql
from sqlalchemy import Connection

APP_GROUP_ROLE = "clinic_app"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def create_app_login(conn: Connection, *, role_name: str, password: str | None) -> None:
    """Create (or update) a LOGIN role that is a member of `clinic_app` and owns nothing.

    The password never crosses the wire: a SCRAM-SHA-256 verifier is computed here by libpq
    (`PQencryptPasswordConn`, as psql's \\password does) and only the verifier is sent, so a server that
    logs DDL (`log_statement = 'ddl'`) logs no password. Run on an owner/admin connection; the caller
    commits.
    """
    if not _ROLE_NAME.match(role_name):
        raise ValueError("A role name uses lower-case letters, digits and '_' and starts with a letter.")
    raw = conn.connection.driver_connection
    exists = conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %(n)s", {"n": role_name}).first()
    verb = "ALTER" if exists else "CREATE"
    statement = sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
        sql.SQL(verb), sql.Identifier(role_name)
    )
    if password is not None:
        verifier = raw.pgconn.encrypt_password(password.encode(), role_name.encode(), b"scram-sha-256")
        statement = statement + sql.SQL(" PASSWORD {}").format(sql.Literal(verifier.decode("ascii")))
    with raw.cursor() as cur:
        cur.execute(statement)
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_GROUP_ROLE), sql.Identifier(role_name)))
