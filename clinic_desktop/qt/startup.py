"""The launch sequence on the GUI side: the login window first, the database prepared behind it.

The sign-in window appears as soon as Qt is up; the profile is opened on a worker thread
meanwhile (starting the local cluster, checking or running migrations, loading the demo clinic
on first start), its progress shown in the window's status line. SQLAlchemy, alembic and the
services are imported on that thread too, so nothing heavy delays the first paint. With no
profile yet, the setup wizard runs first.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QProgressDialog, QWidget

from .. import app as composition
from ..config.settings import ConnectionProfile, SettingsStore
from ..domain.clock import Clock, SystemClock
from .app_context import AppContext
from .bus import ChangeBus
from .connection_status import ListenerRelay
from .dialogs.login_dialog import ChangePasswordDialog, LoginDialog
from .workers import TaskRunner, TaskState
from .error_messages import describe_error

if TYPE_CHECKING:
    from ..runtime import Runtime

# Starting a local cluster (pg_ctl waits up to 60 s) and migrating can take a while on a slow disk.
OPENING_WAIT_MS = 180_000


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


def open_and_prepare(profile: ConnectionProfile, settings: SettingsStore, password: str | None, *, demo: bool,
                     clock: Clock, state: TaskState) -> "Runtime":
    """Worker thread: open the profile, and make the demo clinic the first time (CGM traces follow later)."""
    from ..runtime import open_profile

    def progress(text: str, done: int, total: int) -> None:
        state.report(done, total, text)

    runtime = open_profile(profile, settings, password=password, progress=progress)
    if demo:
        try:
            runtime.demo_loader = _seed_demo(runtime, clock, state)
        except BaseException:
            runtime.close()
            raise
        print_demo_accounts()
    state.report(1, 1, "")
    return runtime


def print_demo_accounts() -> None:
    """Tell the person in the terminal how to sign in, on every demo start (README promises it).

    Printed once the demo database is ready, so the line also says "you can sign in now".
    """
    from ..domain.demo_accounts import DEMO_PASSWORD, DEMO_USERS

    print(f"Clinic Desktop demo — sign in as one of: {', '.join(DEMO_USERS)}; password: {DEMO_PASSWORD}", flush=True)


def _seed_demo(runtime: "Runtime", clock: Clock, state: TaskState):  # noqa: ANN202 - DemoCgmLoader | None
    from ..services.demo_service import DemoService

    service = DemoService(runtime.database, clock=clock)
    created = service.ensure_demo_clinic(progress=lambda d, t, s: state.report(d, t, s), defer_cgm=True)
    if not created:
        return DemoCgmLoader(runtime, service) if service.has_deferred_cgm else None
    return DemoCgmLoader(runtime, service)


def password_prompt_text(profile: ConnectionProfile) -> str:
    """The start-up password prompt: why it asks (no keyring, locked, nothing stored) and how to stop that."""
    from ..config import secrets

    return (f"{secrets.missing_password_reason(profile.name)}\n\n"
            f"Password of the database account for “{profile.describe()}”:")


class DemoCgmLoader:
    """Loads the demo's CGM traces on a plain thread after sign-in is possible; charts fill as it goes."""

    def __init__(self, runtime: "Runtime", service) -> None:  # noqa: ANN001
        import threading

        self._runtime, self._service = runtime, service
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-cgm", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        from ..db.engine import create_app_engine

        owner = self._runtime.owner_target
        engine = create_app_engine(owner, application_name="clinic-desktop demo") if owner else None
        try:
            self._service._owner_engine = engine  # the owner may COPY directly (no row-level security)
            self._service.load_deferred_cgm(stop=self._stop.is_set)
        except Exception:  # noqa: BLE001 - a demo nicety must never take the app down
            import logging

            logging.getLogger(__name__).warning("Loading the demo CGM data stopped early", exc_info=True)
        finally:
            if engine is not None:
                engine.dispose()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(60)


