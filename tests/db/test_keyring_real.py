"""The workstation password and a real Secret Service (gnome-keyring over D-Bus), unlocked and locked."""

from __future__ import annotations


from clinic_desktop.config import secrets
from clinic_desktop.config.secrets import KeyringProblem


def test_an_unlocked_keyring_keeps_and_returns_the_password(secret_service) -> None:  # noqa: ANN001
    assert secrets.keyring_status().usable
    assert secrets.store_password("clinic-a", "s3cret-Workstation-1") is None
    assert secrets.get_password("clinic-a") == "s3cret-Workstation-1"


def test_a_locked_keyring_is_not_usable_and_says_so(secret_service) -> None:  # noqa: ANN001
    secret_service.lock()
    status = secrets.keyring_status()
    assert not status.usable and status.problem is KeyringProblem.LOCKED
    assert "locked" in status.message and "Unlock" in status.message
    assert secrets.store_password("clinic-a", "s3cret-Workstation-1") is KeyringProblem.LOCKED
    assert secrets.get_password("clinic-a") is None
    assert "locked" in secrets.missing_password_reason("clinic-a")


def test_no_keyring_at_all_is_named_as_such() -> None:
    status = secrets.keyring_status()  # the suite's default backend: keyring.backends.fail
    assert status.problem is KeyringProblem.NO_KEYRING and not status.usable
    assert secrets.store_password("clinic-a", "x" * 20) is KeyringProblem.NO_KEYRING
    assert "No system keyring" in secrets.missing_password_reason("clinic-a")


def test_a_keyring_unlocked_again_keeps_the_password(secret_service) -> None:  # noqa: ANN001
    secret_service.lock()
    assert secrets.store_password("clinic-a", "s3cret-Workstation-1") is KeyringProblem.LOCKED
    secret_service.unlock()
    assert secrets.keyring_status().usable
    assert secrets.store_password("clinic-a", "s3cret-Workstation-1") is None
    assert secrets.get_password("clinic-a") == "s3cret-Workstation-1"
