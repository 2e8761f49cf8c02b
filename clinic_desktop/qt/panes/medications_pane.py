"""One patient's medications: prescriptions with history, dose log, adherence 7/30/90 with a calendar
strip, and mean glucose on full-adherence vs missed-dose days.

Doctors prescribe, change, pause, resume and discontinue; nurses (and doctors) record doses.
Everything is loaded in one background task per refresh; `set_patient` chooses the patient.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QInputDialog, QLabel, QPushButton, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from ...domain.enums import DoseStatus, GlucoseUnit, MedicationState
from ...domain.permissions import Capability
from ...domain.units import format_glucose
from ...services.medication_dto import AdherenceReport, DoseDTO, GlucoseAdherenceComparison, PrescriptionDTO
from ..app_context import AppContext
from ..dialogs.prescription_dialog import PrescriptionDialog
from ..models.adherence_table_model import AdherenceTableModel, percent_text
from ..models.dose_table_model import DoseTableModel
from ..models.glucose_table_model import ROW_ROLE, SortKeyProxy
from ..models.prescription_table_model import PrescriptionTableModel
from ..workers import TaskRunner
from .adherence_strip import AdherenceStrip
from ...domain.changes import ChangeKind, ChangeSet


@dataclass(frozen=True)
class PatientMedications:
    """Everything the pane shows, fetched together in the background."""

    prescriptions: list[PrescriptionDTO]
    doses: list[DoseDTO]
    adherence: AdherenceReport
    glucose_30: GlucoseAdherenceComparison
    glucose_90: GlucoseAdherenceComparison


def load_patient(service, actor, patient_id: uuid.UUID) -> PatientMedications:  # noqa: ANN001
    """The pane's read, run on a worker thread."""
    return PatientMedications(
        service.list_prescriptions(actor, patient_id), service.dose_log(actor, patient_id, days=14),
        service.adherence(actor, patient_id), service.glucose_vs_adherence(actor, patient_id, days=30),
        service.glucose_vs_adherence(actor, patient_id, days=90),
    )


def _table(model, parent: QWidget) -> QTableView:  # noqa: ANN001
    proxy = SortKeyProxy(parent)
    proxy.setSourceModel(model)
    view = QTableView(parent)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setVisible(False)
    return view


def _selected(view: QTableView):  # noqa: ANN202
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    return rows[0].data(ROW_ROLE) if rows else None


