"""The setup wizard's server path with a real Secret Service (gnome-keyring over D-Bus).

Unlocked: the workstation password is stored, read back, and a later start signs in with it on a
server that checks it (SCRAM). Locked: nothing is saved until the administrator has seen the
password and chosen to type it at each start — and that password then works too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from clinic_desktop.config import secrets
from clinic_desktop.config.settings import SettingsStore
from clinic_desktop.qt.wizard.setup_wizard import PAGE_PREPARE, PAGE_SERVER, SetupWizard, workstation_role_name
from clinic_desktop.runtime import open_profile
from tests.keyring_support import RealSecretService, real_secret_service
from tests.support import create_empty_database, private_cluster, require_scram_for

WAIT_MS = 60000


@pytest.fixture
def server() -> Iterator:  # noqa: ANN001
    with private_cluster() as cluster:
        create_empty_database(cluster, "clinic")
        yield cluster


@pytest.fixture
def settings() -> Iterator[SettingsStore]:
    root = Path(tempfile.mkdtemp(prefix="clinic-wizard-kr-", dir="/tmp"))
    os.chmod(root, 0o755)
    yield SettingsStore(config_dir=root / "config", data_dir=root / "data")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def secret_service() -> Iterator[RealSecretService]:
    with real_secret_service() as service:
        yield service


def _to_prepare(qtbot, settings: SettingsStore, cluster, before_preparing=lambda: None) -> SetupWizard:  # noqa: ANN001
    """Server path: fill in the server page, run the real connection check, go on to preparing."""
    wizard = SetupWizard(settings)
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


def test_unlocked_keyring_stores_the_password_and_a_later_start_uses_it(qtbot, server, settings,  # noqa: ANN001
                                                                       secret_service) -> None:
    wizard = _to_prepare(qtbot, settings, server)
    prepare = wizard.prepare_page
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible(), timeout=WAIT_MS)
    assert prepare.isComplete(), prepare.status.text()
    assert not prepare.secret_box.isVisible()
    wizard.runtime.close()
    _settle(wizard)
    profile = settings.load_profile("ward")
    stored = secrets.get_password("ward")
    assert profile is not None and stored and stored not in settings.profiles_file.read_text()
    require_scram_for(server, workstation_role_name())  # from now on the server checks the password
    later = open_profile(profile, settings)  # a later start: the password comes from the keyring
    try:
        assert later.features is not None
    finally:
        later.close()


def test_locked_keyring_saves_nothing_until_the_admin_has_seen_the_password(qtbot, server, settings,  # noqa: ANN001
                                                                           secret_service) -> None:
    # The keyring locks while the administrator is on the server page (a screen lock, say): the
    # page saw it usable, so the wizard generates a password — and must find out it was not kept.
    wizard = _to_prepare(qtbot, settings, server, before_preparing=secret_service.lock)
    prepare = wizard.prepare_page
    assert wizard.server_page.keyring.usable
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible() or prepare.secret_box.isVisible(),
                    timeout=WAIT_MS)
    assert prepare.secret_box.isVisible(), prepare.status.text()
    assert "locked" in prepare.status.text() and "Nothing has been saved" in prepare.status.text()
    assert not prepare.isComplete() and settings.load_profile("ward") is None
    shown = prepare.secret_text.text()
    assert len(shown) >= 24 and secrets.get_password("ward") is None
    prepare.store_again.click()  # still locked: the same answer, still nothing saved
    qtbot.waitUntil(lambda: prepare.secret_box.isEnabled(), timeout=WAIT_MS)
    assert prepare.secret_box.isVisible() and settings.load_profile("ward") is None
    prepare.type_each_start.click()
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible(), timeout=WAIT_MS)
    assert prepare.isComplete(), prepare.status.text()
    wizard.runtime.close()
    _settle(wizard)
    profile = settings.load_profile("ward")
    assert profile is not None and secrets.get_password("ward") is None
    require_scram_for(server, workstation_role_name())
    later = open_profile(profile, settings, password=shown)  # the password the administrator noted
    later.close()


def test_a_keyring_locked_before_setup_is_told_on_the_server_page(qtbot, server, settings,  # noqa: ANN001
                                                                 secret_service) -> None:
    secret_service.lock()
    wizard = SetupWizard(settings)
    qtbot.addWidget(wizard)
    status = wizard.server_page.keyring
    assert not status.usable and "locked" in status.message and "Unlock" in status.message


def test_the_start_up_prompt_says_why_it_asks(secret_service) -> None:  # noqa: ANN001
    from clinic_desktop.config.settings import SERVER_KIND, ConnectionProfile
    from clinic_desktop.qt.startup import password_prompt_text

    profile = ConnectionProfile(name="ward", kind=SERVER_KIND, host="db.example", database="clinic", user="ws")
    assert "No password is stored for the connection “ward”" in password_prompt_text(profile)
    secret_service.lock()
    text = password_prompt_text(profile)
    assert "keyring is locked" in text and "Unlock it" in text and "Password of the database account" in text


def test_the_start_up_prompt_names_a_missing_keyring() -> None:
    from clinic_desktop.config.settings import SERVER_KIND, ConnectionProfile
    from clinic_desktop.qt.startup import password_prompt_text

    profile = ConnectionProfile(name="ward", kind=SERVER_KIND, host="db.example", database="clinic", user="ws")
    assert "No system keyring (Secret Service) is available" in password_prompt_text(profile)


def test_locked_keyring_then_unlocked_stores_the_password_on_retry(qtbot, server, settings,  # noqa: ANN001
                                                                   secret_service) -> None:
    wizard = _to_prepare(qtbot, settings, server, before_preparing=secret_service.lock)
    prepare = wizard.prepare_page
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible() or prepare.secret_box.isVisible(),
                    timeout=WAIT_MS)
    assert prepare.secret_box.isVisible() and settings.load_profile("ward") is None
    shown = prepare.secret_text.text()
    secret_service.unlock()  # the administrator unlocks the keyring, then asks to store it again
    prepare.store_again.click()
    qtbot.waitUntil(lambda: prepare.isComplete() or prepare.retry.isVisible(), timeout=WAIT_MS)
    assert prepare.isComplete(), prepare.status.text()
    assert not prepare.secret_box.isVisible()
    wizard.runtime.close()
    _settle(wizard)
    profile = settings.load_profile("ward")
    assert profile is not None and secrets.get_password("ward") == shown
    require_scram_for(server, workstation_role_name())
    later = open_profile(profile, settings)  # a later start reads the password from the keyring
    try:
        assert later.features is not None
    finally:
        later.close()
