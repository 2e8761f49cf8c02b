"""Background tasks deliver results on the GUI thread; newer requests supersede older ones."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread

from clinic_desktop.qt.workers import TaskRunner


def test_result_arrives_on_gui_thread(qtbot):
    runner = TaskRunner()
    seen = {}

    def op(state):
        seen["worker"] = threading.get_ident()
        return 42

    def done(value):
        seen["value"] = value
        seen["gui"] = QThread.currentThread() is qtbot_thread

    qtbot_thread = QThread.currentThread()
    runner.run(op, done)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5000)
    assert seen["value"] == 42 and seen["gui"] is True
    assert seen["worker"] != threading.get_ident()
    assert runner.wait_idle()


def test_newer_request_supersedes_older(qtbot):
    runner = TaskRunner()
    results, cancelled = [], []

    def slow(state):
        for _ in range(100):
            if state.cancelled:
                cancelled.append(True)
                return "stale"
            time.sleep(0.01)
        return "stale"

    runner.run(slow, results.append)
    runner.run(lambda state: "fresh", results.append)
    qtbot.waitUntil(lambda: results == ["fresh"] and bool(cancelled), timeout=5000)
    assert runner.wait_idle()
    qtbot.wait(50)
    assert results == ["fresh"]


def test_errors_and_progress_are_delivered(qtbot):
    runner = TaskRunner()
    errors, progress = [], []

    def op(state):
        state.report(1, 2, "half")
        raise ValueError("bad line 3")

    runner.run(op, lambda r: None, errors.append, on_progress=lambda d, t, s: progress.append((d, t, s)))
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert str(errors[0]) == "bad line 3" and progress == [(1, 2, "half")]
    assert runner.wait_idle()


def test_a_pane_closed_while_its_task_runs_drops_the_result(qtbot):
    from PySide6.QtWidgets import QWidget

    pane = QWidget()
    runner = TaskRunner(pane)
    release = threading.Event()
    delivered = []
    runner.run(lambda state: release.wait(5) and "late", delivered.append)
    pane.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(runner), timeout=5000)
    release.set()
    assert QThreadPool_wait()
    qtbot.wait(100)  # the queued result arrives and is dropped without an error
    assert delivered == []


def QThreadPool_wait() -> bool:  # noqa: N802 - reads like the Qt call it wraps
    from PySide6.QtCore import QThreadPool

    return QThreadPool.globalInstance().waitForDone(5000)


def test_an_unexpected_error_is_logged_once_without_its_text_even_with_a_handler(qtbot, caplog):
    """The pane's handler shows a sentence with a reference; the log has the type and stack, not the message."""
    from clinic_desktop.domain.errors import ConflictError
    from clinic_desktop.qt.error_messages import describe_error

    runner = TaskRunner()
    shown: list[str] = []

    def failing(state):
        raise RuntimeError("INSERT … VALUES ('Doe, Jane', 5.6 mmol/L)")  # what must never be logged or shown

    caplog.set_level("ERROR", logger="clinic_desktop.unexpected")
    runner.run(failing, lambda _v: None, lambda exc: shown.append(describe_error(exc, "save the reading")))
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert runner.wait_idle()
    records = [r for r in caplog.records if r.name == "clinic_desktop.unexpected"]
    assert len(records) == 1
    logged = records[0].getMessage()
    assert "RuntimeError" in logged and "failing" in logged  # the type and the frame it came from
    assert "Doe" not in logged and "mmol" not in logged
    sentence = shown[0]
    assert sentence.startswith("Could not save the reading") and "Doe" not in sentence and "RuntimeError" not in sentence
    reference = logged.split("reference ")[1][:8]
    assert reference in sentence
    # An error the services raise on purpose is shown as it is and not logged as unexpected.
    caplog.clear()
    assert describe_error(ConflictError("That slot is taken.")) == "That slot is taken."
    runner.run(lambda state: (_ for _ in ()).throw(ConflictError("That slot is taken.")), lambda _v: None,
               lambda exc: shown.append(describe_error(exc)))
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert runner.wait_idle()
    assert shown[1] == "That slot is taken." and not [r for r in caplog.records if r.name == "clinic_desktop.unexpected"]
