"""Glucose units: canonical storage in mg/dL, display in the patient's unit.

We use 18.0 mg/dL per mmol/L, the factor of R iglu (our metrics reference) and of most clinical
tables; Tidepool's 18.01559 differs by under 0.1 % and never changes a rounded clinical value.
"""

from __future__ import annotations

from .enums import GlucoseUnit

MGDL_PER_MMOLL = 18.0

#: Plausible range for a stored glucose value (mg/dL); outside it is a typo, not a reading.
MIN_PLAUSIBLE_MGDL = 20.0
MAX_PLAUSIBLE_MGDL = 600.0


def to_mgdl(value: float, unit: GlucoseUnit) -> float:
    """Convert a value in `unit` to mg/dL."""
    return float(value) * MGDL_PER_MMOLL if unit == GlucoseUnit.MMOL_L else float(value)


def from_mgdl(value_mgdl: float, unit: GlucoseUnit) -> float:
    """Convert a canonical mg/dL value to `unit` (unrounded)."""
    return float(value_mgdl) / MGDL_PER_MMOLL if unit == GlucoseUnit.MMOL_L else float(value_mgdl)


def format_glucose(value_mgdl: float | None, unit: GlucoseUnit, *, with_unit: bool = True) -> str:
    """Format as clinicians expect: mg/dL as a whole number, mmol/L with one decimal."""
    if value_mgdl is None:
        return "—"
    shown = from_mgdl(value_mgdl, unit)
    text = f"{shown:.1f}" if unit == GlucoseUnit.MMOL_L else f"{round(shown):d}"
    return f"{text} {unit.value}" if with_unit else text
