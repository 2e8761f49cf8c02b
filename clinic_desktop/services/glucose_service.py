"""Glucose use cases: chart series, AGP, daily overlays, metrics, readings, manual entry.

Alerts and the review worklist live in their own services; this class also forwards their
calls so the glucose panes have one service to talk to (`services.glucose`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from ..db.database import Database
from ..db.models import GlucoseReading
from ..db.timeseries import TimeSeriesBackend, backend_for
from ..db.timeseries.storage_health import StorageHealth, read_storage_health
from ..domain.actor import Actor
from ..domain.clock import SYSTEM_CLOCK, Clock
from ..domain.enums import GlucoseUnit, ReadingContext, ReadingFlag, ReadingSource
from ..domain.errors import FieldProblem, ValidationError
from ..domain.glucose_metrics import compute_metrics
from ..domain.permissions import Capability
from ..domain.units import MAX_PLAUSIBLE_MGDL, MIN_PLAUSIBLE_MGDL, format_glucose, to_mgdl
from .emergency_service import EmergencyService, detect_events
from .glucose_access import checked_patient, clinic_zone
from .glucose_dto import (AgpProfile, ChartMarker, DailyOverlay, EmergencyEventDTO, GlucoseMetrics, GlucoseSeries,
                          ReadingDTO, TimeInRanges, WorklistRow)
from .review_worklist_service import ReviewWorklistService
from ..domain.changes import ChangeKind
from ..domain.text_rules import refuse_bad_text

AGP_BIN_MINUTES = 15
AGP_MIN_PER_BIN = 5  # fewer readings in a time-of-day bin: no percentile drawn there
MAX_WINDOW = timedelta(days=366 * 20)
_FLAG_WORDS = {"hi": ReadingFlag.HIGH, "high": ReadingFlag.HIGH, "lo": ReadingFlag.LOW, "low": ReadingFlag.LOW}


def local_wall_seconds(times_utc: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """UTC epoch seconds → local wall-clock seconds (local midnight at multiples of 86400), DST-aware."""
    if times_utc.size == 0:
        return times_utc
    hours = np.floor(times_utc / 3600.0)
    offsets = {h: datetime.fromtimestamp(h * 3600.0, timezone.utc).astimezone(zone).utcoffset().total_seconds()
               for h in np.unique(hours)}
    return times_utc + np.vectorize(offsets.__getitem__, otypes=[float])(hours)


def metrics_of(times: np.ndarray, values: np.ndarray, zone: ZoneInfo, start: datetime, end: datetime) -> GlucoseMetrics:
    """The consensus metrics DTO of the readings of one window (epoch seconds, mg/dL)."""
    m = compute_metrics(local_wall_seconds(times, zone), values, window_seconds=(end - start).total_seconds())
    r = m.ranges
    ranges = TimeInRanges(r.very_low, r.low, r.in_range, r.high, r.very_high) if r else None
    return GlucoseMetrics(start=start, end=end, readings=m.readings, sufficiency=m.sufficiency, mean_mgdl=m.mean,
                          gmi_percent=m.gmi, cv_percent=m.cv, sd_mgdl=m.sd, ranges=ranges, gri=m.gri,
                          mage_mgdl=m.mage, modd_mgdl=m.modd, lbgi=m.lbgi, hbgi=m.hbgi)


class GlucoseService:
    """Reads for the charts and metrics panel, and manual fingerstick entry."""

    def __init__(self, database: Database, *, backend: TimeSeriesBackend | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        # Resolved here, never inside a unit of work (where detecting would take a second connection).
        self.backend: TimeSeriesBackend = backend or backend_for(database)
        self._clock = clock
        self.events = EmergencyService(database, clock=clock)
        self.worklist = ReviewWorklistService(database, backend=self.backend, clock=clock)

    # -- charts -------------------------------------------------------------------------------
    def chart_series(self, actor: Actor, patient_id: uuid.UUID, *, start: datetime, end: datetime,
                     pixels: int) -> GlucoseSeries:
        """Min/max/mean per pixel bucket (from the hourly aggregate for wide windows); raw when zoomed in."""
        actor.require(Capability.VIEW_GLUCOSE, action="see glucose readings")
        _check_window(start, end)
        with self._db.unit_of_work(actor, read_only=True) as uow:
            checked_patient(uow.session, actor, patient_id)
            arr = self.backend.chart_series(uow.session, patient_id, start, end, pixels)
        flags = np.array([ReadingFlag(f) for f in arr.flags], dtype=object)
        return GlucoseSeries(patient_id, start, end, arr.times, arr.values, arr.mins, arr.maxs, arr.raw,
                             arr.bucket_seconds, flags)

    def chart_markers(self, actor: Actor, patient_id: uuid.UUID, *, start: datetime, end: datetime) -> list[ChartMarker]:
        actor.require(Capability.VIEW_GLUCOSE, action="see glucose alerts")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            checked_patient(uow.session, actor, patient_id)
            return self.events.chart_markers(uow.session, patient_id, start, end)

    def _raw(self, actor: Actor, patient_id: uuid.UUID, start: datetime, end: datetime
             ) -> tuple[np.ndarray, np.ndarray, ZoneInfo]:
        actor.require(Capability.VIEW_GLUCOSE, action="see glucose readings")
        _check_window(start, end)
        with self._db.unit_of_work(actor, read_only=True) as uow:
            checked_patient(uow.session, actor, patient_id)
            zone = clinic_zone(uow.session, actor)
            times, values, _ = self.backend.raw_points(uow.session, patient_id, start, end, with_flags=False)
        return times, values, zone

    def agp(self, actor: Actor, patient_id: uuid.UUID, *, start: datetime, end: datetime) -> AgpProfile | None:
        """5/25/50/75/95th percentiles per 15-minute bin of the clinic's local day (no smoothing)."""
        times, values, zone = self._raw(actor, patient_id, start, end)
        if values.size == 0:
            return None
        local = local_wall_seconds(times, zone)
        bins = ((local % 86400.0) // (AGP_BIN_MINUTES * 60)).astype(int)
        n_bins = 1440 // AGP_BIN_MINUTES
        order = np.argsort(bins, kind="stable")
        groups = np.split(values[order], np.searchsorted(bins[order], np.arange(1, n_bins)))
        pct = np.full((n_bins, 5), np.nan)
        for i, group in enumerate(groups):
            if group.size >= AGP_MIN_PER_BIN:
                pct[i] = np.percentile(group, [5, 25, 50, 75, 95])
        minutes = np.arange(n_bins) * AGP_BIN_MINUTES + AGP_BIN_MINUTES / 2.0
        days = int(np.unique(np.floor(local / 86400.0)).size)
        return AgpProfile(minutes, pct[:, 0], pct[:, 1], pct[:, 2], pct[:, 3], pct[:, 4], days)

    def daily_overlays(self, actor: Actor, patient_id: uuid.UUID, *, start: datetime,
                       end: datetime) -> list[DailyOverlay]:
        """One trace per local day (minutes since local midnight)."""
        times, values, zone = self._raw(actor, patient_id, start, end)
        local = local_wall_seconds(times, zone)
        day_index = np.floor(local / 86400.0).astype(np.int64)
        result = []
        for d in np.unique(day_index):
            mask = day_index == d
            day = date(1970, 1, 1) + timedelta(days=int(d))
            result.append(DailyOverlay(day, (local[mask] - d * 86400.0) / 60.0, values[mask]))
        return result

    def metrics(self, actor: Actor, patient_id: uuid.UUID, *, start: datetime, end: datetime) -> GlucoseMetrics:
        """Consensus metrics for the window, computed here on the server side of the app."""
        times, values, zone = self._raw(actor, patient_id, start, end)
        return metrics_of(times, values, zone, start, end)

    # -- readings -----------------------------------------------------------------------------
    def list_readings(self, actor: Actor, patient_id: uuid.UUID, *, start: datetime, end: datetime,
                      limit: int = 20000) -> list[ReadingDTO]:
        """Readings in the window, newest first."""
        actor.require(Capability.VIEW_GLUCOSE, action="see glucose readings")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            checked_patient(uow.session, actor, patient_id)
            rows = uow.session.scalars(
                select(GlucoseReading).where(GlucoseReading.patient_id == patient_id, GlucoseReading.recorded_at >= start,
                                             GlucoseReading.recorded_at < end)
                .order_by(GlucoseReading.recorded_at.desc()).limit(limit)).all()
            return [_reading_dto(r) for r in rows]

    def add_manual_reading(self, actor: Actor, patient_id: uuid.UUID, *, recorded_at: datetime,
                           value: float | str, unit: GlucoseUnit, context: ReadingContext | None,
                           note: str | None = None) -> ReadingDTO:
        """A fingerstick reading; 'HI'/'LO' meter displays are kept as flagged 600/20 mg/dL."""
        actor.require(Capability.RECORD_GLUCOSE, action="record glucose readings")
        refuse_bad_text(("note", "note", note, True))
        value_mgdl, flag = _validate_manual(recorded_at, value, unit, context, now=self._clock.now())
        with self._db.unit_of_work(actor) as uow:
            checked_patient(uow.session, actor, patient_id)
            reading = GlucoseReading(clinic_id=actor.clinic_id, patient_id=patient_id, recorded_at=recorded_at,
                                     value_mgdl=value_mgdl, source=ReadingSource.MANUAL, context=context, flag=flag,
                                     note=(note or "").strip() or None)
            uow.session.add(reading)
            uow.session.flush()
            self.backend.after_write(uow.session, patient_id, recorded_at, recorded_at)
            detect_events(uow, patient_id, recorded_at, recorded_at, now=self._clock.now())
            uow.audit("create", "glucose_reading", reading.id, patient_id=patient_id,
                      changes={"source": [None, "manual"], "context": [None, context.value if context else None]})
            uow.changed(ChangeKind.GLUCOSE_READING, reading.id)
            dto = _reading_dto(reading)
        self.backend.after_commit(self._db.engine, recorded_at, recorded_at)
        return dto

    # -- alerts and worklist (forwarded) ------------------------------------------------------
    def active_events(self, actor: Actor, patient_id: uuid.UUID | None = None) -> list[EmergencyEventDTO]:
        return self.events.active_events(actor, patient_id=patient_id)

    def resolve_event(self, actor: Actor, event_id: uuid.UUID, *, expected_version: int,
                      note: str | None = None) -> EmergencyEventDTO:
        return self.events.resolve_event(actor, event_id, expected_version=expected_version, note=note)

    def escalate_event(self, actor: Actor, event_id: uuid.UUID, *, expected_version: int,
                       note: str | None = None) -> EmergencyEventDTO:
        return self.events.escalate_event(actor, event_id, expected_version=expected_version, note=note)

    def review_worklist(self, actor: Actor) -> list[WorklistRow]:
        return self.worklist.review_worklist(actor)

    def mark_reviewed(self, actor: Actor, patient_id: uuid.UUID) -> None:
        self.worklist.mark_reviewed(actor, patient_id)

    # -- admin --------------------------------------------------------------------------------
    def storage_health(self, actor: Actor) -> StorageHealth:
        """Chunks, compression and background job state (admins only; TimescaleDB only)."""
        actor.require(Capability.VIEW_STORAGE_HEALTH)
        features = self._db.refresh_features()
        if not features.timescale_active:
            return StorageHealth(False)
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return read_storage_health(uow.session, features.timescaledb_version)


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError([FieldProblem("start", "The window needs time-zone-aware times.")])
    if not start < end or end - start > MAX_WINDOW:
        raise ValidationError([FieldProblem("end", "The window must end after it starts (and span at most 20 years).")])


def _validate_manual(recorded_at: datetime, value: float | str, unit: GlucoseUnit,
                     context: ReadingContext | None, *, now: datetime) -> tuple[float, ReadingFlag]:
    problems: list[FieldProblem] = []
    flag, mgdl = ReadingFlag.NONE, 0.0
    if isinstance(value, str) and value.strip().casefold() in _FLAG_WORDS:
        flag = _FLAG_WORDS[value.strip().casefold()]
        mgdl = MAX_PLAUSIBLE_MGDL if flag == ReadingFlag.HIGH else MIN_PLAUSIBLE_MGDL
    else:
        try:
            mgdl = to_mgdl(float(str(value).replace(",", ".")), unit)
        except ValueError:
            problems.append(FieldProblem("value", "Enter a number, or HI / LO as the meter shows it."))
        else:
            if not MIN_PLAUSIBLE_MGDL <= mgdl <= MAX_PLAUSIBLE_MGDL:
                lo, hi = format_glucose(MIN_PLAUSIBLE_MGDL, unit), format_glucose(MAX_PLAUSIBLE_MGDL, unit)
                problems.append(FieldProblem("value", f"A glucose value must be between {lo} and {hi}; "
                                                      "enter HI or LO if the meter showed that."))
    if recorded_at.tzinfo is None:
        problems.append(FieldProblem("recorded_at", "The time needs a time zone."))
    elif recorded_at > now + timedelta(minutes=5):
        problems.append(FieldProblem("recorded_at", "The reading's time is in the future."))
    if context == ReadingContext.CGM:
        problems.append(FieldProblem("context", "Choose when the fingerstick was taken (fasting, before a meal...)."))
    if problems:
        raise ValidationError(problems)
    return mgdl, flag


def _reading_dto(r: GlucoseReading) -> ReadingDTO:
    return ReadingDTO(r.id, r.patient_id, r.recorded_at, float(r.value_mgdl), ReadingSource(r.source),
                      ReadingContext(r.context) if r.context else None, ReadingFlag(r.flag), r.note)
