"""Frozen DTOs of the glucose area, shared by the glucose services and the Qt charts/panes.

Arrays are numpy arrays; times are UTC epoch seconds (float64); values are canonical mg/dL
(float64, NaN where absent). Conversion to the patient's unit happens only for display.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from ..domain.data_sufficiency import DataSufficiency
from ..domain.enums import EmergencyKind, EmergencyState, GlucoseUnit, ReadingContext, ReadingFlag, ReadingSource
from .medication_dto import AdherenceFigure


@dataclass(frozen=True)
class GlucoseSeries:
    """Chart data for one patient and time window, downsampled to about `pixels` buckets.

    When `raw` is True the arrays hold individual readings (mins == maxs == values).
    Otherwise each element is one bucket: `times` its start, `values` its mean, `mins`/`maxs`
    its extremes (min/max per pixel bucket keeps every spike visible).
    """

    patient_id: uuid.UUID
    start: datetime
    end: datetime
    times: np.ndarray
    values: np.ndarray
    mins: np.ndarray
    maxs: np.ndarray
    raw: bool
    bucket_seconds: float
    flags: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))  # ReadingFlag per raw point


@dataclass(frozen=True)
class ChartMarker:
    """A point event drawn on the trend chart (a medication dose, a meal, an emergency)."""

    at: datetime
    kind: str  # "dose", "meal", "hypo", "hyper", ...
    label: str


@dataclass(frozen=True)
class AgpProfile:
    """Ambulatory glucose profile: percentiles by minute of day across the window's days."""

    minutes: np.ndarray  # bin centres, minutes since local midnight
    p5: np.ndarray
    p25: np.ndarray
    p50: np.ndarray
    p75: np.ndarray
    p95: np.ndarray
    days: int


@dataclass(frozen=True)
class DailyOverlay:
    """One local day's readings for the daily overlay view (minutes since local midnight)."""

    day: date
    minutes: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class TimeInRanges:
    """Percent of readings in the consensus ranges (mg/dL): <54, 54–69, 70–180, 181–250, >250."""

    very_low: float
    low: float
    in_range: float
    high: float
    very_high: float


@dataclass(frozen=True)
class GlucoseMetrics:
    """Consensus CGM metrics for a window (Battelino 2019), all in mg/dL or percent."""

    start: datetime
    end: datetime
    readings: int
    sufficiency: DataSufficiency  # days of data and % active as shown, and the consensus verdict
    mean_mgdl: float | None
    gmi_percent: float | None
    cv_percent: float | None
    sd_mgdl: float | None
    ranges: TimeInRanges | None
    gri: float | None
    mage_mgdl: float | None = None
    modd_mgdl: float | None = None
    lbgi: float | None = None
    hbgi: float | None = None


@dataclass(frozen=True)
class ReadingDTO:
    """One stored reading as shown in lists."""

    id: uuid.UUID
    patient_id: uuid.UUID
    recorded_at: datetime
    value_mgdl: float
    source: ReadingSource
    context: ReadingContext | None
    flag: ReadingFlag
    note: str | None


@dataclass(frozen=True)
class EmergencyEventDTO:
    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    kind: EmergencyKind
    state: EmergencyState
    started_at: datetime
    ended_at: datetime | None
    extreme_mgdl: float
    version: int


#: The worklist's adherence column: overall adherence over this many days (today so far included).
WORKLIST_ADHERENCE_DAYS = 30


@dataclass(frozen=True)
class WorklistRow:
    """One patient in the doctor's review worklist, with why they need attention."""

    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    glucose_unit: GlucoseUnit
    tir_percent: float | None
    tbr70_percent: float | None
    tbr54_percent: float | None
    cv_percent: float | None
    active_events: int
    last_reviewed_at: datetime | None
    last_reading_at: datetime | None
    priority: float
    reasons: tuple[str, ...]
    #: Overall medication adherence over WORKLIST_ADHERENCE_DAYS; None where the actor may not see it.
    adherence_30d: AdherenceFigure | None = None
