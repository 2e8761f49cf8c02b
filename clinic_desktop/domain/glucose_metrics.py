"""Consensus CGM metrics (Battelino et al., Diabetes Care 2019; Danne et al., 2017), pure numpy.

Definitions follow R iglu (github.com/irinagain/iglu, one metric per file under R/) where the
consensus leaves a choice, so our figures can be checked against `iglu-python`:
- ranges: very low g < 54, low 54 <= g < 70, in range 70 <= g <= 180, high 180 < g <= 250,
  very high g > 250 (mg/dL); each as a percent of readings (iglu's below/above are strict);
- mean: arithmetic mean of readings (not time-weighted); CV: 100 × sample SD (n − 1) / mean;
- GMI % = 3.31 + 0.02392 × mean mg/dL (Bergenstal 2018);
- GRI = 3.0 VLow + 2.4 Low + 1.6 VHigh + 0.8 High, capped at 100 (Klonoff 2023);
- LBGI / HBGI (Kovatchev): f = 1.509 (ln(g)^1.084 − 5.381) with g in mg/dL, risk 10 f², summed
  over readings below 112.5 mg/dL (LBGI) or at or above it (HBGI) and divided by all readings,
  exactly as iglu-python's lbgi/hbgi (R iglu writes 10 × 1.509² as 22.77);
- MODD (Service 1980): mean |g(t) − g(t − 24 h)| on iglu's day-by-day grid (`cgm_grid`) at the
  sensor's most common interval, linearly interpolated within gaps of at most 45 minutes
  (CGMS2DayByDay's defaults), on local wall-clock time;
- MAGE: iglu's default, the moving-average algorithm of Fernandes et al. 2022 (short and long
  moving averages of 5 and 32 points on a 5-minute grid, excursions between their crossings,
  the trace split into segments at gaps over 3 hours, MAGE+ and MAGE− averaged with segment
  durations as weights); see `mage.py`. Not Service 1970 over the raw readings, which ignores
  time and lets an excursion run across a sensor gap.
Data sufficiency (14 days, 70 % of possible readings) is one rule with one rounding, in
`data_sufficiency.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cgm_grid import DAY_SECONDS, day_grid, most_common_interval
from .data_sufficiency import DataSufficiency, assess_sufficiency
from .mage import mage as moving_average_mage

CGM_INTERVAL_SECONDS = 300.0
LBGI_HBGI_SPLIT_MGDL = 112.5  # iglu: LBGI over g < 112.5, HBGI over g >= 112.5


@dataclass(frozen=True)
class RangePercents:
    """Percent of readings per consensus band (mg/dL)."""

    very_low: float
    low: float
    in_range: float
    high: float
    very_high: float

    @property
    def below_70(self) -> float:
        return self.very_low + self.low

    @property
    def above_180(self) -> float:
        return self.high + self.very_high


@dataclass(frozen=True)
class CgmMetrics:
    """Everything the metrics panel shows, in mg/dL or percent; None where there is too little data."""

    readings: int
    sufficiency: DataSufficiency
    mean: float | None
    sd: float | None
    cv: float | None
    gmi: float | None
    ranges: RangePercents | None
    gri: float | None
    mage: float | None
    modd: float | None
    lbgi: float | None
    hbgi: float | None


def range_percents(values: np.ndarray) -> RangePercents | None:
    """Percent of readings in each band; bounds as in iglu (in range inclusive, others strict)."""
    g = np.asarray(values, dtype=float)
    if g.size == 0:
        return None
    n = g.size
    return RangePercents(
        very_low=100.0 * np.count_nonzero(g < 54) / n,
        low=100.0 * np.count_nonzero((g >= 54) & (g < 70)) / n,
        in_range=100.0 * np.count_nonzero((g >= 70) & (g <= 180)) / n,
        high=100.0 * np.count_nonzero((g > 180) & (g <= 250)) / n,
        very_high=100.0 * np.count_nonzero(g > 250) / n,
    )


def gmi_percent(mean_mgdl: float) -> float:
    """Glucose management indicator (Bergenstal 2018)."""
    return 3.31 + 0.02392 * mean_mgdl


def gri(r: RangePercents) -> float:
    """Glycemia Risk Index (Klonoff 2023), capped at 100."""
    return min(100.0, 3.0 * r.very_low + 2.4 * r.low + 1.6 * r.very_high + 0.8 * r.high)


def lbgi_hbgi(values: np.ndarray) -> tuple[float, float]:
    """Kovatchev's low and high blood glucose indices, in iglu's form (values in mg/dL).

    f = 1.509 (ln(g)^1.084 − 5.381); LBGI = 10 Σ min(f, 0)² over g < 112.5 / n and
    HBGI = 10 Σ max(f, 0)² over g >= 112.5 / n (iglu-python lbgi.py, hbgi.py). 10 × 1.509² is
    R iglu's 22.77. The split at 112.5 mg/dL is iglu's; the curve's own zero is at 112.517.
    """
    g = np.asarray(values, dtype=float)
    f = 1.509 * (np.log(g) ** 1.084 - 5.381)
    low = np.where(g < LBGI_HBGI_SPLIT_MGDL, np.minimum(f, 0.0), 0.0)
    high = np.where(g >= LBGI_HBGI_SPLIT_MGDL, np.maximum(f, 0.0), 0.0)
    return float(10.0 * np.sum(low * low) / g.size), float(10.0 * np.sum(high * high) / g.size)


def modd(times_s: np.ndarray, values: np.ndarray) -> float | None:
    """Mean of daily differences (lag 1 day) on iglu's grid at the sensor's own interval."""
    if len(values) < 2:
        return None
    grid = day_grid(times_s, values, step=most_common_interval(times_s))
    shift = int(DAY_SECONDS / grid.step)
    if grid.values.size <= shift:
        return None
    diffs = np.abs(grid.values[shift:] - grid.values[:-shift])
    diffs = diffs[~np.isnan(diffs)]
    return float(diffs.mean()) if diffs.size else None


def data_sufficiency(times_s: np.ndarray, *, window_seconds: float,
                     interval_seconds: float = CGM_INTERVAL_SECONDS) -> DataSufficiency:
    """Days of data (first to last reading, within the window) and % of possible readings, judged."""
    t = np.asarray(times_s, dtype=float)
    if t.size == 0:
        return assess_sufficiency(days=0.0, active_percent=0.0)
    possible = max(window_seconds / interval_seconds, 1.0)
    days = min(window_seconds, float(t[-1] - t[0])) / DAY_SECONDS
    return assess_sufficiency(days=days, active_percent=min(100.0, 100.0 * t.size / possible))


def compute_metrics(times_s: np.ndarray, values: np.ndarray, *, window_seconds: float,
                    interval_seconds: float = CGM_INTERVAL_SECONDS) -> CgmMetrics:
    """All consensus metrics for readings at wall-clock `times_s` (sorted) in a window of that length."""
    t = np.asarray(times_s, dtype=float)
    g = np.asarray(values, dtype=float)
    n = int(g.size)
    sufficiency = data_sufficiency(t, window_seconds=window_seconds, interval_seconds=interval_seconds)
    if n == 0:
        return CgmMetrics(0, sufficiency, None, None, None, None, None, None, None, None, None, None)
    mean = float(g.mean())
    sd = float(np.std(g, ddof=1)) if n > 1 else None
    ranges = range_percents(g)
    lbgi, hbgi = lbgi_hbgi(g)
    return CgmMetrics(
        readings=n, sufficiency=sufficiency, mean=mean, sd=sd,
        cv=100.0 * sd / mean if sd is not None else None, gmi=gmi_percent(mean), ranges=ranges,
        gri=gri(ranges), mage=moving_average_mage(t, g), modd=modd(t, g), lbgi=lbgi, hbgi=hbgi,
    )
