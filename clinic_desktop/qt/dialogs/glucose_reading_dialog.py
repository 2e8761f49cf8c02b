"""Manual fingerstick reading entry: time, value in the patient's unit, context and note.

Validates inline as the user types (number, plausible 20–600 mg/dL, not in the future) and
shows the service's own ValidationError messages next to the field they concern. Saving runs
in the background; the dialog closes only once the reading is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...domain.clock import Clock
from ...domain.enums import GlucoseUnit, ReadingContext
from ...domain.errors import DomainError, ValidationError
from ...domain.units import (
    MAX_PLAUSIBLE_MGDL,
    MIN_PLAUSIBLE_MGDL,
    format_glucose,
    to_mgdl,
)
from ..formats import Formats
from ..workers import TaskRunner

CONTEXTS = [c for c in ReadingContext if c != ReadingContext.CGM]
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_NOTE = 500


def parse_value(text: str, unit: GlucoseUnit) -> tuple[float | None, str | None]:
    """The typed value (comma or point decimal) or the reason it is not acceptable."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None, "Enter the glucose value."
    try:
        value = float(cleaned)
    except ValueError:
        return None, f"“{text.strip()}” is not a number."
    mgdl = to_mgdl(value, unit)
    if not (MIN_PLAUSIBLE_MGDL <= mgdl <= MAX_PLAUSIBLE_MGDL):
        lo, hi = format_glucose(MIN_PLAUSIBLE_MGDL, unit), format_glucose(MAX_PLAUSIBLE_MGDL, unit)
        return None, f"Outside the plausible range {lo} – {hi}; check the meter and the unit ({unit.value})."
    return value, None


class GlucoseReadingDialog(QDialog):
    """Collects one reading; `save(fields) -> result` runs on a worker thread."""

    def __init__(self, *, patient_label: str, unit: GlucoseUnit, zone: tzinfo,
                 save: Callable[[dict[str, Any]], Any], clock: Clock, formats: Formats,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add fingerstick reading")
        self._unit, self._zone, self._save = unit, zone, save
        self._now = clock.now
        self._runner = TaskRunner(self)
        self.result_value: Any = None
        self.when_edit = QDateTimeEdit(self)
        self.when_edit.setCalendarPopup(True)
        formats.set_edit_format(self.when_edit, formats.qt_date_time)
        local_now = self._now().astimezone(zone)
        self.when_edit.setDateTime(QDateTime(local_now.date(), local_now.time().replace(second=0, microsecond=0)))
        self.value_edit = QLineEdit(self)
        self.value_edit.setPlaceholderText("e.g. 6.4" if unit == GlucoseUnit.MMOL_L else "e.g. 115")
        self.context_combo = QComboBox(self)
        for context in CONTEXTS:
            self.context_combo.addItem(context.value.replace("_", " ").capitalize(), context)
        self.context_combo.setCurrentIndex(CONTEXTS.index(ReadingContext.RANDOM))
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setPlaceholderText("Optional, e.g. after exercise, meter reading confirmed")
        self.note_edit.setFixedHeight(70)
        self.errors = {name: self._error_label() for name in ("recorded_at", "value", "context", "note")}
        self.general_error = self._error_label()
        form = QFormLayout()
        form.addRow(QLabel(f"<b>{patient_label}</b>"))
        form.addRow("Time (clinic time):", self.when_edit)
        form.addRow("", self.errors["recorded_at"])
        form.addRow(f"Glucose ({unit.value}):", self.value_edit)
        form.addRow("", self.errors["value"])
        form.addRow("Context:", self.context_combo)
        form.addRow("", self.errors["context"])
        form.addRow("Note:", self.note_edit)
        form.addRow("", self.errors["note"])
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self.value_edit.textChanged.connect(self._revalidate)
        self.when_edit.dateTimeChanged.connect(self._revalidate)
        self.note_edit.textChanged.connect(self.validate)
        self.validate(show_empty=False)

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel()
        label.setStyleSheet("color: #c62828;")
        label.setWordWrap(True)
        label.hide()
        return label

    def recorded_at(self) -> datetime:
        """The typed local time in the clinic's zone, as an aware datetime."""
        local = self.when_edit.dateTime().toPython().replace(second=0, microsecond=0)
        return local.replace(tzinfo=self._zone)

    def _set_error(self, name: str, message: str | None) -> None:
        label = self.errors.get(name, self.general_error)
        label.setText(message or "")
        label.setVisible(bool(message))

    def _revalidate(self, *_args: object) -> None:
        # A slot must not return a value: PySide 6.12 mis-counts references of a slot's
        # returned bool, which aborts the interpreter at exit ("bool_dealloc").
        self.validate()

    def validate(self, show_empty: bool = True) -> bool:
        """Check every field, show each problem beside its field; True when all are fine."""
        value, problem = parse_value(self.value_edit.text(), self._unit)
        if problem and not self.value_edit.text().strip() and not show_empty:
            problem = None
            value = None
        self._set_error("value", problem)
        future = self.recorded_at() > self._now() + FUTURE_TOLERANCE
        self._set_error("recorded_at", "The time is in the future." if future else None)
        long_note = len(self.note_edit.toPlainText()) > MAX_NOTE
        self._set_error("note", f"Keep the note under {MAX_NOTE} characters." if long_note else None)
        ok = value is not None and not future and not long_note
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok or not show_empty)
        return ok

    def fields(self) -> dict[str, Any]:
        value, _ = parse_value(self.value_edit.text(), self._unit)
        note = self.note_edit.toPlainText().strip() or None
        return {"recorded_at": self.recorded_at(), "value": value, "unit": self._unit,
                "context": self.context_combo.currentData(), "note": note}

    def submit(self) -> None:
        """Validate, then save in the background; stay open and show problems on failure."""
        self.general_error.hide()
        if not self.validate():
            return
        self.buttons.setEnabled(False)
        fields = self.fields()
        self._runner.run(lambda state: self._save(fields), self._on_saved, self._on_failed)

    def _on_saved(self, result: Any) -> None:
        self.result_value = result
        self.buttons.setEnabled(True)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, ValidationError):
            for problem in exc.problems:
                self._set_error(problem.field if problem.field in self.errors else "", problem.message)
            unknown = [p.message for p in exc.problems if p.field not in self.errors]
            if unknown:
                self._set_error("", " ".join(unknown))
        elif isinstance(exc, DomainError):
            self._set_error("", exc.message)
        else:
            self._set_error("", "The reading could not be saved. Try again or contact an administrator.")
