"""A real Secret Service for tests: a private D-Bus session bus with gnome-keyring on it.

Nothing is mocked: keyring's SecretService backend talks D-Bus to gnome-keyring-daemon, which keeps
the secrets in a keyring file under a temporary HOME. `lock()` locks the default collection the way
a screen lock or a fresh login does; a locked keyring refuses reads and writes (KeyringLocked).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import secretstorage
from keyring.backends import SecretService, fail
from secretstorage.util import SS_PATH, DBusAddressWrapper, format_secret, open_session

UNLOCK_PASSWORD = b"test-login-password"


class RealSecretService:
    """Handle on the running service: lock or unlock its default collection."""

    def lock(self) -> None:
        connection = secretstorage.dbus_init()
        try:
            collection = secretstorage.get_default_collection(connection)
            collection.lock()
            assert collection.is_locked()
        finally:
            connection.close()

    def unlock(self) -> None:
        """Unlock the default collection with the login password, as signing in to the desktop does.

        The Secret Service's own Unlock asks through a GUI prompt, which a headless test cannot
        answer; gnome-keyring's internal interface takes the password directly (over an encrypted
        session).
        """
        connection = secretstorage.dbus_init()
        try:
            collection = secretstorage.get_default_collection(connection)
            session = open_session(connection)
            internal = DBusAddressWrapper(SS_PATH, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                                          connection)
            internal.call("UnlockWithMasterPassword", "o(oayays)", collection.collection_path,
                          format_secret(session, UNLOCK_PASSWORD, "text/plain"))
            assert not collection.is_locked()
        finally:
            connection.close()


def available() -> bool:
    return all(shutil.which(tool) for tool in ("dbus-daemon", "gnome-keyring-daemon"))


@contextmanager
def real_secret_service() -> Iterator[RealSecretService]:
    """Start a session bus and an unlocked gnome-keyring; make keyring use it; stop both afterwards."""
    if not available():
        raise RuntimeError("the keyring tests need Debian's dbus and gnome-keyring (packaging/bootstrap.sh test)")
    root = Path(tempfile.mkdtemp(prefix="clinic-keyring-"))
    env = dict(os.environ, HOME=str(root / "home"), XDG_RUNTIME_DIR=str(root / "run"),
               XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root / "config"))
    for key in ("HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        Path(env[key]).mkdir(mode=0o700, parents=True)
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    daemon = None
    saved = {key: os.environ.get(key) for key in ("DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_RUNTIME_DIR",
                                                   "XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    previous_backend = keyring.get_keyring()
    try:
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        daemon = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        assert daemon.stdin is not None
        daemon.stdin.write(UNLOCK_PASSWORD)
        daemon.stdin.close()
        os.environ.update({key: env[key] for key in saved})
        backend = SecretService.Keyring()
        deadline = time.monotonic() + 20
        login = Path(env["XDG_DATA_HOME"]) / "keyrings" / "login.keyring"
        while not login.exists():  # asked before the unlocked login keyring exists, it would make a locked one
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError("gnome-keyring-daemon did not create the login keyring")
            time.sleep(0.05)
        while True:  # the daemon takes the bus name a moment after it starts
            try:
                backend.get_password("clinic-desktop-test", "probe")
                break
            except Exception:  # noqa: BLE001 - not on the bus yet
                if time.monotonic() > deadline or daemon.poll() is not None:
                    raise
                time.sleep(0.1)
        keyring.set_keyring(backend)
        yield RealSecretService()
    finally:
        keyring.set_keyring(previous_backend if not isinstance(previous_backend, SecretService.Keyring)
                            else fail.Keyring())
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for process in (daemon, bus):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(root, ignore_errors=True)
