"""Step-by-step diagnosis of a database connection, for the setup wizard and `clinic-desktop db check`.

Each step says in plain words what was tried and, when it fails, what to do: a wrong host name
is not a closed port, a closed port is not a refused password, and a certificate that does not
match the host name is not a missing CA file. The steps stop at the first one that fails.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from .engine import ConnectTarget
from .timeseries.timescale_support import SUPPORT_QUERY, TimescaleSupport, timescale_support

MIN_SERVER_MAJOR = 14  # date_bin (the plain-PostgreSQL time-series backend) needs 14
REQUIRED_EXTENSIONS = ("pg_trgm", "btree_gist", "unaccent", "fuzzystrmatch")


@dataclass(frozen=True)
class CheckStep:
    """One line of the diagnosis."""

    name: str
    ok: bool
    message: str
    warning: bool = False


@dataclass(frozen=True)
class CheckReport:
    """The steps run, and a summary of what the server offers when it was reached."""

    steps: tuple[CheckStep, ...]
    server_version: str | None = None
    timescale_available: bool = False  # the glucose readings will use (or use) a TimescaleDB hypertable
    can_migrate: bool = False
    can_create_roles: bool = False

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def text(self) -> str:
        return "\n".join(("✔ " if s.ok and not s.warning else "⚠ " if s.ok else "✘ ") + s.message for s in self.steps)


def conninfo_for(target: ConnectTarget, *, connect_timeout: int = 8) -> dict[str, object]:
    """libpq keyword arguments for a target (the password stays in memory only)."""
    url = target.url
    info: dict[str, object] = {
        "host": url.host or url.query.get("host"),
        "port": url.port or url.query.get("port"),
        "dbname": url.database,
        "user": url.username,
        "connect_timeout": connect_timeout,
        "application_name": "clinic-desktop setup",
    }
    info.update({k: v for k, v in url.query.items() if k in ("sslmode", "sslrootcert", "sslcert", "sslkey")})
    if target.password is not None:
        info["password"] = target.password
    return {k: v for k, v in info.items() if v is not None}


def check_connection(target: ConnectTarget, *, connect: Callable[..., psycopg.Connection] = psycopg.connect) -> CheckReport:
    """Run the steps against `target`; never raises for a connection problem."""
    steps: list[CheckStep] = []
    url = target.url
    host = url.host or str(url.query.get("host") or "localhost")
    port = int(url.port or url.query.get("port") or 5432)
    if not host.startswith("/"):
        step = _check_name(host)
        steps.append(step)
        if not step.ok:
            return CheckReport(tuple(steps))
        step = _check_port(host, port)
        steps.append(step)
        if not step.ok:
            return CheckReport(tuple(steps))
    try:
        conn = connect(**conninfo_for(target))
    except psycopg.Error as exc:
        steps.append(CheckStep("login", False, explain_connect_error(str(exc), target)))
        return CheckReport(tuple(steps))
    with conn:
        return _inspect_server(conn, steps, target)


def _check_name(host: str) -> CheckStep:
    try:
        socket.getaddrinfo(host, None)
    except OSError:
        return CheckStep("name", False, f"The server name “{host}” cannot be found. Check its spelling, or use its IP address.")
    return CheckStep("name", True, f"The server name “{host}” was found.")


def _check_port(host: str, port: int) -> CheckStep:
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except TimeoutError:
        return CheckStep("port", False, f"No answer from {host} port {port} within 5 s: a firewall may block it.")
    except OSError:
        return CheckStep(
            "port", False,
            f"Nothing accepts connections on {host} port {port}. Is PostgreSQL running there, and listening on that "
            "address and port (listen_addresses, port in postgresql.conf)?",
        )
    return CheckStep("port", True, f"{host} answers on port {port}.")


def explain_connect_error(text: str, target: ConnectTarget) -> str:
    """A libpq error in words an administrator can act on (never echoing the password)."""
    low = text.lower()
    user, db = target.url.username, target.url.database
    if "password authentication failed" in low or "no password supplied" in low:
        return f"The server refused the password for user “{user}”. Check the user name and password."
    if "does not exist" in low and "database" in low:
        return f"The server has no database named “{db}”. Create it (createdb {db}) or correct the name."
    if "does not exist" in low and "role" in low:
        return f"The server has no user named “{user}”. Create it or correct the name."
    if "no pg_hba.conf entry" in low:
        return (f"The server does not accept connections from this computer for user “{user}” and database “{db}”: "
                "add a line for it to pg_hba.conf (and reload the server).")
    if "certificate verify failed" in low or "root certificate file" in low:
        return ("The server's certificate could not be verified with the CA file given. Choose the CA certificate "
                "that signed the server's certificate.")
    if "does not match host name" in low or "server certificate for" in low:
        return (f"The server's certificate is not issued for the name “{target.url.host}”. Connect with the name "
                "written in the certificate, or have the certificate reissued.")
    if "server does not support ssl" in low or "ssl off" in low:
        return "The server does not offer encrypted (TLS) connections, but this profile requires them."
    if "timeout" in low:
        return "The server did not answer in time. Check the network, then try again."
    first = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return f"Could not sign in to the database: {first}"


def _inspect_server(conn: psycopg.Connection, steps: list[CheckStep], target: ConnectTarget) -> CheckReport:
    tls = conn.pgconn.ssl_in_use
    steps.append(CheckStep(
        "login", True,
        f"Signed in as “{target.url.username}” to database “{target.url.database}”"
        + (" over an encrypted (TLS) connection." if tls else " (not encrypted)."),
        warning=not tls and not str(conninfo_for(target).get("host", "")).startswith(("/", "127.", "localhost")),
    ))
    version_num = conn.info.server_version
    major = version_num // 10000
    version = f"{major}.{version_num % 10000}"
    steps.append(CheckStep(
        "version", major >= MIN_SERVER_MAJOR,
        f"PostgreSQL {version}." if major >= MIN_SERVER_MAJOR
        else f"PostgreSQL {version} is too old: Clinic Desktop needs version {MIN_SERVER_MAJOR} or newer.",
    ))
    available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
    missing = [e for e in REQUIRED_EXTENSIONS if e not in available]
    steps.append(CheckStep(
        "extensions", not missing,
        "The extensions pg_trgm, btree_gist, unaccent and fuzzystrmatch are available." if not missing
        else f"The server lacks the extension(s) {', '.join(missing)}: install the PostgreSQL contrib package.",
    ))
    timescale_step = timescale_check(conn)
    steps.append(timescale_step)
    timescale = not timescale_step.warning
    row = conn.execute(
        "SELECT has_database_privilege(current_database(), 'CREATE'), has_schema_privilege('public', 'CREATE'), "
        "r.rolcreaterole OR r.rolsuper FROM pg_roles r WHERE r.rolname = current_user"
    ).fetchone()
    can_migrate = bool(row[0] and row[1])
    steps.append(CheckStep(
        "privileges", can_migrate,
        "This user may create and upgrade the clinic's tables." if can_migrate
        else "This user may not create tables in the database: use the database owner's account for setup.",
    ))
    return CheckReport(tuple(steps), version, timescale, can_migrate, bool(row[2]))


TIMESCALE_NOT_INSTALLED = "TimescaleDB is not installed on the server: everything works, with plain PostgreSQL tables."
TIMESCALE_NOT_PRELOADED = (
    "TimescaleDB is installed but not loaded (shared_preload_libraries): glucose readings will use plain PostgreSQL "
    "tables; add timescaledb to shared_preload_libraries and restart the server to use it."
)
TIMESCALE_USABLE = "TimescaleDB is installed and loaded: glucose readings will use a compressed hypertable."
TIMESCALE_ACTIVE = "TimescaleDB is active in this database: glucose readings use a compressed hypertable."
TIMESCALE_PLAIN_ALREADY = (
    "TimescaleDB is loaded, but this database's glucose readings were set up as plain PostgreSQL tables before it "
    "was: they stay plain tables (everything works)."
)


def timescale_check(conn: psycopg.Connection) -> CheckStep:
    """What will really happen to the glucose readings, by the migrations' own rule (`timescale_support`)."""
    available, loaded = conn.execute(SUPPORT_QUERY).fetchone()
    support = timescale_support(bool(available), bool(loaded))
    if support is TimescaleSupport.NOT_INSTALLED:
        return CheckStep("timescaledb", True, TIMESCALE_NOT_INSTALLED, warning=True)
    if support is TimescaleSupport.NOT_PRELOADED:
        return CheckStep("timescaledb", True, TIMESCALE_NOT_PRELOADED, warning=True)
    created, tables = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'), "
        "to_regclass('glucose_internal.glucose_reading') IS NOT NULL").fetchone()
    if not tables:
        return CheckStep("timescaledb", True, TIMESCALE_USABLE)
    if created and conn.execute(
            "SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables "
            "WHERE hypertable_name = 'glucose_reading')").fetchone()[0]:
        return CheckStep("timescaledb", True, TIMESCALE_ACTIVE)
    return CheckStep("timescaledb", True, TIMESCALE_PLAIN_ALREADY, warning=True)
