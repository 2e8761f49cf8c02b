"""Column mapping for a generic CSV: which column is the time, the value and the unit.

Reads only the first lines of the file (in the background), detects the delimiter with the
`csv` module's Sniffer and shows them, so the user maps columns while looking at real data.
"""

from __future__ import annotations

import html

import csv
from itertools import islice
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ...domain.enums import GlucoseUnit
from ...imports.export_reader import check_file
from ...imports.text_source import bounded_lines
from ..workers import TaskRunner
from ..error_messages import describe_error

SAMPLE_LINES = 12
UNIT_FROM_COLUMN = "__column__"
TIME_FORMATS = [
    ("Detect automatically", None),
    ("2024-05-31 14:05 (ISO)", "%Y-%m-%d %H:%M"),
    ("2024-05-31 14:05:00 (ISO with seconds)", "%Y-%m-%d %H:%M:%S"),
    ("31/05/2024 14:05 (day first)", "%d/%m/%Y %H:%M"),
    ("05/31/2024 02:05 PM (US)", "%m/%d/%Y %I:%M %p"),
    ("31.05.2024 14:05", "%d.%m.%Y %H:%M"),
]


def read_sample(path: str) -> tuple[list[str], list[list[str]], str]:
    """Header, first rows and delimiter of a CSV file, read as the import reads it (encoding, line-length bound)."""
    encoding = check_file(path)  # refuses binary, BOM-less UTF-16 and huge files with the import's own sentence
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        head = "".join(islice(bounded_lines(handle), SAMPLE_LINES + 1))
    if not head.strip():
        raise ValueError("The file is empty.")
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(head.splitlines(), delimiter=delimiter))
    return rows[0], rows[1:], delimiter


class GlucoseColumnMappingPage(QWidget):
    """Combos for the time, value and unit columns over a preview of the file's first lines."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._header: list[str] = []
        self._delimiter = ","
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.time_combo, self.value_combo, self.unit_combo, self.format_combo = (QComboBox(self) for _ in range(4))
        for text, fmt in TIME_FORMATS:
            self.format_combo.addItem(text, fmt)
        self.sample = QTableWidget(0, 0, self)
        self.sample.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.sample.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        form = QFormLayout()
        form.addRow("Date and time column:", self.time_combo)
        form.addRow("Date format:", self.format_combo)
        form.addRow("Glucose value column:", self.value_combo)
        form.addRow("Unit:", self.unit_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>3. Which columns hold what</b> (first lines of the file below)", self))
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.sample, 1)

    def load(self, path: str) -> None:
        self.status.setText("Reading the first lines…")
        self._runner.run(lambda state: read_sample(path), self._show, lambda exc: self.status.setText(
            f"<span style='color:#c62828'>{html.escape(describe_error(exc, 'read this file'))}</span>"))

    def _show(self, sample: tuple[list[str], list[list[str]], str]) -> None:
        self._header, rows, self._delimiter = sample
        self.status.setText(f"{len(self._header)} columns, separated by “{self._delimiter}”.")
        for combo in (self.time_combo, self.value_combo):
            combo.clear()
            combo.addItem("— choose —", None)
            for name in self._header:
                combo.addItem(name, name)
        self.unit_combo.clear()
        for unit in GlucoseUnit:
            self.unit_combo.addItem(f"All values in {unit.value}", unit.value)
        for name in self._header:
            self.unit_combo.addItem(f"From column “{name}”", f"{UNIT_FROM_COLUMN}{name}")
        self._guess()
        self.sample.setColumnCount(len(self._header))
        self.sample.setHorizontalHeaderLabels(self._header)
        self.sample.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells[: len(self._header)]):
                self.sample.setItem(r, c, QTableWidgetItem(text))

    def _guess(self) -> None:
        """Preselect columns whose names say what they are (the user confirms)."""
        lowered = [h.casefold() for h in self._header]
        for combo, words in ((self.time_combo, ("time", "date", "when")), (self.value_combo, ("glucose", "value", "bg", "sgv"))):
            for i, name in enumerate(lowered):
                if any(w in name for w in words):
                    combo.setCurrentIndex(i + 1)
                    break
        if any("mmol" in h for h in lowered):
            self.unit_combo.setCurrentIndex(self.unit_combo.findData(GlucoseUnit.MMOL_L.value))

    def problem(self) -> str | None:
        if not self._header:
            return "The file's columns could not be read."
        if self.time_combo.currentData() is None:
            return "Choose the date and time column."
        if self.value_combo.currentData() is None:
            return "Choose the glucose value column."
        if self.time_combo.currentData() == self.value_combo.currentData():
            return "The time and the value must be different columns."
        return None

    def mapping(self) -> dict[str, Any]:
        unit = self.unit_combo.currentData() or GlucoseUnit.MG_DL.value
        from_column = unit.startswith(UNIT_FROM_COLUMN)
        return {
            "timestamp_column": self.time_combo.currentData(),
            "value_column": self.value_combo.currentData(),
            "unit": None if from_column else unit,
            "unit_column": unit[len(UNIT_FROM_COLUMN):] if from_column else None,
            "timestamp_format": self.format_combo.currentData(),
            "delimiter": self._delimiter,
        }
