"""Opening a connection profile: start the local cluster if needed, migrate, connect the app.

No Qt here: the GUI runs these steps on a worker thread (with a progress dialog) and the
command line runs them directly. Two connect targets are kept apart:

- the **owner** target (the local cluster's superuser, or the server account given to the setup
  wizard) runs migrations and creates roles — it is used only during setup and upgrades;
- the **app** target (a LOGIN role in `clinic_app`: no DDL, no TRUNCATE, append-only audit,
  row-level security applies) does the daily work.

For a local profile both are reached through the cluster's Unix socket with peer
authentication: no password exists at all.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from psycopg import sql
from sqlalchemy import Engine, text

from .config import secrets
from .config.settings import ConnectionProfile, SettingsStore
from .db import migrate
from .db.database import Database, ServerFeatures
from .db.engine import ConnectTarget, create_app_engine, target_for_profile, target_for_url
from .db.local_server import WORKSTATION_ROLE, LocalCluster
from .db.roles import create_app_login
from .domain.errors import DomainError

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
DATABASE_URL_ENV = "CLINIC_DATABASE_URL"


class SchemaNeedsUpgrade(DomainError):
    """The database is older than this app and this account may not migrate it."""


@dataclass
class Runtime:
    """An opened profile: the app's Database and, for local profiles, the cluster we started."""

    profile: ConnectionProfile
    app_target: ConnectTarget
    database: Database
    cluster: LocalCluster | None = None
    owner_target: ConnectTarget | None = None
    demo_loader: object | None = None  # set by the GUI when the demo's CGM traces load in the background

    @property
    def features(self) -> ServerFeatures:
        """What the server offers (TimescaleDB…), detected once by `open_profile` on its worker thread."""
        return self.database.features

    def close(self, *, stop_local_server: bool = True) -> None:
        """Dispose of the pool; stop the local cluster if no other user is left, whoever started it.

        The profile's private cluster is the app's own: one left running by a crashed Clinic
        Desktop was adopted at start and is stopped here like one we started ourselves.
        """
        self.database.dispose()
        if self.cluster is not None:
            self.cluster.release(stop_if_last=stop_local_server)


# The server log must not collect health data: no statement texts, no DETAIL lines (which quote
# key values such as an MRN on a unique violation), no parameter values.
LOCAL_LOG_SETTINGS = {
    "log_error_verbosity": "terse",
    "log_min_error_statement": "panic",
    "log_parameter_max_length_on_error": "0",
    "log_statement": "none",
}


def local_cluster_for(profile: ConnectionProfile, settings: SettingsStore) -> LocalCluster:
    return LocalCluster(settings.local_cluster_dir(profile.name), port=profile.port, db_user="clinic",
                        extra_settings=LOCAL_LOG_SETTINGS)


def start_local(profile: ConnectionProfile, settings: SettingsStore, progress: Progress | None = None) -> LocalCluster:
    """Create (first launch) and start the private cluster, and its database.

    The caller becomes one of the cluster's users and must `cluster.release()` when done.
    """
    cluster = local_cluster_for(profile, settings)
    if progress:
        progress("Starting the local database on this computer…", 0, 0)
    cluster.claim_and_start()
    try:
        engine = create_app_engine(target_for_url(cluster.sqlalchemy_url("postgres")))
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": profile.database})
                if not exists:
                    raw = conn.connection.driver_connection
                    raw.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(profile.database)))
        finally:
            engine.dispose()
    except BaseException:
        cluster.release()
        raise
    return cluster


def migrate_with_owner(owner_target: ConnectTarget, *, app_login: str | None, app_password: str | None = None,
                       progress: Progress | None = None) -> migrate.SchemaStatus:
    """Upgrade to head as the owner, then make sure the workstation login role exists."""
    engine = create_app_engine(owner_target, application_name="clinic-desktop setup")
    try:
        status = migrate.upgrade_to_head(engine, progress=progress)
        if app_login:
            with engine.begin() as conn:
                create_app_login(conn, role_name=app_login, password=app_password)
        return status
    finally:
        engine.dispose()


def check_schema(engine: Engine) -> migrate.SchemaStatus:
    """Refuse a database from a newer app; say plainly when an upgrade is needed."""
    status = migrate.schema_status(engine)
    migrate.refuse_if_too_new(status)
    if not status.at_head:
        raise SchemaNeedsUpgrade(
            "The clinic database needs to be set up or upgraded for this version of Clinic Desktop "
            f"(database revision {status.current or 'none'}, this version needs {status.head}). "
            "An administrator runs the setup wizard's upgrade step, or `clinic-desktop db upgrade`."
        )
    return status


def open_profile(profile: ConnectionProfile, settings: SettingsStore, *, password: str | None = None,
                 progress: Progress | None = None) -> Runtime:
    """Everything between a profile and a ready `Database` at the current schema."""
    if profile.is_local:
        cluster = start_local(profile, settings, progress)
        try:
            owner = target_for_url(cluster.sqlalchemy_url(profile.database), profile.pool)
            migrate_with_owner(owner, app_login=WORKSTATION_ROLE, progress=progress)
            app_url = cluster.sqlalchemy_url(profile.database).replace("//clinic@", f"//{WORKSTATION_ROLE}@", 1)
            app_target = target_for_url(app_url, profile.pool)
            database = Database(create_app_engine(app_target))
            database.refresh_features()  # here, off the GUI thread: nothing later runs SQL to learn them
        except BaseException:
            cluster.release()  # nobody will get a Runtime to close: do not leave the server running
            raise
        log.info("Profile %s is open (local database in %s)", profile.name, cluster.data_dir)
        return Runtime(profile, app_target, database, cluster, owner)
    if password is None:
        password = secrets.get_password(profile.name)
    app_target = target_for_profile(profile, password)
    engine = create_app_engine(app_target)
    try:
        if progress:
            progress("Checking the clinic database…", 0, 0)
        check_schema(engine)
        database = Database(engine)
        database.refresh_features()  # here, off the GUI thread: nothing later runs SQL to learn them
    except BaseException:
        engine.dispose()
        raise
    log.info("Profile %s is open", profile.name)
    return Runtime(profile, app_target, database)


def target_from_environment() -> ConnectTarget | None:
    """The owner target named by CLINIC_DATABASE_URL (scripted deployments), if set."""
    url = os.environ.get(DATABASE_URL_ENV)
    return target_for_url(url) if url else None
