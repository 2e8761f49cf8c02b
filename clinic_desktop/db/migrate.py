"""Schema migrations with alembic: located from the install path, run under an advisory lock.

Two workstations starting together cannot both migrate (a PostgreSQL advisory lock serialises
them; the second finds the schema at head). PostgreSQL's transactional DDL means a failed
upgrade leaves the database at the revision it had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from .. import __version__
from ..domain.errors import DomainError, SchemaTooNew

#: Arbitrary constant shared by every workstation: "clinic-desktop migrations".
MIGRATION_LOCK_KEY = 0x0C11_41C0_DE5C_0001 & 0x7FFF_FFFF_FFFF_FFFF


def migrations_dir() -> Path:
    """The alembic scripts: shipped inside the package, or the repository's migrations/ folder."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "migrations", here.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise DomainError("The database migration scripts are missing from this installation.")


def alembic_config(engine: Engine | None = None) -> Config:
    """An alembic Config pointing at our scripts; `engine` is handed to env.py when given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands relative to this build of the app."""

    current: str | None
    head: str
    known: bool
    migrated_by: str | None = None  # the app version that last migrated the database

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    @property
    def empty(self) -> bool:
        return self.current is None

    @property
    def too_new(self) -> bool:
        """The database was migrated by a newer app: this workstation must not write."""
        return self.current is not None and not self.known


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def schema_status(engine: Engine) -> SchemaStatus:
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        migrated_by = conn.scalar(text("SELECT obj_description(to_regclass('alembic_version'), 'pg_class')")) \
            if current else None
    known = current is None or _revision_known(script, current)
    return SchemaStatus(current=current, head=script.get_current_head() or "", known=known, migrated_by=migrated_by)


def _revision_known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for unknown ids
        return False


def refuse_if_too_new(status: SchemaStatus) -> None:
    if status.too_new:
        raise SchemaTooNew(
            f"The database was upgraded by a newer version of Clinic Desktop (schema {status.current}); "
            f"this workstation knows schema {status.head} at most. Install "
            f"{status.migrated_by or 'the newer version of Clinic Desktop'} (or newer) "
            "before working with this database. Nothing was changed."
        )


ProgressCallback = Callable[[str, int, int], None]


def upgrade_to_head(engine: Engine, *, progress: ProgressCallback | None = None) -> SchemaStatus:
    """Migrate to head under the advisory lock; report each revision applied through `progress`."""
    status = schema_status(engine)
    refuse_if_too_new(status)
    script = ScriptDirectory.from_config(alembic_config())
    pending = _pending_revisions(script, status.current)
    cfg = alembic_config(engine)
    with engine.connect() as lock_conn:
        lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        try:
            # Re-read under the lock: another workstation may have migrated meanwhile.
            status = schema_status(engine)
            refuse_if_too_new(status)
            pending = _pending_revisions(script, status.current)
            total = len(pending)
            for index, revision in enumerate(pending, start=1):
                if progress:
                    progress(revision.doc or revision.revision, index - 1, total)
                command.upgrade(cfg, revision.revision)
            if pending:
                # Recorded for older workstations, so they can say which version to install.
                with engine.begin() as conn:
                    conn.execute(text(f"COMMENT ON TABLE alembic_version IS 'Clinic Desktop {__version__}'"))
            if progress:
                progress("Database is up to date", total, total)
        finally:
            lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            lock_conn.commit()
    return schema_status(engine)


def _pending_revisions(script: ScriptDirectory, current: str | None) -> list:
    revisions = list(script.iterate_revisions("head", current or "base"))
    revisions.reverse()
    return [r for r in revisions if r.revision != current]


def downgrade_to(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)
