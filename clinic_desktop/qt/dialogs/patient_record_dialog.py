"""The patient record: header, form with inline validation (Record tab), the care team (Care
team tab), archive/restore, and the one-page summary to print or save as PDF.

Every service call runs through the dialog's TaskRunner. Saving shows each field's problem
beside it; a stale save opens the conflict dialog with both versions; a lost connection keeps
everything typed and offers to retry (a new patient's retry reuses its request id, so it can
never be registered twice).
"""

from __future__ import annotations

import html
import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QMenu,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...domain.enums import DiabetesType, GlucoseUnit, ManagementMode, Sex
from ...domain.errors import DomainError, StaleRecord, TryAgain, ValidationError
from ...domain.patient_rules import CLINICAL_FIELDS, DEMOGRAPHIC_FIELDS, format_phone
from ...domain.permissions import Capability
from ...services.patient_dto import HEADER_ADHERENCE_DAYS, PatientRecord
from ..formats import Formats
from ..workers import TaskRunner
from .care_team_editor import CareTeamEditor
from .patient_conflict_dialog import KEEP_MINE, TAKE_THEIRS, PatientConflictDialog
from .patient_summary_printing import PatientSummaryPrinting

ERROR_STYLE = "color: #b71c1c;"
FIELDS = {  # name: (label, kind, choices)
    "mrn": ("MRN", "line", None), "given_name": ("Given name", "line", None),
    "family_name": ("Family name", "line", None), "date_of_birth": ("Date of birth", "date", None),
    "sex": ("Sex", "combo", Sex), "phone": ("Phone", "line", None), "email": ("E-mail", "line", None),
    "address": ("Address", "text", None), "diabetes_type": ("Diabetes type", "combo", DiabetesType),
    "diagnosed_on": ("Diagnosed on", "date", None), "last_hba1c": ("Last HbA1c (%)", "line", None),
    "last_hba1c_on": ("HbA1c date", "date", None), "target_hba1c": ("Target HbA1c (%)", "line", None),
    "glucose_unit": ("Glucose unit", "combo", GlucoseUnit), "management_mode": ("Management", "combo", ManagementMode),
    "responsible_doctor_id": ("Responsible doctor", "doctor", None), "notes": ("Notes", "text", None),
}


