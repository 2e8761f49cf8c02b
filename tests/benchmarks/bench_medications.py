"""Benchmark: adherence for one patient over 90 days, and the clinic's doses-due-today list.

Data (scale 1.0): 5,000 patients × 3 prescriptions (once, twice, three times daily) over 2 years =
6 doses per patient per day ≈ 21.9 million scheduled doses. Design under test: pending doses are
generated from the schedules; only recorded doses are stored — and here EVERY past dose is recorded
(85 % taken, 10 % missed, 5 % skipped), so the log table holds ~21.9 million rows: the worst case
for the lazy design, equal in size to materialising every dose.

Baselines in the same run: an empty unit of work (connection, transaction, RLS settings: the floor
of any service call) and the raw SQL that only fetches the same log rows (no schedule, no DTOs).

The clinic's due list two ways: the old full list (`doses_due`: every dose of the day built in
Python by the ledger, ~30,000 DTOs) is the baseline for the paged list (`doses_due_page`:
PostgreSQL expands the day, joins the log, counts and returns one page) — first page, a page
further on, first page filtered, and the whole day through the paged call; "old/new" is the old
full list's p50 over the row's p50. Adherence for a worklist's 100 patients over 30 days: one SQL
query (what the worklist and the patient header use) against the Python ledger over the same rows.
Run: `nice -n 10 .venv/bin/python tests/benchmarks/bench_medications.py [--scale 1.0] [--repeats 40]`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import create_engine, event, pool, text  # noqa: E402

from clinic_desktop.config.settings import PoolSettings  # noqa: E402
from clinic_desktop.db.database import Database  # noqa: E402
from clinic_desktop.db.engine import ConnectTarget, create_app_engine  # noqa: E402
from clinic_desktop.db.migrate import upgrade_to_head  # noqa: E402
from clinic_desktop.domain.actor import Actor  # noqa: E402
from clinic_desktop.domain.enums import Role  # noqa: E402
from clinic_desktop.services import medication_queries as q  # noqa: E402
from clinic_desktop.services.medication_dto import DoseFilter  # noqa: E402
from clinic_desktop.services.medication_ledger import adherence  # noqa: E402
from clinic_desktop.services.medication_service import MedicationService  # noqa: E402
from tests.support import start_test_server, stop_test_server  # noqa: E402

ZONE = "Europe/Berlin"
DAYS = 730

SEED_SQL = [
    """INSERT INTO clinic (id, name, timezone) VALUES (:clinic, 'Bench clinic', :zone)""",
    """INSERT INTO staff_account (id, clinic_id, username, full_name, role, password_hash)
       VALUES (:nurse, :clinic, 'nurse', 'Nurse Bench', 'nurse', 'x'), (:doctor_staff, :clinic, 'doc', 'Dr Bench', 'doctor', 'x')""",
    """INSERT INTO doctor_profile (id, clinic_id, staff_id, display_name) VALUES (:doctor, :clinic, :doctor_staff, 'Dr Bench')""",
    """INSERT INTO patient (id, clinic_id, mrn, given_name, family_name, date_of_birth)
       SELECT gen_random_uuid(), :clinic, 'M' || g, 'Given' || g, 'Family' || g, DATE '1970-01-01' + (g % 15000)
       FROM generate_series(1, :patients) g""",
    """INSERT INTO medication (clinic_id, patient_id, drug_name, strength, dose, frequency, scheduled_times,
                               start_date, prescriber_id, state)
       SELECT :clinic, p.id, d.name, '500 mg', '1 tablet', d.freq, d.times, :start, :doctor, 'active'
       FROM patient p CROSS JOIN (VALUES
            ('Metformin', 'twice_daily', ARRAY['08:00','20:00']::time[]),
            ('Atorvastatin', 'once_daily', ARRAY['20:00']::time[]),
            ('Gliclazide', 'three_times_daily', ARRAY['08:00','13:00','19:00']::time[])) AS d(name, freq, times)
       WHERE p.clinic_id = :clinic""",
]

# Every past dose recorded, one day-slice at a time (bounded memory, progress visible).
LOG_SQL = """
INSERT INTO medication_dose_log (clinic_id, medication_id, patient_id, scheduled_at, status, taken_at, reason, recorded_by)
SELECT m.clinic_id, m.id, m.patient_id, s.at,
       CASE WHEN r < 0.85 THEN 'taken' WHEN r < 0.95 THEN 'missed' ELSE 'skipped' END,
       CASE WHEN r < 0.85 THEN s.at + interval '10 minutes' END,
       CASE WHEN r >= 0.95 THEN 'bench' END, :nurse
