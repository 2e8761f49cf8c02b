"""Shared look of the glucose charts: consensus range colours, thresholds and unit scaling.

Charts keep canonical mg/dL arrays (the DTO contract) and convert only what they draw, with the
same factor as `domain.units` (18.0), so an axis in mmol/L and a label in mmol/L always agree.
"""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

import numpy as np
from PySide6.QtGui import QColor

from ...domain.enums import GlucoseUnit
from ...domain.units import MGDL_PER_MMOLL, format_glucose

#: Consensus thresholds (Battelino 2019), mg/dL.
VERY_LOW_MGDL = 54.0
LOW_MGDL = 70.0
HIGH_MGDL = 180.0
VERY_HIGH_MGDL = 250.0

#: One colour per consensus range, darkest at the dangerous ends (red for lows, orange for highs).
VERY_LOW_COLOUR = QColor("#8e0000")
LOW_COLOUR = QColor("#e53935")
IN_RANGE_COLOUR = QColor("#2e7d32")
HIGH_COLOUR = QColor("#f9a825")
VERY_HIGH_COLOUR = QColor("#e65100")
TARGET_BAND_COLOUR = QColor(67, 160, 71, 40)
LINE_COLOUR = QColor("#1f3b73")
ENVELOPE_COLOUR = QColor(31, 59, 115, 60)
GRID_ALPHA = 0.25

#: Range order used by the time-in-ranges bar, bottom to top.
RANGE_KEYS = ("very_low", "low", "in_range", "high", "very_high")
RANGE_COLOURS = {
    "very_low": VERY_LOW_COLOUR,
    "low": LOW_COLOUR,
    "in_range": IN_RANGE_COLOUR,
    "high": HIGH_COLOUR,
    "very_high": VERY_HIGH_COLOUR,
}


def to_display(values_mgdl: np.ndarray, unit: GlucoseUnit) -> np.ndarray:
    """Canonical mg/dL array → the unit the axis shows (float64, NaN preserved)."""
    values = np.asarray(values_mgdl, dtype=np.float64)
    return values / MGDL_PER_MMOLL if unit == GlucoseUnit.MMOL_L else values


def threshold(value_mgdl: float, unit: GlucoseUnit) -> float:
    """A threshold in the displayed unit."""
    return value_mgdl / MGDL_PER_MMOLL if unit == GlucoseUnit.MMOL_L else value_mgdl


def axis_label(unit: GlucoseUnit) -> str:
    return f"Glucose ({unit.value})"


def default_y_max(unit: GlucoseUnit, data_max_mgdl: float | None = None) -> float:
    """Top of the y axis: 400 mg/dL (sensor range), more if the data goes higher."""
    top = max(400.0, float(data_max_mgdl or 0.0) * 1.05)
    return threshold(top, unit)


def range_labels(unit: GlucoseUnit) -> dict[str, str]:
    """Human labels of the consensus ranges in the patient's unit (e.g. '70–180 mg/dL')."""
    f = lambda v: format_glucose(v, unit, with_unit=False)  # noqa: E731 - local shorthand
    u = unit.value
    if unit == GlucoseUnit.MMOL_L:
        # The consensus' own mmol/L pairs (3.0, 3.9, 10.0, 13.9) rather than 54/18 = 3.0 etc.
        return {
            "very_low": f"<3.0 {u}",
            "low": f"3.0–3.8 {u}",
            "in_range": f"3.9–10.0 {u}",
            "high": f"10.1–13.9 {u}",
            "very_high": f">13.9 {u}",
        }
    return {
        "very_low": f"<{f(VERY_LOW_MGDL)} {u}",
        "low": f"{f(VERY_LOW_MGDL)}–{f(LOW_MGDL - 1)} {u}",
        "in_range": f"{f(LOW_MGDL)}–{f(HIGH_MGDL)} {u}",
        "high": f"{f(HIGH_MGDL + 1)}–{f(VERY_HIGH_MGDL)} {u}",
        "very_high": f">{f(VERY_HIGH_MGDL)} {u}",
    }


def range_codes(values_mgdl: np.ndarray) -> np.ndarray:
    """Index into RANGE_KEYS for each value (iglu's boundaries: in range is 70 <= g <= 180)."""
    v = np.asarray(values_mgdl, dtype=np.float64)
    codes = np.full(v.shape, 2, dtype=np.int8)
    codes[v < LOW_MGDL] = 1
    codes[v < VERY_LOW_MGDL] = 0
    codes[v > HIGH_MGDL] = 3
    codes[v > VERY_HIGH_MGDL] = 4
    return codes


def clinic_zone(name: str | None) -> tzinfo:
    """The clinic's time zone (falls back to UTC for an unknown or missing name)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except Exception:  # noqa: BLE001 - a bad setting must not break a chart
        return ZoneInfo("UTC")

