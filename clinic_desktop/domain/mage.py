"""MAGE by moving-average crossings (Fernandes et al., J Diabetes Sci Technol 2022;16:576-577).

This is the consensus reference's default: R iglu's `mage()` (version "ma", direction "avg"),
github.com/irinagain/iglu R/mage.R, ported to Python as `iglu-python` (mage.py). We follow that
code step by step, in numpy:
1. the readings go onto iglu's 5-minute day-by-day grid (`cgm_grid.day_grid`: linear
   interpolation, nothing interpolated across gaps over 45 minutes);
2. the grid is split into segments wherever two valid grid points are more than 3 hours apart,
   so no excursion runs across a sensor gap;
3. per segment: a short (5-point) and a long (32-point) trailing moving average; where they cross,
   an excursion may turn; between consecutive crossings the original trace's nadir or peak is
   taken; rises (nadir to peak) and falls (peak to nadir) larger than the segment's SD count;
   MAGE+ is the mean rise, MAGE− the mean fall;
4. MAGE is the mean of every segment's MAGE+ and MAGE−, each weighted by its segment's duration.
A segment shorter than 7 grid points, or with an SD under 1 mg/dL, has no MAGE.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .cgm_grid import GRID_SECONDS, INTER_GAP_SECONDS, DayGrid, day_grid

SHORT_MA_POINTS = 5
LONG_MA_POINTS = 32
MAX_GAP_SECONDS = 180 * 60.0  # iglu's max_gap: a longer gap starts a new segment
MIN_SEGMENT_POINTS = 7
_NADIR, _PEAK = 0, 1


def mage(times_s: np.ndarray, values: np.ndarray, *, short_ma: int = SHORT_MA_POINTS,
         long_ma: int = LONG_MA_POINTS, max_gap: float = MAX_GAP_SECONDS) -> float | None:
    """MAGE (mg/dL) of readings at wall-clock `times_s` (sorted); None when no excursion counts."""
    if not 0 < short_ma < long_ma:
        raise ValueError(f"MAGE needs 0 < short_ma < long_ma, got {short_ma} and {long_ma}")
    if np.asarray(values).size == 0:
        return None
    grid = day_grid(times_s, values, step=GRID_SECONDS, inter_gap=INTER_GAP_SECONDS)
    amplitudes: list[float] = []
    durations: list[float] = []
    for times, glucose in segments(grid, max_gap=max_gap):
        rises, falls = segment_excursions(glucose, short_ma=short_ma, long_ma=long_ma)
        for heights in (rises, falls):
            if heights:
                amplitudes.append(abs(float(np.mean(heights))))
                durations.append(float(times[-1] - times[0]))
    total = float(np.sum(durations))
    if not amplitudes or total <= 0:
        return None
    return float(np.sum(np.array(amplitudes) * (np.array(durations) / total)))


def segments(grid: DayGrid, *, max_gap: float = MAX_GAP_SECONDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """(times, values) of each stretch of the grid without a gap over `max_gap` between valid points.

    Each stretch starts and ends on a valid point; shorter gaps inside it stay NaN.
    """
    valid = np.flatnonzero(~np.isnan(grid.values))
    if valid.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(grid.times[valid]) > max_gap)
    starts = np.concatenate(([valid[0]], valid[breaks + 1]))
    ends = np.concatenate((valid[breaks], [valid[-1]]))
    return [(grid.times[s:e + 1], grid.values[s:e + 1]) for s, e in zip(starts, ends, strict=True)]


def segment_excursions(glucose: np.ndarray, *, short_ma: int = SHORT_MA_POINTS,
                       long_ma: int = LONG_MA_POINTS) -> tuple[list[float], list[float]]:
    """Rises (positive) and falls (negative) larger than one SD in one gap-free segment."""
    sd = _sample_sd(glucose)
    if glucose.size < max(MIN_SEGMENT_POINTS, short_ma) or np.all(np.isnan(glucose)) or sd < 1:
        return [], []
    delta = moving_average(glucose, short_ma) - moving_average(glucose, long_ma)
    turns, kinds = crossings(glucose, delta)
    extrema = turning_values(glucose, turns, kinds)
    return rises(extrema, sd), falls(extrema, sd)


def moving_average(glucose: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean of the last `window` points, NaN skipped (pandas' rolling, min_periods=1).

    The first `window` points take the value at `window − 1` (iglu's fill of the ramp-up).
    """
    n = glucose.size
    windows = sliding_window_view(np.concatenate((np.full(window - 1, np.nan), glucose)), window)
    counts = np.count_nonzero(~np.isnan(windows), axis=1)
    means: np.ndarray = np.nansum(windows, axis=1) / np.maximum(counts, 1)
    lowest, highest = np.fmin.reduce(windows, axis=1), np.fmax.reduce(windows, axis=1)
    means = np.asarray(np.where(lowest == highest, lowest, means), dtype=float)  # a flat window is exactly its value, as in pandas
    means[counts == 0] = np.nan
    means[:window] = means[window - 1] if window <= n else means[-1]
    return means