class _AfterFirstPaint(QObject):
    """Calls `then` (once) right after `widget` has painted for the first time."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self._then = then
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and self._then is not None:
            then, self._then = self._then, None
            watched.removeEventFilter(self)
            QTimer.singleShot(0, then)
        return False


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
        self._quit_requested = False  # SIGINT/SIGTERM: no further dialog or window opens
        self._open_runner = TaskRunner(self)
        self._demo_loader: DemoCgmLoader | None = None
        self.clock: Clock = SystemClock()  # the app's one clock, handed to every service and pane

    def run(self) -> int:
        profile = composition.choose_profile(self.args, self.settings)
        username = ""
        if profile is None:
            username = self._run_wizard()
            if self.runtime is None or self._quit_requested:
                return 0
        else:
            password = composition.stored_password(profile)
            if password is None and not profile.is_local:
                password, ok = QInputDialog.getText(None, "Database password", password_prompt_text(profile),
                                                    QLineEdit.EchoMode.Password)
                if not ok:
                    return 0
            username = "reception" if self.args.demo else ""
            session = self._sign_in(username, profile=profile, password=password)
            if session is None:
                return 0
            return self._main_loop(session)
        session = self._sign_in(username)
        return self._main_loop(session) if session is not None else 0

    def _run_wizard(self) -> str:
        from .wizard.setup_wizard import SetupWizard

        wizard = SetupWizard(self.settings)
        if wizard.exec() != SetupWizard.DialogCode.Accepted or wizard.runtime is None:
            return ""
        self._adopt(wizard.runtime)
        return wizard.clinic_page.admin_username

    def _adopt(self, runtime: "Runtime") -> None:
        self.runtime = runtime
        # Local writes reach the bus from the committing worker thread (queued to the GUI).
        runtime.database.add_change_listener(self.relay.deliver_changes)

    def _login_hint(self) -> str:
        if not self.args.demo:
            return ""
        from ..domain.demo_accounts import DEMO_PASSWORD, DEMO_USERS

        return ("Demo accounts: " + ", ".join(DEMO_USERS) + f" — password “{DEMO_PASSWORD}”. "
                "The demo database holds invented patients only.")

    def _sign_in(self, username: str, *, profile: ConnectionProfile | None = None, password: str | None = None):  # noqa: ANN202
        """The login dialog; with `profile`, the database is opened behind it meanwhile."""
        described = (profile or self.runtime.profile).describe()
        dialog = LoginDialog(self._login if self.runtime is not None else None, clinic_hint=described,
                             hint=self._login_hint(), username=username)
        if profile is not None:
            settings, demo = self.settings, bool(self.args.demo)
            dialog.set_opening(f"Opening {described}…")

            def opened(runtime: "Runtime") -> None:
                self._adopt(runtime)
                dialog.set_ready(self._login)
                loader = getattr(runtime, "demo_loader", None)
                if loader is not None and not self._quit_requested:
                    self._demo_loader = loader
                    loader.start()

            def failed(exc: BaseException) -> None:
                dialog.set_failed(describe_error(exc, "open the clinic database"))

            def progress(_done: int, _total: int, text: str) -> None:
                if text:
                    dialog.set_opening(text)

            def start_opening() -> None:
                self._open_runner.run(lambda state: open_and_prepare(profile, settings, password, demo=demo,
                                                                       clock=self.clock, state=state),
                                      opened, failed, on_progress=progress)

            # Start the heavy work once the window has painted: the worker's imports would
            # otherwise compete with the first paint for the interpreter.
            self._first_paint = _AfterFirstPaint(dialog, start_opening)
        accepted = dialog.exec() == LoginDialog.DialogCode.Accepted and dialog.session is not None
        self._open_runner.wait_idle()
        QApplication.processEvents()  # deliver a runtime that finished opening after a cancel, to close it
        if not accepted or self._quit_requested:
            return None
        return self._maybe_change_password(dialog.session)

    def _login(self, username: str, password: str):  # noqa: ANN202 - worker thread; StaffSession
        from ..services.auth_service import AuthService

        return AuthService(self.runtime.database, clock=self.clock).login(username, password)

    def _maybe_change_password(self, session):  # noqa: ANN001, ANN202
        if not session.must_change_password:
            return session
        from ..services.staff_service import StaffService

        staff = StaffService(self.runtime.database)
        change = ChangePasswordDialog(
            lambda current, new: staff.change_own_password(session.actor, current_password=current, new_password=new),
            reason="An administrator asked you to choose a new password before you continue.")
        return session if change.exec() == ChangePasswordDialog.DialogCode.Accepted else None

    def _main_loop(self, session) -> int:  # noqa: ANN001
        while True:
            self._show_main_window(session)
            self._sign_out = False
            status = self.app.exec()
            self._close_main_window()
            if not self._sign_out or self._quit_requested:
                return status
            session = self._sign_in("")
            if session is None:
                return 0

    def _show_main_window(self, session) -> None:  # noqa: ANN001
        from .main_window import MainWindow
        from .pane_registry import default_actions, default_panes

        services = composition.build_services(self.runtime, self.clock)
        context = AppContext(services, self.bus, session, profile_name=self.runtime.profile.name, clock=self.clock)
        features = self.runtime.features  # detected when the profile opened (worker thread)
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

    def request_quit(self, _signum: int = 0) -> None:
        """Leave as File → Quit does, from wherever the app is (SIGINT/SIGTERM land here).

        Closing the windows ends whichever loop runs: the main window's close shuts its panes
        down and ends `app.exec()`; a modal dialog (login, wizard, a pane's dialog) is rejected,
        which ends its `exec()`. `run()` then returns and `shutdown()` stops the listener and
        closes the runtime, stopping the local database.
        """
        self._quit_requested = True
        self._sign_out = False
        if self.window is not None:
            self.window.idle_lock.close_for_exit()
        QApplication.closeAllWindows()
        if any(widget.isVisible() for widget in QApplication.topLevelWidgets()):
            # A window refused to close: end every running event loop anyway, a signal to
            # terminate is not a question. shutdown() still runs after run() returns.
            self.app.exit(0)

    def shutdown(self) -> None:
        """Stop the listener, wait for an opening still under way, close the runtime (and its cluster)."""
        self._close_main_window()
        # A quit during the opening waits for it, so the runtime it made is delivered and
        # closed here rather than left with a running local database.
        self._open_runner.wait_idle(OPENING_WAIT_MS)
        QApplication.processEvents()
        if self._demo_loader is not None:
            self._demo_loader.stop()
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None

    def _error(self, text: str) -> None:
        QMessageBox.critical(None, "Clinic Desktop", text)
