"""Abbott LibreView CSV export reader (mg/dL and mmol/L variants, US/EU date formats).

One or two preamble lines (`Glucose Data,Generated on,...` or `Patient report` + a name line)
precede the header, which is found by its content (`Device Timestamp`/`Meter Timestamp` and
`Record Type`). Record Type 0 = historic (every 15 min, stored as CGM), 2 = strip (stored as a
fingerstick); scans (1) repeat the sensor trace and insulin/food/notes rows are not glucose, so
they are skipped. Timestamps follow the account's locale (`MM-DD-YYYY hh:mm AM/PM`,
`DD-MM-YYYY HH:mm`, `MM-DD-YYYY HH:mm`): one format is chosen for the whole file.
`HI`/`LO` (sensor range 40–500 mg/dL) are kept as flagged 500/40 mg/dL.
"""

from __future__ import annotations

from ..domain.enums import GlucoseUnit, ReadingContext, ReadingSource
from .cgm_records import DeviceInfo, ImportFormatError
from .export_reader import ExportReader
from .values import unit_in_header

HISTORIC, SCAN, STRIP = "0", "1", "2"


class LibreViewReader(ExportReader):
    source = ReadingSource.LIBRE
    high_mgdl, low_mgdl = 500.0, 40.0

    def is_header(self, cells: list[str]) -> bool:
        return (self.column(cells, "Device Timestamp", "Meter Timestamp") is not None
                and self.column(cells, "Record Type") is not None)

    def not_this_kind(self) -> str:
        return ("This is not a LibreView export: no header with 'Device Timestamp' and 'Record Type' columns was found "
                "in its first lines. Choose the right file kind, or 'Other CSV file'.")

    def configure(self) -> None:
        h = self.header
        self._ts = self.column(h, "Device Timestamp", "Meter Timestamp")
        self._type = self.column(h, "Record Type")
        self._historic = self.column(h, "Historic Glucose", contains=True)
        self._strip = self.column(h, "Strip Glucose", contains=True)
        if self._historic is None:
            raise ImportFormatError("This LibreView export has no 'Historic Glucose' column.")
        units = {unit_in_header(h[i]) for i in (self._historic, self._strip) if i is not None} - {None}
        if len(units) > 1:
            raise ImportFormatError("This LibreView export mixes units: its glucose columns are in mg/dL and mmol/L.")
        self.unit = units.pop() if units else GlucoseUnit.MG_DL
        device = self.column(h, "Device")
        serial = self.column(h, "Serial Number")
        for _, cells in self._data_rows():
            self.device = DeviceInfo(self.source, self.cell(cells, device) or "FreeStyle Libre",
                                     self.cell(cells, serial) or None)
            break
        else:
            self.device = DeviceInfo(self.source, "FreeStyle Libre", None)

    def is_reading_row(self, cells: list[str]) -> bool:
        return self.cell(cells, self._type) in (HISTORIC, STRIP)

    def min_cells(self) -> int:
        return max(self._ts or 0, self._type or 0, self._historic or 0) + 1

    def timestamp_text(self, cells: list[str]) -> str:
        return self.cell(cells, self._ts)

    def value_text(self, cells: list[str]) -> str:
        return self.cell(cells, self._strip if self.cell(cells, self._type) == STRIP else self._historic)

    def row_context(self, cells: list[str]) -> ReadingContext:
        return ReadingContext.RANDOM if self.cell(cells, self._type) == STRIP else ReadingContext.CGM
