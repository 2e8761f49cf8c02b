"""The review worklist (doctors and nurses): patients needing attention first, one click to their charts.

Rows come from the glucose service (consensus targets, new emergency events, time since last
review, computed from daily aggregates). Double-click or "Open charts" emits `open_patient`;
"Mark reviewed" records who and when, then the list refreshes from the change bus.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...domain.changes import ChangeKind, ChangeSet
from ...domain.permissions import Capability
from ...services.glucose_dto import WorklistRow
from ..app_context import AppContext
from ..models.glucose_table_model import ROW_ROLE, SortKeyProxy
from ..models.review_worklist_model import (
    COL_PRIORITY,
    COL_REASONS,
    ReviewWorklistModel,
)
from ..workers import TaskRunner
from .glucose_gateway import GlucoseGateway, PatientChoice
from ..error_messages import describe_error

REFRESH_KINDS = frozenset({ChangeKind.GLUCOSE_READING, ChangeKind.EMERGENCY_EVENT, ChangeKind.PATIENT_REVIEW,
                           ChangeKind.PATIENT, ChangeKind.MEDICATION})


class ReviewWorklistPane(QWidget):
    """Sortable worklist; emits `open_patient(PatientChoice)` for the main window to switch panes."""

    open_patient = Signal(object)
    opens_in = "glucose"  # the main window shows the chosen patient's charts
    title = "Review worklist"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._gateway = GlucoseGateway(context.services, context.actor)
        self._runner = TaskRunner(self)
        self._action_runner = TaskRunner(self)
        self.model = ReviewWorklistModel(context.session.clinic_timezone, context.clock, self, formats=context.formats)
        self.proxy = SortKeyProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_PRIORITY, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(COL_REASONS, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self._open_selected())
        self.status = QLabel(self)
        self.open_button = QPushButton("Open charts", self)
        self.open_button.clicked.connect(self._open_selected)
        self.review_button = QPushButton("Mark reviewed", self)
        self.review_button.setToolTip("Record that you reviewed this patient's glucose now")
        self.review_button.clicked.connect(self._mark_reviewed)
        self.review_button.setEnabled(context.actor.can(Capability.MARK_REVIEWED))
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>Patients needing attention first</b> — consensus targets, new events, time since last review"))
        bar.addStretch(1)
        for button in (self.open_button, self.review_button, self.refresh_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        context.bus.subscribe(REFRESH_KINDS, self._on_changes, self)
        self.refresh()

    def refresh(self) -> None:
        """Reload the worklist in the background."""
        self.status.setText("Loading worklist…")
        self._runner.run(lambda state: self._gateway.worklist(), self._on_loaded, self._on_error)

    def selected_row(self) -> WorklistRow | None:
        index = self.table.currentIndex()
        return None if not index.isValid() else self.proxy.index(index.row(), 0).data(ROW_ROLE)

    def _on_loaded(self, rows: list[WorklistRow]) -> None:
        self.model.set_rows(rows)
        urgent = sum(1 for r in rows if r.reasons)
        noun = "patient" if len(rows) == 1 else "patients"
        self.status.setText(f"{len(rows)} {noun}, {urgent} outside targets or with events.")

    def _on_error(self, exc: BaseException) -> None:
        self.status.setText(f"<span style='color:#c62828'>{html.escape(describe_error(exc, 'load the worklist'))}</span>")

    def _on_changes(self, _changes: ChangeSet) -> None:  # subscribed to REFRESH_KINDS only
        self.refresh()

    def _open_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.open_patient.emit(PatientChoice(row.patient_id, row.patient_name, row.mrn, row.glucose_unit))

    def _mark_reviewed(self) -> None:
        row = self.selected_row()
        if row is None:
            self.status.setText("Select a patient first.")
            return
        self.review_button.setEnabled(False)
        self._action_runner.run(
            lambda state: self._gateway.mark_reviewed(row.patient_id),
            lambda _r: self._after_review(row), self._on_review_error, supersede=False,
        )

    def _after_review(self, row: WorklistRow) -> None:
        self.review_button.setEnabled(True)
        self.status.setText(f"Marked {row.patient_name} as reviewed.")
        self.refresh()

    def _on_review_error(self, exc: BaseException) -> None:
        self.review_button.setEnabled(True)
        self.status.setText(f"<span style='color:#c62828'>{html.escape(describe_error(exc, 'mark the patient reviewed'))}</span>")
