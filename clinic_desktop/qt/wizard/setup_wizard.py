"""First-launch setup: where the database lives, checking the connection, preparing it, the first clinic.

Pages: where (this computer, or a PostgreSQL server) → server connection with a step-by-step
check (server only) → preparing the database (start the local cluster / migrate as the owner,
create this workstation's login role, with progress) → the clinic and its first administrator
(skipped when the database already has a clinic). The owner's password is used for the
migration only and never stored; the workstation role's password goes to the OS keyring.
Every database call runs in the background.
"""

from __future__ import annotations

import re
import secrets as pysecrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import available_timezones

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ...config import secrets
from ...config.settings import LOCAL_KIND, SERVER_KIND, ConnectionProfile, SettingsStore, validate_profile_name
from ...db.connection_check import CheckReport, check_connection
from ...db.engine import target_for_profile
from ...domain.errors import ValidationError
from ...runtime import Runtime, migrate_with_owner, open_profile
from ...services.staff_service import StaffService
from ..workers import TaskRunner, TaskState
from ..error_messages import describe_error

PAGE_WHERE, PAGE_SERVER, PAGE_PREPARE, PAGE_CLINIC = range(4)
ERROR_STYLE = "color: #b00020;"


def workstation_role_name(host: str | None = None) -> str:
    """A per-workstation login role, so one workstation's password can be changed or revoked alone."""
    base = re.sub(r"[^a-z0-9_]", "_", (host or socket.gethostname()).lower())[:40] or "workstation"
    return f"clinic_ws_{base}"


def system_timezone() -> str:
    try:
        from pathlib import Path

        link = Path("/etc/localtime").resolve()
        name = str(link).split("zoneinfo/", 1)[1]
        return name if name in available_timezones() else "UTC"
    except (OSError, IndexError):
        return "UTC"


class WherePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Where should the clinic's data live?")
        layout = QVBoxLayout(self)
        self.local = QRadioButton("On this computer — a private database that Clinic Desktop runs itself "
                                  "(one workstation, or to try the app)", self)
        self.server = QRadioButton("On a PostgreSQL server shared by the clinic's workstations", self)
        self.local.setChecked(True)
        layout.addWidget(self.local)
        layout.addWidget(self.server)
        form = QFormLayout()
        self.profile_name = QLineEdit("default", self)
        self.profile_name.setToolTip("A name for this connection, if you use more than one")
        form.addRow("Connection name", self.profile_name)
        layout.addLayout(form)
        self.message = QLabel("", self)
        self.message.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.message)

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        try:
            validate_profile_name(self.profile_name.text().strip())
        except ValueError as exc:
            self.message.setText(str(exc))
            return False
        return True

    def nextId(self) -> int:  # noqa: N802 - Qt override
        return PAGE_SERVER if self.server.isChecked() else PAGE_PREPARE


