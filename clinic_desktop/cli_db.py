"""`clinic-desktop db upgrade|current|check`: migrations and diagnosis from a shell, for admins' scripts.

The database is the one named by CLINIC_DATABASE_URL when set (a SQLAlchemy/libpq URL of an
account that owns the schema), else the chosen profile (a local profile starts its cluster, and
stops it again afterwards unless a running Clinic Desktop uses it).
Messages go to stderr, results to stdout; the exit status is 0 on success, 1 on failure.
"""

from __future__ import annotations

import argparse
import sys

from .config.settings import ConnectionProfile, SettingsStore
from .db import migrate
from .db.connection_check import check_connection
from .db.database import detect_features
from .db.engine import ConnectTarget, create_app_engine, target_for_profile
from .db.local_server import LocalCluster
from .domain.errors import DomainError
from .runtime import DATABASE_URL_ENV, start_local, target_from_environment


def _progress(text: str, done: int, total: int) -> None:
    counter = f"[{done}/{total}] " if total else ""
    print(f"{counter}{text}", file=sys.stderr, flush=True)


def _owner_target(args: argparse.Namespace) -> tuple[ConnectTarget, LocalCluster | None]:
    """The owner's connect target, and the local cluster started (or adopted) for it, to release."""
    target = target_from_environment()
    if target is not None:
        return target, None
    settings = SettingsStore()
    name = "demo" if args.demo else (args.profile or "default")
    profile = settings.load_profile(name)
    if profile is None:
        if name in ("default", "demo"):
            profile = ConnectionProfile(name=name)
        else:
            raise DomainError(f"No connection profile named “{name}”, and {DATABASE_URL_ENV} is not set.")
    if profile.is_local:
        from .db.engine import target_for_url

        cluster = start_local(profile, settings, _progress)
        return target_for_url(cluster.sqlalchemy_url(profile.database), profile.pool), cluster
    from .config import secrets

    return target_for_profile(profile, secrets.get_password(profile.name)), None


def run_db_command(args: argparse.Namespace) -> int:
    """Run `db upgrade|current|check`; returns the exit status."""
    cluster: LocalCluster | None = None
    try:
        target, cluster = _owner_target(args)
        return _run_on(target, args)
    except DomainError as exc:
        print(f"clinic-desktop: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a shell user gets one line, not a traceback
        print(f"clinic-desktop: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1
    finally:
        if cluster is not None:
            cluster.release()  # a private cluster is not left running after a shell command


def _run_on(target: ConnectTarget, args: argparse.Namespace) -> int:
    """The command itself, against the owner's target."""
    if args.db_command == "check":
        report = check_connection(target)
        print(report.text())
        return 0 if report.ok else 1
    engine = create_app_engine(target, application_name="clinic-desktop cli")
    try:
        if args.db_command == "upgrade":
            status = migrate.upgrade_to_head(engine, progress=_progress)
            print(f"Database at revision {status.current} (head).")
        else:
            status = migrate.schema_status(engine)
            features = detect_features(engine)
            state = ("at head" if status.at_head else "newer than this app" if status.too_new
                     else "empty" if status.empty else f"behind head {status.head}")
            print(f"revision: {status.current or 'none'} ({state})")
            print(f"timescaledb: {'active' if features.timescale_active else 'not active'} — {features.describe()}")
    finally:
        engine.dispose()
    return 0
