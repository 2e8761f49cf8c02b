"""The state of the connection to the clinic database, as the status bar shows it."""

from __future__ import annotations

from dataclasses import dataclass

CONNECTED = "connected"
LOST = "lost"
STOPPED = "stopped"


@dataclass(frozen=True)
class ConnectionState:
    """The state, and when lost, the delay until the next retry and how many attempts were made."""

    state: str
    retry_in_s: float = 0.0
    attempt: int = 0
