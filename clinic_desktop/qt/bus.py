"""App-wide change bus: writes broadcast a ChangeSet; panes refresh only what concerns them.

Local writes are published by the code that ran them; writes from other workstations arrive via
PostgreSQL LISTEN/NOTIFY (see `change_listener.py`) and go through the same signal. A pane
subscribes with the kinds it cares about, so a test can hold every kind the services emit to a
listener (`listened_kinds`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Signal

from ..domain.changes import ChangeKind, ChangeSet


class ChangeBus(QObject):
    """`changed(ChangeSet)` is emitted on the GUI thread for every committed write."""

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.listened_kinds: set[ChangeKind] = set()

    def publish(self, changes: ChangeSet) -> None:
        if changes:
            self.changed.emit(changes)

    def subscribe(self, kinds: Iterable[ChangeKind], handler: Callable[[ChangeSet], None],
                  receiver: QObject) -> None:
        """Call `handler(changes)` for every ChangeSet touching one of `kinds`, while `receiver` lives."""
        wanted = frozenset(kinds)
        self.listened_kinds |= wanted

        def deliver(changes: ChangeSet) -> None:
            if changes.touches_any(wanted):
                handler(changes)

        # Bound to the receiver's lifetime: no delivery to a closed pane.
        relay = _Relay(deliver, receiver)
        self.changed.connect(relay.deliver)


class _Relay(QObject):
    """A QObject child of the receiver, so the connection dies with it."""

    def __init__(self, deliver: Callable[[ChangeSet], None], receiver: QObject) -> None:
        super().__init__(receiver)
        self._deliver = deliver

    def deliver(self, changes: ChangeSet) -> None:
        self._deliver(changes)
