"""Changes made on other workstations, heard through PostgreSQL LISTEN/NOTIFY.

A `ChangeListener` keeps one dedicated connection (outside the pool) in a background thread,
LISTENs on the channel every unit of work NOTIFYs on, and hands each remote ChangeSet of the
signed-in clinic to a callback (GNUmed's backend listener). The same connection tells the app
whether the server is reachable: when it drops, the listener reports "lost", retries with
exponential backoff (0.5 s doubling up to 30 s, with jitter), and reports "connected" again once
the server is back, so the status bar can say so without any pane polling.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from collections.abc import Callable

import psycopg

from ..domain.changes import ChangeKind, ChangeSet
from ..domain.connection import CONNECTED, LOST, STOPPED, ConnectionState
from .engine import ConnectTarget
from .unit_of_work import CHANGE_CHANNEL

log = logging.getLogger(__name__)

__all__ = ["CONNECTED", "LOST", "STOPPED", "ChangeListener", "ConnectionState", "backoff_delays", "parse_notification"]


def parse_notification(payload: str, *, clinic_id: uuid.UUID, own_origin: str) -> ChangeSet | None:
    """The ChangeSet in a NOTIFY payload, or None if it is ours, another clinic's or malformed."""
    try:
        data = json.loads(payload)
        if data.get("clinic") != str(clinic_id) or data.get("origin") == own_origin:
            return None
        changed = {}
        for name, ids in dict(data.get("changed") or {}).items():
            kind = ChangeKind.parse(str(name))
            if kind is not None:  # a kind only a newer workstation knows is not ours to act on
                changed[kind] = frozenset(uuid.UUID(i) for i in ids)
    except (ValueError, TypeError, AttributeError):
        log.warning("Ignored a malformed change notification")
        return None
    return ChangeSet(changed, origin=data.get("origin"), remote=True) if changed else None


def backoff_delays(*, first_s: float = 0.5, cap_s: float = 30.0):  # noqa: ANN201 - generator of floats
    """0.5, 1, 2, 4 … capped, each with ±20 % jitter so workstations don't retry in lockstep."""
    delay = first_s
    while True:
        yield min(cap_s, delay) * random.uniform(0.8, 1.2)
        delay = min(cap_s, delay * 2)


class ChangeListener:
    """Background LISTEN loop with reconnects; callbacks run on the listener thread."""

    def __init__(
        self,
        target: ConnectTarget,
        *,
        clinic_id: uuid.UUID,
        own_origin: str,
        on_changes: Callable[[ChangeSet], None],
        on_state: Callable[[ConnectionState], None] | None = None,
        poll_s: float = 0.5,
    ) -> None:
        self._target = target
        self._clinic_id = clinic_id
        self._own_origin = own_origin
        self._on_changes = on_changes
        self._on_state = on_state or (lambda _s: None)
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = ConnectionState(STOPPED)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="clinic-change-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _conninfo(self) -> dict[str, object]:
        url = self._target.url
        info: dict[str, object] = {
            "host": url.host or url.query.get("host"),
            "port": url.port or url.query.get("port"),
            "dbname": url.database,
            "user": url.username,
            "connect_timeout": 5,
            "application_name": "clinic-desktop listener",
            "autocommit": True,
        }
        info.update({k: v for k, v in url.query.items() if k in ("sslmode", "sslrootcert", "sslcert", "sslkey")})
        if self._target.password is not None:
            info["password"] = self._target.password
        return {k: v for k, v in info.items() if v is not None}

    def _set_state(self, state: ConnectionState) -> None:
        if state != self.state:
            self.state = state
            try:
                self._on_state(state)
            except Exception:  # noqa: BLE001 - a UI callback must not kill the listener
                log.exception("Connection state callback failed")

    def _run(self) -> None:
        delays = None
        attempt = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(**self._conninfo()) as conn:
                    conn.execute(f"LISTEN {CHANGE_CHANNEL}")
                    delays, attempt = None, 0
                    self._set_state(ConnectionState(CONNECTED))
                    self._listen(conn)
            except psycopg.Error as exc:
                if self._stop.is_set():
                    break
                delays = delays or backoff_delays()
                attempt += 1
                delay = next(delays)
                log.info("Database connection lost (%s); retrying in %.1f s", type(exc).__name__, delay)
                self._set_state(ConnectionState(LOST, retry_in_s=delay, attempt=attempt))
                self._stop.wait(delay)
        self._set_state(ConnectionState(STOPPED))

    def _listen(self, conn: psycopg.Connection) -> None:
        while not self._stop.is_set():
            # notifies() returns after `timeout` even when nothing arrived, so stop() is prompt;
            # a dead server raises OperationalError here, which _run turns into "lost".
            for note in conn.notifies(timeout=self._poll_s, stop_after=50):
                changes = parse_notification(note.payload, clinic_id=self._clinic_id, own_origin=self._own_origin)
                if changes is not None:
                    self._on_changes(changes)
            conn.execute("SELECT 1")  # detects a server that went away while idle
