"""Test helpers that watch a whole main window: background failures, modal windows, error labels.

`TaskFailures` wraps every `TaskRunner` operation started while a test runs, so an exception raised
on a worker thread is recorded whichever way the pane chooses to show it. `ModalCloser` answers the
modal windows a test opens (file dialogs, message boxes, wizards) so nothing is left blocking, and
records what appeared.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QLineEdit, QMessageBox, QWidget, QWizard

from clinic_desktop.qt.workers import Cancelled, TaskRunner, TaskState

#: Phrases the panes use when a load or an action failed (status labels, banners).
ERROR_PHRASES = ("signed in as", "could not", "went wrong", "failed", "not marked", "error")


@dataclass
class TaskFailures:
    """Exceptions raised by background operations (other than cancellation), as readable lines."""

    lines: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, owner: str, exc: BaseException) -> None:
        with self._lock:
            self.lines.append(f"{owner}: {type(exc).__name__}: {exc}")

    def watch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap `TaskRunner.run` for the rest of the test (pytest's monkeypatch undoes it)."""
        original = TaskRunner.run
        failures = self

        def run(runner: TaskRunner, op: Callable[[TaskState], Any], *args: Any, **kwargs: Any) -> Any:
            owner = type(runner.parent()).__name__ if runner.parent() is not None else "TaskRunner"

            def watched(state: TaskState) -> Any:
                try:
                    return op(state)
                except Cancelled:
                    raise
                except BaseException as exc:
                    failures.add(owner, exc)
                    raise

            return original(runner, watched, *args, **kwargs)

        monkeypatch.setattr(TaskRunner, "run", run)


@dataclass(frozen=True)
class SeenWindow:
    """A modal window that appeared and was answered."""

    kind: str
    text: str
    icon: QMessageBox.Icon | None = None


class ModalCloser(QObject):
    """Answers modal windows as they appear: a save dialog gets `save_to`, message boxes and wizards close."""

    def __init__(self, save_to: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.save_to = save_to
        self.seen: list[SeenWindow] = []
        self._timer = QTimer(self, interval=20)
        self._timer.timeout.connect(self._answer)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _answer(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if widget.isVisible():
                self._answer_one(widget)

    def _answer_one(self, widget: QWidget) -> None:
        if isinstance(widget, QFileDialog):
            self.seen.append(SeenWindow("file dialog", widget.windowTitle()))
            # Typed, as a person would: selectFile() with a full path sometimes left the suggested name in
            # place (the dialog loads its folder in the background).
            name_edit = widget.findChild(QLineEdit, "fileNameEdit")
            assert name_edit is not None, "not Qt's own file dialog"
            name_edit.setText(str(self.save_to))
            widget.accept()
        elif isinstance(widget, QMessageBox):
            self.seen.append(SeenWindow("message box", widget.text(), widget.icon()))
            widget.accept()
        elif isinstance(widget, QWizard):
            self.seen.append(SeenWindow("wizard", widget.windowTitle()))
            widget.reject()

    def message_boxes(self) -> list[SeenWindow]:
        return [w for w in self.seen if w.kind == "message box"]


def runners_idle(root: QWidget) -> bool:
    """Whether every background task started under `root` has delivered its result."""
    return all(runner.pending == 0 for runner in root.findChildren(TaskRunner))


def error_labels(root: QWidget) -> list[str]:
    """Texts of visible labels under `root` that report a failure."""
    return [label.text() for label in root.findChildren(QLabel)
            if label.isVisible() and any(p in label.text().lower() for p in ERROR_PHRASES)]
