"""Run pytest, and the PostgreSQL cluster it starts, at a faked wall-clock time.

    python -m tests.time_travel --at "2027-03-28 00:30" [--zone Europe/Berlin] [--day-modules | PYTEST ARGS…]

`--at` is a wall-clock time in the clinic's zone (default Europe/Berlin, the test clinic's); the
test process and the server (its postmaster and every backend) begin at that instant and their
clocks run on from there. The test process travels with `time-machine` (it moves `time.time` and
`datetime.now` but leaves sleeps and timeouts alone); the server with libfaketime (Debian's
`faketime`), preloaded into the cluster's processes only — preloaded into Python, libfaketime
0.9.10 breaks `time.sleep` (EINVAL) or hangs timed waits. `--day-modules` runs the modules that
deal with days, dates and "today": the set CI runs at 00:30 and 23:30 of DST-change days.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

LIBRARIES = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
)

#: The modules whose behaviour depends on the date, the hour or the clinic's "today".
DAY_MODULES = (
    "tests/unit/test_clock.py",
    "tests/db/test_server_clock.py",
    "tests/unit/test_medication_schedule.py",
    "tests/unit/test_appointment_rules.py",
    "tests/services/test_medication_doses.py",
    "tests/services/test_medication_dose_sql.py",
    "tests/services/test_medication_adherence.py",
    "tests/services/test_medication_prescriptions.py",
    "tests/services/test_appointment_booking.py",
    "tests/services/test_appointment_calendar.py",
    "tests/services/test_appointment_workflow.py",
    "tests/services/test_glucose_review.py",
    "tests/services/test_glucose_service.py",
    "tests/services/test_patient_service.py",
    "tests/services/test_patient_summary.py",
    "tests/qt/test_patient_audit_viewer.py",
    "tests/qt/test_calendar_pane.py",
    "tests/qt/test_calendar_working_hours.py",
    "tests/qt/test_medication_panes.py",
    "tests/qt/test_glucose_window_selector.py",
)


#: Set for the test process: the UTC instant it starts at (read by tests/conftest.py and tests/support.py).
TRAVEL_ENV = "CLINIC_TEST_TRAVEL_TO"


def server_environment(start: datetime) -> dict[str, str]:
    """What the cluster's processes need in their environment to start at `start` (UTC)."""
    return {
        "LD_PRELOAD": faketime_library(),
        "FAKETIME": "@" + start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),  # starts there, runs on
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # the server's timeouts keep real intervals
        "TZ": "UTC",  # FAKETIME is read in the process's zone
    }


def faketime_library() -> str:
    for candidate in LIBRARIES:
        if Path(candidate).exists():
            return candidate
    raise SystemExit("libfaketime is not installed (Debian package `faketime`)")


def utc_start(wall_clock: str, zone: str) -> datetime:
    """The UTC instant of a wall-clock time in `zone` (the earlier one where the hour repeats)."""
    local = datetime.fromisoformat(wall_clock).replace(tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", required=True, help='wall-clock time in the clinic\'s zone, "YYYY-MM-DD HH:MM"')
    parser.add_argument("--zone", default="Europe/Berlin", help="the clinic's zone (default: Europe/Berlin)")
    parser.add_argument("--day-modules", action="store_true", help="run the modules that deal with days")
    args, pytest_args = parser.parse_known_args(argv)
    start = utc_start(args.at, args.zone)
    faketime_library()  # fail early, with the package's name, where it is missing
    env = dict(os.environ)
    env[TRAVEL_ENV] = start.isoformat()
    if os.environ.get("CLINIC_TEST_DATABASE_URL"):
        print("An external test server keeps its own clock; only the test process travels.", flush=True)
    modules = list(DAY_MODULES) if args.day_modules else []
    print(f"Running the tests at {args.at} {args.zone} ({start:%Y-%m-%d %H:%M} UTC)", flush=True)
    command = [sys.executable, "-m", "pytest", *modules, *pytest_args]
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
