"""Prescribe, or change the dose of, a medication: inline validation and a drug-name completer.

The completer's names come from the clinic's earlier prescriptions (MedicationService.drug_name_suggestions),
fetched in the background as the doctor types. Saving runs in the background too; field errors show
beside their field, and a duplicate active drug asks for explicit confirmation.
"""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import QDate, QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...domain.errors import DomainError, ValidationError
from ...domain.medication_schedule import ALLOWED_INTERVALS, FIXED_COUNTS, Frequency
from ...services.medication_dto import PrescriptionDTO, PrescriptionInput
from ..app_context import AppContext
from ..workers import TaskRunner
from ..error_messages import describe_error

FORMS = ("tablet", "capsule", "injection (pen)", "injection (vial)", "oral solution", "inhaler", "patch")
ROUTES = ("oral", "subcutaneous", "intravenous", "intramuscular", "inhaled", "topical")
DEFAULT_TIMES = {1: "08:00", 2: "08:00, 20:00", 3: "08:00, 13:00, 19:00"}
FIELDS = ("drug_name", "times", "every_n_hours", "start_date", "end_date", "reason")


class PrescriptionDialog(QDialog):
    """New prescription for `patient_id`, or a dose change of `replacing` (ends it, starts a new one)."""

    saved = Signal(object)  # PrescriptionDTO

    def __init__(self, context: AppContext, patient_id: uuid.UUID, *, replacing: PrescriptionDTO | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context, self._patient_id, self._replacing = context, patient_id, replacing
        self._service = context.services.medications
        self._runner, self._names_runner = TaskRunner(self), TaskRunner(self)
        self.setWindowTitle("Change dose" if replacing else "Prescribe medication")
        self._errors: dict[str, QLabel] = {}
        self._build()
        if replacing is not None:
            self._fill(replacing)
        self._name_timer = QTimer(self, singleShot=True, interval=250)
        self._name_timer.timeout.connect(self._fetch_names)
        self.drug_name.textEdited.connect(lambda _t: self._name_timer.start())

    # ----- layout -----
    def _build(self) -> None:
        form = QFormLayout()
        self.drug_name = QLineEdit(placeholderText="e.g. Metformin")
        self._names = QStringListModel(self)
        completer = QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.drug_name.setCompleter(completer)
        self.strength, self.dose = QLineEdit(placeholderText="500 mg"), QLineEdit(placeholderText="1 tablet")
        self.form_box, self.route = QComboBox(editable=True), QComboBox(editable=True)
        self.form_box.addItems(FORMS)
        self.route.addItems(ROUTES)
        self.frequency = QComboBox()
        for freq in Frequency:
            self.frequency.addItem(freq.label, freq)
        self.times = QLineEdit(DEFAULT_TIMES[1], placeholderText="HH:MM, HH:MM")
        self.every_n_hours = QSpinBox(minimum=1, maximum=12, value=8, suffix=" h")
        today = QDate(self._context.today())  # the clinic's today
        self.start_date = QDateEdit(today, calendarPopup=True)
        self.has_end = QCheckBox("Ends on")
        self.end_date = QDateEdit(today.addDays(30), calendarPopup=True, enabled=False)
        for edit in (self.start_date, self.end_date):
            self._context.formats.set_edit_format(edit, self._context.formats.qt_date)
        self.has_end.toggled.connect(self.end_date.setEnabled)
        end_row = QHBoxLayout()
        end_row.addWidget(self.has_end)
        end_row.addWidget(self.end_date, 1)
        self.instructions = QPlainTextEdit(placeholderText="e.g. with food", maximumHeight=60)
        for label, widget, field in (
            ("Drug name", self.drug_name, "drug_name"), ("Strength", self.strength, None), ("Dose", self.dose, None),
            ("Form", self.form_box, None), ("Route", self.route, None), ("Frequency", self.frequency, None),
            ("Dose times", self.times, "times"), ("Interval", self.every_n_hours, "every_n_hours"),
            ("Start date", self.start_date, "start_date"), ("", end_row, "end_date"),
            ("Instructions", self.instructions, None),
        ):
            form.addRow(label, widget)
            if field:
                form.addRow("", self._error_label(field))
        self.frequency.currentIndexChanged.connect(self._frequency_changed)
        self.general_error = self._error_label("general")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(buttons)
        self._frequency_changed()

    def _error_label(self, field: str) -> QLabel:
        label = QLabel(styleSheet="color: #b71c1c;", wordWrap=True, visible=False)
        label.setObjectName(f"error_{field}")
        self._errors[field] = label
        return label

    def _fill(self, p: PrescriptionDTO) -> None:
        self.drug_name.setText(p.drug_name)
        self.strength.setText(p.strength or "")
        self.dose.setText(p.dose or "")
        self.form_box.setCurrentText(p.form or "")
        self.route.setCurrentText(p.route or "")
        self.frequency.setCurrentIndex(list(Frequency).index(p.frequency))
        self.times.setText(", ".join(self._context.formats.time(t) for t in p.times))
        if p.every_n_hours:
            self.every_n_hours.setValue(p.every_n_hours)
        self.instructions.setPlainText(p.instructions or "")

    def _frequency_changed(self) -> None:
        freq = Frequency(self.frequency.currentData())  # Qt hands the StrEnum back as str
        self.times.setEnabled(freq is not Frequency.AS_NEEDED)
        self.every_n_hours.setEnabled(freq is Frequency.EVERY_N_HOURS)
        self.every_n_hours.setToolTip("Allowed: " + ", ".join(str(n) for n in ALLOWED_INTERVALS) + " hours")
        if freq in FIXED_COUNTS and self.times.text().count(",") + 1 != FIXED_COUNTS[freq]:
            self.times.setText(DEFAULT_TIMES[FIXED_COUNTS[freq]])

    # ----- drug names -----
    def _fetch_names(self) -> None:
        text, actor = self.drug_name.text(), self._context.actor
        if len(text.strip()) < 2:
            return
        self._names_runner.run(lambda _s: self._service.drug_name_suggestions(actor, text), self._names.setStringList,
                               lambda _e: None)  # suggestions are a convenience: failing quietly is right

    # ----- saving -----
    def to_input(self) -> PrescriptionInput:
        freq = Frequency(self.frequency.currentData())  # Qt hands the StrEnum back as str
        times = () if freq is Frequency.AS_NEEDED else tuple(t.strip() for t in self.times.text().split(",") if t.strip())
        return PrescriptionInput(
            drug_name=self.drug_name.text(), strength=self.strength.text(), dose=self.dose.text(),
            form=self.form_box.currentText(), route=self.route.currentText(), frequency=freq, times=times,
            every_n_hours=self.every_n_hours.value() if freq is Frequency.EVERY_N_HOURS else None,
            start_date=_date(self.start_date.date()), end_date=_date(self.end_date.date()) if self.has_end.isChecked() else None,
            instructions=self.instructions.toPlainText(),
        )

    def submit(self, confirm_duplicate: bool = False) -> None:
        """Save in the background; errors come back next to their fields."""
        self.clear_errors()
        data, actor, pid, old = self.to_input(), self._context.actor, self._patient_id, self._replacing
        if old is not None:
            op = lambda _s: self._service.change_dose(actor, medication_id=old.id, expected_version=old.version,  # noqa: E731
                                                     data=data, confirm_duplicate=confirm_duplicate)
        else:
            op = lambda _s: self._service.prescribe(actor, patient_id=pid, data=data,  # noqa: E731
                                                   confirm_duplicate=confirm_duplicate)
        self.save_button.setEnabled(False)
        self._runner.run(op, self._done, self._failed)

    def _done(self, dto: PrescriptionDTO) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(dto)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if getattr(exc, "existing_ids", None) is not None:  # DuplicatePrescription
            if self.confirm_duplicate(str(exc)):
                self.submit(confirm_duplicate=True)
            else:
                self.show_error("drug_name", str(exc))
            return
        if isinstance(exc, ValidationError):
            for problem in exc.problems:
                self.show_error(problem.field if problem.field in self._errors else "general", problem.message)
        elif isinstance(exc, DomainError):
            self.show_error(exc.field if exc.field in self._errors else "general", exc.message)
        else:
            self.show_error("general", describe_error(exc, "save the prescription"))

    def confirm_duplicate(self, message: str) -> bool:
        """Ask the doctor; tests replace this method."""
        answer = QMessageBox.question(self, "Drug already prescribed", message)
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, field: str, message: str) -> None:
        label = self._errors.get(field, self.general_error)
        label.setText(message if not label.text() else label.text() + "\n" + message)
        label.setVisible(True)

    def error_text(self, field: str) -> str:
        label = self._errors[field]
        return label.text() if label.isVisibleTo(self) else ""

    def clear_errors(self) -> None:
        for label in self._errors.values():
            label.clear()
            label.setVisible(False)


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
