"""Glucose value and timestamp parsing shared by the readers (explicit formats, no guessing per line)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..domain.enums import GlucoseUnit, ReadingFlag
from ..domain.units import MAX_PLAUSIBLE_MGDL, MIN_PLAUSIBLE_MGDL, to_mgdl

#: Formats seen in CGM exports and spreadsheets, tried as a whole file (never mixed per line).
TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
    "%m-%d-%Y %I:%M %p", "%d-%m-%Y %H:%M", "%m-%d-%Y %H:%M",
    "%m/%d/%Y %I:%M %p", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S",
)

UNIT_WORDS = {"mg/dl": GlucoseUnit.MG_DL, "mgdl": GlucoseUnit.MG_DL, "mg/dl.": GlucoseUnit.MG_DL,
              "mmol/l": GlucoseUnit.MMOL_L, "mmol": GlucoseUnit.MMOL_L, "mmoll": GlucoseUnit.MMOL_L}


def parse_unit(text: str) -> GlucoseUnit | None:
    return UNIT_WORDS.get(text.strip().casefold().replace(" ", ""))


def unit_in_header(name: str) -> GlucoseUnit | None:
    lowered = name.casefold()
    if "mmol" in lowered:
        return GlucoseUnit.MMOL_L
    if "mg/dl" in lowered or "mg/dl" in lowered.replace(" ", ""):
        return GlucoseUnit.MG_DL
    return None


_ISO_FORMATS = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"}


def _parse(text: str, fmt: str) -> datetime | None:
    text = text.strip()
    if fmt in _ISO_FORMATS and len(text) == len("2024-01-01T00:00:00") - (3 if fmt.endswith("%M") else 0):
        # fromisoformat is C-fast; the length check keeps it to exactly this format (it would
        # also take offsets and fractions, which these formats do not allow).
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return None
        return value if value.tzinfo is None and (text[10] == fmt[8]) else None
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


def choose_timestamp_format(samples: Iterable[str], formats: tuple[str, ...] = TIMESTAMP_FORMATS) -> str | None:
    """The one format under which most of the file's timestamps parse.

    Day-first and month-first both fit when every day is <= 12; then the format whose readings
    follow each other most closely in time wins (a CGM trace moves in minutes, not months).
    """
    texts = [s.strip() for s in samples if s and s.strip()]
    if not texts:
        return None
    scored = []
    for fmt in formats:
        parsed = [_parse(t, fmt) for t in texts]
        ok = [p for p in parsed if p is not None]
        if not ok:
            continue
        jumps = sum(abs((b - a).total_seconds()) for a, b in zip(ok, ok[1:]))
        scored.append((-len(ok), jumps, fmt))
    return min(scored)[2] if scored else None


def parse_timestamp(text: str, fmt: str) -> tuple[datetime | None, str | None]:
    if not text.strip():
        return None, "no date and time"
    value = _parse(text, fmt)
    if value is None:
        return None, f"date/time '{text.strip()[:40]}' is impossible or not in the file's format ({fmt})"
    return value, None


def parse_glucose(text: str, unit: GlucoseUnit, *, high_mgdl: float, low_mgdl: float
                  ) -> tuple[float | None, ReadingFlag, str | None]:
    """(mg/dL, flag, None) or (None, NONE, reason). 'High'/'Low' markers become flagged values."""
    raw = text.strip()
    word = raw.casefold()
    if word in ("high", "hi"):
        return high_mgdl, ReadingFlag.HIGH, None
    if word in ("low", "lo"):
        return low_mgdl, ReadingFlag.LOW, None
    if not raw:
        return None, ReadingFlag.NONE, "no glucose value"
    try:
        number = float(raw.replace(",", ".")) if raw.count(",") <= 1 and "." not in raw else float(raw)
    except ValueError:
        return None, ReadingFlag.NONE, f"glucose value '{raw[:20]}' is not a number"
    mgdl = to_mgdl(number, unit)
    if not MIN_PLAUSIBLE_MGDL <= mgdl <= MAX_PLAUSIBLE_MGDL:
        hint = ""
        if unit == GlucoseUnit.MMOL_L and MIN_PLAUSIBLE_MGDL <= number <= MAX_PLAUSIBLE_MGDL:
            hint = " (it looks like mg/dL in a mmol/L file: mixed units?)"
        elif unit == GlucoseUnit.MG_DL and 1.0 <= number < MIN_PLAUSIBLE_MGDL:
            hint = " (it looks like mmol/L in a mg/dL file: mixed units?)"
        return None, ReadingFlag.NONE, (f"glucose {raw} {unit.value} is outside the plausible range "
                                        f"{MIN_PLAUSIBLE_MGDL:.0f}–{MAX_PLAUSIBLE_MGDL:.0f} mg/dL{hint}")
    return mgdl, ReadingFlag.NONE, None
