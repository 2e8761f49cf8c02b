"""Administrators manage staff accounts: add, disable or enable, require a new password."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...domain.enums import Role
from ...domain.errors import ValidationError
from ...services.staff_service import StaffDTO
from ..app_context import AppContext
from ..workers import TaskRunner
from ...domain.changes import ChangeKind
from ..error_messages import describe_error

COL_NAME, COL_USERNAME, COL_ROLE, COL_STATE = range(4)
HEADERS = ("Full name", "User name", "Role", "State")
_Index = QModelIndex | QPersistentModelIndex


class StaffTableModel(QAbstractTableModel):
    """Rows of StaffDTO."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[StaffDTO] = []

    def set_rows(self, rows: list[StaffDTO]) -> None:
        self.beginResetModel()
        self.rows = sorted(rows, key=lambda r: (not r.active, r.full_name.lower()))
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802, ANN201
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            state = "active" if row.active else "disabled"
            if row.must_change_password:
                state += ", must change password"
            return (row.full_name, row.username, row.role.value, state)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and not row.active:
            from PySide6.QtGui import QColor

            return QColor("#9e9e9e")
        return None


class NewAccountDialog(QDialog):
    """User name, full name, role and a first password (the person must change it at first sign-in)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New staff account")
        form = QFormLayout(self)
        self.username = QLineEdit(self)
        self.full_name = QLineEdit(self)
        self.role = QComboBox(self)
        for role in (Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, Role.ADMIN):
            self.role.addItem(role.value.capitalize(), role)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors = {name: QLabel("", self) for name in ("username", "full_name", "password")}
        for label, widget, name in (("User name", self.username, "username"), ("Full name", self.full_name, "full_name"),
                                    ("Role", self.role, None), ("First password", self.password, "password")):
            form.addRow(label, widget)
            if name:
                self.errors[name].setStyleSheet("color: #b00020;")
                form.addRow("", self.errors[name])
        self.message = QLabel("", self)
        self.message.setStyleSheet("color: #b00020;")
        form.addRow(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def show_error(self, exc: BaseException) -> None:
        for label in self.errors.values():
            label.clear()
        if isinstance(exc, ValidationError):
            for problem in exc.problems:
                self.errors.get(problem.field or "", self.message).setText(problem.message)
        else:
            self.message.setText(describe_error(exc, "create the account"))


class StaffAdminPane(QWidget):
    """Table of accounts with actions; every call goes through a TaskRunner."""

    title = "Staff accounts"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._staff = context.services.staff
        self._runner = TaskRunner(self)
        self._action_runner = TaskRunner(self)
        self.model = StaffTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.add_button = QPushButton("New account…", self)
        self.toggle_button = QPushButton("Disable / enable", self)
        self.force_button = QPushButton("Require new password", self)
        self.add_button.clicked.connect(self.add_account)
        self.toggle_button.clicked.connect(self.toggle_selected)
        self.force_button.clicked.connect(self.force_selected)
        self.status = QLabel("", self)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.toggle_button, self.force_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h3>Staff accounts</h3>Disabled accounts cannot sign in; their history stays.", self))
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        context.bus.subscribe({ChangeKind.STAFF}, lambda _changes: self.refresh(), self)
        self.refresh()

    def refresh(self) -> None:
        actor = self._context.actor
        self._runner.run(lambda state: self._staff.list_staff(actor), self.model.set_rows, self._show_error)

    def selected(self) -> StaffDTO | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _show_error(self, exc: BaseException) -> None:
        self.status.setStyleSheet("color: #b00020;")
        self.status.setText(describe_error(exc, "change the account"))

    def _done(self, text: str):  # noqa: ANN202
        def report(_result: object) -> None:
            self.status.setStyleSheet("")
            self.status.setText(text)
            self.refresh()

        return report

    def toggle_selected(self) -> None:
        row, actor = self.selected(), self._context.actor
        if row is None:
            self.status.setText("Select an account first.")
            return
        self._action_runner.run(
            lambda state: self._staff.set_active(actor, staff_id=row.id, active=not row.active, expected_version=row.version),
            self._done(f"{row.username} is now {'disabled' if row.active else 'active'}."), self._show_error)

    def force_selected(self) -> None:
        row, actor = self.selected(), self._context.actor
        if row is None:
            self.status.setText("Select an account first.")
            return
        self._action_runner.run(
            lambda state: self._staff.force_password_change(actor, staff_id=row.id, expected_version=row.version),
            self._done(f"{row.username} must choose a new password at the next sign-in."), self._show_error)

    def add_account(self) -> None:
        dialog = NewAccountDialog(self)
        actor = self._context.actor

        def submit() -> None:
            values = dict(username=dialog.username.text().strip(), full_name=dialog.full_name.text().strip(),
                          role=dialog.role.currentData(), password=dialog.password.text())
            dialog.buttons.setEnabled(False)

            def failed(exc: BaseException) -> None:
                dialog.buttons.setEnabled(True)
                dialog.show_error(exc)

            def created(_dto: object) -> None:
                dialog.accept()
                self._done(f"Account {values['username']} created.")(None)

            self._action_runner.run(lambda state: self._staff.create_account(actor, **values), created, failed)

        dialog.buttons.accepted.connect(submit)
        dialog.open()
