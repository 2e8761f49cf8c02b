"""Test helpers for the glucose services: patients and CGM traces written straight to the real database."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from clinic_desktop.db.database import Database
from clinic_desktop.db.models import Patient
from clinic_desktop.db.timeseries import backend_for
from clinic_desktop.domain.enums import GlucoseUnit


class RecordingState:
    """A TaskState stand-in: records progress, cancels after `cancel_after` checks."""

    class Cancelled(Exception):
        pass

    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[tuple[int, int, str]] = []
        self.checks = 0
        self.cancel_after = cancel_after

    def report(self, done: int, total: int, text: str = "") -> None:
        self.reports.append((done, total, text))

    def check_cancelled(self) -> None:
        self.checks += 1
        if self.cancel_after is not None and self.checks > self.cancel_after:
            raise RecordingState.Cancelled()


def make_patient(database: Database, actor, *, family: str = "Doe", unit: GlucoseUnit = GlucoseUnit.MG_DL,
                 doctor_id: uuid.UUID | None = None) -> uuid.UUID:  # noqa: ANN001
    with database.unit_of_work(actor) as uow:
        p = Patient(clinic_id=actor.clinic_id, mrn=f"M{uuid.uuid4().hex[:8]}", given_name="Sam", family_name=family,
                    date_of_birth=date(1975, 3, 4), glucose_unit=unit, responsible_doctor_id=doctor_id)
        uow.session.add(p)
        uow.session.flush()
        return p.id


def seed_trace(database: Database, clinic_id: uuid.UUID, patient_id: uuid.UUID, start: datetime,
               values, *, step: timedelta = timedelta(minutes=5), source: str = "dexcom") -> list[datetime]:
    """Insert `values` every `step` from `start` and keep the aggregates current (as the services do)."""
    times = [start + i * step for i in range(len(values))]
    rows = [{"c": clinic_id, "p": patient_id, "t": t, "v": float(v)} for t, v in zip(times, values)]
    with Session(database.engine) as session, session.begin():
        session.execute(text("SELECT set_config('app.clinic_id', :c, true)"), {"c": str(clinic_id)})
        session.execute(text("INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source, context) "
                             f"VALUES (:c, :p, :t, :v, '{source}', 'cgm')"), rows)
        backend_for(database).after_write(session, patient_id, times[0], times[-1])
    backend_for(database).after_commit(database.engine, times[0], times[-1])
    return times


def daily_pattern(days: int, *, low_every_day: bool = False, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = days * 288
    g = 140 + 50 * np.sin(np.arange(n) * 2 * np.pi / 288) + rng.normal(0, 5, n)
    if low_every_day:
        g[100::288] = 45.0
    return np.clip(g, 40, 400)


def utc_now_minute() -> datetime:
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)
