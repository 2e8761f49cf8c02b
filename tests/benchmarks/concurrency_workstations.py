"""Many workstations at once: N processes (default 20), each with its own pool, edit patients, book
contested slots and import CGM files for --seconds (default 180).

- edits: 10 "hot" patients edited by everyone with optimistic versions (read, then save with the
  version read); a stale save is a reported conflict, never a silent overwrite;
- bookings: 300 partly overlapping slots of 5 doctors; the loser of a race is told "slot taken";
  workers cancel some of their own bookings so the slots stay contested;
- imports: the same Dexcom file for one of 20 patients, again and again (idempotent).
Retryable errors (deadlock, serialization) are retried with backoff and counted. The parent samples
pg_stat_activity to find each workstation's largest number of connections (the pool bound is 2+2).

Afterwards: overlapping open appointments (must be 0), lost updates = successful saves reported
minus the versions the hot patients actually advanced (must be 0), duplicate readings (must be 0).
Run: `nice -n 10 .venv/bin/python tests/benchmarks/concurrency_workstations.py [--seconds 180] [--processes 20]`.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appointment_bench_setup import fresh_database, seed_clinic, start_test_server, stop_test_server  # noqa: E402
from concurrency_booking import OVERLAPS, contested_slots  # noqa: E402
from sqlalchemy import text  # noqa: E402

from clinic_desktop.config.settings import PoolSettings  # noqa: E402
from clinic_desktop.db.database import Database  # noqa: E402
from clinic_desktop.db.engine import ConnectTarget, create_app_engine  # noqa: E402
from clinic_desktop.domain.actor import Actor  # noqa: E402
from clinic_desktop.domain.enums import AppointmentReason, Role  # noqa: E402
from clinic_desktop.domain.errors import ConflictError, DomainError, StaleRecord  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "cgm" / "dexcom_clarity_mgdl.csv"
POOL = PoolSettings(size=2, max_overflow=2, timeout_s=30)


def _with_retry(op, counts: Counter):  # noqa: ANN001, ANN202
    for attempt in range(6):
        try:
            return op()
        except DomainError as exc:
            if not getattr(exc, "retryable", False) or attempt == 5:
                raise
            counts["retries"] += 1
            time.sleep(0.02 * 2 ** attempt * random.uniform(0.5, 1.5))


def worker(index: int, url: str, setup: dict, seconds: float, queue: mp.Queue) -> None:
    from clinic_desktop.services.appointment_service import AppointmentService
    from clinic_desktop.services.glucose_import_service import GlucoseImportService
    from clinic_desktop.services.patient_service import PatientService

    engine = create_app_engine(ConnectTarget(url, None, POOL), application_name=f"clinic-ws{index:02d}")
    db = Database(engine, workstation=f"ws{index}")
    clinic_id = setup["clinic_id"]
    reception = Actor(setup["reception"], clinic_id, Role.RECEPTIONIST, "reception_bench", "Reception")
    nurse = Actor(setup["nurse"], clinic_id, Role.NURSE, "nurse_bench", "Nurse")
    patients, calendar, imports = PatientService(db), AppointmentService(db), GlucoseImportService(db)
    rng = random.Random(index)
    counts: Counter = Counter()
    mine: list = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        roll = rng.random()
        try:
            if roll < 0.4:
                pid = rng.choice(setup["hot"])
                record = _with_retry(lambda: patients.get(reception, pid), counts)
                _with_retry(lambda: patients.update(reception, pid, data={"address": f"ws{index} edit {counts['edits']}"},
                                                    expected_version=record.version), counts)
                counts["edits"] += 1
                counts[f"saved:{pid}"] += 1
            elif roll < 0.8:
                doctor, start, minutes = rng.choice(setup["slots"])
                if mine and rng.random() < 0.3:
                    appt = mine.pop(rng.randrange(len(mine)))
                    _with_retry(lambda: calendar.cancel(reception, appt.id, expected_version=appt.version,
                                                        reason="freed by the run"), counts)
                    counts["cancellations"] += 1
                    continue
                booked = _with_retry(lambda: calendar.book(
                    reception, patient_id=rng.choice(setup["patients"]), doctor_id=doctor, starts_at=start,
                    duration_minutes=minutes, reason=AppointmentReason.FOLLOW_UP, request_id=uuid.uuid4(),
                    override_hours=True), counts)
                mine.append(booked)
                counts["bookings"] += 1
            else:
                pid = rng.choice(setup["import_patients"])
                result = _with_retry(lambda: imports.import_file(nurse, pid, str(DATA), kind="dexcom"), counts)
                counts["imports"] += 1
                counts["readings_added"] += result.stored
        except StaleRecord:
            counts["edit_conflicts"] += 1
        except ConflictError:
            counts["booking_conflicts" if roll < 0.8 and roll >= 0.4 else "other_conflicts"] += 1
        except DomainError as exc:
            counts[f"error:{type(exc).__name__}"] += 1
    engine.dispose()
    queue.put(dict(counts))


def _setup(db: Database) -> dict:
    bench = seed_clinic(db, doctors=5, patients=200)
    nurse = uuid.uuid4()
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO staff_account (id, clinic_id, username, full_name, role, password_hash) "
                          "VALUES (:i, :c, 'nurse_bench', 'Nurse', 'nurse', 'x')"), {"i": nurse, "c": bench.clinic_id})
    return {"clinic_id": bench.clinic_id, "reception": bench.receptionist.staff_id, "nurse": nurse,
            "hot": bench.patients[:10], "patients": bench.patients, "import_patients": bench.patients[10:30],
            "slots": contested_slots(bench.doctors, 300)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--processes", type=int, default=20)
    args = parser.parse_args()
    server = start_test_server()
    try:
        db, url = fresh_database(server)
        setup = _setup(db)
        versions_before = _versions(db, setup["hot"])
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        procs = [ctx.Process(target=worker, args=(i, url, setup, args.seconds, queue)) for i in range(args.processes)]
        started = time.time()
        for p in procs:
            p.start()
        peak = _sample_connections(db, procs)
        results = [queue.get(timeout=120) for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.time() - started
        _report(db, setup, results, versions_before, peak, elapsed, args)
        db.dispose()
    finally:
        stop_test_server(server)


def _versions(db: Database, ids: list) -> dict:
    with db.engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, version FROM patient WHERE id = ANY(:ids)"), {"ids": ids}).all())


def _sample_connections(db: Database, procs: list) -> int:
    peak = 0
    while any(p.is_alive() for p in procs):
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT application_name, count(*) FROM pg_stat_activity "
                                     "WHERE application_name LIKE 'clinic-ws%' GROUP BY 1")).all()
        peak = max([peak] + [n for _name, n in rows])
        time.sleep(0.25)
    return peak


def _report(db: Database, setup: dict, results: list[dict], before: dict, peak: int, elapsed: float, args) -> None:  # noqa: ANN001
    total: Counter = Counter()
    for r in results:
        total.update(r)
    after = _versions(db, setup["hot"])
    saved = sum(total.get(f"saved:{pid}", 0) for pid in setup["hot"])
    advanced = sum(after[pid] - before[pid] for pid in setup["hot"])
    with db.engine.connect() as conn:
        overlaps = conn.execute(text(OVERLAPS)).scalar_one()
        duplicates = conn.execute(text(
            "SELECT count(*) - count(DISTINCT (patient_id, source, recorded_at)) FROM glucose_reading")).scalar_one()
        readings = conn.execute(text("SELECT count(*) FROM glucose_reading")).scalar_one()
    ops = total["edits"] + total["bookings"] + total["cancellations"] + total["imports"]
    attempts = ops + total["edit_conflicts"] + total["booking_conflicts"] + total["other_conflicts"]
    print(f"\nConcurrency run: {args.processes} processes × {args.seconds:.0f} s (elapsed {elapsed:.0f} s; 2 shared cores)\n")
    rows = [("operations completed", ops), ("  patient saves", total["edits"]), ("  bookings", total["bookings"]),
            ("  cancellations", total["cancellations"]), ("  CGM imports", total["imports"]),
            ("attempts per second", f"{attempts / elapsed:.1f}"), ("operations per second", f"{ops / elapsed:.1f}"),
            ("edit conflicts reported (stale version)", total["edit_conflicts"]),
            ("booking conflicts reported (slot taken)", total["booking_conflicts"]),
            ("retries after deadlock/serialization", total["retries"]),
            ("other errors", sum(v for k, v in total.items() if k.startswith("error:")) + total["other_conflicts"]),
            ("largest pool of one workstation (bound 4)", peak),
            ("overlapping appointments found", overlaps),
            ("lost updates (saves reported − versions advanced)", saved - advanced),
            ("duplicate readings", duplicates), ("readings stored (distinct)", readings)]
    for name, value in rows:
        print(f"{name:<52} {value:>10}")
    errors = {k: v for k, v in total.items() if k.startswith("error:")}
    if errors:
        print("errors by kind:", errors)


if __name__ == "__main__":
    main()