def crossings(glucose: np.ndarray, delta: np.ndarray) -> tuple[list[int], list[int]]:
    """Where the short average crosses the long one (indices and nadir/peak kind), with both ends.

    Across missing values a crossing is judged against the last crossing's difference, as in iglu.
    """
    d = delta.copy()
    turns, kinds = [0], [_PEAK if d[0] > 0 else _NADIR]
    d[d == 0] = np.nan
    d_ok = ~np.isnan(d)
    g_ok = ~np.isnan(glucose)
    both = d_ok[1:] & d_ok[:-1] & g_ok[1:] & g_ok[:-1]
    sign_change = both & (d[1:] * d[:-1] < 0)
    after_gap = ~both & d_ok[1:]  # judged against the last crossing: depends on the ones before
    for i in np.flatnonzero(sign_change | after_gap) + 1:
        before = d[i - 1] if both[i - 1] else d[turns[-1]]
        if d[i] * before < 0:
            turns.append(int(i))
            kinds.append(_NADIR if d[i] < before else _PEAK)
    turns.append(glucose.size - 1)
    kinds.append(_PEAK if d[-1] > 0 else _NADIR)
    return turns, kinds


def turning_values(glucose: np.ndarray, turns: list[int], kinds: list[int]) -> np.ndarray:
    """The trace's nadir or peak between consecutive crossings, each search starting at the last one found."""
    values: list[float] = []
    start = turns[0]
    for kind, stop in zip(kinds[:-1], turns[1:], strict=True):
        part = glucose[start:stop + 1]
        k = int(np.nanargmin(part) if kind == _NADIR else np.nanargmax(part))
        values.append(float(part[k]))
        start += k
    return np.array(values)


def rises(extrema: np.ndarray, sd: float) -> list[float]:
    """Nadir-to-peak heights over `sd` (iglu's MAGE+ walk over the turning points)."""
    m, n = extrema, extrema.size
    heights: list[float] = []
    j = prev_j = 0
    while j < n:
        climb = m[j] - m[prev_j:j + 1]
        if climb.max() > sd:
            i = prev_j + int(np.argmax(climb))
            for k in range(j, n):
                if m[k] >= m[j]:
                    j = k  # still climbing: the peak moves on
                if m[k] - m[j] < -sd or k == n - 1:
                    heights.append(float(m[j] - m[i]))
                    prev_j = j = k
                    break
        else:
            j += 1
    return heights


def falls(extrema: np.ndarray, sd: float) -> list[float]:
    """Peak-to-nadir heights (negative) over `sd` (iglu's MAGE− walk over the turning points)."""
    m, n = extrema, extrema.size
    heights: list[float] = []
    j = prev_j = 0
    while j < n:
        drop = m[j] - m[prev_j:j + 1]
        if drop.min() < -sd:
            i = prev_j + int(np.argmin(drop))
            for k in range(j, n):
                if m[k] <= m[j]:
                    j = k  # still falling: the nadir moves on
                if m[k] - m[j] > sd or k == n - 1:
                    heights.append(float(m[j] - m[i]))
                    prev_j, j = j, k
                    break
        else:
            j += 1
    return heights


def _sample_sd(glucose: np.ndarray) -> float:
    """SD (n − 1) of the valid points; NaN with fewer than two."""
    valid = glucose[~np.isnan(glucose)]
    return float(np.std(valid, ddof=1)) if valid.size > 1 else float("nan")
