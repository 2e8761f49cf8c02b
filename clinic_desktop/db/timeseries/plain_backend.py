"""Plain PostgreSQL backend: `date_bin` buckets, hourly rollup table refreshed in the writing transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from .backend import TimeSeriesBackend


class PlainBackend(TimeSeriesBackend):
    """For servers without TimescaleDB (PostgreSQL 14+ for `date_bin`)."""

    name = "plain PostgreSQL"

    def after_write(self, session: Session, patient_id: uuid.UUID, start: datetime, end: datetime) -> None:
        # SECURITY DEFINER function: the app role cannot touch glucose_internal directly.
        session.execute(text("SELECT glucose_rollup_refresh(:p, :s, :e)"), {"p": patient_id, "s": start, "e": end})

    def _bucket_sql(self, column: str) -> str:
        return f"date_bin(make_interval(secs => :w), {column}, :origin)"
