"""Who uses a profile's private cluster: a claim per user, so the last one to leave stops the server.

A local profile's cluster belongs to the app, whoever started it: this process, another Clinic
Desktop of the same profile that is still running, or one that crashed and left the server up.
Each user holds a *shared* `flock` on one file in the cluster folder. On exit a user tries to
turn its claim *exclusive*: only the last user succeeds, and it stops the server while holding
the lock, so a Clinic Desktop starting meanwhile waits for the stop to finish and then starts
the server afresh instead of adopting one that is going away.

The kernel drops a dead process's lock (also after `kill -9`), so a crash never leaves a stale
claim behind: the next start adopts the running server and, being its last user, stops it.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from ..domain.errors import DomainError

CLAIM_FILE = "clinic-desktop.users.lock"


class ClusterBusy(DomainError):
    """Another Clinic Desktop is still stopping this cluster after its last user left."""


class ClusterClaim:
    """This process's (or this runtime's) claim on a private cluster in `root`.

    Claims are per open file, not per process: two runtimes of one process (the app and the
    setup wizard run again from the Tools menu) are two users, as they should be.
    """

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / CLAIM_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, timeout_s: float = 90.0) -> None:
        """Take a shared claim, waiting (bounded) while a last user is stopping the server."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_CLOEXEC (Python's default) matters: a server started by us must not inherit the
        # lock, or the claim would outlive this process.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise ClusterBusy(
                        f"Another Clinic Desktop is still stopping the local database in {self.path.parent}. "
                        "Wait until it has closed, then start again."
                    ) from None
                time.sleep(0.1)  # flock has no timeout of its own
                continue
            self._fd = fd
            return

    def try_become_last(self) -> bool:
        """True when no other user holds a claim; the claim is then exclusive until `release`.

        Turning a shared lock exclusive is not atomic in flock: a failed attempt has already
        dropped our shared lock (Linux, BSD). That is what we want when two last users leave at
        once: the one that fails no longer counts, so the other one succeeds and stops the server.
        """
        if self._fd is None:
            return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        """Drop the claim (closing the file releases the lock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
