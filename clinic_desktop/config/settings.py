"""Connection profiles and app preferences, stored as JSON under the user's config directory.

A profile holds where the database is and how to pool connections — never a password: that
lives in the OS keyring (see `secrets.py`), or is asked for at each launch.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from platformdirs import PlatformDirs

APP_NAME = "clinic-desktop"
LOCAL_KIND = "local"
SERVER_KIND = "server"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class PoolSettings:
    """Bounds of one engine's connection pool."""

    size: int = 5
    max_overflow: int = 5
    timeout_s: float = 10.0
    recycle_s: int = 1800
    pre_ping: bool = True
    statement_timeout_ms: int = 30_000


@dataclass(frozen=True)
class ConnectionProfile:
    """Where a database lives. `kind` is "local" (the app's private cluster) or "server"."""

    name: str = "default"
    kind: str = LOCAL_KIND
    host: str = "localhost"
    port: int = 5432
    database: str = "clinic"
    user: str = "clinic"
    sslmode: str = "prefer"
    sslrootcert: str | None = None
    pool: PoolSettings = field(default_factory=PoolSettings)

    @property
    def is_local(self) -> bool:
        return self.kind == LOCAL_KIND

    def describe(self) -> str:
        """Short text for the status bar."""
        if self.is_local:
            return f"{self.name} (local database on this computer)"
        return f"{self.name} ({self.user}@{self.host}:{self.port}/{self.database})"


def validate_profile_name(name: str) -> str:
    """Profile names become file and keyring entry names: keep them plain."""
    if not _PROFILE_NAME.match(name or ""):
        raise ValueError(
            f"Profile name {name!r} must start with a letter or digit and use only letters, digits, '.', '_' or '-'."
        )
    return name


class SettingsStore:
    """Reads and writes profiles under `config_dir` (platformdirs by default)."""

    def __init__(self, config_dir: Path | None = None, data_dir: Path | None = None) -> None:
        dirs = PlatformDirs(APP_NAME, appauthor=False)
        env_dir = os.environ.get("CLINIC_DESKTOP_CONFIG_DIR")
        self.config_dir = Path(config_dir or env_dir or dirs.user_config_dir)
        env_data = os.environ.get("CLINIC_DESKTOP_DATA_DIR")
        self.data_dir = Path(data_dir or env_data or dirs.user_data_dir)
        self._data_dir_chosen = bool(data_dir or env_data)

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / "profiles.json"

    def load_profiles(self) -> dict[str, ConnectionProfile]:
        """All saved profiles by name; an unreadable file is reported, never silently replaced."""
        if not self.profiles_file.exists():
            return {}
        try:
            raw = json.loads(self.profiles_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"Cannot read the settings file {self.profiles_file}: {exc}") from exc
        profiles = raw.get("profiles", {}) if isinstance(raw, dict) else None
        if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
            raise ValueError(f"The settings file {self.profiles_file} is not a Clinic Desktop profiles file "
                             "(it was left untouched; move it aside to start afresh).")
        try:
            return {name: _profile_from_dict(name, data) for name, data in profiles.items()}
        except (AttributeError, TypeError, ValueError) as exc:
            raise ValueError(f"The settings file {self.profiles_file} has an invalid profile: {exc}") from exc

    def load_profile(self, name: str) -> ConnectionProfile | None:
        return self.load_profiles().get(name)

    def save_profile(self, profile: ConnectionProfile) -> None:
        """Write the profile atomically (temp file + rename), readable by the user only."""
        validate_profile_name(profile.name)
        profiles = self.load_profiles()
        profiles[profile.name] = profile
        payload = {"profiles": {n: _profile_to_dict(p) for n, p in sorted(profiles.items())}}
        self.config_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.profiles_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.profiles_file)

    def local_cluster_dir(self, profile_name: str) -> Path:
        """Where the private PostgreSQL cluster of a local profile lives."""
        if os.geteuid() == 0 and not self._data_dir_chosen:
            # Root's home is 0700: the unprivileged server account could not reach it.
            return Path("/var/lib/clinic-desktop") / profile_name
        return self.data_dir / "clusters" / profile_name


def _profile_to_dict(profile: ConnectionProfile) -> dict:
    data = asdict(profile)
    data.pop("name")
    return data


def _profile_from_dict(name: str, data: dict) -> ConnectionProfile:
    known = {f.name for f in fields(ConnectionProfile)}
    pool_known = {f.name for f in fields(PoolSettings)}
    pool = PoolSettings(**{k: v for k, v in (data.get("pool") or {}).items() if k in pool_known})
    values = {k: v for k, v in data.items() if k in known and k not in ("name", "pool")}
    return replace(ConnectionProfile(name=name, pool=pool), **values)
