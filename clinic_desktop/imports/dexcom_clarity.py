"""Dexcom Clarity CSV export reader.

Header: `Index, Timestamp (YYYY-MM-DDThh:mm:ss), Event Type, Event Subtype, Patient Info, Device
Info, Source Device ID, Glucose Value (mg/dL)` (or mmol/L), then insulin/carb/duration/rate
columns and, in newer exports, `Transmitter Time (Long Integer), Transmitter ID`. Metadata rows
(FirstName, Device, alerts...) follow the header with an empty timestamp; their number varies, so
glucose rows are selected by Event Type (EGV) rather than by position. Out-of-range values are
the words High/Low (sensor range 40–400 mg/dL), kept as flagged 400/40 mg/dL.
"""

from __future__ import annotations

from itertools import islice

from ..domain.enums import ReadingSource
from .cgm_records import DeviceInfo
from .export_reader import ExportReader
from .values import unit_in_header

GLUCOSE_EVENT_TYPES = {"egv"}


class DexcomClarityReader(ExportReader):
    source = ReadingSource.DEXCOM
    formats = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
    high_mgdl, low_mgdl = 400.0, 40.0

    def is_header(self, cells: list[str]) -> bool:
        return self.column(cells, "Event Type") is not None and self.column(cells, "Glucose Value", contains=True) is not None

    def not_this_kind(self) -> str:
        return ("This is not a Dexcom Clarity export: no header with 'Event Type' and 'Glucose Value' columns was "
                "found in its first lines. Choose the right file kind, or 'Other CSV file'.")

    def configure(self) -> None:
        h = self.header
        self._ts = self.column(h, "timestamp", contains=True)
        self._event = self.column(h, "Event Type")
        self._value = self.column(h, "Glucose Value", contains=True)
        self._serial = self.column(h, "Transmitter ID")
        self._source_device = self.column(h, "Source Device ID")
        self._device_info = self.column(h, "Device Info")
        self.unit = unit_in_header(h[self._value]) or self.unit
        name = serial = None
        for _, cells in islice(self._rows(), 200):
            event = self.cell(cells, self._event).casefold()
            if event == "device" and not name:
                name = self.cell(cells, self._device_info) or None
            if event in GLUCOSE_EVENT_TYPES:
                serial = serial or self.cell(cells, self._serial) or None
                name = name or self.cell(cells, self._source_device) or None
                if serial:
                    break
        self.device = DeviceInfo(self.source, name or "Dexcom CGM", serial)

    def is_reading_row(self, cells: list[str]) -> bool:
        return self.cell(cells, self._event).casefold() in GLUCOSE_EVENT_TYPES

    def min_cells(self) -> int:
        return max(self._ts or 0, self._value or 0) + 1

    def timestamp_text(self, cells: list[str]) -> str:
        return self.cell(cells, self._ts)

    def value_text(self, cells: list[str]) -> str:
        return self.cell(cells, self._value)
