"""Sign-in: user name and password, checked in the background; then a forced password change if due."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..workers import TaskRunner
from ..error_messages import describe_error

if TYPE_CHECKING:  # the dialog must appear before SQLAlchemy is even imported
    from ...services.auth_service import StaffSession

ERROR_STYLE = "color: #b00020;"


class LoginDialog(QDialog):
    """`session` holds the StaffSession once accepted. Wrong credentials never say which part was wrong.

    The dialog may open before the database is ready (`login` None): the user types meanwhile, the
    status line shows what is being prepared, and "Sign in" pressed early signs in once `set_ready`.
    """

    def __init__(self, login: Callable[[str, str], StaffSession] | None, *, clinic_hint: str = "", hint: str = "",
                 username: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in — Clinic Desktop")
        self.setMinimumWidth(380)
        self._login = login
        self._pending = False
        self._runner = TaskRunner(self)
        self.session: StaffSession | None = None
        layout = QVBoxLayout(self)
        title = QLabel(f"<h2>Clinic Desktop</h2>{clinic_hint}", self)
        layout.addWidget(title)
        form = QFormLayout()
        self.username = QLineEdit(username, self)
        self.username.setObjectName("login_username")
        self.password = QLineEdit(self)
        self.password.setObjectName("login_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        layout.addLayout(form)
        if hint:
            hint_label = QLabel(hint, self)
            hint_label.setWordWrap(True)
            hint_label.setStyleSheet("color: #455a64;")
            layout.addWidget(hint_label)
        self.message = QLabel("", self)
        self.message.setObjectName("login_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()

    def set_opening(self, text: str) -> None:
        """The database is being prepared (local server start, upgrade check…)."""
        self.message.setStyleSheet("color: #455a64;")
        self.message.setText(text)

    def set_ready(self, login: Callable[[str, str], StaffSession]) -> None:
        self._login = login
        self.message.setText("")
        if self._pending:
            self._pending = False
            self.try_login()

    def set_failed(self, text: str) -> None:
        self._pending = False
        self._set_busy(False)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

    def try_login(self) -> None:
        username, password = self.username.text().strip(), self.password.text()
        if not username or not password:
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText("Enter your user name and password.")
            return
        if self._login is None:
            self._pending = True
            self.message.setStyleSheet("color: #455a64;")
            self.message.setText("Signing in as soon as the database is ready…")
            return
        self._set_busy(True)
        self.message.setStyleSheet("color: #455a64;")
        self.message.setText("Signing in…")
        login = self._login
        self._runner.run(lambda state: login(username, password), self._on_session, self._on_error)

    def _set_busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)
        self.username.setEnabled(not busy)
        self.password.setEnabled(not busy)

    def _on_session(self, session: StaffSession) -> None:
        self._set_busy(False)
        self.password.clear()
        self.session = session
        self.accept()

    def _on_error(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(describe_error(exc, "sign you in"))
        self.password.selectAll()
        self.password.setFocus()


class ChangePasswordDialog(QDialog):
    """Asked right after sign-in when an administrator required a new password."""

    def __init__(self, change: Callable[[str, str], None], *, reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a new password")
        self._change = change
        self._runner = TaskRunner(self)
        layout = QVBoxLayout(self)
        if reason:
            text = QLabel(reason, self)
            text.setWordWrap(True)
            layout.addWidget(text)
        form = QFormLayout()
        self.current = QLineEdit(self)
        self.new = QLineEdit(self)
        self.confirm = QLineEdit(self)
        for edit, name in ((self.current, "current"), (self.new, "new"), (self.confirm, "confirm")):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setObjectName(f"password_{name}")
        form.addRow("Current password", self.current)
        form.addRow("New password", self.new)
        form.addRow("New password again", self.confirm)
        layout.addLayout(form)
        self.message = QLabel("At least 10 characters; not your user name; not a common password.", self)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        if self.new.text() != self.confirm.text():
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText("The two new passwords differ.")
            return
        current, new = self.current.text(), self.new.text()
        self.buttons.setEnabled(False)
        self._runner.run(lambda state: self._change(current, new), lambda _r: self.accept(), self._on_error)

    def _on_error(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(describe_error(exc, "change the password"))
