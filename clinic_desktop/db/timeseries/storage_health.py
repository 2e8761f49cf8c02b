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
    last_run_status: str | None  # 'Success' / 'Failed' / None (not run yet)
    total_failures: int
    next_run_at: datetime | None
    last_error: str | None


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


_JOBS = """
SELECT j.job_id, j.proc_name, coalesce(j.hypertable_schema || '.' || j.hypertable_name, ''),
       s.last_run_started_at, s.last_run_status, coalesce(s.total_failures, 0), s.next_start,
       (SELECT e.err_message FROM timescaledb_information.job_errors e
         WHERE e.job_id = j.job_id ORDER BY e.start_time DESC LIMIT 1)
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
    jobs = [JobStatus(int(r[0]), str(r[1]), str(r[2]), r[3], r[4], int(r[5]), r[6], r[7])
            for r in session.execute(text(_JOBS)).all()]
    return StorageHealth(True, version, int(chunks), int(compressed),
                         int(before) if before is not None else None, int(after) if after is not None else None,
                         enabled, jobs)
