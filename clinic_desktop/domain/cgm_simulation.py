"""Invented but plausible CGM traces for the demo clinic and for benchmarks (never real patients).

A day is a baseline with a dawn rise, three meal excursions whose size and timing vary from day
to day, slow drift, sensor noise, occasional nocturnal lows and sensor gaps. Each patient profile
(well controlled, variable, high) shifts the baseline and the excursions. Deterministic for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

SENSOR_MIN_MGDL, SENSOR_MAX_MGDL = 40.0, 400.0


@dataclass(frozen=True)
class GlucoseProfile:
    """How a simulated patient's glucose behaves (mg/dL)."""

    baseline: float = 130.0
    meal_peak: float = 60.0
    variability: float = 0.25
    hypo_nights_per_week: float = 0.5


PROFILES = {
    "well_controlled": GlucoseProfile(115.0, 45.0, 0.15, 0.2),
    "typical": GlucoseProfile(145.0, 70.0, 0.25, 0.5),
    "variable": GlucoseProfile(150.0, 110.0, 0.45, 1.5),
    "high": GlucoseProfile(205.0, 90.0, 0.30, 0.1),
}


def simulate_cgm(start: datetime, days: int, *, profile: GlucoseProfile, seed: int,
                 interval_min: int = 5, gap_probability: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """(timestamps as numpy datetime64[s] in UTC, values in mg/dL); sensor gaps leave holes."""
    rng = np.random.default_rng(seed)
    steps_per_day = 24 * 60 // interval_min
    n = days * steps_per_day
    minutes = np.arange(n) * interval_min
    hour = (minutes / 60.0) % 24
    values = np.full(n, profile.baseline)
    values += 18 * np.exp(-((hour - 6.5) ** 2) / 2.0)  # dawn phenomenon
    for day in range(days):
        base = day * steps_per_day
        for meal_hour in (7.5, 12.5, 19.0):
            t0 = meal_hour + rng.normal(0, 0.6)
            peak = profile.meal_peak * max(0.2, rng.normal(1.0, profile.variability))
            t = (np.arange(steps_per_day) * interval_min / 60.0) - t0
            curve = np.where(t > 0, peak * (t / 1.2) * np.exp(1 - t / 1.2), 0.0)
            values[base:base + steps_per_day] += curve
        if rng.random() < profile.hypo_nights_per_week / 7:
            t = (np.arange(steps_per_day) * interval_min / 60.0) - rng.uniform(1.5, 4.5)
            values[base:base + steps_per_day] -= (profile.baseline - rng.uniform(45, 65)) * np.exp(-(t ** 2) / 0.5)
    drift = np.cumsum(rng.normal(0, 1.2, n))
    drift -= np.convolve(drift, np.ones(288) / 288, mode="same")  # keep the drift from wandering off
    values += drift + rng.normal(0, 4.0, n)
    values = np.clip(np.round(values), SENSOR_MIN_MGDL, SENSOR_MAX_MGDL)
    keep = _gap_mask(n, rng, gap_probability, steps_per_day)
    stamps = np.datetime64(start.replace(tzinfo=None), "s") + (minutes[keep] * 60).astype("timedelta64[s]")
    return stamps, values[keep]


def _gap_mask(n: int, rng: np.random.Generator, probability: float, steps_per_day: int) -> np.ndarray:
    """Sensor gaps: a few hours now and then (warm-up, lost signal)."""
    keep = np.ones(n, dtype=bool)
    for start in np.flatnonzero(rng.random(n) < probability / 12):
        keep[start:start + int(rng.integers(6, steps_per_day // 8))] = False
    return keep


def fingerstick_times(start: datetime, days: int, *, per_day: int, seed: int) -> list[datetime]:
    """Meter readings at plausible times (before meals, bedtime)."""
    rng = np.random.default_rng(seed)
    slots = [7.0, 12.0, 18.5, 22.0][:max(1, min(4, per_day))]
    out = []
    for day in range(days):
        for slot in slots:
            minutes = int((slot + rng.normal(0, 0.4)) * 60)
            out.append(start + timedelta(days=day, minutes=minutes))
    return out


def hba1c_from_mean(mean_mgdl: float) -> float:
    """The ADAG relation (Nathan 2008): mean = 28.7 × A1c − 46.7, rounded to one decimal."""
    return round((mean_mgdl + 46.7) / 28.7, 1) if math.isfinite(mean_mgdl) else float("nan")
