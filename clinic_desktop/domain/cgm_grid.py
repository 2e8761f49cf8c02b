"""CGM readings interpolated onto a regular day-by-day grid, as R iglu's `CGMS2DayByDay` does.

MODD and MAGE are defined on such a grid; building it exactly as the reference implementation
does (R iglu, github.com/irinagain/iglu, R/utils.R; its Python port `iglu-python`, utils.py)
keeps our figures comparable with published ones:
- the grid runs from the first reading's midnight to the midnight after the last reading
  (the last reading's own time if it falls on midnight) in steps of `step` seconds, without
  the first midnight itself (iglu's R-compatible grid);
- values are linearly interpolated between readings; grid points before the first or after the
  last reading are NaN;
- between two readings more than `inter_gap` seconds apart nothing is interpolated: the grid
  points in between are NaN (iglu's index arithmetic, kept to the second).
Times are wall-clock seconds (local midnight at multiples of 86400), sorted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY_SECONDS = 86400.0
GRID_SECONDS = 300.0  # iglu's dt0 for MAGE, and the CGM's usual interval
INTER_GAP_SECONDS = 45 * 60.0  # iglu's default inter_gap: longer gaps are not interpolated


@dataclass(frozen=True)
class DayGrid:
    """Glucose on a regular grid: `times[k]` (wall-clock seconds) holds `values[k]` (NaN: no data)."""

    times: np.ndarray
    values: np.ndarray
    step: float


def day_grid(times_s: np.ndarray, values: np.ndarray, *, step: float = GRID_SECONDS,
             inter_gap: float = INTER_GAP_SECONDS) -> DayGrid:
    """Readings interpolated onto iglu's day-by-day grid (see the module docstring)."""
    t = np.asarray(times_s, dtype=float)
    g = np.asarray(values, dtype=float)
    day0 = np.floor(t[0] / DAY_SECONDS) * DAY_SECONDS
    end = np.ceil(t[-1] / DAY_SECONDS) * DAY_SECONDS
    count = int(np.floor((end - day0) / step + 1e-9))  # pandas' date_range stops at or before `end`
    grid = day0 + step * np.arange(1, count + 1)
    out = np.interp(grid - day0, t - day0, g, left=np.nan, right=np.nan)
    for i in np.flatnonzero(np.diff(t) > inter_gap):
        # Same index arithmetic as iglu: from the grid point after t[i] up to the last one
        # at least a second before t[i + 1].
        first = int(np.floor((t[i] - day0) / step))
        stop = int(np.floor((t[i + 1] - day0 - 1.0) / step))
        out[first:stop] = np.nan
    return DayGrid(grid, out, step)


def most_common_interval(times_s: np.ndarray, *, default: float = GRID_SECONDS) -> float:
    """The sensor's interval as iglu guesses it: the most frequent gap, in whole minutes (seconds)."""
    gaps = np.diff(np.asarray(times_s, dtype=float)) / 60.0
    if gaps.size == 0:
        return default
    minutes, counts = np.unique(gaps, return_counts=True)
    whole = int(minutes[np.argmax(counts)])  # the smallest of the most frequent, truncated
    return float(whole * 60) if whole > 0 else default
