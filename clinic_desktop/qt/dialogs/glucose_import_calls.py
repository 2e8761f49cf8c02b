"""The import dialog's view of the glucose import service (runs on worker threads).

Converts the service's preview and result into what the dialog shows, so the dialog stays
independent of the service's exact DTO shapes.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from ...domain.enums import GlucoseUnit, ReadingFlag
from ...domain.units import format_glucose
from ..formats import Formats
from ..workers import TaskState


class ImportKind(StrEnum):
    """The export formats we read; values match the import service's kinds."""

    DEXCOM = "dexcom"
    LIBRE = "libre"
    GENERIC = "csv"

    @property
    def label(self) -> str:
        return {
            "dexcom": "Dexcom Clarity CSV export",
            "libre": "Abbott LibreView CSV export (mg/dL or mmol/L, any date format)",
            "csv": "Other CSV file (choose the columns on the next page)",
        }[self.value]


@dataclass(frozen=True)
class PreviewRow:
    recorded_at: datetime
    value_mgdl: float
    flag: ReadingFlag = ReadingFlag.NONE
    note: str = ""

    def cells(self, zone: tzinfo, unit: GlucoseUnit, formats: Formats) -> list[str]:
        value = format_glucose(self.value_mgdl, unit)
        if self.flag != ReadingFlag.NONE:
            value = f"{self.flag.value.upper()} (kept as {value})"
        return [formats.weekday_instant(self.recorded_at, zone), value, self.note]


@dataclass(frozen=True)
class RejectedLine:
    line: int
    reason: str
    text: str = ""


@dataclass(frozen=True)
class PreviewView:
    """What the preview page shows."""

    accepted: int
    sample: list[PreviewRow]
    rejected: list[RejectedLine]
    rejected_count: int
    device_serial: str | None
    device_name: str | None
    first_at: datetime | None
    last_at: datetime | None
    token: Any = None  # the service's own preview object, handed back to import

    def identity_html(self, zone: tzinfo, formats: Formats) -> str:
        """Device and date range in large type: the check against a wrong patient's file."""
        span = ("no readings" if self.first_at is None else
                f"{formats.instant(self.first_at, zone)} – {formats.instant(self.last_at, zone)}")
        device = html.escape(self.device_name or "Unknown device")
        serial = html.escape(self.device_serial or "not in file")
        return (f"Device: <b>{device}</b> · serial <b>{serial}</b><br>Readings from <b>{span}</b> (clinic time)<br>"
                "<i>Check that this is this patient's device and period before importing.</i>")


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


class GlucoseImportCalls:
    """Preview and import through the glucose import service, for one signed-in actor."""

    def __init__(self, services: Any, actor: Any) -> None:
        self._services, self._actor = services, actor

    @property
    def service(self) -> Any:
        found = getattr(self._services, "glucose_import", None) or self._services.extra.get("glucose_import")
        if found is None:
            raise RuntimeError("CGM import is not available in this installation.")
        return found

    def preview(self, state: TaskState, patient_id: uuid.UUID, path: str, kind: ImportKind,
                mapping: dict[str, Any] | None) -> PreviewView:
        preview = self.service.preview(self._actor, patient_id, path, kind=kind.value, mapping=mapping, state=state)
        return self.to_view(preview)

    @staticmethod
    def to_view(preview: Any) -> PreviewView:
        sample = [PreviewRow(_get(r, "recorded_at"), float(_get(r, "value_mgdl")), _get(r, "flag", default=ReadingFlag.NONE) or ReadingFlag.NONE,
                             _get(r, "note", default="") or "") for r in _get(preview, "sample", "readings", default=[])]
        rejected = [RejectedLine(int(_get(r, "line", "line_number")), str(_get(r, "reason", "message")), str(_get(r, "text", "raw", default="") or ""))
                    for r in _get(preview, "rejected", "rejected_lines", default=[])]
        return PreviewView(
            accepted=int(_get(preview, "accepted", "accepted_count", default=len(sample))),
            sample=sample, rejected=rejected,
            rejected_count=int(_get(preview, "rejected_count", default=len(rejected))),
            device_serial=_get(preview, "device_serial"), device_name=_get(preview, "device_name", "device"),
            first_at=_get(preview, "first_at", "first_reading_at"), last_at=_get(preview, "last_at", "last_reading_at"),
            token=preview,
        )

    def run_import(self, state: TaskState, patient_id: uuid.UUID, path: str, kind: ImportKind,
                   mapping: dict[str, Any] | None) -> Any:
        return self.service.import_file(self._actor, patient_id, path, kind=kind.value, mapping=mapping, state=state)

    @staticmethod
    def summary(result: Any) -> str:
        stored = _get(result, "stored", "inserted", default=0)
        skipped = _get(result, "duplicates", "already_present", "skipped", default=0)
        rejected = _get(result, "rejected_count", "rejected", default=0)
        if isinstance(rejected, (list, tuple)):
            rejected = len(rejected)
        return (f"<b>{stored:,} readings stored.</b><br>{skipped:,} were already stored (importing the same file twice "
                f"adds nothing).<br>{rejected:,} lines were not stored (see the preview for why).")
