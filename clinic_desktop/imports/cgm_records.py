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
class DeviceInfo:
    """Which device the file says it came from (shown so a wrong patient's file is noticed)."""

    source: ReadingSource
    name: str | None
    serial: str | None
