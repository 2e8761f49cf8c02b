"""Shared set-up of the appointment benchmarks: a throwaway server (or CLINIC_TEST_DATABASE_URL),
a database at head, a clinic with doctors and patients written with COPY."""

from __future__ import annotations

import io
import sys
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import create_engine, pool  # noqa: E402

from clinic_desktop.config.settings import PoolSettings  # noqa: E402
from clinic_desktop.db.database import Database  # noqa: E402
from clinic_desktop.db.engine import ConnectTarget, create_app_engine  # noqa: E402
from clinic_desktop.db.migrate import upgrade_to_head  # noqa: E402
from clinic_desktop.domain.actor import Actor  # noqa: E402
from clinic_desktop.domain.enums import Role  # noqa: E402
from tests.support import TestServer, start_test_server, stop_test_server  # noqa: E402,F401


@dataclass(frozen=True)
class BenchClinic:
    clinic_id: uuid.UUID
    receptionist: Actor
    doctors: list[uuid.UUID]
    patients: list[uuid.UUID]


def fresh_database(server: TestServer, *, pool_size: int = 4) -> tuple[Database, object]:
    name = server.unique_name("bench")
    url = server.create_database(name)
    engine = create_engine(url, poolclass=pool.NullPool)
    upgrade_to_head(engine)
    engine.dispose()
    return open_database(url, pool_size=pool_size), url


def open_database(url, *, pool_size: int = 2) -> Database:  # noqa: ANN001
    target = ConnectTarget(url, None, PoolSettings(size=pool_size, max_overflow=2, timeout_s=30))
    return Database(create_app_engine(target, application_name="clinic-bench"), workstation=f"bench-{uuid.uuid4().hex[:6]}")


def copy_rows(raw, table: str, columns: list[str], rows) -> int:  # noqa: ANN001
    """COPY rows (tuples of str) into table; the fastest way PostgreSQL takes bulk data."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        count += 1
    buffer.seek(0)
    with raw.cursor() as cur:
        cur.execute("SET statement_timeout = 0")  # a bulk load outlasts the app's 30 s guard
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
    return count


def seed_clinic(database: Database, *, doctors: int, patients: int, timezone: str = "Europe/Berlin") -> BenchClinic:
    clinic_id, reception_id = uuid.uuid4(), uuid.uuid4()
    doctor_staff = [uuid.uuid4() for _ in range(doctors)]
    doctor_ids = [uuid.uuid4() for _ in range(doctors)]
    patient_ids = [uuid.uuid4() for _ in range(patients)]
    raw = database.engine.raw_connection()
    try:
        driver = raw.driver_connection
        with driver.cursor() as cur:
            cur.execute("INSERT INTO clinic (id, name, timezone) VALUES (%s, 'Bench clinic', %s)", (clinic_id, timezone))
        staff = [(reception_id, clinic_id, "reception_bench", "Reception", "receptionist", "x")]
        staff += [(s, clinic_id, f"doc{i}", f"Doctor {i}", "doctor", "x") for i, s in enumerate(doctor_staff)]
        copy_rows(driver, "staff_account", ["id", "clinic_id", "username", "full_name", "role", "password_hash"], staff)
        copy_rows(driver, "doctor_profile", ["id", "clinic_id", "staff_id", "display_name"],
                  [(d, clinic_id, s, f"Dr {i:02d}") for i, (d, s) in enumerate(zip(doctor_ids, doctor_staff))])
        copy_rows(driver, "patient", ["id", "clinic_id", "mrn", "given_name", "family_name", "date_of_birth"],
                  [(p, clinic_id, f"M{i:07d}", f"Given{i}", f"Family{i}", date(1950 + i % 50, 1 + i % 12, 1 + i % 28))
                   for i, p in enumerate(patient_ids)])
        driver.commit()
    finally:
        raw.close()
    actor = Actor(reception_id, clinic_id, Role.RECEPTIONIST, "reception_bench", "Reception")
    return BenchClinic(clinic_id, actor, doctor_ids, patient_ids)
