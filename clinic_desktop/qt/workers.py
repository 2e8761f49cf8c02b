"""Background operations: no database call ever runs on the GUI thread.

A `TaskRunner` belongs to one pane. `runner.run(op, on_done, on_error)` runs `op(state)` on the
shared QThreadPool and delivers its result or error back on the GUI thread. A newer request on
the same runner supersedes the older one: the older task is asked to cancel and its result, if it
still arrives, is dropped — so stale results never overwrite fresh ones (Anki's QueryOp,
Orange3's cancellable tasks).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from .error_messages import is_expected, report_unexpected

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside an operation that noticed it was cancelled."""


class TaskState:
    """Handed to long operations: report progress, check for cancellation."""

    def __init__(self, relay: "_Relay") -> None:
        self._relay = relay
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, done: int, total: int, text: str = "") -> None:
        """Progress, delivered to the GUI thread (throttling is the receiver's concern)."""
        self._relay.progress.emit(int(done), int(total), text)


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from workers arrive there queued."""

    finished = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int, str)


class _Job(QRunnable):
    def __init__(self, op: Callable[[TaskState], Any], state: TaskState, relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._op, self._state, self._relay = op, state, relay

    def run(self) -> None:  # worker thread
        try:
            result = self._op(self._state)
        except Cancelled as exc:
            self._relay.failed.emit(exc)
        except BaseException as exc:  # noqa: BLE001 - delivered to the GUI as a value
            if not is_expected(exc):
                report_unexpected(exc)  # logged here, once, whatever the pane's own handler does
            self._relay.failed.emit(exc)
        else:
            self._relay.finished.emit(result)


class TaskHandle:
    """What `run` returns: cancel it, or ask whether it is still the current task."""

    def __init__(self, runner: "TaskRunner", generation: int, state: TaskState, relay: _Relay) -> None:
        self.runner, self.generation, self.state, self._relay = runner, generation, state, relay

    def cancel(self) -> None:
        self.state.cancel()

    @property
    def current(self) -> bool:
        return self.runner._generation == self.generation


class TaskRunner(QObject):
    """One pane's background tasks; the newest request wins."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._generation = 0
        self._current: TaskHandle | None = None
        self._live: set[_Relay] = set()

    def run(
        self,
        op: Callable[[TaskState], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        on_progress: Callable[[int, int, str], None] | None = None,
        supersede: bool = True,
    ) -> TaskHandle:
        """Run `op(state)` in the pool; call `on_done(result)` or `on_error(exc)` on the GUI thread."""
        if supersede and self._current is not None:
            self._current.cancel()
        self._generation += 1
        relay = _Relay()  # created here, so it lives in the GUI thread
        state = TaskState(relay)
        handle = TaskHandle(self, self._generation, state, relay)
        self._current = handle
        self._live.add(relay)

        @Slot(object)
        def finished(result: Any) -> None:
            if not shiboken6.isValid(self):  # the pane closed while its task ran: drop the result
                return
            self._settle(relay, handle)
            if handle.current or not supersede:
                on_done(result)

        @Slot(object)
        def failed(exc: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self._settle(relay, handle)
            if isinstance(exc, Cancelled) or not (handle.current or not supersede):
                return
            if on_error is not None:
                on_error(exc)
            elif is_expected(exc):
                log.warning("A background task ended with %s and nobody showed it", type(exc).__name__)

        relay.finished.connect(finished)
        relay.failed.connect(failed)
        if on_progress is not None:

            def progress(done: int, total: int, text: str) -> None:
                # No return value from a slot (PySide 6.12 mis-counts a returned bool).
                if shiboken6.isValid(self) and handle.current:
                    on_progress(done, total, text)

            relay.progress.connect(progress)
        self.busy_changed.emit(True)
        self._pool.start(_Job(op, state, relay))
        return handle

    def _settle(self, relay: _Relay, handle: TaskHandle) -> None:
        self._live.discard(relay)
        relay.deleteLater()
        if handle.current:
            self._current = None
            self.busy_changed.emit(False)

    def cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()
            self._generation += 1
            self._current = None
            self.busy_changed.emit(False)

    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def pending(self) -> int:
        """Tasks started on this runner whose result or error has not been delivered yet."""
        return len(self._live)

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """Block until the pool's threads are done (used on shutdown and in tests)."""
        return self._pool.waitForDone(msecs)
