"""Base of the CSV export readers: file checks, header search, line numbers, DST-correct times.

Why the `csv` module and explicit formats: vendor exports quote fields, carry a BOM and metadata
rows; `csv` handles quoting exactly, and a whole-file timestamp format (chosen once from the
file's own values) never reads one line day-first and the next month-first. No dialect guessing.
"""

from __future__ import annotations

import csv
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from itertools import islice
from zoneinfo import ZoneInfo

from ..domain.enums import GlucoseUnit, ReadingContext, ReadingSource
from .cgm_records import DeviceInfo, ImportFormatError, ParsedReading, ReadingWindow, RejectedLine
from .values import TIMESTAMP_FORMATS, choose_timestamp_format, parse_glucose, parse_timestamp
from .text_source import MAX_LINE_CHARS, REEXPORT_HINT, bounded_lines, detect_encoding, first_bad_utf8_line
from .wall_clock import WallClock

#: Larger files are refused up front (a 5-minute CGM export is ~10 MB per patient-year).
MAX_FILE_BYTES = 160 * 1024 * 1024
HEADER_SEARCH_ROWS = 15
FORMAT_SAMPLE_ROWS = 3000
#: Rows with more fields than the header plus this many are refused (a row of a million fields is no reading).
EXTRA_FIELDS_ALLOWED = 8
# No field can be longer than a line; a quote left open stops here instead of swallowing the file.
csv.field_size_limit(MAX_LINE_CHARS)

_MAGIC = {b"PK\x03\x04": "an Excel workbook or ZIP archive", b"%PDF": "a PDF document",
          b"\xd0\xcf\x11\xe0": "an old Excel/Word file", b"\x89PNG": "an image"}


def check_file(path: str) -> str:
    """The codec to read `path` with; missing, empty, huge, binary and BOM-less UTF-16 files are refused, saying which."""
    if not os.path.isfile(path):
        raise ImportFormatError(f"The file {os.path.basename(path)} does not exist.")
    size = os.path.getsize(path)
    if size == 0:
        raise ImportFormatError("The file is empty.")
    if size > MAX_FILE_BYTES:
        raise ImportFormatError(f"The file is {size / 2**20:.0f} MB; the largest export accepted is "
                                f"{MAX_FILE_BYTES / 2**20:.0f} MB. Export a shorter period.")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise ImportFormatError(f"This is {what}, not a CSV export. Export the data as CSV and try again.")
    return detect_encoding(head)


