"""Idle auto-lock: after a configurable time without input, patient data is hidden until the
signed-in user enters their password again (checked in the background by AuthService.verify).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from .workers import TaskRunner
from .error_messages import describe_error

DEFAULT_IDLE_MINUTES = 10
_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Application-wide event filter; emits `idle` once after `timeout_ms` without user input."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1000, int(timeout_ms)))
        self._timer.timeout.connect(self.idle)
        self.paused = False

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def set_timeout_ms(self, timeout_ms: int) -> None:
        self._timer.setInterval(max(1000, int(timeout_ms)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self.paused and event.type() in _INPUT_EVENTS:
            self._timer.start()
        return False


class UnlockDialog(QDialog):
    """Asks the signed-in user for their password; the check runs off the GUI thread."""

    def __init__(self, user_label: str, verify: Callable[[str], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinic Desktop is locked")
        self.setModal(True)
        self._verify = verify
        self._runner = TaskRunner(self)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Locked after a period without use. Patient data is hidden.\n"
                                f"Enter the password of {user_label} to continue."))
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setObjectName("unlock_password")
        layout.addWidget(self.password)
        self.message = QLabel("", self)
        self.message.setObjectName("unlock_message")
        self.message.setStyleSheet("color: #b00020;")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, parent=self)
        self.buttons.accepted.connect(self._try_unlock)
        layout.addWidget(self.buttons)

    def _try_unlock(self) -> None:
        password = self.password.text()
        self.buttons.setEnabled(False)
        self.message.setText("Checking…")
        self._runner.run(lambda state: self._verify(password), self._on_checked, self._on_error)

    def _on_checked(self, ok: bool) -> None:
        self.buttons.setEnabled(True)
        if ok:
            self.password.clear()
            self.accept()
        else:
            self.password.selectAll()
            self.message.setText("That password is not correct.")

    def _on_error(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(describe_error(exc, "check the password"))

    def reject(self) -> None:  # Esc must not unlock
        return


class IdleLock(QObject):
    """Hides `content` (the panes) behind an unlock dialog after idle time; audited by the caller."""

    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        content: QWidget,
        *,
        user_label: str,
        verify: Callable[[str], bool],
        idle_minutes: float = DEFAULT_IDLE_MINUTES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._content = content
        self._user_label = user_label
        self._verify = verify
        self.watcher = IdleWatcher(int(idle_minutes * 60_000), self)
        self.watcher.idle.connect(self.lock)
        self.dialog: UnlockDialog | None = None
        self.is_locked = False

    def install(self, app: QObject) -> None:
        app.installEventFilter(self.watcher)
        self.watcher.start()

    def lock(self) -> None:
        if self.is_locked:
            return
        self.is_locked = True
        self.watcher.paused = True
        self._content.setVisible(False)
        self.locked.emit()
        self.dialog = UnlockDialog(self._user_label, self._verify, self._content.window())
        self.dialog.accepted.connect(self._unlock)
        self.dialog.open()

    def close_for_exit(self) -> None:
        """The app is quitting: take the unlock dialog away without unlocking (data stays hidden).

        The dialog refuses an ordinary close (Esc must not unlock), which would otherwise stop
        QApplication.closeAllWindows() before it reaches the main window.
        """
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.done(QDialog.DialogCode.Rejected)

    def _unlock(self) -> None:
        self.is_locked = False
        self._content.setVisible(True)
        self.watcher.paused = False
        self.watcher.start()
        self.unlocked.emit()