class ServerPage(QWizardPage):
    """Server address, the owner account for setup, TLS; "Check connection" must pass to go on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Connect to the PostgreSQL server")
        self.setSubTitle("Use the account that owns the clinic database: it creates and upgrades the tables. "
                         "Its password is used now only and is not stored.")
        self._runner = TaskRunner(self)
        self.report: CheckReport | None = None
        form = QFormLayout(self)
        self.host = QLineEdit("localhost", self)
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.database = QLineEdit("clinic", self)
        self.owner = QLineEdit("postgres", self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox(self)
        self.sslmode.addItems(["verify-full", "verify-ca", "require", "prefer", "disable"])
        self.sslmode.setCurrentText("prefer")
        self.ca_file = QLineEdit(self)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._choose_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        for label, widget in (("Server", self.host), ("Port", self.port), ("Database", self.database),
                              ("Owner account", self.owner), ("Owner password", self.password),
                              ("Encryption (TLS)", self.sslmode)):
            form.addRow(label, widget)
        form.addRow("CA certificate", ca_row)
        self.keyring = secrets.keyring_status()
        self.ws_password = QLineEdit(self)
        self.ws_password.setEchoMode(QLineEdit.EchoMode.Password)
        if not self.keyring.usable:
            note = QLabel(self.keyring.message + " Choose the password of this workstation's database account:", self)
            note.setWordWrap(True)
            form.addRow(note)
            form.addRow("Workstation password", self.ws_password)
        self.check_button = QPushButton("Check connection", self)
        self.check_button.clicked.connect(self.run_check)
        form.addRow(self.check_button)
        self.result = QLabel("", self)
        self.result.setObjectName("check_result")
        self.result.setWordWrap(True)
        form.addRow(self.result)
        for edit in (self.host, self.database, self.owner, self.password, self.ca_file):
            edit.textChanged.connect(self._invalidate)
        self.port.valueChanged.connect(self._invalidate)
        self.sslmode.currentTextChanged.connect(self._invalidate)

    def _choose_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate", "", "Certificates (*.crt *.pem);;All files (*)")
        if path:
            self.ca_file.setText(path)

    def _invalidate(self, *_args: object) -> None:
        self.report = None
        self.completeChanged.emit()

    def profile(self, name: str, *, user: str | None = None) -> ConnectionProfile:
        return ConnectionProfile(name=name, kind=SERVER_KIND, host=self.host.text().strip(), port=self.port.value(),
                                 database=self.database.text().strip(), user=user or self.owner.text().strip(),
                                 sslmode=self.sslmode.currentText(), sslrootcert=self.ca_file.text().strip() or None)

    def owner_target(self):  # noqa: ANN201 - ConnectTarget
        return target_for_profile(self.profile("setup"), self.password.text())

    def run_check(self) -> None:
        self.check_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText("Checking…")
        target = self.owner_target()
        self._runner.run(lambda state: check_connection(target), self._on_report, self._on_error)

    def _on_report(self, report: CheckReport) -> None:
        self.check_button.setEnabled(True)
        self.report = report
        self.result.setStyleSheet("" if report.ok else ERROR_STYLE)
        self.result.setText(report.text())
        self.completeChanged.emit()

    def _on_error(self, exc: BaseException) -> None:
        self.check_button.setEnabled(True)
        self.result.setStyleSheet(ERROR_STYLE)
        self.result.setText(describe_error(exc, "run the connection check"))

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.report is not None and self.report.ok

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        if not self.keyring.usable and len(self.ws_password.text()) < 12:
            self.result.setStyleSheet(ERROR_STYLE)
            self.result.setText("Choose a workstation password of at least 12 characters.")
            return False
        return True

    def nextId(self) -> int:  # noqa: N802 - Qt override
        return PAGE_PREPARE


@dataclass(frozen=True)
class SecretNotStored:
    """The workstation login exists, but its password could not be kept in the keyring (nothing saved yet)."""

    problem: secrets.KeyringProblem


class PreparePage(QWizardPage):
    """Starts the local database or migrates the server, in the background, with progress.

    For a server, the workstation password goes to the keyring and is read back before anything
    is saved; if the keyring cannot keep it, the administrator sees the password and chooses:
    store it again (after unlocking the keyring) or type it at each start.
    """

    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Preparing the database")
        self._settings = settings
        self._runner = TaskRunner(self)
        self.runtime: Runtime | None = None
        self.has_clinic = False
        self._open: Callable[[TaskState], tuple[Runtime, bool]] | None = None
        self._store: Callable[[], secrets.KeyringProblem | None] | None = None
        layout = QVBoxLayout(self)
        self.status = QLabel("", self)
        self.status.setObjectName("prepare_status")
        self.status.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.retry = QPushButton("Try again", self)
        self.retry.clicked.connect(self.start)
        self.retry.hide()
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.retry)
        layout.addWidget(self._build_secret_box())
        layout.addStretch(1)

    def _build_secret_box(self) -> QWidget:
        self.secret_box = QWidget(self)
        box = QVBoxLayout(self.secret_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.secret_note = QLabel("", self.secret_box)
        self.secret_note.setWordWrap(True)
        self.secret_text = QLineEdit(self.secret_box)
        self.secret_text.setReadOnly(True)
        self.secret_text.setAccessibleName("Workstation password")
        self.store_again = QPushButton("Store it in the keyring again", self.secret_box)
        self.store_again.clicked.connect(self._store_again)
        self.type_each_start = QPushButton("I have noted it: ask for it at each start", self.secret_box)
        self.type_each_start.clicked.connect(self._continue_without_keyring)
        buttons = QHBoxLayout()
        buttons.addWidget(self.store_again)
        buttons.addWidget(self.type_each_start)
        for widget in (self.secret_note, self.secret_text):
            box.addWidget(widget)
        box.addLayout(buttons)
        self.secret_box.hide()
        return self.secret_box

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.start()

    def start(self) -> None:
        wizard: SetupWizard = self.wizard()  # type: ignore[assignment]
        where: WherePage = wizard.page(PAGE_WHERE)  # type: ignore[assignment]
        server: ServerPage = wizard.page(PAGE_SERVER)  # type: ignore[assignment]
        name = where.profile_name.text().strip()
        local = where.local.isChecked()
        settings = self._settings
        self.retry.hide()
        self.secret_box.hide()
        self.status.setStyleSheet("")
        self.progress.setRange(0, 0)
        keep_in_keyring = False
        if local:
            profile = ConnectionProfile(name=name, kind=LOCAL_KIND)
            owner_target, ws_role, ws_password = None, None, None
        else:
            ws_role = workstation_role_name()
            keep_in_keyring = server.keyring.usable
            ws_password = pysecrets.token_urlsafe(24) if keep_in_keyring else server.ws_password.text()
            profile = server.profile(name, user=ws_role)
            owner_target = server.owner_target()

        def open_it(state: TaskState) -> tuple[Runtime, bool]:  # worker thread
            def progress(text: str, done: int, total: int) -> None:
                state.report(done, total, text)

            runtime = open_profile(profile, settings, password=ws_password, progress=progress)
            try:
                has_clinic = StaffService(runtime.database).has_any_clinic()
            except BaseException:
                runtime.close()
                raise
            settings.save_profile(profile)  # only now: the password is stored, or the admin has seen it
            return runtime, has_clinic

        def store() -> secrets.KeyringProblem | None:  # worker thread
            return secrets.store_password(name, ws_password) if ws_password is not None else None

        def prepare(state: TaskState) -> tuple[Runtime, bool] | SecretNotStored:  # worker thread
            if owner_target is not None:
                migrate_with_owner(owner_target, app_login=ws_role, app_password=ws_password,
                                   progress=lambda text, done, total: state.report(done, total, text))
                if keep_in_keyring:
                    problem = store()
                    if problem is not None:
                        return SecretNotStored(problem)
            return open_it(state)

        self._open, self._store = open_it, store
        self.secret_text.setText(ws_password or "")
        self._runner.run(prepare, self._on_ready, self._on_error, on_progress=self._on_progress)

    def _store_again(self) -> None:
        store, open_it = self._store, self._open
        assert store is not None and open_it is not None
        self.secret_box.setEnabled(False)

        def again(state: TaskState) -> tuple[Runtime, bool] | SecretNotStored:
            problem = store()
            return SecretNotStored(problem) if problem is not None else open_it(state)

        self._runner.run(again, self._on_ready, self._on_error, on_progress=self._on_progress)

    def _continue_without_keyring(self) -> None:
        open_it = self._open
        assert open_it is not None
        self.secret_box.setEnabled(False)
        self._runner.run(open_it, self._on_ready, self._on_error, on_progress=self._on_progress)

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.status.setText(text)
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _on_ready(self, result: tuple[Runtime, bool] | SecretNotStored) -> None:
        self.secret_box.setEnabled(True)
        if isinstance(result, SecretNotStored):
            self._ask_about_the_password(result.problem)
            return
        self.secret_box.hide()
        self.runtime, self.has_clinic = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText("The database is ready." + (" It already has a clinic: finish, then sign in."
                                                        if self.has_clinic else ""))
        self.completeChanged.emit()

    def _ask_about_the_password(self, problem: secrets.KeyringProblem) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText("The database is set up, but the password of this workstation's database account could "
                            "not be stored: " + problem.explanation + " Nothing has been saved yet.")
        self.secret_note.setText("This is the workstation's database password. Store it again once the keyring is "
                                 "unlocked, or note it somewhere safe: it will then be asked for at each start.")
        self.secret_box.show()

    def _on_error(self, exc: BaseException) -> None:
        self.secret_box.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(describe_error(exc, "prepare the database"))
        self.retry.show()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.runtime is not None

    def nextId(self) -> int:  # noqa: N802 - Qt override
        return -1 if self.has_clinic else PAGE_CLINIC


class ClinicPage(QWizardPage):
    """The clinic's name and time zone, and its first administrator account."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Your clinic and its administrator")
        self._runner = TaskRunner(self)
        self.done_ok = False
        self.admin_username = ""
        form = QFormLayout(self)
        self.clinic_name = QLineEdit(self)
        self.timezone = QComboBox(self)
        self.timezone.setEditable(True)
        self.timezone.addItems(sorted(available_timezones()))
        self.timezone.setCurrentText(system_timezone())
        self.username = QLineEdit("admin", self)
        self.full_name = QLineEdit(self)
        self.password = QLineEdit(self)
        self.confirm = QLineEdit(self)
        for edit in (self.password, self.confirm):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors: dict[str, QLabel] = {}
        for label, widget, field in (("Clinic name", self.clinic_name, "clinic_name"), ("Time zone", self.timezone, "timezone"),
                                     ("Administrator user name", self.username, "username"),
                                     ("Administrator full name", self.full_name, "full_name"),
                                     ("Password", self.password, "password"), ("Password again", self.confirm, "confirm")):
            form.addRow(label, widget)
            error = QLabel("", self)
            error.setStyleSheet(ERROR_STYLE)
            error.setObjectName(f"error_{field}")
            error.hide()
            self.errors[field] = error
            form.addRow("", error)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        form.addRow(self.status)

    def _show_errors(self, problems: dict[str, str]) -> None:
        for field, label in self.errors.items():
            label.setText(problems.get(field, ""))
            label.setVisible(field in problems)

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        if self.done_ok:
            return True
        if self.password.text() != self.confirm.text():
            self._show_errors({"confirm": "The two passwords differ."})
            return False
        wizard: SetupWizard = self.wizard()  # type: ignore[assignment]
        runtime = wizard.runtime
        assert runtime is not None
        values = dict(clinic_name=self.clinic_name.text().strip(), timezone=self.timezone.currentText().strip(),
                      admin_username=self.username.text().strip(), admin_full_name=self.full_name.text().strip(),
                      admin_password=self.password.text())
        self.status.setText("Creating the clinic…")
        self.setEnabled(False)
        self._runner.run(lambda state: StaffService(runtime.database).create_first_clinic(**values),
                         self._on_created, self._on_error)
        return False  # the wizard moves on when the background call succeeds

    def _on_created(self, _result: object) -> None:
        self.setEnabled(True)
        self.done_ok = True
        self.admin_username = self.username.text().strip()
        self.password.clear()
        self.confirm.clear()
        self.status.setText("The clinic was created. Sign in with the administrator account.")
        self.wizard().button(QWizard.WizardButton.FinishButton).click()

    def _on_error(self, exc: BaseException) -> None:
        self.setEnabled(True)
        if isinstance(exc, ValidationError):
            problems: dict[str, str] = {}
            for problem in exc.problems:  # a field may have several problems: show them all
                key = problem.field or "clinic_name"
                problems[key] = f"{problems[key]} {problem.message}" if key in problems else problem.message
            self._show_errors(problems)
            self.status.setText("")
        else:
            self._show_errors({})
            self.status.setStyleSheet(ERROR_STYLE)
            self.status.setText(describe_error(exc, "create the clinic"))


class SetupWizard(QWizard):
    """Accepted with `runtime` open (the caller owns it) and the profile saved."""

    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinic Desktop setup")
        self.setMinimumSize(680, 520)
        self.where_page = WherePage(self)
        self.server_page = ServerPage(self)
        self.prepare_page = PreparePage(settings, self)
        self.clinic_page = ClinicPage(self)
        self.setPage(PAGE_WHERE, self.where_page)
        self.setPage(PAGE_SERVER, self.server_page)
        self.setPage(PAGE_PREPARE, self.prepare_page)
        self.setPage(PAGE_CLINIC, self.clinic_page)

    @property
    def runtime(self) -> Runtime | None:
        return self.prepare_page.runtime

    def reject(self) -> None:
        runtime = self.prepare_page.runtime
        if runtime is not None:
            runtime.close()
            self.prepare_page.runtime = None
        super().reject()
