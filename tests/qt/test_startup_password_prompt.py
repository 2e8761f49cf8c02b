"""The real start-up path asks for a server profile's password and says why (real keyring states).

`Startup.run()` runs as the app does; the prompt it opens is read and dismissed by a timer, so no
blocking dialog is left behind. Dismissing it ends the start with 0, before any connection is made.
"""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from clinic_desktop.config.settings import SERVER_KIND, ConnectionProfile, SettingsStore
from clinic_desktop.qt.startup import Startup

POLL_MS, MAX_POLLS = 20, 1500  # up to 30 s for the prompt to appear


@pytest.fixture
def settings(settings_store: SettingsStore) -> SettingsStore:
    """A saved server profile whose password is in no keyring."""
    settings_store.save_profile(ConnectionProfile(name="ward", kind=SERVER_KIND, host="127.0.0.1", database="clinic",
                                                  user="ws_ward"))
    return settings_store


def _prompt_shown_at_start(settings: SettingsStore) -> str:
    """Start the app on the saved server profile; return the prompt's text after dismissing it."""
    seen: list[str] = []
    polls = [0]

    def read_and_dismiss() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            seen.append(dialog.labelText())
            dialog.reject()
        elif polls[0] < MAX_POLLS:  # not open yet: look again shortly
            polls[0] += 1
            QTimer.singleShot(POLL_MS, read_and_dismiss)

    QTimer.singleShot(0, read_and_dismiss)
    startup = Startup(QApplication.instance(), settings, argparse.Namespace(profile="ward", demo=False))
    assert startup.run() == 0  # dismissed: the app ends without connecting
    assert seen, "the start did not ask for the password"
    return seen[0]


def test_a_locked_keyring_is_named_with_how_to_unlock_it(qtbot, settings, secret_service) -> None:  # noqa: ANN001
    secret_service.lock()
    text = _prompt_shown_at_start(settings)
    assert "The system keyring is locked" in text and "Unlock it" in text and "Passwords and Keys" in text
    assert "Password of the database account" in text


def test_an_unlocked_keyring_without_the_password_says_nothing_is_stored(qtbot, settings,  # noqa: ANN001
                                                                         secret_service) -> None:
    text = _prompt_shown_at_start(settings)
    assert "No password is stored for the connection “ward”" in text and "setup wizard" in text


def test_no_keyring_is_named_with_what_to_install(qtbot, settings) -> None:  # noqa: ANN001
    text = _prompt_shown_at_start(settings)  # the suite's default backend: keyring.backends.fail
    assert "No system keyring (Secret Service) is available" in text
    assert "GNOME Keyring or KWallet" in text
