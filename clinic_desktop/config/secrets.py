"""Database passwords in the OS keyring (service "clinic-desktop", one entry per profile).

Where no usable backend exists we say so and the caller asks for the password at each launch;
we never fall back to writing it to disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import keyring
import keyring.errors
from keyring.backends import fail

SERVICE = "clinic-desktop"


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend: str
    message: str


def keyring_status() -> KeyringStatus:
    """Whether passwords can be remembered, and a sentence saying so."""
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return KeyringStatus(
            False,
            name,
            "No system keyring is available, so the password cannot be remembered: "
            "you will be asked for it each time the app starts.",
        )
    return KeyringStatus(True, name, f"Passwords are kept in the system keyring ({type(backend).__name__}).")


def _entry(profile_name: str) -> str:
    return f"profile:{profile_name}"


def get_password(profile_name: str) -> str | None:
    """The stored password of a profile, or None when absent or the keyring is unusable."""
    try:
        return keyring.get_password(SERVICE, _entry(profile_name))
    except keyring.errors.KeyringError:
        return None


def set_password(profile_name: str, password: str) -> bool:
    """Remember a password; False (never an exception, never a file) when no keyring works."""
    try:
        keyring.set_password(SERVICE, _entry(profile_name), password)
    except keyring.errors.KeyringError:
        return False
    return True


def delete_password(profile_name: str) -> None:
    try:
        keyring.delete_password(SERVICE, _entry(profile_name))
    except keyring.errors.KeyringError:
        pass
