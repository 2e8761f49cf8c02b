"""A test-only stand-in for the glucose service's read calls, querying the REAL test database.

It exists so the pane's background loading can be tested against PostgreSQL before (and
independently of) the data side's full GlucoseService; it follows the same call signatures the
pane's gateway uses. Plain SQL with `date_bin` (PostgreSQL 14+), min/max/mean per bucket.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import text

from clinic_desktop.db.database import Database
from clinic_desktop.db.models import PatientReview
from clinic_desktop.domain.enums import GlucoseUnit, ReadingContext, ReadingFlag, ReadingSource
from clinic_desktop.services.glucose_dto import GlucoseSeries, ReadingDTO, WorklistRow

RAW_BELOW_SECONDS = 300.0  # buckets narrower than a CGM interval: send raw readings


class GlucoseReadStandIn:
    """chart_series / list_readings / (empty) metrics, AGP, overlays and events from the real DB."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def chart_series(self, actor, patient_id: uuid.UUID, *, start: datetime, end: datetime, pixels: int) -> GlucoseSeries:  # noqa: ANN001
        width = (end - start).total_seconds() / max(pixels, 1)
        with self._db.unit_of_work(actor, read_only=True) as uow:
            if width < RAW_BELOW_SECONDS:
                rows = uow.session.execute(text(
                    "SELECT extract(epoch FROM recorded_at), value_mgdl, flag::text FROM glucose_reading "
                    "WHERE patient_id = :p AND recorded_at >= :s AND recorded_at < :e ORDER BY recorded_at"),
                    {"p": patient_id, "s": start, "e": end}).all()
                t = np.array([r[0] for r in rows], float)
                v = np.array([r[1] for r in rows], float)
                flags = np.array([ReadingFlag(r[2]) for r in rows], dtype=object)
                return GlucoseSeries(patient_id, start, end, t, v, v.copy(), v.copy(), True, 0.0, flags)
            rows = uow.session.execute(text(
                "SELECT extract(epoch FROM date_bin(make_interval(secs => :w), recorded_at, :s)) AS b, "
                "avg(value_mgdl), min(value_mgdl), max(value_mgdl) FROM glucose_reading "
                "WHERE patient_id = :p AND recorded_at >= :s AND recorded_at < :e GROUP BY b ORDER BY b"),
                {"w": width, "p": patient_id, "s": start, "e": end}).all()
        arr = np.array(rows, float).reshape(-1, 4)
        return GlucoseSeries(patient_id, start, end, arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], False, width)

    def list_readings(self, actor, patient_id: uuid.UUID, *, start: datetime, end: datetime) -> list[ReadingDTO]:  # noqa: ANN001
        with self._db.unit_of_work(actor, read_only=True) as uow:
            rows = uow.session.execute(text(
                "SELECT id, recorded_at, value_mgdl, source::text, context::text, flag::text, note FROM glucose_reading "
                "WHERE patient_id = :p AND recorded_at >= :s AND recorded_at < :e ORDER BY recorded_at DESC"),
                {"p": patient_id, "s": start, "e": end}).all()
        return [ReadingDTO(r[0], patient_id, r[1], float(r[2]), ReadingSource(r[3]), ReadingContext(r[4]) if r[4] else None,
                           ReadingFlag(r[5]), r[6]) for r in rows]

    def metrics(self, actor, patient_id, *, start, end):  # noqa: ANN001
        return None

    def agp(self, actor, patient_id, *, start, end):  # noqa: ANN001
        return None

    def daily_overlays(self, actor, patient_id, *, start, end):  # noqa: ANN001
        return []

    def active_events(self, actor, patient_id=None):  # noqa: ANN001
        return []

    def review_worklist(self, actor) -> list[WorklistRow]:  # noqa: ANN001
        """Last-14-day figures per patient with readings (a simple stand-in for the real ranking)."""
        with self._db.unit_of_work(actor, read_only=True) as uow:
            rows = uow.session.execute(text(
                "SELECT p.id, p.family_name || ', ' || p.given_name, p.mrn, p.glucose_unit::text, "
                "100.0 * avg((g.value_mgdl BETWEEN 70 AND 180)::int), 100.0 * avg((g.value_mgdl < 70)::int), "
                "100.0 * avg((g.value_mgdl < 54)::int), 100.0 * stddev_samp(g.value_mgdl) / avg(g.value_mgdl), "
                "(SELECT max(r.reviewed_at) FROM patient_review r WHERE r.patient_id = p.id), max(g.recorded_at) "
                "FROM patient p JOIN glucose_reading g ON g.patient_id = p.id AND g.recorded_at > now() - interval '14 days' "
                "WHERE p.clinic_id = :c GROUP BY p.id"), {"c": actor.clinic_id}).all()
        result = []
        for r in rows:
            reasons = tuple(t for t, bad in (("TIR under 70 %", r[4] < 70), ("TBR <70 over 4 %", r[5] > 4),
                                             ("TBR <54 over 1 %", r[6] > 1), ("CV over 36 %", r[7] > 36)) if bad)
            result.append(WorklistRow(r[0], r[1], r[2], GlucoseUnit(r[3]), float(r[4]), float(r[5]), float(r[6]),
                                      float(r[7]), 0, r[8], r[9], 10.0 * len(reasons), reasons))
        return result

    def mark_reviewed(self, actor, patient_id: uuid.UUID) -> None:  # noqa: ANN001
        with self._db.unit_of_work(actor) as uow:
            uow.session.add(PatientReview(clinic_id=actor.clinic_id, patient_id=patient_id, reviewed_by=actor.staff_id))
            uow.changed("patient_review", patient_id)


def seed_readings(database: Database, clinic_id: uuid.UUID, patient_id: uuid.UUID, *, end: datetime, days: int) -> int:
    """5-minute CGM readings ending at `end` (one severe low per day), inserted in one statement."""
    start = end - timedelta(days=days)
    n = days * 288
    values = 120 + 50 * np.sin(np.arange(n) * 2 * np.pi / 288)
    values[::288] = 48.0
    rows = [{"c": clinic_id, "p": patient_id, "t": start + timedelta(minutes=5 * i), "v": float(values[i])} for i in range(n)]
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source, context) "
                          "VALUES (:c, :p, :t, :v, 'dexcom', 'cgm')"), rows)
    return n


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)
