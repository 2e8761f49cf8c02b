"""One SQLAlchemy engine per connection profile, with a bounded, pre-pinged pool."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url

from .. import __version__
from ..config.settings import ConnectionProfile, PoolSettings


@dataclass(frozen=True)
class ConnectTarget:
    """Everything needed to open connections: a URL (without the password) plus the password."""

    url: URL
    password: str | None = None
    pool: PoolSettings = PoolSettings()

    def with_database(self, database: str) -> "ConnectTarget":
        return ConnectTarget(self.url.set(database=database), self.password, self.pool)

    def describe(self) -> str:
        return self.url.render_as_string(hide_password=True)


def target_for_profile(profile: ConnectionProfile, password: str | None) -> ConnectTarget:
    """A connect target for a server profile (local profiles get theirs from the cluster)."""
    query: dict[str, str] = {"sslmode": profile.sslmode}
    if profile.sslrootcert:
        query["sslrootcert"] = profile.sslrootcert
    url = URL.create(
        "postgresql+psycopg",
        username=profile.user,
        host=profile.host,
        port=profile.port,
        database=profile.database,
        query=query,
    )
    return ConnectTarget(url, password, profile.pool)


def target_for_url(url: str, pool: PoolSettings | None = None) -> ConnectTarget:
    """A connect target from a SQLAlchemy URL (CLINIC_DATABASE_URL); a password in it is kept."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return ConnectTarget(parsed.set(password=None), parsed.password, pool or PoolSettings())


def create_app_engine(target: ConnectTarget, *, application_name: str = "clinic-desktop") -> Engine:
    """Engine with bounded pool, pre-ping, recycle, statement timeout and application_name."""
    pool = target.pool
    connect_args: dict[str, object] = {
        "application_name": f"{application_name} {__version__} @{socket.gethostname()}"[:63],
        "options": f"-c statement_timeout={int(pool.statement_timeout_ms)} -c lock_timeout=10000",
        "connect_timeout": 10,
    }
    if target.password is not None:
        connect_args["password"] = target.password
    engine = create_engine(
        target.url,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_s,
        pool_recycle=pool.recycle_s,
        pool_pre_ping=pool.pre_ping,
        connect_args=connect_args,
        # SQL parameters carry health data: keep them out of exception texts and logs.
        hide_parameters=True,
    )
    return engine