FROM medication m
CROSS JOIN LATERAL unnest(m.scheduled_times) AS t(tod)
CROSS JOIN LATERAL (SELECT ((CAST(:day AS date) + t.tod) AT TIME ZONE :zone) AS at, random() AS r) s
WHERE m.clinic_id = :clinic AND s.at < now()
"""


def _drop_log_keys(conn) -> list[str]:  # noqa: ANN001
    """Drop the dose log's constraints and indexes; return the statements that recreate them as migrated."""
    constraints = conn.execute(text(
        "SELECT conname, contype, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE conrelid = 'medication_dose_log'::regclass AND contype IN ('p', 'u', 'f')")).all()
    indexes = conn.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'medication_dose_log'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'medication_dose_log'::regclass)")).all()
    for c in sorted(constraints, key=lambda c: c.contype != "f"):  # foreign keys first
        conn.execute(text(f'ALTER TABLE medication_dose_log DROP CONSTRAINT "{c.conname}"'))
    for i in indexes:
        conn.execute(text(f'DROP INDEX "{i.indexname}"'))
    keys = [f'ALTER TABLE medication_dose_log ADD CONSTRAINT "{c.conname}" {c.definition}'
            for c in sorted(constraints, key=lambda c: c.contype == "f")]
    return keys + [i.indexdef for i in indexes]


def seed(engine, scale: float) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, list[uuid.UUID]]:  # noqa: ANN001
    ids = {"clinic": uuid.uuid4(), "nurse": uuid.uuid4(), "doctor_staff": uuid.uuid4(), "doctor": uuid.uuid4()}
    patients = max(10, int(5000 * scale))
    today = datetime.now(ZoneInfo(ZONE)).date()
    start = today - timedelta(days=DAYS - 1)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for sql in SEED_SQL:
            conn.execute(text(sql), {**ids, "zone": ZONE, "patients": patients, "start": start})
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        restore = _drop_log_keys(conn)  # bulk load first, build keys and indexes once afterwards
        for k in range(DAYS):
            conn.execute(text(LOG_SQL), {**ids, "zone": ZONE, "day": start + timedelta(days=k)})
            if k % 73 == 0:
                print(f"  seeding log: day {k + 1}/{DAYS} ({time.perf_counter() - t0:.0f} s)", flush=True)
        for statement in restore:
            conn.execute(text(statement))
        print(f"  keys and indexes rebuilt ({time.perf_counter() - t0:.0f} s)", flush=True)
        conn.execute(text("VACUUM ANALYZE"))
        rows = conn.execute(text("SELECT count(*) FROM medication_dose_log")).scalar()
        patient_ids = [r[0] for r in conn.execute(text("SELECT id FROM patient"))]
    print(f"seeded {patients} patients, {3 * patients} prescriptions, {rows:,} recorded doses "
          f"in {time.perf_counter() - t0:.0f} s")
    return ids["clinic"], ids["nurse"], ids["doctor_staff"], patient_ids, ids["doctor"]