def _find(combo: QComboBox, value: Any) -> int:
    """Index of the item whose data equals `value` (findData cannot compare Python objects like UUIDs)."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)


class PatientRecordDialog(QDialog):
    """Open with a patient id to view/edit, or without one to register a new patient."""

    def __init__(self, context, patient_id: uuid.UUID | None = None, parent: QWidget | None = None,  # noqa: ANN001
                 *, locale: str | None = None) -> None:
        super().__init__(parent)
        self._context, self._service, self._actor = context, context.services.patients, context.actor
        self._formats = Formats(locale) if locale else context.formats  # `locale`: the caller knows it already
        self._locale, self._patient_id = self._formats.locale, patient_id
        self.record: PatientRecord | None = None
        self._request_id = uuid.uuid4()
        self._duplicates_checked = False
        self.duplicates: list = []
        self._runner = TaskRunner(self)
        self.setWindowTitle("New patient" if patient_id is None else "Patient record")
        self._build()
        if patient_id is not None:
            self._call(lambda: self._service.get(self._actor, patient_id), self._show_record)
        if self._actor.sees_clinical:
            self._runner_doctors = TaskRunner(self)
            self._runner_doctors.run(lambda s: self._service.list_doctors(self._actor), self._fill_doctors)

    @property
    def patient_id(self) -> uuid.UUID | None:
        """The patient shown (set once a new patient is registered); None while registering."""
        return self._patient_id

    # --- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.header = QLabel("New patient" if self._patient_id is None else "Loading…")
        self.header.setWordWrap(True)
        self.header.setStyleSheet("font-size: 14px; font-weight: 600; padding: 4px;")
        self.header.setTextFormat(Qt.TextFormat.RichText)  # the adherence figure is coloured when low
        self.inputs: dict[str, Any] = {}
        self.errors: dict[str, QLabel] = {}
        demo, clinical = QFormLayout(), QFormLayout()
        for name, (label, kind, choices) in FIELDS.items():
            widget = self._input(kind, choices)
            error = QLabel("")
            error.setStyleSheet(ERROR_STYLE)
            error.setVisible(False)
            self.inputs[name], self.errors[name] = widget, error
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(widget)
            box.addWidget(error)
            (demo if name in DEMOGRAPHIC_FIELDS else clinical).addRow(label, box)
        self.clinical_box = QGroupBox("Clinical")
        self.clinical_box.setLayout(clinical)
        self.clinical_box.setVisible(self._actor.sees_clinical)
        can_edit_clinical = self._actor.can(Capability.EDIT_CLINICAL_FIELDS)
        for name in CLINICAL_FIELDS:
            self.inputs[name].setEnabled(can_edit_clinical)
        demo_box = QGroupBox("Demographics")
        demo_box.setLayout(demo)
        self.care_team = CareTeamEditor(self._context, self)
        self.care_team.changed.connect(lambda team: self._publish())
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #ffebee; padding: 6px;")
        self.banner.setVisible(False)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setVisible(False)
        self.retry_button.clicked.connect(self.save)
        self.save_button = QPushButton("Register" if self._patient_id is None else "Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.archive_button = QPushButton("Archive")
        self.archive_button.clicked.connect(self._toggle_archive)
        self.archive_button.setVisible(False)
        self.summary = PatientSummaryPrinting(self._context, self)
        self.summary.finished.connect(self._show_status)
        self.summary.failed.connect(self._show_banner)
        self.summary_button = QToolButton()
        self.summary_button.setText("Summary")
        self.summary_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.summary_button)
        self.print_action = menu.addAction("Print one-page summary…", self.print_summary)
        self.pdf_action = menu.addAction("Save summary as PDF…", lambda: self.save_summary_pdf())
        self.summary_button.setMenu(menu)
        self.summary_button.setEnabled(False)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #455a64;")
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.archive_button)
        buttons.addWidget(self.summary_button)
        buttons.addWidget(self.status, 1)
        for b in (self.retry_button, self.save_button, close):
            buttons.addWidget(b)
        record_tab = QWidget()
        columns = QHBoxLayout(record_tab)
        columns.addWidget(demo_box, 1)
        columns.addWidget(self.clinical_box, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(record_tab, "Record")
        self.tabs.addTab(self.care_team, "Care team")
        self.tabs.setTabEnabled(1, False)  # a patient must be registered first
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

    def _input(self, kind: str, choices) -> Any:  # noqa: ANN001
        if kind == "combo":
            combo = QComboBox()
            combo.addItem("—", None)
            for member in choices:
                combo.addItem(getattr(member, "label", member.value), member)
            return combo
        if kind == "doctor":
            combo = QComboBox()
            combo.addItem("—", None)
            return combo
        if kind == "text":
            edit = QPlainTextEdit()
            edit.setMaximumHeight(60)
            return edit
        edit = QLineEdit()
        if kind == "date":
            edit.setPlaceholderText(self._formats.qt_date.upper())  # DD.MM.YYYY: how dates are typed here
        return edit

    # --- showing -------------------------------------------------------------------------------

    def _fill_doctors(self, doctors) -> None:  # noqa: ANN001
        combo = self.inputs["responsible_doctor_id"]
        current = self.record.responsible_doctor_id if self.record else None
        for d in doctors:
            combo.addItem(d.display_name, d.id)
        self._set_value("responsible_doctor_id", current)

    def _show_record(self, record: PatientRecord) -> None:
        self.record, self._patient_id = record, record.id
        self.setWindowTitle(f"{record.display_name} — {record.mrn}")
        for name, value in record.form_values().items():
            self._set_value(name, value)
        self.header.setText(self._header_text(record))
        self.care_team.set_patient(record.id, record.care_team)
        self.tabs.setTabEnabled(1, True)
        self.summary_button.setEnabled(True)
        figure = record.header.adherence_30d
        self.header.setToolTip(figure.describe(HEADER_ADHERENCE_DAYS) if figure is not None else "")
        self.save_button.setText("Save")
        self.archive_button.setVisible(not record.archived or self._actor.can(Capability.RESTORE_PATIENTS))
        self.archive_button.setText("Restore" if record.archived else "Archive")

    def _header_text(self, r: PatientRecord) -> str:
        h = r.header
        parts = [f"{r.display_name}", f"{h.age} years", f"MRN {r.mrn}"]
        if r.archived:
            parts.append("ARCHIVED")
        if r.clinical_visible:
            parts.append(h.diabetes_type.label if h.diabetes_type else "type not recorded")
            if h.last_hba1c is not None:
                target = f" (target {h.target_hba1c} %)" if h.target_hba1c is not None else ""
                parts.append(f"HbA1c {h.last_hba1c} %{target}")
            if h.last_glucose_mgdl is not None:
                parts.append(f"last glucose {h.last_glucose_mgdl:.0f} mg/dL")
            parts.append(f"{h.active_medications} active medication(s)")
        nxt = h.next_appointment_at
        parts.append(f"next visit {self._formats.date(nxt.astimezone(self._context.zone).date())}" if nxt
                     else "no visit booked")
        text = [html.escape(p) for p in parts]
        if h.adherence_30d is not None:  # clinicians only (the service leaves it out for reception)
            text.insert(len(text) - 1, _adherence_html(h.adherence_30d))
        # Each item stays on one line; a long header wraps between items.
        return "&nbsp;&nbsp;·&nbsp; ".join(f"<span style='white-space:nowrap'>{t}</span>" for t in text)

    def _set_value(self, name: str, value: Any) -> None:
        widget = self.inputs[name]
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(0, _find(widget, value)))
        elif isinstance(widget, QPlainTextEdit):
            widget.setPlainText(value or "")
        elif FIELDS[name][1] == "date":
            widget.setText(self._formats.date(value))
        elif name == "phone":
            widget.setText(format_phone(value))
        else:
            widget.setText("" if value is None else str(value))

    def form_data(self) -> dict[str, Any]:
        """What the user may change, as the service's field names."""
        names = list(DEMOGRAPHIC_FIELDS)
        if self._actor.can(Capability.EDIT_CLINICAL_FIELDS):
            names += list(CLINICAL_FIELDS)
        data = {}
        for name in names:
            widget = self.inputs[name]
            if isinstance(widget, QComboBox):
                data[name] = widget.currentData()
            elif isinstance(widget, QPlainTextEdit):
                data[name] = widget.toPlainText()
            else:
                data[name] = widget.text()
        return data

    def changed_data(self) -> dict[str, Any]:
        """Only the fields that differ from the loaded record (all of them for a new patient)."""
        data = self.form_data()
        if self.record is None:
            return data
        probe = PatientRecordDialog._normalise
        stored = self.record.form_values()
        doctors = self.inputs["responsible_doctor_id"]
        if stored.get("responsible_doctor_id") is not None and _find(doctors, stored["responsible_doctor_id"]) < 0:
            data.pop("responsible_doctor_id", None)  # the doctor list has not arrived: not a change
        return {k: v for k, v in data.items() if probe(v) != probe(self._shown(k, stored.get(k)))}

    def _shown(self, name: str, value: Any) -> Any:
        if FIELDS[name][1] == "date":
            return self._formats.date(value)
        if name == "phone":
            return format_phone(value)
        return value

    @staticmethod
    def _normalise(value: Any) -> str:
        return "" if value is None else str(getattr(value, "value", value)).strip()

    # --- summary ------------------------------------------------------------------------------

    def print_summary(self) -> None:
        """Choose a printer, then print the one-page summary (gathered and audited in the background)."""
        if self.record is not None:
            self.summary.print_summary(self.record.id, self.record.mrn)

    def save_summary_pdf(self, path: str | None = None) -> None:
        """Save the one-page summary as a PDF (`path` asked for when not given)."""
        if self.record is not None:
            self.summary.save_pdf(self.record.id, self.record.mrn, path)

    def _show_status(self, text: str) -> None:
        self.status.setText(text)

    # --- saving --------------------------------------------------------------------------------

    def save(self) -> None:
        self._clear_errors()
        data = self.changed_data()
        if self.record is None and not self._duplicates_checked:
            self._check_duplicates(data)
        elif self.record is None:
            request_id = self._request_id
            self._call(lambda: self._service.create(self._actor, data=data, request_id=request_id), self._saved)
        elif data:
            pid, version = self.record.id, self.record.version
            self._call(lambda: self._service.update(self._actor, pid, data=data, expected_version=version),
                       self._saved)

    def _check_duplicates(self, data: dict[str, Any]) -> None:
        """Before registering: same birth date and similar name, or the same phone?"""
        args = {k: data.get(k) or "" for k in ("given_name", "family_name", "date_of_birth", "phone")}

        def shown(hits) -> None:  # noqa: ANN001
            self._duplicates_checked = True
            self.duplicates = list(hits)
            if not hits:
                self.save()
                return
            lines = "; ".join(f"{h.display_name}, born {self._formats.date(h.date_of_birth)}, MRN {h.mrn}"
                              + (" (archived)" if h.archived else "") for h in hits[:5])
            self._show_banner(f"Possible duplicate{'s' if len(hits) > 1 else ''}: {lines}. "
                              "Open the existing record instead, or press “Register anyway”.")
            self.save_button.setText("Register anyway")

        self._call(lambda: self._service.find_duplicates(self._actor, **args), shown)

    def _saved(self, record: PatientRecord) -> None:
        self.banner.setVisible(False)
        self.retry_button.setVisible(False)
        self._show_record(record)
        self._publish()

    def _toggle_archive(self) -> None:
        if self.record is None:
            return
        pid = self.record.id
        if self.record.archived:
            self._call(lambda: self._service.restore(self._actor, pid), self._saved)
        else:
            self._call(lambda: self._service.archive(self._actor, pid), self._saved)

    def _publish(self) -> None:
        from ...domain.changes import ChangeKind, change_set

        if self.record is not None:
            self._context.bus.publish(change_set(ChangeKind.PATIENT, self.record.id))

    def _call(self, op, on_done) -> None:  # noqa: ANN001
        self.save_button.setEnabled(False)

        def done(result: Any) -> None:
            self.save_button.setEnabled(True)
            on_done(result)

        self._runner.run(lambda state: op(), done, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            for problem in exc.problems:
                if problem.field in self.errors:
                    self.errors[problem.field].setText(problem.message)
                    self.errors[problem.field].setVisible(True)
            self._show_banner("Please correct the highlighted fields; nothing was saved.")
        elif isinstance(exc, StaleRecord):
            self._resolve_conflict(exc)
        elif isinstance(exc, TryAgain):  # server gone, timeout, clash: the same save may pass next time
            self._show_banner(f"{exc.message} Nothing you typed is lost.", retry=True)
        elif isinstance(exc, DomainError):  # retrying the same values cannot help: no Retry
            if exc.field in self.errors:
                self.errors[exc.field].setText(exc.message)
                self.errors[exc.field].setVisible(True)
            self._show_banner(exc.message)
        else:
            self._show_banner("Something went wrong; nothing was saved. Your input is kept.")

    def _resolve_conflict(self, exc: StaleRecord) -> None:
        dialog = PatientConflictDialog(dict(exc.mine or {}), exc.theirs, self, formats=self._formats,
                                       zone=self._context.zone)
        self.conflict_dialog = dialog
        dialog.finished.connect(lambda _: self._conflict_decided(dialog, exc))
        dialog.open()

    def _conflict_decided(self, dialog: PatientConflictDialog, exc: StaleRecord) -> None:
        theirs = exc.theirs
        if dialog.choice == KEEP_MINE:
            mine = dict(exc.mine or {})
            self.record = theirs
            self._call(lambda: self._service.update(self._actor, theirs.id, data=mine,
                                                    expected_version=theirs.version), self._saved)
        elif dialog.choice == TAKE_THEIRS:
            self._show_record(theirs)
            self._show_banner("The saved version is shown; your changes were discarded.")
        else:
            self._show_banner("Another user saved this patient meanwhile; saving again will ask which version to keep.")

    def _show_banner(self, text: str, *, retry: bool = False) -> None:
        self.banner.setText(text)
        self.banner.setVisible(True)
        self.retry_button.setVisible(retry)

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.setVisible(False)
        self.banner.setVisible(False)

    def reject(self) -> None:  # noqa: D102 - ask before dropping unsaved input
        if self.changed_data() and self.record is not None and self.isVisible():
            answer = QMessageBox.question(self, "Unsaved changes", "Close without saving your changes?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().reject()


def _adherence_html(figure) -> str:  # noqa: ANN001 - an AdherenceFigure
    """'adherence 30 d: 86 %', red below the attention threshold; '—' when no dose was due."""
    percent = figure.percent
    value = "—" if percent is None else f"{percent:.0f} %"
    text = f"adherence {HEADER_ADHERENCE_DAYS} d: {value}"
    return f"<span style='color:#c62828'>{text}</span>" if figure.needs_attention else text
