"""The launch sequence on the GUI side: wizard or profile → open in the background → sign in → main window.

`run_with_progress` runs one blocking step (start the local cluster, migrate, load demo data)
on a worker thread behind a progress dialog, while the Qt event loop keeps the UI alive.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QProgressDialog, QWidget

from .. import app as composition
from ..config.settings import ConnectionProfile, SettingsStore
from ..domain.errors import DomainError
from ..runtime import Runtime, open_profile
from .app_context import AppContext
from .bus import ChangeBus
from .connection_status import ListenerRelay
from .dialogs.login_dialog import ChangePasswordDialog, LoginDialog
from .workers import TaskRunner, TaskState


def run_with_progress(title: str, op: Callable[[TaskState], Any], parent: QWidget | None = None) -> Any:
    """Run `op(state)` in the background behind a modal progress dialog; return its result or raise."""
    dialog = QProgressDialog(title, None, 0, 0, parent)
    dialog.setWindowTitle("Clinic Desktop")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(300)
    dialog.setMinimumWidth(420)
    loop = QEventLoop()
    outcome: dict[str, Any] = {}
    runner = TaskRunner()

    def done(result: Any) -> None:
        outcome["result"] = result
        loop.quit()

    def failed(exc: BaseException) -> None:
        outcome["error"] = exc
        loop.quit()

    def progress(done_count: int, total: int, text: str) -> None:
        if text:
            dialog.setLabelText(text)
        dialog.setRange(0, total)
        if total:
            dialog.setValue(done_count)

    runner.run(op, done, failed, on_progress=progress)
    loop.exec()
    dialog.close()
    dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


class Startup(QObject):
    """Owns the runtime and the listener for the life of the app."""

    def __init__(self, app: QApplication, settings: SettingsStore, args: argparse.Namespace) -> None:
        super().__init__()
        self.app = app
        self.settings = settings
        self.args = args
        self.runtime: Runtime | None = None
        self.listener = None
        self.window = None
        self.bus = ChangeBus()
        self.relay = ListenerRelay(self.bus)
        self._sign_out = False

    def _error(self, text: str) -> None:
        QMessageBox.critical(None, "Clinic Desktop", text)

    def open_runtime(self) -> str:
        """Open the chosen profile or run the wizard; returns a user name to prefill at sign-in."""
        profile = composition.choose_profile(self.args, self.settings)
        if profile is None:
            from .wizard.setup_wizard import SetupWizard

            wizard = SetupWizard(self.settings)
            if wizard.exec() != SetupWizard.DialogCode.Accepted or wizard.runtime is None:
                return ""
            self.runtime = wizard.runtime
            return wizard.clinic_page.admin_username
        password = composition.stored_password(profile)
        if password is None and not profile.is_local:
            password, ok = QInputDialog.getText(None, "Database password",
                                                f"Password of the database account for “{profile.describe()}”:",
                                                QLineEdit.EchoMode.Password)
            if not ok:
                return ""
        self.runtime = self._open(profile, password)
        if self.args.demo:
            self._seed_demo()
        return "reception" if self.args.demo else ""

    def _open(self, profile: ConnectionProfile, password: str | None) -> Runtime:
        settings = self.settings

        def op(state: TaskState) -> Runtime:
            return open_profile(profile, settings, password=password,
                                progress=lambda text, done, total: state.report(done, total, text))

        return run_with_progress(f"Opening {profile.describe()}…", op)

    def _seed_demo(self) -> None:
        from ..services.demo_service import DemoService

        from ..services.demo_service import DEMO_PASSWORD, DEMO_USERS

        from ..db.engine import create_app_engine

        owner = self.runtime.owner_target
        owner_engine = create_app_engine(owner, application_name="clinic-desktop demo") if owner else None
        service = DemoService(self.runtime.database, owner_engine=owner_engine)
        try:
            run_with_progress("Preparing the demo clinic…",
                              lambda state: service.ensure_demo_clinic(progress=lambda d, t, s: state.report(d, t, s)))
        finally:
            if owner_engine is not None:
                owner_engine.dispose()
        # The demo's invented accounts are printed for the person trying the app (README lists them too).
        print(f"Clinic Desktop demo — sign in as one of: {', '.join(DEMO_USERS)}; password: {DEMO_PASSWORD}", flush=True)

    def run(self) -> int:
        try:
            username = self.open_runtime()
        except DomainError as exc:
            self._error(str(exc))
            return 1
        if self.runtime is None:
            return 0
        # Local writes reach the bus from the committing worker thread (queued to the GUI).
        self.runtime.database.add_change_listener(self.relay.deliver_changes)
        while True:
            session = self._sign_in(username)
            if session is None:
                return 0
            self._show_main_window(session)
            self._sign_out = False
            status = self.app.exec()
            self._close_main_window()
            if not self._sign_out:
                return status

    def _sign_in(self, username: str):  # noqa: ANN202 - StaffSession | None
        from ..services.auth_service import AuthService

        auth = AuthService(self.runtime.database)
        hint = ""
        if self.args.demo:
            from ..services.demo_service import DEMO_PASSWORD, DEMO_USERS

            hint = ("Demo accounts: " + ", ".join(DEMO_USERS) + f" — password “{DEMO_PASSWORD}”. "
                    "The demo database holds invented patients only.")
        dialog = LoginDialog(auth.login, clinic_hint=self.runtime.profile.describe(), hint=hint, username=username)
        if dialog.exec() != LoginDialog.DialogCode.Accepted or dialog.session is None:
            return None
        session = dialog.session
        if session.must_change_password:
            from ..services.staff_service import StaffService

            staff = StaffService(self.runtime.database)
            change = ChangePasswordDialog(
                lambda current, new: staff.change_own_password(session.actor, current_password=current, new_password=new),
                reason="An administrator asked you to choose a new password before you continue.")
            if change.exec() != ChangePasswordDialog.DialogCode.Accepted:
                return None
        return session

    def _show_main_window(self, session) -> None:  # noqa: ANN001
        from .main_window import MainWindow
        from .pane_registry import default_actions, default_panes

        services = composition.build_services(self.runtime)
        context = AppContext(services, self.bus, session, profile_name=self.runtime.profile.name)
        features = self.runtime.database.features
        window = MainWindow(context, default_panes(services), actions=default_actions(context),
                            features_text="TimescaleDB active" if features.timescale_active else "PostgreSQL")
        window.sign_out_requested.connect(self._request_sign_out)
        self.relay.state_changed.connect(window.connection_label.set_state)
        self.listener = composition.start_listener(self.runtime, session, self.relay)
        window.idle_lock.install(self.app)
        window.show()
        self.window = window

    def _request_sign_out(self) -> None:
        self._sign_out = True
        if self.window is not None:
            self.window.close()

    def _close_main_window(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
        if self.window is not None:
            self.relay.state_changed.disconnect(self.window.connection_label.set_state)
            self.window.deleteLater()
            self.window = None

    def shutdown(self) -> None:
        self._close_main_window()
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None
