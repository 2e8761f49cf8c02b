"""Readers of CGM and meter exports (Dexcom Clarity, LibreView, generic CSV) into domain readings."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from .cgm_records import DeviceInfo, ImportFormatError, ParsedReading, ReadingWindow, RejectedLine
from .dexcom_clarity import DexcomClarityReader
from .export_reader import MAX_FILE_BYTES, ExportReader
from .generic_csv import GenericCsvReader
from .libreview import LibreViewReader

KINDS = ("dexcom", "libre", "csv")


def open_export(path: str, kind: str, zone: ZoneInfo | str, mapping: dict[str, Any] | None = None, *,
                window: ReadingWindow | None = None) -> ExportReader:
    """An opened reader for `kind` ('dexcom', 'libre' or 'csv'); ImportFormatError if the file is not that kind.

    With a `window`, readings dated outside it are rejected lines (before birth, in the future).
    """
    if kind == "dexcom":
        reader: ExportReader = DexcomClarityReader(path, zone, window)
    elif kind == "libre":
        reader = LibreViewReader(path, zone, window)
    elif kind == "csv":
        reader = GenericCsvReader(path, zone, mapping or {}, window)
    else:
        raise ImportFormatError(f"Unknown file kind '{kind}'; choose one of {', '.join(KINDS)}.")
    return reader.open()


__all__ = ["DeviceInfo", "ExportReader", "ImportFormatError", "KINDS", "MAX_FILE_BYTES", "ParsedReading",
           "ReadingWindow", "RejectedLine", "open_export"]
