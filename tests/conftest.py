"""Fixtures: a real PostgreSQL cluster per run, a fresh database at alembic head per module.

Set CLINIC_TEST_DATABASE_URL (a superuser URL to an existing server) to run the whole suite
there instead, e.g. a server with TimescaleDB. Tests marked `timescale` skip with a reason
when the extension is not active.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

if os.environ.get("CLINIC_TEST_TRAVEL_TO"):  # python -m tests.time_travel: this process starts at that instant
    import datetime as _dt

    import time_machine

    time_machine.travel(_dt.datetime.fromisoformat(os.environ["CLINIC_TEST_TRAVEL_TO"]), tick=True).start()

import pytest
from sqlalchemy import create_engine, pool

from clinic_desktop.config.settings import PoolSettings, SettingsStore
from clinic_desktop.db.database import Database
from clinic_desktop.db.engine import ConnectTarget, create_app_engine
from clinic_desktop.db.migrate import upgrade_to_head
from clinic_desktop.db.models import Clinic, DoctorProfile, StaffAccount
from clinic_desktop.domain.actor import Actor
from clinic_desktop.domain.clock import FixedClock
from clinic_desktop.domain.enums import Role
from clinic_desktop.services import passwords

from .keyring_support import RealSecretService, real_secret_service
from .support import TestServer, start_test_server, stop_test_server

TEST_PASSWORD = "Correct-Horse-Battery-9"
_TEMPLATE = "clinic_template"
_open_databases: list[Database] = []


def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    """Headless tests first, Qt tests after (a Qt failure never hides a service failure)."""
    items.sort(key=lambda item: 1 if f"{os.sep}tests{os.sep}qt{os.sep}" in str(item.fspath) else 0)


@pytest.fixture(scope="session")
def pg_server() -> TestServer:
    server = start_test_server()
    try:
        yield server
    finally:
        stop_test_server(server)


@pytest.fixture(scope="session")
def template_database(pg_server: TestServer) -> str:
    """One database migrated to head; each module copies it (CREATE DATABASE ... TEMPLATE).

    Sealed at once (no connections, not even TimescaleDB's job scheduler): only then can it be copied.
    """
    name = pg_server.unique_name(_TEMPLATE)
    url = pg_server.create_database(name)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()
    pg_server.seal_template(name)
    try:
        yield name
    finally:
        pg_server.drop_database(name)


def make_database(pg_server: TestServer, template: str, *, pool_settings: PoolSettings | None = None) -> tuple[Database, str]:
    name = pg_server.unique_name("t")
    url = pg_server.create_database(name, template=template)
    pg_server.start_job_scheduler(name)  # its background jobs run during the tests, as on a clinic's server
    target = ConnectTarget(url, None, pool_settings or PoolSettings(size=4, max_overflow=4, timeout_s=10))
    database = Database(create_app_engine(target, application_name="clinic-desktop-tests"), workstation="test-ws")
    _open_databases.append(database)
    return database, name


@pytest.fixture(scope="module")
def database(pg_server: TestServer, template_database: str) -> Database:
    """A fresh database at head for this test module."""
    db, name = make_database(pg_server, template_database)
    try:
        yield db
    finally:
        db.dispose()
        _open_databases.remove(db)
        pg_server.drop_database(name)


@pytest.fixture
def empty_database_url(pg_server: TestServer):
    """A brand-new empty database (for migration tests); dropped afterwards."""
    name = pg_server.unique_name("empty")
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        pg_server.drop_database(name)


@pytest.fixture(autouse=True)
def _no_leaked_connections_or_threads():
    """Fail any test that leaves a pooled connection checked out or a new thread running."""
    before = {t.ident for t in threading.enumerate()}
    yield
    for db in _open_databases:
        checked_out = db.engine.pool.checkedout()
        assert checked_out == 0, f"test left {checked_out} database connection(s) checked out"
    leaked = [t for t in threading.enumerate() if t.ident not in before and t.is_alive() and not t.daemon]
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"


@dataclass(frozen=True)
class ClinicActors:
    """A fresh clinic with one signed-in actor per role."""

    clinic_id: uuid.UUID
    admin: Actor
    doctor: Actor
    nurse: Actor
    receptionist: Actor
    password: str = TEST_PASSWORD

    def as_role(self, role: Role) -> Actor:
        return {Role.ADMIN: self.admin, Role.DOCTOR: self.doctor, Role.NURSE: self.nurse, Role.RECEPTIONIST: self.receptionist}[role]


_HASH_CACHE: dict[str, str] = {}


def cached_password_hash() -> str:
    if TEST_PASSWORD not in _HASH_CACHE:
        _HASH_CACHE[TEST_PASSWORD] = passwords.hash_password(TEST_PASSWORD)
    return _HASH_CACHE[TEST_PASSWORD]


def create_clinic_with_staff(database: Database, *, name: str = "Test Clinic", timezone: str = "Europe/Berlin") -> ClinicActors:
    """A clinic with an admin, a doctor (with profile), a nurse and a receptionist."""
    suffix = uuid.uuid4().hex[:8]
    actors: dict[Role, Actor] = {}
    with database.unit_of_work(None) as uow:
        clinic = Clinic(name=f"{name} {suffix}", timezone=timezone)
        uow.session.add(clinic)
        uow.session.flush()
        for role in Role:
            account = StaffAccount(
                clinic_id=clinic.id,
                username=f"{role.value}_{suffix}",
                full_name=f"{role.label} {suffix}",
                role=role,
                password_hash=cached_password_hash(),
            )
            uow.session.add(account)
            uow.session.flush()
            doctor_id = None
            if role == Role.DOCTOR:
                profile = DoctorProfile(clinic_id=clinic.id, staff_id=account.id, display_name=f"Dr {suffix}")
                uow.session.add(profile)
                uow.session.flush()
                doctor_id = profile.id
            actors[role] = Actor(account.id, clinic.id, role, account.username, account.full_name, doctor_id)
        clinic_id = clinic.id
    return ClinicActors(clinic_id, actors[Role.ADMIN], actors[Role.DOCTOR], actors[Role.NURSE], actors[Role.RECEPTIONIST])


@pytest.fixture
def clinic(database: Database) -> ClinicActors:
    """A fresh clinic (isolated from other tests' data) with an actor per role."""
    return create_clinic_with_staff(database)


TEST_CLINIC_ZONE = ZoneInfo("Europe/Berlin")  # the zone of `create_clinic_with_staff`'s clinics


def noon_in_clinic() -> datetime:
    """12:00 of the clinic's today (by the machine's clock, travelled or not) in the clinic's zone, as UTC."""
    today = datetime.now(TEST_CLINIC_ZONE).date()
    return datetime.combine(today, time(12), TEST_CLINIC_ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FixedClock:
    """The app's clock for a test: it stands at noon of the clinic's today, whatever the hour or the zone
    the suite runs in (the date stays the server's, so rows the server time-stamps fall on the same day)."""
    return FixedClock(noon_in_clinic())


@pytest.fixture
def settings_store() -> Iterator[SettingsStore]:
    """A SettingsStore of its own (profiles, local clusters) in a temporary folder the postgres user can reach."""
    root = Path(tempfile.mkdtemp(prefix="clinic-settings-", dir="/tmp"))
    os.chmod(root, 0o755)
    yield SettingsStore(config_dir=root / "config", data_dir=root / "data")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def secret_service() -> Iterator[RealSecretService]:
    """A real Secret Service (gnome-keyring on a private D-Bus) that keyring uses for the test."""
    with real_secret_service() as service:
        yield service


@pytest.fixture
def require_timescale(database: Database) -> None:
    if not database.features.timescale_active:
        pytest.skip(
            "TimescaleDB is not installed on the test server; run with CLINIC_TEST_DATABASE_URL pointing at a "
            "server with the extension to cover these cases"
        )


@pytest.fixture(scope="module")
def app_role_database(pg_server: TestServer, database: Database) -> Database:
    """The module's database reached through a LOGIN role in `clinic_app` (subject to RLS)."""
    import secrets

    from sqlalchemy import create_engine as _create_engine

    from clinic_desktop.db.roles import create_app_login

    role = f"ws_{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(16)
    with database.engine.begin() as conn:
        create_app_login(conn, role_name=role, password=password)
    url = database.engine.url.set(username=role)
    target = ConnectTarget(url, password, PoolSettings(size=2, max_overflow=2, timeout_s=10))
    app_db = Database(create_app_engine(target, application_name="clinic-desktop-tests-app"), workstation="test-app-ws")
    _open_databases.append(app_db)
    try:
        yield app_db
    finally:
        app_db.dispose()
        _open_databases.remove(app_db)
        admin = _create_engine(pg_server.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')  # owns nothing; only a membership
        admin.dispose()
