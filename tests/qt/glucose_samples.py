"""Synthetic glucose DTOs built from numpy arrays, for chart and pane tests (no database)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import numpy as np

from clinic_desktop.domain.data_sufficiency import assess_sufficiency
from clinic_desktop.domain.enums import ReadingFlag
from clinic_desktop.services.glucose_dto import (
    AgpProfile,
    ChartMarker,
    DailyOverlay,
    GlucoseMetrics,
    GlucoseSeries,
    TimeInRanges,
)

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
PATIENT = uuid.UUID(int=7)


def cgm_values(n: int, seed: int = 1) -> np.ndarray:
    """A day-shaped CGM trace (meals, a night dip, noise), mg/dL, 5-minute steps."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(n) * 5.0
    day = minutes % 1440
    meals = sum(70 * np.exp(-((day - m) ** 2) / (2 * 45.0**2)) for m in (480, 780, 1140))
    values = 120 + meals - 45 * np.exp(-((day - 180) ** 2) / (2 * 60.0**2)) + rng.normal(0, 12, n)
    values[::997] = 48.0  # a few severe lows
    values[500::1301] = 290.0  # and highs
    return np.clip(values, 40, 400)


def raw_series(n: int = 288, *, start: datetime = START, with_flags: bool = False) -> GlucoseSeries:
    times = start.timestamp() + np.arange(n) * 300.0
    values = cgm_values(n)
    flags = np.array([ReadingFlag.NONE] * n, dtype=object)
    if with_flags:
        values[10], flags[10] = 40.0, ReadingFlag.LOW
        values[20], flags[20] = 400.0, ReadingFlag.HIGH
    end = datetime.fromtimestamp(times[-1] + 300, timezone.utc)
    return GlucoseSeries(PATIENT, start, end, times, values, values.copy(), values.copy(), True, 0.0, flags)


def bucketed_series(days: int = 90, buckets: int = 1000, *, start: datetime = START) -> GlucoseSeries:
    """Min/max/mean per bucket, computed from a synthetic 5-minute trace like the server would."""
    n = days * 288
    times = start.timestamp() + np.arange(n) * 300.0
    values = cgm_values(n)
    span = days * 86400.0
    width = span / buckets
    index = ((times - times[0]) // width).astype(int)
    sums = np.bincount(index, values, minlength=buckets)[:buckets]
    counts = np.bincount(index, minlength=buckets)[:buckets]
    mins = np.full(buckets, np.inf)
    maxs = np.full(buckets, -np.inf)
    np.minimum.at(mins, index, values)
    np.maximum.at(maxs, index, values)
    empty = counts == 0
    means = np.where(empty, np.nan, sums / np.maximum(counts, 1))
    mins[empty], maxs[empty] = np.nan, np.nan
    starts = times[0] + np.arange(buckets) * width
    return GlucoseSeries(PATIENT, start, start + timedelta(days=days), starts, means, mins, maxs, False, width)


def markers(start: datetime = START) -> list[ChartMarker]:
    return [
        ChartMarker(start + timedelta(hours=8), "dose", "Insulin aspart 6 U"),
        ChartMarker(start + timedelta(hours=8, minutes=5), "meal", "Breakfast 45 g"),
        ChartMarker(start + timedelta(hours=13), "meal", "Lunch 60 g"),
        ChartMarker(start + timedelta(hours=3), "hypo", "Hypo event, lowest 48 mg/dL"),
    ]


def agp_profile(days: int = 14, bins: int = 96) -> AgpProfile:
    values = cgm_values(days * 288).reshape(days, 288)
    per_bin = 288 // bins
    grouped = values[:, : bins * per_bin].reshape(days, bins, per_bin).transpose(1, 0, 2).reshape(bins, -1)
    p = np.percentile(grouped, [5, 25, 50, 75, 95], axis=1)
    minutes = (np.arange(bins) + 0.5) * (1440 / bins)
    return AgpProfile(minutes, p[0], p[1], p[2], p[3], p[4], days)


def daily_overlays(days: int = 14) -> list[DailyOverlay]:
    values = cgm_values(days * 288, seed=3).reshape(days, 288)
    minutes = np.arange(288) * 5.0
    return [DailyOverlay(date(2026, 3, 1) + timedelta(days=d), minutes, values[d]) for d in range(days)]


def metrics(*, days: float = 14.0, active_percent: float = 96.7) -> GlucoseMetrics:
    """Metrics of a plausible 14-day window; the sufficiency verdict follows from days and active %."""
    return GlucoseMetrics(
        start=START, end=START + timedelta(days=14), readings=3900,
        sufficiency=assess_sufficiency(days=days, active_percent=active_percent), mean_mgdl=154.2, gmi_percent=6.99,
        cv_percent=38.4, sd_mgdl=59.2, ranges=TimeInRanges(0.8, 3.1, 68.5, 21.0, 6.6), gri=41.3,
        mage_mgdl=112.0, modd_mgdl=41.5, lbgi=1.9, hbgi=6.4,
    )
