"""SIGINT/SIGTERM reach the GUI thread while Qt's loop waits, and end the app as File → Quit does.

The signal is sent to this very process (SIGINT: should the handler be missing, Python's default
raises KeyboardInterrupt instead of killing the test run). Real app processes are signalled in
test_app_process_exit.py.
"""

from __future__ import annotations

import argparse
import os
import signal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from clinic_desktop.config.settings import ConnectionProfile, SettingsStore
from clinic_desktop.db.change_listener import STOPPED
from clinic_desktop.db.engine import ConnectTarget
from clinic_desktop.qt.startup import Startup
from clinic_desktop.qt.termination_signals import TerminationSignals
from clinic_desktop.runtime import Runtime
from clinic_desktop.services.auth_service import AuthService


def test_a_signal_wakes_the_waiting_event_loop_and_arrives_on_the_gui_thread(qtbot):
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN when run as a background job
    signals = TerminationSignals()
    signals.install()
    try:
        with qtbot.waitSignal(signals.received, timeout=5000) as caught:
            # Sent while the loop is idle in C++: without the wakeup socket no Python would run.
            QTimer.singleShot(50, lambda: os.kill(os.getpid(), signal.SIGINT))
        assert caught.args == [signal.SIGINT]
    finally:
        signals.uninstall()
    assert signal.getsignal(signal.SIGINT) is before  # handed back as it was


def test_a_signal_while_the_screen_is_locked_closes_the_main_window_as_file_quit_does(qtbot, tmp_path, database, clinic):
    app = QApplication.instance()
    startup = Startup(app, SettingsStore(config_dir=tmp_path / "config", data_dir=tmp_path / "data"),
                      argparse.Namespace(demo=False, profile=None))
    database.refresh_features()  # as open_profile does on its worker thread: the window only reads them
    runtime = Runtime(ConnectionProfile(name="signals", kind="server"), ConnectTarget(database.engine.url), database)
    startup._adopt(runtime)
    session = AuthService(database).login(clinic.nurse.username, clinic.password)
    signals = TerminationSignals()
    signals.received.connect(startup.request_quit)
    seen: dict[str, object] = {}
    app.lastWindowClosed.connect(lambda: seen.setdefault("last_window_closed", True))

    def lock_then_signal() -> None:
        window = startup.window
        seen["listener"] = startup.listener
        window.idle_lock.lock()  # its unlock dialog refuses an ordinary close (Esc must not unlock)
        seen["locked"] = window.idle_lock.is_locked
        os.kill(os.getpid(), signal.SIGINT)

    # Should the quit not happen, end the loop anyway so the test fails instead of hanging.
    watchdog = QTimer()
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(lambda: app.exit(99))
    signals.install()
    try:
        QTimer.singleShot(200, lock_then_signal)
        watchdog.start(20_000)
        status = startup._main_loop(session)  # shows the main window and runs app.exec()
    finally:
        watchdog.stop()
        signals.uninstall()
        startup._close_main_window()
    assert status == 0
    assert seen.get("locked") is True
    assert seen.get("last_window_closed") is True  # windows closed, not a loop cut short
    assert startup.window is None and startup.listener is None and seen["listener"] is not None
    assert seen["listener"].state.state == STOPPED  # the change listener was stopped
