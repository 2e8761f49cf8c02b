"""Concurrency run: N processes (default 20), each with its own connection, book 500 contested
slots at once for --seconds (default 60). Slots overlap partially (15-minute offsets, 30- and
45-minute durations) across 5 doctors; each worker cancels some of its own bookings again so the
slots stay contested for the whole run. Afterwards an SQL self-join counts overlapping open
appointments of a doctor or a patient: it must be 0.

Prints bookings/s, conflicts reported (SlotTaken and patient overlaps), cancellations, other
errors, and the overlap count. Baseline in the same run: one process booking the free slots of
a fresh clinic alone (uncontended bookings/s).
Run: `nice -n 10 .venv/bin/python tests/benchmarks/concurrency_booking.py [--seconds 60] [--processes 20]`.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appointment_bench_setup import fresh_database, open_database, seed_clinic, start_test_server, stop_test_server  # noqa: E402
from sqlalchemy import text  # noqa: E402

from clinic_desktop.domain.appointment_rules import local_wall_time  # noqa: E402
from clinic_desktop.domain.enums import AppointmentReason  # noqa: E402
from clinic_desktop.domain.errors import ConflictError, DomainError  # noqa: E402
from clinic_desktop.services.appointment_dto import SlotTaken  # noqa: E402
from clinic_desktop.services.appointment_service import AppointmentService  # noqa: E402

TZ = ZoneInfo("Europe/Berlin")
OVERLAPS = """
SELECT count(*) FROM appointment a JOIN appointment b
  ON a.id < b.id AND (a.doctor_id = b.doctor_id OR a.patient_id = b.patient_id)
 AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')
WHERE a.deleted_at IS NULL AND b.deleted_at IS NULL
  AND a.status IN ('requested','confirmed','checked_in','completed')
  AND b.status IN ('requested','confirmed','checked_in','completed')
"""


def contested_slots(doctors, count: int) -> list[tuple]:  # noqa: ANN001
    """`count` (doctor, start, minutes) in working hours of the coming weeks, overlapping each other."""
    today = datetime.now(timezone.utc).astimezone(TZ).date()
    day = today + timedelta(days=7 - today.weekday())  # next Monday
    slots = []
    while len(slots) < count:
        if day.isoweekday() <= 5:
            for doctor in doctors:
                for quarter in range(0, 8 * 4 - 3):  # 08:00 .. 15:45 starts, 15-minute steps
                    start = local_wall_time(day, dtime(8 + quarter // 4, 15 * (quarter % 4)), TZ)
                    slots.append((doctor, start, 30 if quarter % 2 else 45))
        day += timedelta(days=1)
    return slots[:count]


def worker(url, actor, slots, patients, seconds: float, seed: int, queue, ready, go) -> None:  # noqa: ANN001
    database = open_database(url, pool_size=1)
    service = AppointmentService(database)
    service.doctors(actor)  # connect before the start signal, so all start together
    rng = random.Random(seed)
    ready.release()
    go.wait()
    stats = {"booked": 0, "slot_taken": 0, "patient_conflict": 0, "cancelled": 0, "errors": 0}
    mine: list = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        doctor, start, minutes = rng.choice(slots)
        try:
            appt = service.book(actor, patient_id=rng.choice(patients), doctor_id=doctor, starts_at=start,
                                duration_minutes=minutes, reason=AppointmentReason.FOLLOW_UP)
            stats["booked"] += 1
            mine.append(appt)
        except SlotTaken:
            stats["slot_taken"] += 1
        except ConflictError:
            stats["patient_conflict"] += 1
        except DomainError:
            stats["errors"] += 1
        if mine and rng.random() < 0.3:  # free a slot again so contention goes on
            appt = mine.pop(rng.randrange(len(mine)))
            try:
                service.cancel(actor, appt.id, expected_version=appt.version, reason="benchmark churn")
                stats["cancelled"] += 1
            except DomainError:
                stats["errors"] += 1
    database.dispose()
    queue.put(stats)


def run_workers(url, clinic, slots, processes: int, seconds: float) -> tuple[dict, float]:  # noqa: ANN001
    ctx = mp.get_context("spawn")
    queue, ready, go = ctx.Queue(), ctx.Semaphore(0), ctx.Event()
    per = len(clinic.patients) // processes
    procs = [ctx.Process(target=worker, args=(url, clinic.receptionist, slots, clinic.patients[i * per:(i + 1) * per],
                                              seconds, i, queue, ready, go)) for i in range(processes)]
    for p in procs:
        p.start()
    for _ in procs:  # every process imported, connected and waiting: the race starts at once
        ready.acquire(timeout=300)
    t0 = time.perf_counter()
    go.set()
    results = [queue.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    total = {k: sum(r[k] for r in results) for k in results[0]}
    return total, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=20)
    parser.add_argument("--slots", type=int, default=500)
    args = parser.parse_args()
    server = start_test_server()
    try:
        # Baseline: one process, no contention, on its own fresh database.
        base_db, base_url = fresh_database(server)
        base_clinic = seed_clinic(base_db, doctors=5, patients=2000)
        base_db.dispose()
        base_slots = contested_slots(base_clinic.doctors, args.slots)
        base, base_elapsed = run_workers(base_url, base_clinic, base_slots, 1, min(args.seconds, 15))
        database, url = fresh_database(server)
        clinic = seed_clinic(database, doctors=5, patients=args.processes * 200)
        slots = contested_slots(clinic.doctors, args.slots)
        total, elapsed = run_workers(url, clinic, slots, args.processes, args.seconds)
        with database.engine.connect() as conn:
            overlaps = conn.execute(text(OVERLAPS)).scalar_one()
            open_rows = conn.execute(text(
                "SELECT count(*) FROM appointment WHERE status IN ('requested','confirmed')")).scalar_one()
        database.dispose()
    finally:
        stop_test_server(server)
    attempts = total["booked"] + total["slot_taken"] + total["patient_conflict"] + total["errors"]
    print(f"{args.processes} processes x {args.seconds:.0f} s on {args.slots} contested slots (5 doctors, partial overlaps)")
    print(f"{'':<34}{'contended':>12}{'baseline (1 proc)':>20}")
    print(f"{'booking attempts':<34}{attempts:>12,}{base['booked'] + base['slot_taken'] + base['patient_conflict']:>20,}")
    print(f"{'bookings committed':<34}{total['booked']:>12,}{base['booked']:>20,}")
    print(f"{'attempts/s':<34}{attempts / elapsed:>12.1f}{(base['booked'] + base['slot_taken']) / base_elapsed:>20.1f}")
    print(f"{'bookings/s':<34}{total['booked'] / elapsed:>12.1f}{base['booked'] / base_elapsed:>20.1f}")
    print(f"{'conflicts reported (slot taken)':<34}{total['slot_taken']:>12,}{base['slot_taken']:>20,}")
    print(f"{'conflicts reported (patient)':<34}{total['patient_conflict']:>12,}{base['patient_conflict']:>20,}")
    print(f"{'cancellations (churn)':<34}{total['cancelled']:>12,}{base['cancelled']:>20,}")
    print(f"{'other errors':<34}{total['errors']:>12,}{base['errors']:>20,}")
    print(f"{'open appointments at the end':<34}{open_rows:>12,}")
    print(f"{'overlaps found afterwards':<34}{overlaps:>12,}   (must be 0)")
    if overlaps:
        sys.exit(1)


if __name__ == "__main__":
    main()
