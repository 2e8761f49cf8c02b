"""Backups: `pg_dump` of the clinic database to a file the admin chooses (custom format), and
restore into an empty database. Progress comes from pg_dump's verbose lines; the password goes
to the child process through its environment only, never a file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from ..db.database import Database
from ..db.engine import ConnectTarget
from ..domain.actor import Actor
from ..domain.errors import DomainError
from ..domain.permissions import Capability

_TABLE_LINE = re.compile(r'dumping contents of table "?([^"]+)"?')


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    tables: int


class BackupFailed(DomainError):
    """pg_dump or pg_restore failed; the message carries their last words."""


def pg_tool(name: str, server_major: int | None) -> str:
    """The newest installed pg_dump/pg_restore (a newer one reads older servers; an older one cannot)."""
    installed = sorted(
        ((int(p.parts[-3]), p) for p in Path("/usr/lib/postgresql").glob(f"*/bin/{name}") if p.parts[-3].isdigit()),
        reverse=True,
    )
    if installed and (server_major is None or installed[0][0] >= server_major):
        return str(installed[0][1])
    found = shutil.which(name)
    if not found:
        raise BackupFailed(f"{name} is not installed on this computer (Debian/Ubuntu: apt install postgresql-client).")
    return found


def _libpq_env(target: ConnectTarget) -> dict[str, str]:
    url = target.url
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    host = url.query.get("host") or url.host or "localhost"
    env.update({"PGHOST": str(host), "PGPORT": str(url.port or url.query.get("port") or 5432), "PGUSER": url.username or ""})
    if url.query.get("sslmode"):
        env["PGSSLMODE"] = str(url.query["sslmode"])
    if url.query.get("sslrootcert"):
        env["PGSSLROOTCERT"] = str(url.query["sslrootcert"])
    if target.password:
        env["PGPASSWORD"] = target.password
    return env


class BackupService:
    """Admin-only backup and restore of the clinic database."""

    def __init__(self, database: Database, target: ConnectTarget) -> None:
        self._db = database
        self._target = target

    def backup(
        self,
        actor: Actor,
        *,
        path: Path,
        progress: Callable[[int, int, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> BackupResult:
        """Dump to `path` (written as path.partial, renamed when complete); audited."""
        actor.require(Capability.BACK_UP)
        path = Path(path)
        if path.exists() and path.is_dir():
            raise BackupFailed(f"{path} is a folder; choose a file name for the backup.")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            total = uow.session.execute(
                text("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')")
            ).scalar_one()
        major = int(self._db.features.server_version.split(".")[0])
        partial = path.with_name(path.name + ".partial")
        argv = [pg_tool("pg_dump", major), "--format=custom", "--verbose", "--no-password",
                f"--file={partial}", self._target.url.database or ""]
        done = self._run(argv, total, progress, cancelled, "back up")
        partial.replace(path)
        with self._db.unit_of_work(actor) as uow:
            uow.audit("backup", "database", None, changes={"file": path.name, "bytes": path.stat().st_size})
        return BackupResult(path, path.stat().st_size, done)

    def restore_into(
        self, actor: Actor, *, path: Path, target: ConnectTarget, progress: Callable[[int, int, str], None] | None = None
    ) -> None:
        """Restore a backup into `target`, which must be an empty database (nothing is overwritten)."""
        actor.require(Capability.RESTORE_BACKUP)
        from sqlalchemy import create_engine, pool

        engine = create_engine(target.url, poolclass=pool.NullPool, connect_args={"password": target.password} if target.password else {})
        try:
            with engine.connect() as conn:
                tables = conn.execute(
                    text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                ).scalar_one()
                major = int(str(conn.execute(text("SHOW server_version_num")).scalar_one())[:-4])
        finally:
            engine.dispose()
        if tables:
            raise BackupFailed(
                f"The database {target.url.database} is not empty ({tables} tables); restore only into an empty database."
            )
        restore = pg_tool("pg_restore", major)
        timescale = self._holds_timescaledb(restore, path, target)
        argv = [restore, "--verbose", "--no-password", "--exit-on-error", "--single-transaction",
                f"--dbname={target.url.database}", str(path)]
        if not timescale:
            self._run(argv, 0, progress, None, "restore", env_target=target)
            return
        # TimescaleDB's own catalog must be restored with its triggers off (its documented procedure).
        engine = create_engine(target.url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT",
                               connect_args={"password": target.password} if target.password else {})
        try:
            with engine.connect() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
                conn.execute(text("SELECT timescaledb_pre_restore()"))
            try:
                self._run(argv, 0, progress, None, "restore", env_target=target)
            finally:
                with engine.connect() as conn:
                    conn.execute(text("SELECT timescaledb_post_restore()"))
        finally:
            engine.dispose()

    def _holds_timescaledb(self, restore: str, path: Path, target: ConnectTarget) -> bool:
        """Whether the backup contains TimescaleDB objects; if so the target server must have the extension."""
        listing = subprocess.run([restore, "--list", str(path)], capture_output=True, text=True,
                                 env=_libpq_env(target), check=False)
        if listing.returncode != 0:
            raise BackupFailed(f"Could not read the backup file: {(listing.stderr or '').strip()[-300:]}")
        if not re.search(r"\bEXTENSION\b.*\btimescaledb\b", listing.stdout):
            return False
        from sqlalchemy import create_engine, pool

        engine = create_engine(target.url, poolclass=pool.NullPool,
                               connect_args={"password": target.password} if target.password else {})
        try:
            with engine.connect() as conn:
                available = conn.execute(
                    text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).scalar()
        finally:
            engine.dispose()
        if not available:
            raise BackupFailed("This backup holds TimescaleDB data, but the target server does not have the "
                               "TimescaleDB extension. Restore it onto a server with TimescaleDB installed.")
        return True

    def _run(self, argv, total, progress, cancelled, what, env_target: ConnectTarget | None = None) -> int:  # noqa: ANN001
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_libpq_env(env_target or self._target)
        )
        done, tail = 0, []
        assert proc.stderr is not None
        for line in proc.stderr:
            tail = (tail + [line.strip()])[-5:]
            match = _TABLE_LINE.search(line)
            if match:
                done += 1
                if progress:
                    progress(done, max(total, done), match.group(1).split(".")[-1])
            if cancelled and cancelled():
                proc.kill()
                proc.wait()
                _remove_partial(argv)
                raise BackupFailed(f"The {what} was cancelled; no backup file was written.")
        if proc.wait() != 0:
            _remove_partial(argv)
            errors = [t for t in tail if "error" in t.lower()] or tail
            raise BackupFailed(f"Could not {what} the database: {errors[-1] if errors else 'unknown error'}")
        return done


def _remove_partial(argv: list[str]) -> None:
    for arg in argv:
        if arg.startswith("--file=") and arg.endswith(".partial"):
            Path(arg[len("--file="):]).unlink(missing_ok=True)
