"""TimescaleDB backend: `time_bucket` over the hypertable and the real-time hourly continuous aggregate."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from .backend import TimeSeriesBackend


class TimescaleBackend(TimeSeriesBackend):
    """The continuous aggregate keeps itself current (real-time part + refresh policy)."""

    name = "TimescaleDB"

    def after_write(self, session: Session, patient_id: uuid.UUID, start: datetime, end: datetime) -> None:
        # Nothing to do in the transaction: writes land in the invalidation log, the refresh
        # policy recomputes those hours, and recent hours are aggregated live until then.
        return None

    def _bucket_sql(self, column: str) -> str:
        return f"time_bucket(make_interval(secs => :w), {column}, origin => :origin)"
