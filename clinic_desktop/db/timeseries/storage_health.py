"""TimescaleDB storage state for the admin health view: chunks, compression, background jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class JobStatus:
    """One TimescaleDB background job (compression, aggregate refresh, retention)."""

    job_id: int
    name: str
    applies_to: str
    last_run_at: datetime | None
    last_run_status: str | None  # 'Success' / 'Failed' / None (not run yet, or running now)
    total_failures: int
    next_run_at: datetime | None  # None while it runs (the next start is set when it ends)
    last_error: str | None
    running: bool = False


@dataclass(frozen=True)
class StorageHealth:
    """What the admin view shows; on plain PostgreSQL only `timescale_active` = False."""

    timescale_active: bool
    version: str | None = None
    chunks: int = 0
    compressed_chunks: int = 0
    bytes_before_compression: int | None = None
    bytes_after_compression: int | None = None
    compression_enabled: bool = False
    jobs: list[JobStatus] = field(default_factory=list)

    @property
    def failing_jobs(self) -> list[JobStatus]:
        return [j for j in self.jobs if (j.last_run_status or "").lower() == "failed"]


# While a job runs TimescaleDB keeps '-infinity' in its stats (next_start, last_finish, and
# last_start before a first run), which no Python datetime can hold: only finite times are read.
# Running is told by that sentinel too: job_status comes from pg_stat_activity, whose state the
# application role cannot see for the job's backend.
_JOBS = """
SELECT j.job_id, j.proc_name AS name,
       coalesce(j.hypertable_schema || '.' || j.hypertable_name, '') AS applies_to,
       CASE WHEN isfinite(s.last_run_started_at) THEN s.last_run_started_at END AS last_run_at,
       s.last_run_status, coalesce(s.total_failures, 0) AS total_failures,
       CASE WHEN isfinite(s.next_start) THEN s.next_start END AS next_run_at,
       coalesce(s.job_status = 'Running' OR s.next_start = '-infinity', false) AS running,
       (SELECT e.err_message FROM timescaledb_information.job_errors e
         WHERE e.job_id = j.job_id ORDER BY e.start_time DESC LIMIT 1) AS last_error
  FROM timescaledb_information.jobs j
  LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
 WHERE j.job_id >= 1000
 ORDER BY j.job_id
"""


def read_storage_health(session: Session, version: str | None) -> StorageHealth:
    """Read chunk, compression and job state (the caller checked that TimescaleDB is active)."""
    # The readings table lives in a schema the application role cannot see; this SECURITY DEFINER
    # function (migration 0007) reports its chunks and sizes.
    chunks, compressed, enabled, before, after = session.execute(text(
        "SELECT chunks, compressed_chunks, compression_enabled, bytes_before, bytes_after "
        "FROM glucose_storage_stats()")).one()
    enabled = bool(enabled)
    jobs = [JobStatus(job_id=int(r.job_id), name=str(r.name), applies_to=str(r.applies_to), last_run_at=r.last_run_at,
                      last_run_status=r.last_run_status, total_failures=int(r.total_failures),
                      next_run_at=r.next_run_at, last_error=r.last_error, running=bool(r.running))
            for r in session.execute(text(_JOBS)).all()]
    return StorageHealth(True, version, int(chunks), int(compressed),
                         int(before) if before is not None else None, int(after) if after is not None else None,
                         enabled, jobs)