class ExportReader(ABC):
    """Reads one export file; `records()` yields ParsedReading or RejectedLine, in file order."""

    source = ReadingSource.CSV
    formats: tuple[str, ...] = TIMESTAMP_FORMATS
    high_mgdl, low_mgdl = 400.0, 40.0  # what a sensor's 'High'/'Low' stands for (kept flagged)

    def __init__(self, path: str, zone: ZoneInfo | str, window: ReadingWindow | None = None) -> None:
        self.path = path
        self.zone = zone
        self.clock = WallClock(zone)
        self.device = DeviceInfo(self.source, None, None)
        self.header: list[str] = []
        self.header_line = 0
        self.unit = GlucoseUnit.MG_DL
        self.timestamp_format: str | None = None
        self.encoding = "utf-8-sig"
        self.window = window

    # -- file level -----------------------------------------------------------------------
    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        """(physical line number, cells) for every row, the BOM removed; no line read past MAX_LINE_CHARS."""
        line = 0
        try:
            with open(self.path, encoding=self.encoding, newline="") as handle:
                reader = csv.reader(bounded_lines(handle), delimiter=self.delimiter())
                for cells in reader:
                    line = reader.line_num
                    yield line, cells
        except UnicodeError:
            bad = first_bad_utf8_line(self.path) if self.encoding == "utf-8-sig" else None
            where = f"line {bad}" if bad is not None else f"a line after line {line}"
            name = self.encoding.split("-sig")[0].upper()
            raise ImportFormatError(f"The file is not valid {name} text: {where} has bytes that are not {name}. "
                                    f"{REEXPORT_HINT}") from None
        except csv.Error as exc:
            raise ImportFormatError(f"The file is not a readable CSV file after line {line} ({exc}).") from None

    def delimiter(self) -> str:
        return ","

    def open(self) -> "ExportReader":
        """Check the file, find the header, choose the timestamp format; raise ImportFormatError if not this kind."""
        self.encoding = check_file(self.path)
        for line, cells in islice(self._rows(), HEADER_SEARCH_ROWS):
            if self.is_header([c.strip() for c in cells]):
                self.header, self.header_line = [c.strip() for c in cells], line
                break
        else:
            raise ImportFormatError(self.not_this_kind())
        self.configure()
        samples = (self.timestamp_text(c) for _, c in islice(self._data_rows(), FORMAT_SAMPLE_ROWS))
        self.timestamp_format = self.fixed_format() or choose_timestamp_format((s for s in samples if s), self.formats)
        return self

    def _data_rows(self) -> Iterator[tuple[int, list[str]]]:
        for line, cells in self._rows():
            if line > self.header_line and any(c.strip() for c in cells) and self.is_reading_row(cells):
                yield line, cells

    def records(self) -> Iterator[ParsedReading | RejectedLine]:
        """Every glucose row of the file, accepted or rejected with its reason."""
        for line, cells in self._data_rows():
            yield self._record(line, cells)

    def _record(self, line: int, cells: list[str]) -> ParsedReading | RejectedLine:
        problem = None
        if len(cells) < self.min_cells():
            problem = f"line is truncated ({len(cells)} of {len(self.header)} columns)"
        elif len(cells) > len(self.header) + EXTRA_FIELDS_ALLOWED:
            problem = (f"line has {len(cells):,} fields; this file's header has {len(self.header)} "
                       f"(at most {len(self.header) + EXTRA_FIELDS_ALLOWED} accepted)")
        elif self.timestamp_format is None:
            problem = "no date/time format fits this file's timestamps"
        else:
            naive, problem = parse_timestamp(self.timestamp_text(cells), self.timestamp_format)
            if naive is not None and self.window is not None:
                problem = self.window.problem(naive)
                naive = None if problem else naive
            if naive is not None:
                unit, problem = self.row_unit(cells)
                if unit is not None:
                    value, flag, problem = parse_glucose(self.value_text(cells), unit, high_mgdl=self.high_mgdl,
                                                         low_mgdl=self.low_mgdl)
                    if value is not None:
                        at, problem = self.clock.to_utc(naive)
                        if at is not None:
                            return ParsedReading(line, at, value, flag, self.row_context(cells), "")
        return RejectedLine(line, problem or "unreadable line", ",".join(islice(cells, 40))[:120])

    # -- per format -----------------------------------------------------------------------
    @abstractmethod
    def is_header(self, cells: list[str]) -> bool: ...

    @abstractmethod
    def not_this_kind(self) -> str: ...

    @abstractmethod
    def configure(self) -> None:
        """Columns, unit and device from the header (and metadata rows)."""

    @abstractmethod
    def timestamp_text(self, cells: list[str]) -> str: ...

    @abstractmethod
    def value_text(self, cells: list[str]) -> str: ...

    def is_reading_row(self, cells: list[str]) -> bool:
        return True

    def min_cells(self) -> int:
        return 2

    def fixed_format(self) -> str | None:
        return None

    def row_unit(self, cells: list[str]) -> tuple[GlucoseUnit | None, str | None]:
        return self.unit, None

    def row_context(self, cells: list[str]) -> ReadingContext:
        return ReadingContext.CGM

    @staticmethod
    def column(header: list[str], *names: str, contains: bool = False) -> int | None:
        lowered = [h.casefold() for h in header]
        for name in names:
            for i, h in enumerate(lowered):
                if (name.casefold() in h) if contains else (h == name.casefold()):
                    return i
        return None

    @staticmethod
    def cell(cells: list[str], index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""
