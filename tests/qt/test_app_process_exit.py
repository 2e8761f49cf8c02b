"""A real Clinic Desktop process ends cleanly on SIGINT and SIGTERM, and its private database ends with it.

Each test starts `python -m clinic_desktop` (offscreen) on a local profile in a temporary
settings folder, waits until the login window has its database, signals it, and checks what a
user would: the process exits promptly with status 0 (a signal asks for the same orderly quit
as File → Quit), nothing is printed as a traceback, and no PostgreSQL server is left running.
Every process a test starts is killed and every server stopped in `finally`, also on failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinic_desktop.config.settings import ConnectionProfile, SettingsStore
from clinic_desktop.db.local_server import LocalCluster
from clinic_desktop.domain.demo_accounts import DEMO_PASSWORD
from clinic_desktop.runtime import local_cluster_for

REPO = Path(__file__).resolve().parents[2]
PROFILE = "default"
OPEN_LINE = f"Profile {PROFILE} is open"  # logged (--verbose) once the login window can sign in
START_TIMEOUT_S = 120.0  # a first demo start fills the demo clinic (~20 s alone; more on a busy machine)
EXIT_TIMEOUT_S = 30.0


@dataclass
class AppHome:
    """Settings and local clusters of the app processes, in one temporary folder."""

    root: Path
    settings: SettingsStore

    def cluster(self, profile: str = PROFILE) -> LocalCluster:
        return local_cluster_for(ConnectionProfile(name=profile, kind="local", port=5433), self.settings)

    def env(self) -> dict[str, str]:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
               "CLINIC_DESKTOP_CONFIG_DIR": str(self.settings.config_dir),
               "CLINIC_DESKTOP_DATA_DIR": str(self.settings.data_dir)}
        env.pop("CLINIC_DATABASE_URL", None)
        return env


@pytest.fixture(scope="module")
def app_home() -> Iterator[AppHome]:
    """Shared by the module's tests: only the first start pays for creating and migrating the cluster."""
    root = Path(tempfile.mkdtemp(prefix="clinic-exit-", dir="/tmp"))
    os.chmod(root, 0o755)  # as root the server runs as an unprivileged account that must reach it
    settings = SettingsStore(config_dir=root / "config", data_dir=root / "data")
    settings.save_profile(ConnectionProfile(name=PROFILE, kind="local", port=5433))
    home = AppHome(root, settings)
    try:
        yield home
    finally:
        for profile in (PROFILE, "demo"):
            home.cluster(profile).stop(mode="immediate")  # only does anything after a failure
        shutil.rmtree(root, ignore_errors=True)


class AppProcess:
    """One `python -m clinic_desktop --verbose` process; its output goes to files polled by the test."""

    _count = 0

    def __init__(self, home: AppHome, *args: str) -> None:
        AppProcess._count += 1
        self.stdout_path = home.root / f"app{AppProcess._count}.out"
        self.stderr_path = home.root / f"app{AppProcess._count}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # A session of its own: a Ctrl+C meant for pytest never reaches the app directly.
            self.proc = subprocess.Popen([sys.executable, "-m", "clinic_desktop", "--verbose", *args],
                                         stdout=out, stderr=err, env=home.env(), cwd=REPO, start_new_session=True)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait_until(self, condition: Callable[[], bool], what: str, timeout_s: float = START_TIMEOUT_S) -> None:
        """Poll `condition` (bounded); fail early, with the app's output, if the app has exited."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.proc.poll() is not None:
                pytest.fail(f"the app exited ({self.proc.returncode}) before {what}:\n{self.stdout}\n{self.stderr}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout_s:.0f} s:\n{self.stdout}\n{self.stderr}")
            time.sleep(0.1)

    def wait_until_open(self) -> None:
        self.wait_until(lambda: OPEN_LINE in self.stderr, "open database behind the login window")

    def exit_status_after(self, signum: int) -> int:
        """Send `signum` and wait (bounded) for the process to end."""
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the app was still running {EXIT_TIMEOUT_S:.0f} s after {signal.Signals(signum).name}:\n"
                        f"{self.stdout}\n{self.stderr}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def launch(app_home: AppHome) -> Iterator[Callable[..., AppProcess]]:
    """Start app processes; any still running at the end of the test is killed."""
    started: list[AppProcess] = []

    def start(*args: str) -> AppProcess:
        app = AppProcess(app_home, *args)
        started.append(app)
        return app

    try:
        yield start
    finally:
        for app in started:
            app.kill()


def server_pid(cluster: LocalCluster) -> int | None:
    """The postmaster's pid once it accepts connections (postmaster.pid's status line says so)."""
    try:
        lines = (cluster.data_dir / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    return int(lines[0]) if len(lines) >= 8 and lines[7].strip() == "ready" else None


def process_gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for a parent that does not reap (containers)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def assert_ended_cleanly(app: AppProcess, status: int, cluster: LocalCluster, pid: int) -> None:
    assert status == 0, app.stderr
    assert "Traceback" not in app.stderr and "KeyboardInterrupt" not in app.stderr, app.stderr
    assert not (cluster.data_dir / "postmaster.pid").exists(), "the local PostgreSQL server is still running"
    assert process_gone(pid), f"PostgreSQL server process {pid} is still alive"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_the_login_window_ends_the_app_and_stops_its_database(app_home, launch, signum):
    cluster = app_home.cluster()
    app = launch()
    app.wait_until(lambda: server_pid(cluster) is not None, "local database accepting connections")
    pid = server_pid(cluster)
    assert pid is not None
    app.wait_until_open()
    assert_ended_cleanly(app, app.exit_status_after(signum), cluster, pid)


def test_a_database_left_running_by_a_crash_is_adopted_and_stopped_by_the_next_start(app_home, launch):
    cluster = app_home.cluster()
    crashed = launch()
    crashed.wait_until_open()
    pid = server_pid(cluster)
    assert pid is not None
    crashed.kill()  # kill -9: the app has no say, its PostgreSQL server keeps running
    assert server_pid(cluster) == pid and not process_gone(pid)
    app = launch()
    app.wait_until_open()
    assert "was already running: adopted" in app.stderr
    assert server_pid(cluster) == pid  # the very server the crashed app left
    assert_ended_cleanly(app, app.exit_status_after(signal.SIGTERM), cluster, pid)


def test_two_apps_of_one_profile_share_its_database_and_the_last_to_exit_stops_it(app_home, launch):
    cluster = app_home.cluster()
    first = launch()
    first.wait_until_open()
    pid = server_pid(cluster)
    second = launch()
    second.wait_until_open()
    assert server_pid(cluster) == pid and pid is not None
    assert first.exit_status_after(signal.SIGTERM) == 0, first.stderr
    assert "left running: another Clinic Desktop uses it" in first.stderr
    assert server_pid(cluster) == pid and not process_gone(pid)  # the second app still works on it
    assert_ended_cleanly(second, second.exit_status_after(signal.SIGINT), cluster, pid)


def test_demo_accounts_are_printed_on_every_demo_start(app_home, launch):
    cluster = app_home.cluster("demo")
    accounts = "sign in as one of: admin, dr.meyer"
    for start in ("first", "second"):
        app = launch("--demo")
        app.wait_until(lambda: accounts in app.stdout, f"demo accounts on the {start} start's stdout")
        assert DEMO_PASSWORD in app.stdout
        pid = server_pid(cluster)
        assert pid is not None
        assert_ended_cleanly(app, app.exit_status_after(signal.SIGTERM), cluster, pid)