class CpuClock:
    """CPU seconds used by this process plus the server backends of `engine`'s connections.

    Wall time on a shared machine includes waiting for the CPU; CPU time per call does not, so
    both are printed. Backend CPU is read from /proc (the bench's own local server); where that is
    not readable only this process is counted and the column says so."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        self.pids: set[int] = set()
        self.server_readable = True
        event.listen(engine, "connect", self._connected)
        engine.dispose()  # from here on every connection is a new one, so every backend is known

    def _connected(self, dbapi_conn, _record) -> None:  # noqa: ANN001
        cursor = dbapi_conn.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        self.pids.add(cursor.fetchone()[0])
        cursor.close()

    def seconds(self) -> float:
        total = time.process_time()
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                self.server_readable = False
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


def timed(op, repeats: int, clock: CpuClock) -> tuple[float, float, float]:  # noqa: ANN001
    """(p50, p95, CPU per call) in ms after two warm-up runs."""
    for _ in range(2):
        op()
    runs = []
    cpu0 = clock.seconds()
    for _ in range(repeats):
        t0 = time.perf_counter()
        op()
        runs.append((time.perf_counter() - t0) * 1000)
    cpu = (clock.seconds() - cpu0) * 1000 / repeats
    runs.sort()
    return statistics.median(runs), runs[min(len(runs) - 1, int(0.95 * len(runs)))], cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 5,000 patients")
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    server = start_test_server()
    try:
        url = server.create_database("bench_medications")
        migrate_engine = create_engine(url, poolclass=pool.NullPool)
        upgrade_to_head(migrate_engine)
        clinic, nurse, doctor_staff, patients, doctor = seed(migrate_engine, args.scale)
        migrate_engine.dispose()
        db = Database(create_app_engine(ConnectTarget(url, None, PoolSettings(size=2, max_overflow=2, timeout_s=30)),
                                        application_name="bench"), workstation="bench")
        run(db, clinic, nurse, doctor_staff, doctor, patients, args.repeats)
        db.dispose()
    finally:
        stop_test_server(server)


def run(db: Database, clinic, nurse, doctor_staff, doctor, patients, repeats: int) -> None:  # noqa: ANN001
    service = MedicationService(db)
    clock = CpuClock(db.engine)
    nurse_actor = Actor(nurse, clinic, Role.NURSE, "nurse", "Nurse Bench")
    doctor_actor = Actor(doctor_staff, clinic, Role.DOCTOR, "doc", "Dr Bench", doctor)
    rng = random.Random(7)
    now = datetime.now(UTC)

    def empty_uow():
        with db.unit_of_work(nurse_actor, read_only=True) as uow:
            uow.session.execute(text("SELECT 1"))

    def raw_patient_log():
        with db.unit_of_work(doctor_actor, read_only=True) as uow:
            uow.session.execute(text("SELECT * FROM medication_dose_log WHERE patient_id = :p AND scheduled_at >= :s"),
                                {"p": rng.choice(patients), "s": now - timedelta(days=90)}).all()

    def raw_clinic_today():
        with db.unit_of_work(nurse_actor, read_only=True) as uow:
            uow.session.execute(text("SELECT * FROM medication_dose_log WHERE clinic_id = :c AND scheduled_at >= :s"),
                                {"c": clinic, "s": now - timedelta(hours=24)}).all()

    def ledger_adherence(ids):  # noqa: ANN001, ANN202 - the Python path adherence_for_patients took before
        with db.unit_of_work(doctor_actor, read_only=True) as uow:
            zone, grace = q.clinic_settings(uow.session, clinic)
            today = datetime.now(zone).date()
            entries = service._ledger(uow.session, doctor_actor, zone, today - timedelta(days=29), today, patient_ids=ids)
        grouped: dict = {pid: [] for pid in ids}
        for entry in entries:
            grouped[entry.plan.patient_id].append(entry)
        now = datetime.now(UTC)
        return {pid: adherence(items, now, grace) for pid, items in grouped.items()}

    first = service.doses_due_page(nurse_actor)
    due_count, worklist = first.counts.total, patients[:100]
    few = max(5, repeats // 4)
    rows = [
        ("baseline: empty unit of work", timed(empty_uow, repeats, clock)),
        ("baseline: raw SQL, one patient's 90-day log rows", timed(raw_patient_log, repeats, clock)),
        ("adherence(patient): 7/30/90 d + 14-day strip", timed(lambda: service.adherence(doctor_actor, rng.choice(patients)), repeats, clock)),
        ("adherence_for_patients([one], 90 d)", timed(lambda: service.adherence_for_patients(doctor_actor, [rng.choice(patients)], 90), repeats, clock)),
        ("baseline: Python ledger, 100 patients' 30-d adherence", timed(lambda: ledger_adherence(worklist), few, clock)),
        ("adherence_for_patients(100 patients, 30 d), SQL", timed(lambda: service.adherence_for_patients(doctor_actor, worklist, 30), repeats, clock)),
        ("doses_due(one patient, today)", timed(lambda: service.doses_due(nurse_actor, patient_id=rng.choice(patients)), repeats, clock)),
        ("baseline: raw SQL, clinic's last-24-h log rows", timed(raw_clinic_today, few, clock)),
        (f"baseline: doses_due(clinic) old full list, {due_count:,}", timed(lambda: service.doses_due(nurse_actor), few, clock)),
        ("doses_due_page: first page (200) + day's counts", timed(lambda: service.doses_due_page(nurse_actor), repeats, clock)),
        ("doses_due_page: next page (after the first)", timed(lambda: service.doses_due_page(nurse_actor, after=first.next_cursor), repeats, clock)),
        ("doses_due_page: first page, not recorded only", timed(lambda: service.doses_due_page(nurse_actor, where=DoseFilter(not_recorded_only=True)), repeats, clock)),
        ("doses_due_page: first page, text filter", timed(lambda: service.doses_due_page(nurse_actor, where=DoseFilter(text="family12")), repeats, clock)),
        (f"doses_due_page: the whole day ({due_count:,}) in one page", timed(lambda: service.doses_due_page(nurse_actor, limit=10 ** 6), few, clock)),
    ]
    floor = rows[0][1][0]
    old = next(p50 for name, (p50, _p95, _cpu) in rows if "old full list" in name)
    cpu_title = "CPU ms/call" if clock.server_readable else "client CPU ms"
    print(f"\n{'operation':58} {'p50 ms':>8} {'p95 ms':>8} {cpu_title:>13} {'p50/empty UoW':>14} {'old/new':>8}"
          "  target < 100 ms")
    for name, (p50, p95, cpu) in rows:
        verdict = "" if name.startswith("baseline") or "whole day" in name else ("ok" if p95 < 100 else "OVER")
        ratio = f"{old / p50:7.1f}x" if name.startswith("doses_due_page") else ""
        print(f"{name:58} {p50:8.1f} {p95:8.1f} {cpu:13.1f} {p50 / floor:14.1f} {ratio:>8}  {verdict}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (CPUs: {os.cpu_count()}); wall time includes waiting "
          "for a CPU, CPU time does not")


if __name__ == "__main__":
    main()
