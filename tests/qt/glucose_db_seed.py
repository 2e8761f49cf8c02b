"""Seeding helpers for the Qt glucose tests, which run the REAL GlucoseService on the test PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from clinic_desktop.db.database import Database
from clinic_desktop.db.timeseries import backend_for


def seed_readings(database: Database, clinic_id: uuid.UUID, patient_id: uuid.UUID, *, end: datetime, days: int) -> int:
    """5-minute CGM readings ending at `end` (one severe low per day), inserted in one transaction
    that also keeps the hourly aggregate current, as the import service does."""
    start = end - timedelta(days=days)
    n = days * 288
    values = 120 + 50 * np.sin(np.arange(n) * 2 * np.pi / 288)
    values[::288] = 48.0
    rows = [{"c": clinic_id, "p": patient_id, "t": start + timedelta(minutes=5 * i), "v": float(values[i])} for i in range(n)]
    with Session(database.engine) as session, session.begin():
        session.execute(text("INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source, context) "
                             "VALUES (:c, :p, :t, :v, 'dexcom', 'cgm')"), rows)
        backend_for(database).after_write(session, patient_id, start, end)
    backend_for(database).after_commit(database.engine, start, end)
    return n


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)
