"""Database passwords in the OS keyring (service "clinic-desktop", one entry per profile).

Where no usable backend exists we say so and the caller asks for the password at each launch;
we never fall back to writing it to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import keyring
import keyring.errors
from keyring.backends import fail

SERVICE = "clinic-desktop"


class KeyringProblem(Enum):
    """Why a password cannot be (or was not) kept in the system keyring."""

    NO_KEYRING = "no_keyring"
    LOCKED = "locked"
    NOT_KEPT = "not_kept"  # written without an error, but reading it back gave something else

    @property
    def explanation(self) -> str:
        return {
            KeyringProblem.NO_KEYRING: "No system keyring (Secret Service) is available on this computer. Install and "
                                       "start one — GNOME Keyring or KWallet — to have the password remembered.",
            KeyringProblem.LOCKED: "The system keyring is locked. Unlock it (for example in “Passwords and Keys”, or "
                                   "by signing in to the desktop again) to have the password remembered.",
            KeyringProblem.NOT_KEPT: "The system keyring accepted the password but did not keep it. Check the "
                                     "keyring (“Passwords and Keys”) and try again.",
        }[self]


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend: str
    message: str
    problem: KeyringProblem | None = None


def _backend_missing() -> bool:
    backend = keyring.get_keyring()
    return isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0


def keyring_status() -> KeyringStatus:
    """Whether passwords can be remembered now (a locked keyring cannot), and a sentence saying so."""
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    problem = None
    if _backend_missing():
        problem = KeyringProblem.NO_KEYRING
    else:
        try:  # reading touches the collection: a locked keyring refuses here, not only on writing
            keyring.get_password(SERVICE, _entry("__availability_check__"))
        except keyring.errors.KeyringLocked:
            problem = KeyringProblem.LOCKED
        except keyring.errors.KeyringError:
            problem = KeyringProblem.NO_KEYRING
    if problem is not None:
        return KeyringStatus(False, name, problem.explanation + " Until then the password cannot be remembered.",
                             problem)
    return KeyringStatus(True, name, f"Passwords are kept in the system keyring ({type(backend).__name__}).")


def store_password(profile_name: str, password: str) -> KeyringProblem | None:
    """Keep a password and prove it: write, read back, compare. None when it is safely stored."""
    if _backend_missing():
        return KeyringProblem.NO_KEYRING
    try:
        keyring.set_password(SERVICE, _entry(profile_name), password)
        kept = keyring.get_password(SERVICE, _entry(profile_name))
    except keyring.errors.KeyringLocked:
        return KeyringProblem.LOCKED
    except keyring.errors.KeyringError:
        return KeyringProblem.NO_KEYRING
    return None if kept == password else KeyringProblem.NOT_KEPT


def missing_password_reason(profile_name: str) -> str:
    """Why the app must ask for a profile's password at start, and how to stop that."""
    status = keyring_status()
    if status.problem is not None:
        return status.problem.explanation
    return (f"No password is stored for the connection “{profile_name}” in the system keyring. An administrator "
            "can store it by running the setup wizard for this connection again.")


def _entry(profile_name: str) -> str:
    return f"profile:{profile_name}"


def get_password(profile_name: str) -> str | None:
    """The stored password of a profile, or None when absent or the keyring is unusable."""
    try:
        return keyring.get_password(SERVICE, _entry(profile_name))
    except keyring.errors.KeyringError:
        return None


def delete_password(profile_name: str) -> None:
    try:
        keyring.delete_password(SERVICE, _entry(profile_name))
    except keyring.errors.KeyringError:
        pass