class MedicationsPane(QWidget):
    """Per-patient medications; refreshes when `medication` changes on the bus."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context, self._service = context, context.services.medications
        self._zone = ZoneInfo(context.session.clinic_timezone)
        self._runner, self._write_runner = TaskRunner(self), TaskRunner(self)
        self._patient_id: uuid.UUID | None = None
        self._unit = GlucoseUnit.MG_DL
        self.data: PatientMedications | None = None
        self._notice = ""
        self._build()
        context.bus.subscribe({ChangeKind.MEDICATION}, self._on_changes, self)
        self._update_buttons()

    # ----- layout -----
    def _build(self) -> None:
        self.title = QLabel("No patient selected", styleSheet="font-size: 15px; font-weight: bold;")
        self.summary = QLabel("", textFormat=Qt.TextFormat.RichText)
        self.status = QLabel("", wordWrap=True, styleSheet="color: #b71c1c;")
        formats = self._context.formats
        self.prescriptions = PrescriptionTableModel(self, formats=formats)
        self.doses = DoseTableModel(self._zone, self, formats=formats, show_day=True)
        self.adherence_rows = AdherenceTableModel(self)
        self.prescription_view = _table(self.prescriptions, self)
        self.dose_view = _table(self.doses, self)
        self.dose_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first, and the header says so
        self.dose_view.hideColumn(1)  # one patient: the patient column says nothing
        self.strip = AdherenceStrip(self, formats=formats)
        self.glucose_view = QLabel("", textFormat=Qt.TextFormat.RichText, wordWrap=True, alignment=Qt.AlignmentFlag.AlignTop)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._page(self.prescription_view, self._prescription_buttons()), "Prescriptions")
        self.tabs.addTab(self._page(self.dose_view, self._dose_buttons()), "Dose log (14 days)")
        adherence_page = QWidget()
        col = QVBoxLayout(adherence_page)
        col.addWidget(_table(self.adherence_rows, adherence_page), 1)
        col.addWidget(QLabel("Last 14 days — green: all taken, amber: some missed, red: none taken, blue: not yet due"))
        col.addWidget(self.strip)
        self.tabs.addTab(adherence_page, "Adherence")
        self.tabs.addTab(self.glucose_view, "Glucose vs adherence")
        layout = QVBoxLayout(self)
        if getattr(self._context.services, "patients", None) is not None:
            from ..widgets.patient_picker import PatientPicker

            self.picker = PatientPicker(self._context, self)
            self.picker.setPlaceholderText("Find a patient by name, MRN, phone or date of birth")
            self.picker.patient_chosen.connect(self.open_patient)
            layout.addWidget(self.picker)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)

    def _page(self, view: QTableView, buttons: QHBoxLayout) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        col.addLayout(buttons)
        col.addWidget(view, 1)
        return page

    def _prescription_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.prescribe_button = QPushButton("Prescribe…", clicked=self.open_prescribe)
        self.change_button = QPushButton("Change dose…", clicked=self.open_change)
        self.pause_button = QPushButton("Pause", clicked=lambda: self._state_action("pause"))
        self.resume_button = QPushButton("Resume", clicked=lambda: self._state_action("resume"))
        self.discontinue_button = QPushButton("Discontinue…", clicked=lambda: self._state_action("discontinue"))
        for b in (self.prescribe_button, self.change_button, self.pause_button, self.resume_button, self.discontinue_button):
            row.addWidget(b)
        row.addStretch(1)
        return row

    def _dose_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.taken_button = QPushButton("Taken", clicked=lambda: self.record_selected(DoseStatus.TAKEN))
        self.missed_button = QPushButton("Missed", clicked=lambda: self.record_selected(DoseStatus.MISSED))
        self.skipped_button = QPushButton("Skipped…", clicked=lambda: self.record_selected(DoseStatus.SKIPPED))
        self.morning_button = QPushButton("Mark this morning's doses taken", clicked=self.mark_morning)
        for b in (self.taken_button, self.missed_button, self.skipped_button, self.morning_button):
            row.addWidget(b)
        row.addStretch(1)
        return row

    def _update_buttons(self) -> None:
        actor, has_patient = self._context.actor, self._patient_id is not None
        for b in (self.prescribe_button, self.change_button, self.pause_button, self.resume_button, self.discontinue_button):
            b.setVisible(actor.can(Capability.PRESCRIBE))
            b.setEnabled(has_patient)
        for b in (self.taken_button, self.missed_button, self.skipped_button, self.morning_button):
            b.setVisible(actor.can(Capability.RECORD_DOSES))
            b.setEnabled(has_patient)

    # ----- loading -----
    def open_patient(self, patient: object) -> None:
        """Show a patient chosen in the picker or elsewhere (anything with an id and a name)."""
        name = getattr(patient, "display_name", None) or getattr(patient, "name", "")
        unit = getattr(patient, "unit", None) or getattr(patient, "glucose_unit", None) or GlucoseUnit.MG_DL
        self.set_patient(getattr(patient, "id"), name, GlucoseUnit(unit))

    def set_patient(self, patient_id: uuid.UUID | None, display_name: str, unit: GlucoseUnit = GlucoseUnit.MG_DL) -> None:
        """Show this patient (None clears the pane)."""
        self._patient_id, self._unit = patient_id, unit
        self.title.setText(display_name if patient_id else "No patient selected")
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        if self._patient_id is None:
            self._show(None)
            return
        service, actor, pid = self._service, self._context.actor, self._patient_id
        self.status.setText("Loading…")
        self._runner.run(lambda _s: load_patient(service, actor, pid), self._show, self._failed)

    def _on_changes(self, _changes: ChangeSet) -> None:  # subscribed to medication changes only
        if self._patient_id is not None:
            self.refresh()

    def _show(self, data: PatientMedications | None) -> None:
        self.data = data
        self.status.setText(self._notice)  # an error from the last write stays visible after the reload
        self._notice = ""
        self.prescriptions.set_rows(data.prescriptions if data else [])
        self.doses.set_rows(data.doses if data else [])
        report = data.adherence if data else None
        self.adherence_rows.set_rows(report.medications if report else ())
        names = {m.medication_id: m.drug_summary for m in report.medications} if report else {}
        self.strip.set_data(list(report.strip_days) if report else [],
                            [(names[mid], marks) for mid, marks in (report.strip.items() if report else ())])
        self.summary.setText(self._summary_text(report))
        self.glucose_view.setText(self._glucose_text(data) if data else "")

    def _summary_text(self, report: AdherenceReport | None) -> str:
        if report is None:
            return ""
        parts = [f"<b>{d} days:</b> {percent_text(report.overall[d])}" for d in sorted(report.overall)]
        return "Adherence — " + " &nbsp;·&nbsp; ".join(parts)

    def _glucose_text(self, data: PatientMedications) -> str:
        def block(c: GlucoseAdherenceComparison) -> str:
            mean = lambda v: "no readings" if v is None else format_glucose(v, self._unit)  # noqa: E731
            return (f"<h4>Last {c.days} days</h4><table cellpadding=4>"
                    f"<tr><td>Days with every dose taken ({c.full_adherence_days} with readings)</td>"
                    f"<td><b>{mean(c.full_adherence_mean_mgdl)}</b></td></tr>"
                    f"<tr><td>Days with a dose not taken ({c.missed_days} with readings)</td>"
                    f"<td><b>{mean(c.missed_mean_mgdl)}</b></td></tr></table>")
        return "Mean glucose by adherence" + block(data.glucose_30) + block(data.glucose_90)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(getattr(exc, "message", None) or "Could not load medications. Try again.")

    # ----- actions -----
    def selected_prescription(self) -> PrescriptionDTO | None:
        return _selected(self.prescription_view)

    def selected_dose(self) -> DoseDTO | None:
        return _selected(self.dose_view)

    def open_prescribe(self) -> PrescriptionDialog | None:
        if self._patient_id is None:
            return None
        dialog = PrescriptionDialog(self._context, self._patient_id, parent=self)
        dialog.saved.connect(self._publish_later)
        dialog.open()
        return dialog

    def open_change(self) -> PrescriptionDialog | None:
        current = self.selected_prescription()
        if current is None or current.state is MedicationState.DISCONTINUED:
            self.status.setText("Select a current prescription to change.")
            return None
        dialog = PrescriptionDialog(self._context, current.patient_id, replacing=current, parent=self)
        dialog.saved.connect(self._publish_later)
        dialog.open()
        return dialog

    def _state_action(self, action: str, reason: str | None = None) -> None:
        p = self.selected_prescription()
        if p is None:
            self.status.setText("Select a prescription first.")
            return
        if action == "discontinue" and reason is None:
            reason, ok = QInputDialog.getText(self, "Discontinue", f"Why is {p.drug_name} discontinued?")
            if not ok:
                return
        actor, service = self._context.actor, self._service
        kwargs = {"medication_id": p.id, "expected_version": p.version}
        if action == "discontinue":
            kwargs["reason"] = reason
        self._write(lambda _s: getattr(service, action)(actor, **kwargs))

    def discontinue_selected(self, reason: str) -> None:
        self._state_action("discontinue", reason)

    def record_selected(self, status: DoseStatus, reason: str | None = None) -> None:
        dose = self.selected_dose()
        if dose is None or dose.log_id is not None:
            self.status.setText("Select a dose that is not recorded yet.")
            return
        if status is DoseStatus.SKIPPED and reason is None:
            reason, ok = QInputDialog.getText(self, "Skipped dose", "Why was the dose skipped?")
            if not ok:
                return
        actor, service = self._context.actor, self._service
        self._write(lambda _s: service.record_dose(actor, medication_id=dose.medication_id, scheduled_at=dose.scheduled_at,
                                                    status=status, reason=reason))

    def mark_morning(self) -> None:
        if self._patient_id is not None:
            actor, service, pid = self._context.actor, self._service, self._patient_id
            self._write(lambda _s: service.mark_morning_taken(actor, patient_id=pid))

    def _write(self, op) -> None:  # noqa: ANN001
        self.status.setText("Saving…")
        self._write_runner.run(op, self._publish_later, self._write_failed)

    def _publish_later(self, _result) -> None:  # noqa: ANN001
        # The committed ChangeSet reaches the bus through the database's change listener (app.py);
        # refreshing here as well keeps this pane right when it is used on its own.
        self.status.setText("")
        self.refresh()

    def _write_failed(self, exc: BaseException) -> None:
        self._notice = getattr(exc, "message", None) or "The change could not be saved. Try again."
        self.status.setText(self._notice)
        self.refresh()  # e.g. recorded on another workstation meanwhile: show what is stored now

