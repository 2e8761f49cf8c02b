"""Bulk loading under row-level security.

PostgreSQL refuses `COPY … FROM` into a table with row-level security for roles subject to it
(the app's workstation roles are). So rows are COPYed into a temporary staging table (no RLS,
dropped at commit) and moved with one `INSERT … SELECT … ON CONFLICT DO NOTHING`, which the
policies check row by row — and which makes a repeated load add nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from psycopg import sql
from sqlalchemy.orm import Session


def copy_via_staging(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """COPY `rows` into `table` through a staging table in the session's transaction; returns rows inserted."""
    raw = session.connection().connection.driver_connection
    staging = sql.Identifier(f"staging_{table}")
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    with raw.cursor() as cur:
        cur.execute(sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
            staging, sql.Identifier(table)))
        cur.execute(sql.SQL("TRUNCATE {}").format(staging))
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, cols)) as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT DO NOTHING").format(
            sql.Identifier(table), cols, cols, staging))
        return cur.rowcount
