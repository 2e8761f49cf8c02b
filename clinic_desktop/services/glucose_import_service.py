"""CGM imports: a preview of what will (and will not) be stored, then a background bulk load.

The load streams the parsed readings with COPY into a temporary staging table, then moves them
with one INSERT ... SELECT ... ON CONFLICT DO NOTHING — all in ONE transaction, so importing the
same file twice adds nothing, and a cancelled or failed import leaves nothing behind.
(COPY straight into the table would fail on any duplicate, and TimescaleDB refuses COPY FROM on
a hypertable under row-level security; the staging table has neither problem.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import text

from ..db.database import Database
from ..db.timeseries import TimeSeriesBackend, backend_for
from ..domain.actor import Actor
from ..domain.changes import ChangeKind
from ..domain.clock import SYSTEM_CLOCK, Clock, local_now
from ..domain.errors import ConnectionLost
from ..domain.permissions import Capability
from ..imports import ParsedReading, ReadingWindow, RejectedLine, open_export
from .emergency_service import detect_events
from .glucose_access import checked_patient, clinic_zone, patient_birth_date

SAMPLE_ROWS = 200
KEPT_REJECTED = 1000
PROGRESS_EVERY = 5000
IMPORT_INTERRUPTED = ("The connection to the database server was lost (or it stopped answering) during the import. "
                      "Nothing was stored; your file is kept — try the import again when the server is back.")


class TaskStateLike(Protocol):
    """What a background task hands in (qt.workers.TaskState has it); services never import Qt."""

    def report(self, done: int, total: int, text: str = "") -> None: ...

    def check_cancelled(self) -> None: ...


class _NoState:
    def report(self, done: int, total: int, text: str = "") -> None:
        return None

    def check_cancelled(self) -> None:
        return None


@dataclass(frozen=True)
class ImportPreview:
    """What the file holds: a sample of readings, rejected lines with reasons, device and period."""

    kind: str
    accepted: int
    sample: list[ParsedReading]
    rejected: list[RejectedLine]
    rejected_count: int
    device_name: str | None
    device_serial: str | None
    first_at: datetime | None
    last_at: datetime | None
    ambiguous_times: int
    unit: str
    timestamp_format: str | None


@dataclass(frozen=True)
class ImportResult:
    stored: int
    duplicates: int
    rejected_count: int
    first_at: datetime | None
    last_at: datetime | None
    rejected: list[RejectedLine] = field(default_factory=list)


def _count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) + 1


class GlucoseImportService:
    def __init__(self, database: Database, *, backend: TimeSeriesBackend | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        self.backend: TimeSeriesBackend = backend or backend_for(database)  # resolved outside any unit of work
        self._clock = clock

    def _zone_and_window(self, actor: Actor, patient_id: uuid.UUID) -> tuple[ZoneInfo, ReadingWindow]:
        """The clinic's zone and the wall-clock period the patient's readings can fall in (birth .. now + 1 day)."""
        actor.require(Capability.RECORD_GLUCOSE, action="import glucose data")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            checked_patient(uow.session, actor, patient_id)
            zone = clinic_zone(uow.session, actor)
            born = patient_birth_date(uow.session, patient_id)
        latest = local_now(self._clock, zone).replace(tzinfo=None) + timedelta(days=1)
        return zone, ReadingWindow(datetime.combine(born, time.min), latest)

    def preview(self, actor: Actor, patient_id: uuid.UUID, path: str, *, kind: str,
                mapping: dict[str, Any] | None = None, state: TaskStateLike | None = None) -> ImportPreview:
        """Read the whole file (no database connection held meanwhile) and summarise it."""
        state = state or _NoState()
        zone, window = self._zone_and_window(actor, patient_id)
        reader = open_export(path, kind, zone, mapping, window=window)
        total = _count_lines(path)
        sample: list[ParsedReading] = []
        rejected: list[RejectedLine] = []
        accepted = rejected_count = 0
        first = last = None
        for rec in reader.records():
            if isinstance(rec, RejectedLine):
                rejected_count += 1
                if len(rejected) < KEPT_REJECTED:
                    rejected.append(rec)
                continue
            accepted += 1
            if len(sample) < SAMPLE_ROWS:
                sample.append(rec)
            first = rec.recorded_at if first is None or rec.recorded_at < first else first
            last = rec.recorded_at if last is None or rec.recorded_at > last else last
            if accepted % PROGRESS_EVERY == 0:
                state.check_cancelled()
                state.report(rec.line, total, f"Read {accepted:,} readings")
        return ImportPreview(kind, accepted, sample, rejected, rejected_count, reader.device.name,
                             reader.device.serial, first, last, reader.clock.ambiguous, reader.unit.value,
                             reader.timestamp_format)

    def import_file(self, actor: Actor, patient_id: uuid.UUID, path: str, *, kind: str,
                    mapping: dict[str, Any] | None = None, state: TaskStateLike | None = None) -> ImportResult:
        """Store the file's readings for the patient; idempotent; all or nothing.

        A connection lost or a timeout during the load (the raw COPY included) is ConnectionLost
        with a sentence saying nothing was stored and the file can simply be imported again.
        """
        state = state or _NoState()
        zone, window = self._zone_and_window(actor, patient_id)
        reader = open_export(path, kind, zone, mapping, window=window)
        try:
            return self._load(actor, patient_id, reader, kind, state, _count_lines(path))
        except ConnectionLost as exc:
            raise ConnectionLost(IMPORT_INTERRUPTED) from exc

    def _load(self, actor: Actor, patient_id: uuid.UUID, reader, kind: str,  # noqa: ANN001
              state: TaskStateLike, total: int) -> ImportResult:
        """The one transaction of an import: COPY into staging, move, detect events, audit."""
        source, serial = reader.device.source.value, reader.device.serial
        with self._db.unit_of_work(actor) as uow:
            checked_patient(uow.session, actor, patient_id)
            raw = uow.session.connection().connection.driver_connection
            with raw.cursor() as cur:
                cur.execute("CREATE TEMP TABLE glucose_import_staging (recorded_at timestamptz, value_mgdl real, "
                            "flag text, context text) ON COMMIT DROP")
                rejected, rejected_count, staged = self._copy(cur, reader, state, total)
            state.check_cancelled()
            state.report(total, total, "Storing…")
            stored, first, last = self._move(uow.session, actor, patient_id, source, serial)
            if stored:
                self.backend.after_write(uow.session, patient_id, first, last)
                detect_events(uow, patient_id, first, last, now=self._clock.now())
                uow.changed(ChangeKind.GLUCOSE_READING, patient_id)
            uow.audit("import", "glucose_reading", None, patient_id=patient_id,
                      changes={"kind": [None, kind], "device_serial": [None, serial], "stored": [None, stored],
                               "duplicates": [None, staged - stored], "rejected": [None, rejected_count]})
        if stored:
            self.backend.after_commit(self._db.engine, first, last)
        return ImportResult(stored, staged - stored, rejected_count, first, last, rejected)

    @staticmethod
    def _copy(cur, reader, state: TaskStateLike, total: int) -> tuple[list[RejectedLine], int, int]:  # noqa: ANN001
        rejected: list[RejectedLine] = []
        rejected_count = staged = 0
        with cur.copy("COPY glucose_import_staging (recorded_at, value_mgdl, flag, context) FROM STDIN") as copy:
            for rec in reader.records():
                if isinstance(rec, RejectedLine):
                    rejected_count += 1
                    if len(rejected) < KEPT_REJECTED:
                        rejected.append(rec)
                    continue
                copy.write_row((rec.recorded_at, rec.value_mgdl, rec.flag.value, rec.context.value))
                staged += 1
                if staged % PROGRESS_EVERY == 0:
                    state.check_cancelled()
                    state.report(rec.line, total, f"Loaded {staged:,} readings")
        return rejected, rejected_count, staged

    @staticmethod
    def _move(session, actor: Actor, patient_id: uuid.UUID, source: str, serial: str | None  # noqa: ANN001
              ) -> tuple[int, datetime | None, datetime | None]:
        """Staging → glucose_reading, skipping readings already stored (and duplicates within the file)."""
        row = session.execute(text(
            "WITH moved AS (INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source, "
            "context, flag, device_serial) SELECT DISTINCT ON (recorded_at) :c, :p, recorded_at, value_mgdl, :src, "
            "context, flag, :serial FROM glucose_import_staging ORDER BY recorded_at "
            "ON CONFLICT (patient_id, source, recorded_at) DO NOTHING RETURNING recorded_at) "
            "SELECT count(*), min(recorded_at), max(recorded_at) FROM moved"),
            {"c": actor.clinic_id, "p": patient_id, "src": source, "serial": serial}).one()
        return int(row[0]), row[1], row[2]
