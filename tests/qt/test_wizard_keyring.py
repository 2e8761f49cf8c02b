"""The setup wizard's server path with a real Secret Service (gnome-keyring over D-Bus).

Unlocked: the workstation password is stored, read back, and a later start signs in with it on a
server that checks it (SCRAM). Locked: nothing is saved until the administrator has seen the
password and chosen to type it at each start — and that password then works too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from clinic_desktop.config import secrets
from clinic_desktop.config.settings import ConnectionProfile, SettingsStore
from clinic_desktop.qt.wizard.setup_wizard import PAGE_PREPARE, PAGE_SERVER, SetupWizard, workstation_role_name
from clinic_desktop.runtime import open_profile
from tests.support import create_empty_database, private_cluster, require_scram_for

WAIT_MS = 60000


@pytest.fixture
def server() -> Iterator:  # noqa: ANN001
    with private_cluster() as cluster:
        create_empty_database(cluster, "clinic")
        yield cluster


def _to_prepare(qtbot, settings_store: SettingsStore, cluster, before_preparing=lambda: None) -> SetupWizard:  # noqa: ANN001
    """Server path: fill in the server page, run the real connection check, go on to preparing."""
    wizard = SetupWizard(settings_store)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.where_page.server.setChecked(True)
    wizard.where_page.profile_name.setText("ward")
    wizard.next()
    assert wizard.currentId() == PAGE_SERVER
    page = wizard.server_page
    page.host.setText("127.0.0.1")
    page.port.setValue(cluster.port)
    page.database.setText("clinic")
    page.owner.setText(cluster.db_user)
    page.password.setText("unused-with-trust")
    page.run_check()
    qtbot.waitUntil(lambda: page.report is not None, timeout=WAIT_MS)
    assert page.isComplete(), page.result.text()
    before_preparing()
    wizard.next()
    assert wizard.currentId() == PAGE_PREPARE
    return wizard


def _settle(wizard: SetupWizard) -> None:
    wizard.prepare_page._runner.wait_idle()
    QApplication.processEvents()


def _finish(wizard: SetupWizard, settings_store: SettingsStore) -> ConnectionProfile:
    """The wizard is done with its database: close it and return the profile it saved."""
    wizard.runtime.close()
    _settle(wizard)
    profile = settings_store.load_profile("ward")
    assert profile is not None
    return profile


def _start_again(profile: ConnectionProfile, settings_store: SettingsStore, server,  # noqa: ANN001
                 password: str | None = None) -> None:
    """A later start, on a server that from now on checks the workstation's password (SCRAM)."""
    require_scram_for(server, workstation_role_name())
    later = open_profile(profile, settings_store, password=password)  # None: read from the keyring
    try:
        assert later.features is not None
    finally:
        later.close()


def test_unlocked_keyring_stores_the_password_and_a_later_start_uses_it(qtbot, server, settings_store,  # noqa: ANN001
                                                                       secret_service) -> None:
    wizard = _to_prepare(qtbot, settings_store, server)
    prepare = wizard.prepare_page
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible(), timeout=WAIT_MS)
    assert prepare.isComplete(), prepare.status.text()
    assert not prepare.secret_box.isVisible()
    profile = _finish(wizard, settings_store)
    stored = secrets.get_password("ward")
    assert stored and stored not in settings_store.profiles_file.read_text()
    _start_again(profile, settings_store, server)


def test_locked_keyring_saves_nothing_until_the_admin_has_seen_the_password(qtbot, server, settings_store,  # noqa: ANN001
                                                                           secret_service) -> None:
    # The keyring locks while the administrator is on the server page (a screen lock, say): the
    # page saw it usable, so the wizard generates a password — and must find out it was not kept.
    wizard = _to_prepare(qtbot, settings_store, server, before_preparing=secret_service.lock)
    prepare = wizard.prepare_page
    assert wizard.server_page.keyring.usable
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible() or prepare.secret_box.isVisible(),
                    timeout=WAIT_MS)
    assert prepare.secret_box.isVisible(), prepare.status.text()
    assert "locked" in prepare.status.text() and "Nothing has been saved" in prepare.status.text()
    assert not prepare.isComplete() and settings_store.load_profile("ward") is None
    shown = prepare.secret_text.text()
    assert len(shown) >= 24 and secrets.get_password("ward") is None
    prepare.store_again.click()  # still locked: the same answer, still nothing saved
    qtbot.waitUntil(lambda: prepare.secret_box.isEnabled(), timeout=WAIT_MS)
    assert prepare.secret_box.isVisible() and settings_store.load_profile("ward") is None
    prepare.type_each_start.click()
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible(), timeout=WAIT_MS)
    assert prepare.isComplete(), prepare.status.text()
    profile = _finish(wizard, settings_store)
    assert secrets.get_password("ward") is None
    _start_again(profile, settings_store, server, password=shown)  # the password the administrator noted


def test_a_keyring_locked_before_setup_is_told_on_the_server_page(qtbot, server, settings_store,  # noqa: ANN001
                                                                 secret_service) -> None:
    secret_service.lock()
    wizard = SetupWizard(settings_store)
    qtbot.addWidget(wizard)
    status = wizard.server_page.keyring
    assert not status.usable and "locked" in status.message and "Unlock" in status.message


def test_locked_keyring_then_unlocked_stores_the_password_on_retry(qtbot, server, settings_store,  # noqa: ANN001
                                                                   secret_service) -> None:
    wizard = _to_prepare(qtbot, settings_store, server, before_preparing=secret_service.lock)
    prepare = wizard.prepare_page
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible() or prepare.secret_box.isVisible(),
                    timeout=WAIT_MS)
    assert prepare.secret_box.isVisible() and settings_store.load_profile("ward") is None
    shown = prepare.secret_text.text()
    secret_service.unlock()  # the administrator unlocks the keyring, then asks to store it again
    prepare.store_again.click()
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible(), timeout=WAIT_MS)
    assert prepare.isComplete(), prepare.status.text()
    assert not prepare.secret_box.isVisible()
    profile = _finish(wizard, settings_store)
    assert secrets.get_password("ward") == shown
    _start_again(profile, settings_store, server)
