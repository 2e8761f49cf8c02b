"""TimescaleDB backend: `time_bucket` over the hypertable and the real-time hourly continuous aggregate."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .backend import TimeSeriesBackend


log = logging.getLogger(__name__)
CAGGS = ("glucose_internal.glucose_hourly_cagg", "glucose_internal.glucose_daily_cagg")


class TimescaleBackend(TimeSeriesBackend):
    """The continuous aggregate keeps itself current (real-time part + refresh policy)."""

    name = "TimescaleDB"

    def after_write(self, session: Session, patient_id: uuid.UUID, start: datetime, end: datetime) -> None:
        # Nothing to do in the transaction: writes land in the invalidation log, the refresh
        # policy recomputes those hours, and recent hours are aggregated live until then.
        return None

    def aggregates_current(self, session: Session, patient_ids: list[uuid.UUID], start: datetime, end: datetime
                           ) -> bool:
        """False where these patients have readings in a period whose aggregate rows are out of date:
        written below the aggregates' watermark and not refreshed since (migration 0007's
        `glucose_stale_ranges()`; it also lists never-materialised periods, which matter only where
        there are readings). A day's margin covers the buckets at the window's edges."""
        s, e = start - timedelta(days=1), end + timedelta(days=1)
        stale = session.execute(text(
            "SELECT greatest(lo, :s), least(hi, :e) FROM glucose_stale_ranges() "
            "WHERE lo < :e AND hi >= :s AND lo <= hi ORDER BY 1 LIMIT 21"), {"s": s, "e": e}).all()
        if len(stale) > 20:  # many separate back-dated writes: read from the readings rather than probe each
            return False
        # One probe per period with its bounds as constants, so the hypertable plans only the chunks
        # of that period (a bound taken from a join would make it plan every chunk: ~1 s at 5 years).
        for lo, hi in stale:
            if session.execute(text(
                    "SELECT EXISTS (SELECT 1 FROM glucose_reading WHERE patient_id = ANY(:ids) "
                    "AND recorded_at >= :lo AND recorded_at <= :hi)"),
                    {"ids": list(patient_ids), "lo": lo, "hi": hi}).scalar():
                return False
        return True

    def _bucket_sql(self, column: str) -> str:
        return f"time_bucket(make_interval(secs => :w), {column}, origin => :origin)"

    def after_commit(self, engine: Engine, start: datetime, end: datetime) -> None:
        """Refresh the aggregates over an imported period at once.

        Real-time aggregation only covers hours after the last materialisation, so imported
        history would otherwise wait for the refresh policy (every 10 minutes — or forever where
        the server's background jobs fail). The refresh cannot run inside a transaction; where it
        fails (refused to the role, timed out), reads over that period come from the readings
        until a refresh catches up (`aggregates_current`).
        """
        lo = start.replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
        hi = end + timedelta(days=1)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for cagg in CAGGS:
                    _refresh(conn, cagg, lo, hi)
        except DBAPIError as exc:  # reads fall back to the readings over this period meanwhile
            log.info("continuous aggregate refresh left to the policy (%s)", type(exc.orig).__name__)


#: Waits before trying a refresh again while another one (usually the policy job) covers the period.
REFRESH_RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)
_LOCK_NOT_AVAILABLE = "55P03"


def _refresh(conn: Connection, cagg: str, lo: datetime, hi: datetime) -> None:
    """Refresh `cagg` over [lo, hi), waiting a little for a concurrent refresh to end.

    TimescaleDB (2.28) refuses a refresh whose window overlaps one in progress ("could not refresh
    continuous aggregate … due to a concurrent refresh") instead of waiting. The policy refreshes
    everything up to about now, so an import that ends while the policy job runs would otherwise
    leave its period to the policy's next run (10 or 30 minutes later).
    """
    for delay in (*REFRESH_RETRY_DELAYS_S, None):
        try:
            conn.execute(text(f"CALL refresh_continuous_aggregate('{cagg}', :lo, :hi)"), {"lo": lo, "hi": hi})
            return
        except DBAPIError as exc:
            if delay is None or getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                raise
        time.sleep(delay)
