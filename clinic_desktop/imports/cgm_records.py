"""What the export readers produce: accepted readings and rejected lines (with line number and reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.enums import ReadingContext, ReadingFlag, ReadingSource
from ..domain.errors import DomainError


class ImportFormatError(DomainError):
    """The file as a whole cannot be read as the chosen kind (wrong kind, empty, too large...)."""


@dataclass(frozen=True)
class ParsedReading:
    """One reading ready to store: UTC time, canonical mg/dL, sensor flag."""

    line: int
    recorded_at: datetime
    value_mgdl: float
    flag: ReadingFlag = ReadingFlag.NONE
    context: ReadingContext = ReadingContext.CGM
    note: str = ""


@dataclass(frozen=True)
class RejectedLine:
    """A line that will not be stored, and why."""

    line: int
    reason: str
    text: str = ""


@dataclass(frozen=True)
class ReadingWindow:
    """The wall-clock period (in the clinic's zone, no offset) a patient's readings can fall in.

    `earliest` is the start of the patient's day of birth, `latest` the app clock's now plus one
    day (device clocks run a little ahead; a year 9999 does not). Checked on the file's own wall
    times, before the conversion to UTC, so a wild date neither overflows nor disturbs the
    ordering used to resolve the repeated autumn hour.
    """

    earliest: datetime
    latest: datetime

    def problem(self, naive: datetime) -> str | None:
        """Why a reading at `naive` cannot be the patient's, or None."""
        shown = naive.isoformat(sep=" ", timespec="minutes")  # strftime drops the zeros of year 0001
        if naive < self.earliest:
            return f"date {shown} is before the patient's date of birth"
        if naive > self.latest:
            return f"date {shown} is more than a day in the future"
        return None


@dataclass(frozen=True)
class DeviceInfo:
    """Which device the file says it came from (shown so a wrong patient's file is noticed)."""

    source: ReadingSource
    name: str | None
    serial: str | None
