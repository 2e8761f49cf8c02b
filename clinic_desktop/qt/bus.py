"""App-wide change bus: writes broadcast a ChangeSet; panes refresh only what concerns them.

Local writes are published by the code that ran them; writes from other workstations arrive via
PostgreSQL LISTEN/NOTIFY (see `change_listener.py`) and go through the same signal.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..domain.changes import ChangeSet


class ChangeBus(QObject):
    """`changed(ChangeSet)` is emitted on the GUI thread for every committed write."""

    changed = Signal(object)

    def publish(self, changes: ChangeSet) -> None:
        if changes:
            self.changed.emit(changes)
