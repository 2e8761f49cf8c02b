"""Generic CSV reader driven by a column mapping chosen by the user (time, value, unit)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from ..domain.enums import GlucoseUnit, ReadingSource
from .cgm_records import DeviceInfo, ImportFormatError, ReadingWindow
from .export_reader import ExportReader
from .values import parse_unit


class GenericCsvReader(ExportReader):
    """`mapping`: timestamp_column, value_column, unit (or unit_column), timestamp_format (None = from the file), delimiter."""

    source = ReadingSource.CSV

    def __init__(self, path: str, zone: ZoneInfo | str, mapping: dict[str, Any],
                 window: ReadingWindow | None = None) -> None:
        super().__init__(path, zone, window)
        self.mapping = dict(mapping or {})
        for key in ("timestamp_column", "value_column"):
            if not self.mapping.get(key):
                raise ImportFormatError(f"Choose the {key.split('_')[0]} column of the file.")
        if not self.mapping.get("unit") and not self.mapping.get("unit_column"):
            raise ImportFormatError("Choose the unit of the values (or the column that holds it).")
        if self.mapping.get("unit"):
            unit = parse_unit(str(self.mapping["unit"]))
            if unit is None:
                raise ImportFormatError(f"Unknown unit '{self.mapping['unit']}': use mg/dL or mmol/L.")
            self.unit = unit

    def delimiter(self) -> str:
        return str(self.mapping.get("delimiter") or ",")

    def is_header(self, cells: list[str]) -> bool:
        return self.mapping["timestamp_column"] in cells and self.mapping["value_column"] in cells

    def not_this_kind(self) -> str:
        return (f"No header with the columns '{self.mapping['timestamp_column']}' and '{self.mapping['value_column']}' "
                "was found in the file's first lines (is the delimiter right?).")

    def configure(self) -> None:
        self._ts = self.header.index(self.mapping["timestamp_column"])
        self._value = self.header.index(self.mapping["value_column"])
        unit_col = self.mapping.get("unit_column")
        if unit_col and unit_col not in self.header:
            raise ImportFormatError(f"The unit column '{unit_col}' is not in the file.")
        self._unit = self.header.index(unit_col) if unit_col else None
        self.device = DeviceInfo(self.source, "CSV file", None)

    def fixed_format(self) -> str | None:
        return self.mapping.get("timestamp_format") or None

    def min_cells(self) -> int:
        return max(self._ts, self._value, self._unit or 0) + 1

    def timestamp_text(self, cells: list[str]) -> str:
        return self.cell(cells, self._ts)

    def value_text(self, cells: list[str]) -> str:
        return self.cell(cells, self._value)

    def row_unit(self, cells: list[str]) -> tuple[GlucoseUnit | None, str | None]:
        if self._unit is None:
            return self.unit, None
        text = self.cell(cells, self._unit)
        unit = parse_unit(text)
        return (unit, None) if unit else (None, f"unknown unit '{text[:20]}' (expected mg/dL or mmol/L)")
