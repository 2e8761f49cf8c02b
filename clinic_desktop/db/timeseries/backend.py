"""The time-series interface the glucose services use, and what both backends share.

Both backends read the public security-barrier views `glucose_hourly` and `glucose_daily` (per
patient and hour / UTC day: count, sum, sum of squares, min, max and counts per consensus range),
which are TimescaleDB continuous aggregates with real-time aggregation or rollup tables kept
current in the writing transaction (see migration 0002). A chart bucket of a day or more is
built from daily rows, of an hour or more from hourly rows, narrower ones from the readings. They differ in how they bucket (`time_bucket` / `date_bin`)
and in what a write must do afterwards.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from ..database import Database

#: Narrower buckets than a CGM's 5-minute interval would hold single readings: send raw points.
RAW_BELOW_SECONDS = 300.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class SeriesArrays:
    """Chart data: epoch seconds, mean, min, max (and flags when raw)."""

    times: np.ndarray
    values: np.ndarray
    mins: np.ndarray
    maxs: np.ndarray
    raw: bool
    bucket_seconds: float
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class BandStats:
    """Sums over a window for one patient, enough for mean, sample SD and the range percentages."""

    patient_id: uuid.UUID
    n: int
    total: float
    total_sq: float
    very_low: int
    low: int
    in_range: int
    high: int
    very_high: int
    last_bucket: datetime | None

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def sd(self) -> float | None:
        """Sample SD (n − 1) from the sums, clamped at 0 against rounding."""
        if self.n < 2:
            return None
        return float(np.sqrt(max(self.total_sq - self.total * self.total / self.n, 0.0) / (self.n - 1)))

    def percent(self, count: int) -> float | None:
        return 100.0 * count / self.n if self.n else None


class TimeSeriesBackend(ABC):
    """Store-side operations on glucose readings; every call runs inside the caller's session."""

    name = "abstract"

    @abstractmethod
    def after_write(self, session: Session, patient_id: uuid.UUID, start: datetime, end: datetime) -> None:
        """Keep the aggregates in step with readings written (in the same transaction)."""

    def after_commit(self, engine: Engine, start: datetime, end: datetime) -> None:
        """Optional catch-up once written readings are committed (nothing by default)."""
        return None

    @abstractmethod
    def _bucket_sql(self, column: str) -> str:
        """SQL bucketing `column` into :w-second buckets aligned on :origin."""

    def chart_series(self, session: Session, patient_id: uuid.UUID, start: datetime, end: datetime,
                     pixels: int) -> SeriesArrays:
        """About `pixels` buckets with min/max/mean each; raw readings when zoomed in further."""
        width = (end - start).total_seconds() / max(int(pixels), 1)
        if width < RAW_BELOW_SECONDS:
            t, v, flags = self.raw_points(session, patient_id, start, end)
            return SeriesArrays(t, v, v.copy(), v.copy(), True, 0.0, flags)
        if width >= HOUR and self.aggregates_current(session, [patient_id], start, end):
            level, unit = ("daily", DAY) if width >= DAY else ("hourly", HOUR)
            width = unit * np.ceil(width / unit)  # whole hours or days: rebucket the aggregate
            sql = (f"SELECT extract(epoch FROM {self._bucket_sql('bucket')}) AS b, sum(total) / sum(n), min(lo)::float8, max(hi)::float8 "
                   f"FROM glucose_{level} WHERE patient_id = :p AND bucket >= :hs AND bucket < :e GROUP BY 1 ORDER BY 1")
            start_aligned = np.floor(start.timestamp() / unit) * unit
        else:
            start_aligned = start.timestamp()
            sql = (f"SELECT extract(epoch FROM {self._bucket_sql('recorded_at')}) AS b, avg(value_mgdl), "
                   "min(value_mgdl)::float8, max(value_mgdl)::float8 FROM glucose_reading "
                   "WHERE patient_id = :p AND recorded_at >= :s AND recorded_at < :e GROUP BY 1 ORDER BY 1")
        aligned = datetime.fromtimestamp(start_aligned, tz=start.tzinfo)
        rows = session.execute(text(sql), {"w": float(width), "origin": start, "p": patient_id, "s": start,
                                           "hs": aligned, "e": end}).all()
        # Plain tuples: numpy probing Row objects for keys is ten times slower.
        arr = np.array([tuple(r) for r in rows], dtype=float).reshape(-1, 4)
        return SeriesArrays(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], False, float(width))

    @staticmethod
    def raw_points(session: Session, patient_id: uuid.UUID, start: datetime, end: datetime, *,
                   with_flags: bool = True) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Every reading in [start, end): epoch seconds, mg/dL, flag values (empty when not asked for).

        Fetched as two or three arrays in one row: far less per-row work than one row per reading.
        """
        flags = ", array_agg(flag ORDER BY recorded_at)" if with_flags else ""
        row = session.execute(text(
            "SELECT array_agg(extract(epoch FROM recorded_at)::float8 ORDER BY recorded_at), "
            f"array_agg(value_mgdl::float8 ORDER BY recorded_at){flags} FROM glucose_reading "
            "WHERE patient_id = :p AND recorded_at >= :s AND recorded_at < :e"),
            {"p": patient_id, "s": start, "e": end}).one()
        if row[0] is None:
            return np.empty(0), np.empty(0), ()
        return np.asarray(row[0], dtype=float), np.asarray(row[1], dtype=float), tuple(row[2]) if with_flags else ()

    def aggregates_current(self, session: Session, patient_ids: list[uuid.UUID], start: datetime, end: datetime
                           ) -> bool:
        """Whether the aggregate views are up to date for these patients over [start, end) (the plain
        roll-ups always are)."""
        return True

    def band_stats(self, session: Session, patient_ids: list[uuid.UUID], start: datetime, end: datetime, *,
                   level: str = "hourly") -> dict[uuid.UUID, BandStats]:
        """Per patient sums over the aggregate's buckets starting in [start, end) ('hourly' or 'daily').

        Where the aggregates are behind over the window, the same sums come from the readings.
        """
        if not patient_ids:
            return {}
        if level not in ("hourly", "daily"):
            raise ValueError(level)
        if self.aggregates_current(session, patient_ids, start, end):
            sql = ("SELECT patient_id, sum(n), sum(total), sum(total_sq), sum(n_very_low), sum(n_low), "
                   f"sum(n_in_range), sum(n_high), sum(n_very_high), max(bucket) FROM glucose_{level} "
                   "WHERE patient_id = ANY(:ids) AND bucket >= :s AND bucket < :e GROUP BY patient_id")
        else:
            bucket = f"date_trunc('{'day' if level == 'daily' else 'hour'}', recorded_at, 'UTC')"
            sql = ("SELECT patient_id, count(*), sum(value_mgdl::float8), sum(value_mgdl::float8 * value_mgdl::float8), "
                   "count(*) FILTER (WHERE value_mgdl < 54), count(*) FILTER (WHERE value_mgdl >= 54 AND value_mgdl < 70), "
                   "count(*) FILTER (WHERE value_mgdl >= 70 AND value_mgdl <= 180), "
                   "count(*) FILTER (WHERE value_mgdl > 180 AND value_mgdl <= 250), "
                   f"count(*) FILTER (WHERE value_mgdl > 250), max({bucket}) FROM glucose_reading "
                   "WHERE patient_id = ANY(:ids) AND recorded_at >= :s - interval '1 day' AND recorded_at < :e "
                   f"AND {bucket} >= :s AND {bucket} < :e GROUP BY patient_id")
        rows = session.execute(text(sql), {"ids": list(patient_ids), "s": start, "e": end}).all()
        return {r[0]: BandStats(r[0], int(r[1]), float(r[2]), float(r[3]), int(r[4]), int(r[5]), int(r[6]),
                                int(r[7]), int(r[8]), r[9]) for r in rows}


    @staticmethod
    def last_reading_times(session: Session, patient_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
        """Each patient's latest reading time (one index probe per patient; in the transaction's clinic)."""
        if not patient_ids:
            return {}
        # Through glucose_latest(): the readings view is a security barrier, which would sort every
        # reading of each patient instead of reading the newest from the index (migration 0007).
        rows = session.execute(text("SELECT patient_id, recorded_at FROM glucose_latest(CAST(:ids AS uuid[]))"),
                               {"ids": list(patient_ids)}).all()
        return {r[0]: r[1] for r in rows if r[1] is not None}


def backend_for(database: "Database") -> TimeSeriesBackend:
    """TimescaleDB when the server has it and readings are a hypertable; plain SQL otherwise."""
    from .plain_backend import PlainBackend
    from .timescale_backend import TimescaleBackend

    return TimescaleBackend() if database.features.timescale_active else PlainBackend()
