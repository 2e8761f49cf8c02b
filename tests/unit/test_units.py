"""Glucose unit conversion and clinical rounding."""

from clinic_desktop.domain.enums import GlucoseUnit
from clinic_desktop.domain.units import format_glucose, from_mgdl, to_mgdl


def test_round_trip_and_rounding():
    assert to_mgdl(5.5, GlucoseUnit.MMOL_L) == 99.0
    assert from_mgdl(180, GlucoseUnit.MMOL_L) == 10.0
    assert format_glucose(99.4, GlucoseUnit.MG_DL) == "99 mg/dL"
    assert format_glucose(70, GlucoseUnit.MMOL_L) == "3.9 mmol/L"
    assert format_glucose(None, GlucoseUnit.MMOL_L) == "—"
    assert format_glucose(250, GlucoseUnit.MMOL_L, with_unit=False) == "13.9"
