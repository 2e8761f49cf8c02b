"""The status bar's connection indicator, and the relay that brings listener events to the GUI thread."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from ..domain.connection import CONNECTED, LOST, ConnectionState
from ..domain.changes import ChangeSet
from .bus import ChangeBus


class ListenerRelay(QObject):
    """Lives in the GUI thread; the listener thread calls its methods, the signals arrive queued."""

    changes_arrived = Signal(object)
    state_changed = Signal(object)

    def __init__(self, bus: ChangeBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.changes_arrived.connect(bus.publish)

    def deliver_changes(self, changes: ChangeSet) -> None:  # any thread
        self.changes_arrived.emit(changes)

    def deliver_state(self, state: ConnectionState) -> None:  # any thread
        self.state_changed.emit(state)


class ConnectionStatusLabel(QLabel):
    """"Connected" in quiet text; "Connection lost — retrying in 4 s" in red while the server is away."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Connecting…", parent)
        self.setObjectName("connectionStatus")
        self._state = ConnectionState("connecting")
        self._retry_at = 0.0
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._render)

    @property
    def state(self) -> ConnectionState:
        return self._state

    def set_state(self, state: ConnectionState) -> None:
        self._state = state
        self._retry_at = time.monotonic() + state.retry_in_s
        if state.state == LOST:
            self._tick.start()
        else:
            self._tick.stop()
        self._render()

    def _render(self) -> None:
        state = self._state
        if state.state == CONNECTED:
            self.setText("● Connected")
            self.setStyleSheet("color: #2e7d32;")
            self.setToolTip("The clinic database is reachable; changes from other workstations appear live.")
        elif state.state == LOST:
            seconds = max(0, round(self._retry_at - time.monotonic()))
            when = f"retrying in {seconds} s" if seconds else "retrying now"
            self.setText(f"● Connection lost — {when}")
            self.setStyleSheet("color: #c62828; font-weight: bold;")
            self.setToolTip(
                f"The clinic database does not answer (attempt {state.attempt}). Your open forms keep their "
                "content; saving works again as soon as the connection is back."
            )
        else:
            self.setText("● Connecting…")
            self.setStyleSheet("color: #616161;")
