"""Startup benchmark: process start → login window painted, RSS then, first-launch migration, pool checkout.

Run by hand:  .venv/bin/python tests/benchmarks/bench_startup.py [--runs 5]
Prints a table with each figure and its ratio to a baseline measured in the same run:
- login window: the real launch path (`clinic-desktop --demo` on its local cluster, offscreen) vs a
  bare PySide6 window painted by a fresh interpreter; both cold and with the cluster already up;
- migration: every revision on an empty database vs copying a migrated template (CREATE DATABASE … TEMPLATE);
- pool checkout: a pooled connection vs opening a new one each time.
Everything runs in a throwaway config/data folder; nothing of the user's is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

_CHILD = r"""
import os, sys, time, json, argparse
t0 = float(sys.argv[1]); mode = sys.argv[2]
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

from PySide6.QtCore import QTimer

class FirstPaint(QObject):
    # Records the first paint of the wanted window, then (login) when signing in becomes possible.
    def __init__(self, wanted):
        super().__init__(); self.wanted = wanted; self.painted = None
    def eventFilter(self, obj, event):
        if self.painted is None and event.type() == QEvent.Type.Paint and type(obj).__name__ == self.wanted:
            self.painted = {"seconds": time.time() - t0, "rss_mb": rss_mb()}
            if self.wanted != "LoginDialog":
                self.finish(self.painted["seconds"])
            else:
                self.wait_ready(obj)
        return False
    def wait_ready(self, dialog):
        if getattr(dialog, "_login", None) is not None:
            self.finish(time.time() - t0)
        else:
            QTimer.singleShot(10, lambda: self.wait_ready(dialog))
    def finish(self, ready):
        print(json.dumps({**self.painted, "ready": ready}), flush=True)
        os._exit(0)

app = QApplication([])
if mode == "bare":
    f = FirstPaint("QLabel"); app.installEventFilter(f)
    label = QLabel("hello"); label.show(); app.exec()
else:
    from clinic_desktop.config.settings import SettingsStore
    from clinic_desktop.qt.startup import Startup
    f = FirstPaint("LoginDialog"); app.installEventFilter(f)
    Startup(app, SettingsStore(), argparse.Namespace(demo=True, profile=None, verbose=False, command=None)).run()
"""


def launch(mode: str, env: dict[str, str]) -> dict[str, float]:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", _CHILD, repr(start), mode], capture_output=True, text=True, env=env,
                         cwd=REPO, timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{mode} launch failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def row(name: str, values: list[float], baseline: list[float] | None, unit: str = "ms", scale: float = 1000.0) -> str:
    p50, p95 = percentile(values, 0.5) * scale, percentile(values, 0.95) * scale
    ratio = f"{statistics.median(values) / statistics.median(baseline):6.1f}×" if baseline else "      "
    return f"{name:<48} {p50:9.1f} {p95:9.1f} {unit:<3} {ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="clinic-bench-startup-", dir="/tmp"))
    os.chmod(root, 0o755)
    env = {**os.environ, "CLINIC_DESKTOP_CONFIG_DIR": str(root / "config"), "CLINIC_DESKTOP_DATA_DIR": str(root / "data")}
    from clinic_desktop.config.settings import ConnectionProfile, SettingsStore
    from clinic_desktop.runtime import local_cluster_for

    settings = SettingsStore(config_dir=root / "config", data_dir=root / "data")
    try:
        print("Preparing the demo database (first launch)…", file=sys.stderr)
        first = launch("app", env)
        cluster = local_cluster_for(ConnectionProfile(name="demo"), settings)
        bare = [launch("bare", env) for _ in range(args.runs)]
        warm = [launch("app", env) for _ in range(args.runs)]  # the cluster stays up between launches
        cold = []
        for _ in range(max(2, args.runs // 2)):
            cluster.stop()
            cold.append(launch("app", env))
        cluster.stop()
        migrate_times, template_times, pooled, fresh = _database_figures()
        bare_s = [r["seconds"] for r in bare]
        print(f"\nClinic Desktop startup benchmark ({args.runs} runs; machine shared, 2 cores)\n")
        print(f"{'figure':<48} {'p50':>9} {'p95':>9}     vs baseline")
        print(row("bare PySide6 window painted (baseline)", bare_s, None))
        print(row("login window painted, local cluster running", [r["seconds"] for r in warm], bare_s))
        print(row("  … sign-in possible (database open)", [r["ready"] for r in warm], bare_s))
        print(row("login window painted, cluster stopped (cold)", [r["seconds"] for r in cold], bare_s))
        print(row("  … sign-in possible (cluster started)", [r["ready"] for r in cold], bare_s))
        print(row("first launch: login window painted", [first["seconds"]], bare_s))
        print(row("  … sign-in possible (cluster made, migrated, demo)", [first["ready"]], bare_s))
        print(row("RSS at login window (MB)", [r["rss_mb"] for r in warm], [r["rss_mb"] for r in bare], "MB", 1.0))
        print(row("copy a migrated template database (baseline)", template_times, None))
        print(row("first-launch migration, empty → head", migrate_times, template_times))
        print(row("new connection each time (baseline)", fresh, None))
        print(row("pool checkout + SELECT 1", pooled, fresh))
    finally:
        subprocess.run(["pkill", "-f", str(root)], check=False)
        shutil.rmtree(root, ignore_errors=True)


def _database_figures() -> tuple[list[float], list[float], list[float], list[float]]:
    import psycopg
    from sqlalchemy import create_engine, pool, text

    from clinic_desktop.db.engine import create_app_engine, target_for_url
    from clinic_desktop.db.migrate import upgrade_to_head
    from tests.support import start_test_server, stop_test_server

    server = start_test_server()
    try:
        template = server.unique_name("tpl")
        url = server.create_database(template)
        upgrade_to_head(create_engine(url, poolclass=pool.NullPool))
        migrate_times, template_times = [], []
        for _ in range(3):
            empty = server.create_database(server.unique_name("m"))
            engine = create_engine(empty, poolclass=pool.NullPool)
            t = time.perf_counter()
            upgrade_to_head(engine)
            migrate_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            server.create_database(server.unique_name("c"), template=template)
            template_times.append(time.perf_counter() - t)
        engine = create_app_engine(target_for_url(url.render_as_string(hide_password=False)))
        pooled, fresh = [], []
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        for _ in range(200):
            t = time.perf_counter()
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            pooled.append(time.perf_counter() - t)
        conninfo = dict(host=url.host, port=url.port, user=url.username, dbname=url.database)
        for _ in range(50):
            t = time.perf_counter()
            with psycopg.connect(**conninfo) as raw:
                raw.execute("SELECT 1")
            fresh.append(time.perf_counter() - t)
        engine.dispose()
        return migrate_times, template_times, pooled, fresh
    finally:
        stop_test_server(server)


if __name__ == "__main__":
    main()
