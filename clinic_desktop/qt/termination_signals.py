"""SIGINT (Ctrl+C in the terminal) and SIGTERM (logout, `kill`, a service manager) end the app as File → Quit does.

Python runs a signal handler only between bytecodes of the main thread. While Qt's C++ event
loop waits for input, no Python runs at all: Ctrl+C did nothing until the next Python callback
(the idle lock's event filter), which then died with a KeyboardInterrupt, and SIGTERM's default
action killed the process outright, leaving the local PostgreSQL server running.

Here Python's C-level handler writes the signal number to a socket (`signal.set_wakeup_fd`)
that a `QSocketNotifier` watches, so whichever event loop runs — the main window's, or a modal
dialog's `exec()` such as the login window — wakes at once and `received` is emitted on the GUI
thread, at a point where it is safe to close windows. A signal that comes while no event loop
runs (start-up code, shutdown) waits in the socket: the next loop delivers it, and shutdown
itself is never cut short.
"""

from __future__ import annotations

import signal
import socket
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, Signal

TERMINATION_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TerminationSignals(QObject):
    """Emits `received(signum)` on the GUI thread for each SIGINT/SIGTERM while installed."""

    received = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        self._previous_fd = -1
        self._previous_handlers: dict[int, object] = {}

    @property
    def installed(self) -> bool:
        return self._notifier is not None

    def install(self) -> None:
        """Take over SIGINT and SIGTERM (call on the main thread, with a QApplication)."""
        if self.installed:
            return
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)  # required by set_wakeup_fd: a handler must never block
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for signum in TERMINATION_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, _note_only)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._deliver)

    def uninstall(self) -> None:
        """Give the signals back to what handled them before (Python's defaults in the app)."""
        if not self.installed:
            return
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous_handlers.clear()
        signal.set_wakeup_fd(self._previous_fd)
        assert self._notifier is not None and self._reader is not None and self._writer is not None
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        self._notifier = None
        self._reader.close()
        self._writer.close()
        self._reader = self._writer = None

    def _deliver(self) -> None:
        """The loop woke for our socket: each byte is the number of a signal that arrived."""
        assert self._reader is not None
        received = bytearray()
        while True:
            try:
                chunk = self._reader.recv(64)
            except BlockingIOError:
                break
            if not chunk:
                break
            received.extend(chunk)
        for signum in received:
            if signum in TERMINATION_SIGNALS:
                self.received.emit(signum)


def _note_only(_signum: int, _frame: FrameType | None) -> None:
    """The Python-level handler does nothing: the wakeup byte already carries the signal.

    Acting here would run Qt code in the middle of whatever Python the main thread was
    executing; the notifier delivers it from the event loop instead.
    """
