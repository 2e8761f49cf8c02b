"""Qt test helpers shared by the pane tests, and the guard that no SQL runs on the GUI thread.

The guard is autouse: in every Qt test, a statement executed on the main thread from inside
`clinic_desktop.qt` (a slot, a paint, a pane's method) fails the test, whatever the engine. Test
code that calls a service directly to set up data has no Qt frame on its stack and is not counted.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import FrameType

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

import clinic_desktop.qt

QT_PACKAGE = str(Path(clinic_desktop.qt.__file__).parent)
_gui_statements: list[str] = []


def _qt_frame(frame: FrameType | None) -> FrameType | None:
    while frame is not None:
        if frame.f_code.co_filename.startswith(QT_PACKAGE):
            return frame
        frame = frame.f_back
    return None


@event.listens_for(Engine, "before_cursor_execute")
def _record_gui_thread_sql(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    if threading.current_thread() is not threading.main_thread():
        return
    caller = _qt_frame(sys._getframe(1))
    if caller is not None:
        where = f"{Path(caller.f_code.co_filename).name}:{caller.f_lineno} ({caller.f_code.co_name})"
        _gui_statements.append(f"{where}: {statement.strip().splitlines()[0][:120]}")


@pytest.fixture(autouse=True)
def gui_thread_statements() -> list[str]:
    """SQL run on the GUI thread by Qt code during the test; any at all fails it."""
    _gui_statements.clear()
    yield _gui_statements
    found, _gui_statements[:] = list(_gui_statements), []
    assert not found, "SQL ran on the GUI thread:\n" + "\n".join(found[:10])
