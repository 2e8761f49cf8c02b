"""Qt test helpers shared by the pane tests."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event


@pytest.fixture
def gui_thread_statements(database):  # noqa: ANN001
    """Every SQL statement run on the GUI (main) thread while the test runs (must stay empty)."""
    seen: list[str] = []
    main = threading.main_thread()

    def record(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        if threading.current_thread() is main:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


@pytest.fixture
def gui_thread_sql(gui_thread_statements):  # noqa: ANN001
    return gui_thread_statements


@pytest.fixture
def gui_sql(gui_thread_statements):  # noqa: ANN001
    return gui_thread_statements
