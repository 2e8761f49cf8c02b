"""Shown when another workstation saved the same patient meanwhile: both versions side by side.

The user keeps their changes (saved over the newer version, on purpose), takes the other
version (their edits are dropped), or goes back to editing. Nothing is overwritten silently.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ...services.patient_dto import PatientRecord
from ..formats import Formats

KEEP_MINE, TAKE_THEIRS = 1, 2
DIFFERENT = QColor("#fff3c4")
LABELS = {"mrn": "MRN", "given_name": "Given name", "family_name": "Family name", "date_of_birth": "Date of birth",
          "sex": "Sex", "phone": "Phone", "email": "E-mail", "address": "Address", "diabetes_type": "Diabetes type",
          "diagnosed_on": "Diagnosed on", "last_hba1c": "Last HbA1c (%)", "last_hba1c_on": "HbA1c date",
          "target_hba1c": "Target HbA1c (%)", "glucose_unit": "Glucose unit", "management_mode": "Management",
          "notes": "Notes", "responsible_doctor_id": "Responsible doctor"}


def _text(value: Any, formats: Formats) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date) and not isinstance(value, datetime):
        return formats.date(value)
    return str(getattr(value, "value", value))


class PatientConflictDialog(QDialog):
    """Field | your version | saved by someone else; differing rows highlighted."""

    def __init__(self, mine: dict[str, Any], theirs: PatientRecord, parent: QWidget | None = None, *,
                 formats: Formats, zone: tzinfo) -> None:
        super().__init__(parent)
        self.setWindowTitle("Patient changed by another user")
        self.choice = 0
        stored = theirs.form_values()
        fields = [f for f in LABELS if f in mine or f in stored]
        self.table = QTableWidget(len(fields), 3, self)
        self.table.setHorizontalHeaderLabels(["Field", "Your version", "Saved meanwhile"])
        self.differences: list[str] = []
        for row, name in enumerate(fields):
            yours = mine.get(name, stored.get(name))
            cells = (LABELS[name], _text(yours, formats), _text(stored.get(name), formats))
            differs = cells[1] != cells[2]
            if differs:
                self.differences.append(name)
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if differs:
                    item.setBackground(QBrush(DIFFERENT))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        when = formats.clock_time(theirs.updated_at, zone, "just now")
        intro = QLabel(f"Someone else saved this patient at {when} while you were editing. "
                       f"{len(self.differences)} field(s) differ (highlighted). Choose which version to keep.")
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(self)
        self.keep_button = buttons.addButton("Keep my changes", QDialogButtonBox.ButtonRole.AcceptRole)
        self.theirs_button = buttons.addButton("Use the saved version", QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton("Back to editing", QDialogButtonBox.ButtonRole.RejectRole)
        self.keep_button.clicked.connect(lambda: self._done(KEEP_MINE))
        self.theirs_button.clicked.connect(lambda: self._done(TAKE_THEIRS))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def _done(self, choice: int) -> None:
        self.choice = choice
        self.accept()
