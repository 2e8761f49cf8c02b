"""The patients pane: search as you type, the lazy patient list with filters and sort, CSV export,
and a context menu per patient (open, print or save the one-page summary, and for admins merge).

Typing shows ranked search hits (debounced; each keystroke supersedes the query in flight, so
stale results never replace fresh ones); an empty box shows the whole list, fetched page by
page. Writes anywhere (this or another workstation) refresh the pane through the change bus.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...domain.changes import ChangeSet
from ...domain.enums import DiabetesType, Role
from ...domain.permissions import Capability
from ...domain.patient_rules import format_date, format_phone
from ...domain.errors import DomainError
from ...services.patient_dto import PatientFilters, PatientSummary
from ..app_context import AppContext
from ..models.glucose_table_model import ROW_ROLE, Column, DtoTableModel
from ..models.patient_table_model import CLINICAL_COLUMNS, COL_NAME, ID_ROLE, PatientTableModel
from ..workers import TaskRunner
from ...services.patient_export import export_patient_list
from ...domain.changes import ChangeKind
from ..error_messages import describe_error

if TYPE_CHECKING:  # imported when first opened: the patients pane is the first thing shown
    from ..dialogs.patient_record_dialog import PatientRecordDialog

SEARCH_DEBOUNCE_MS = 250


class PatientSearchModel(DtoTableModel[PatientSummary]):
    """Search hits: MRN, name, date of birth and which key matched."""

    def __init__(self, locale: str, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.locale = locale
        self.columns = [
            Column("MRN", lambda s: s.mrn),
            Column("Name", lambda s: s.display_name + (" (archived)" if s.archived else "")),
            Column("Born", lambda s: format_date(s.date_of_birth, self.locale)),
            Column("Phone", lambda s: format_phone(s.phone_e164)),
            Column("Matched on", lambda s: {"name": "name", "mrn": "MRN", "phone": "phone", "dob": "date of birth"}
                   .get(s.match, s.match)),
        ]


class PatientListPane(QWidget):
    """Reception's and clinicians' home: find, list and open patients."""

    open_patient = Signal(object)  # uuid.UUID of the chosen patient

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, locale: str | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._service = context.services.patients
        self._actor = context.actor
        self._locale = locale or "en_US"
        self._search_runner, self._options_runner, self._export_runner = TaskRunner(self), TaskRunner(self), TaskRunner(self)
        self._record_dialogs: list[PatientRecordDialog] = []  # open record windows, one per patient
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._run_search)
        self._build()
        context.bus.subscribe({ChangeKind.PATIENT}, self._on_changes, self)
        self.open_patient.connect(self.show_record)
        self._load_options()
        self.model.reload()

    # --- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.search_box = QLineEdit(placeholderText="Search by name, MRN, phone or date of birth", clearButtonEnabled=True)
        self.search_box.setMaxLength(200)
        self.search_box.textChanged.connect(self._on_text)
        self.doctor_filter = QComboBox()
        self.doctor_filter.addItem("All doctors", None)
        self.type_filter = QComboBox()
        self.type_filter.addItem("All diabetes types", None)
        for kind in DiabetesType:
            self.type_filter.addItem(kind.label, kind)
        self.type_filter.setVisible(self._actor.sees_clinical)
        self.status_filter = QComboBox()
        self.status_filter.addItem("Active patients", False)
        self.status_filter.addItem("Archived patients", True)
        for combo in (self.doctor_filter, self.type_filter, self.status_filter):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.new_button = QPushButton("New patient…")
        self.new_button.clicked.connect(lambda: self.show_record(None))
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._export)
        self.merge_button = QPushButton("Merge duplicates…")
        self.merge_button.clicked.connect(lambda: self.open_merge(None))
        self.merge_button.setVisible(self._actor.can(Capability.MERGE_PATIENTS))
        bar = QHBoxLayout()
        bar.addWidget(self.search_box, 3)
        for w in (self.doctor_filter, self.type_filter, self.status_filter, self.new_button, self.export_button,
                  self.merge_button):
            bar.addWidget(w)

        self.model = PatientTableModel(
            lambda after, limit, sort, filters: self._service.list_page(
                self._actor, after=after, limit=limit, sort=sort, filters=filters),
            locale=self._locale, timezone=self._context.session.clinic_timezone, parent=self)
        self.model.load_failed.connect(self._show_error)
        self.model.first_page_loaded.connect(self._update_columns)
        self.table = self._table(self.model, sortable=True)
        self.search_model = PatientSearchModel(self._locale, self)
        self.results = self._table(self.search_model, sortable=False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.results)
        self.status = QLabel()
        self.status.setObjectName("patientListStatus")
        from ..dialogs.patient_summary_printing import PatientSummaryPrinting

        self.summary = PatientSummaryPrinting(self._context, self)
        self.summary.finished.connect(self.status.setText)
        self.summary.failed.connect(self.status.setText)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)
        self._update_columns()

    def _table(self, model, *, sortable: bool) -> QTableView:  # noqa: ANN001
        view = QTableView()
        view.setModel(model)
        view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(24)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((110, 230, 140, 150, 160, 110, 150, 110)):
            view.setColumnWidth(column, width)
        if sortable:
            view.setSortingEnabled(True)
            view.horizontalHeader().setSortIndicator(COL_NAME, Qt.SortOrder.AscendingOrder)
        # `activated` alone: it is the platform's "open" gesture (a double-click, or a single click where the
        # desktop is set so) and Enter; a double-click also emits `doubleClicked`, which would open it twice.
        view.activated.connect(self._open_index)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(
            lambda pos, v=view: self._show_menu(v.indexAt(pos), v.viewport().mapToGlobal(pos)))
        return view

    def _update_columns(self) -> None:
        for column in CLINICAL_COLUMNS:
            self.table.setColumnHidden(column, not self._actor.sees_clinical)

    # --- behaviour -----------------------------------------------------------------------------

    def show_record(self, patient_id: uuid.UUID | None) -> PatientRecordDialog:
        """Open a patient's record (or a blank one to register) beside the list; a record already open
        in a window is brought to the front instead of opened twice."""
        from ..dialogs.patient_record_dialog import PatientRecordDialog

        dialog = next((d for d in self._record_dialogs if patient_id is not None and d.patient_id == patient_id), None)
        if dialog is None:
            dialog = PatientRecordDialog(self._context, patient_id, self, locale=self._locale)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.finished.connect(lambda _result, d=dialog: self._forget_record(d))
            self._record_dialogs.append(dialog)
        self.record_dialog = dialog
        if dialog.isMinimized():
            dialog.showNormal()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _forget_record(self, dialog: PatientRecordDialog) -> None:
        if dialog in self._record_dialogs:
            self._record_dialogs.remove(dialog)

    def _load_options(self) -> None:
        service, actor = self._service, self._actor
        self._options_runner.run(lambda state: (service.clinic_locale(actor), service.list_doctors(actor)),
                                 self._fill_options, self._show_error)

    def _fill_options(self, options) -> None:  # noqa: ANN001
        locale, doctors = options
        if locale != self._locale:
            self._locale = locale
            self.model.set_locale(locale)
            self.search_model.locale = locale
        for doctor in doctors:
            self.doctor_filter.addItem(doctor.display_name, doctor.id)

    def current_filters(self) -> PatientFilters:
        return PatientFilters(doctor_id=self.doctor_filter.currentData(), diabetes_type=self.type_filter.currentData(),
                              archived=bool(self.status_filter.currentData()))

    def _apply_filters(self) -> None:
        self.model.reload(filters=self.current_filters())
        if self.search_box.text().strip():
            self._run_search()

    def _on_text(self, text: str) -> None:
        if not text.strip():
            self._debounce.stop()
            self._search_runner.cancel()
            self.stack.setCurrentWidget(self.table)
            self.status.setText("")
            return
        self._debounce.start()

    def _run_search(self) -> None:
        text = self.search_box.text()
        if not text.strip():
            return
        archived = bool(self.status_filter.currentData())
        self.status.setText("Searching…")
        self._search_runner.run(
            lambda state: self._service.search(self._actor, text=text, limit=100, include_archived=archived),
            self._show_hits, self._show_error)

    def _show_hits(self, hits: list[PatientSummary]) -> None:
        self.search_model.set_rows(hits)
        self.stack.setCurrentWidget(self.results)
        self.status.setText(f"{len(hits)} patient{'s' if len(hits) != 1 else ''} found"
                            if hits else "No patient matches. Check the spelling, or register a new patient.")

    def _open_index(self, index) -> None:  # noqa: ANN001
        patient_id = index.data(ID_ROLE) if index.model() is self.model else getattr(index.data(ROW_ROLE), "id", None)
        if isinstance(patient_id, uuid.UUID):
            self.open_patient.emit(patient_id)

    def patient_at(self, index) -> PatientSummary | None:  # noqa: ANN001
        """The patient of a row of either table, as a search hit."""
        if not index.isValid():
            return None
        if index.model() is self.model:
            row = self.model.row_at(index.row())
            return None if row is None else PatientSummary(row.id, row.mrn, row.display_name, row.date_of_birth,
                                                           row.archived)
        return index.data(ROW_ROLE)

    def context_menu(self, patient: PatientSummary) -> QMenu:
        """What can be done with one patient from the list (merging only for admins)."""
        menu = QMenu(self)
        menu.addAction("Open record", lambda: self.open_patient.emit(patient.id))
        menu.addAction("Print one-page summary…", lambda: self.summary.print_summary(patient.id, patient.mrn))
        menu.addAction("Save summary as PDF…", lambda: self.summary.save_pdf(patient.id, patient.mrn))
        if self._actor.can(Capability.MERGE_PATIENTS):
            menu.addSeparator()
            menu.addAction("Merge duplicate into…", lambda: self.open_merge(patient))
        return menu

    def _show_menu(self, index, where) -> None:  # noqa: ANN001
        patient = self.patient_at(index)
        if patient is not None:
            self.context_menu(patient).exec(where)

    def open_merge(self, duplicate: PatientSummary | None) -> None:
        """Admins: choose the record to keep for `duplicate` (or both), compare, merge."""
        from ..dialogs.patient_merge_dialog import PatientMergeDialog

        dialog = PatientMergeDialog(self._context, self, duplicate=duplicate, locale=self._locale)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.merged.connect(lambda result: self.status.setText("Records merged; the duplicate is archived."))
        self.merge_dialog = dialog
        dialog.show()

    def _on_changes(self, _changes: ChangeSet) -> None:  # subscribed to patient changes only
        self.model.reload()
        if self.search_box.text().strip():
            self._run_search()

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export patient list", "patients.csv", "CSV files (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        """Write the list as filtered and sorted now to `path` (in the background)."""
        filters, sort = self.current_filters(), self.model.sort_order
        self.export_button.setEnabled(False)
        self._export_runner.run(
            lambda state: export_patient_list(self._service, self._actor, path, filters=filters, sort=sort,
                                              locale=self._locale, state=state),
            self._exported, self._export_failed,
            on_progress=lambda done, total, text: self.status.setText(text))

    def _exported(self, count: int) -> None:
        self.export_button.setEnabled(True)
        self.status.setText(f"Exported {count:,} patients.")

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        self._show_error(exc)

    def _show_error(self, exc: BaseException) -> None:
        message = describe_error(exc, "change the list")
        self.status.setText(message)
        if self.isVisible() and not isinstance(exc, DomainError):
            QMessageBox.warning(self, "Patients", message)

    @property
    def is_receptionist(self) -> bool:
        return self._actor.role == Role.RECEPTIONIST
