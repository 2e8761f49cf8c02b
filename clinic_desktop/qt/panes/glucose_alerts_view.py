"""Active hypo/hyperglycaemia events with Resolve and Escalate (audited by the service).

Shows the chosen patient's events, or every patient's with "All patients" ticked, so a nurse
can work through the clinic's open alerts. Stale versions come back as "changed by another user".
"""

from __future__ import annotations

import html

import uuid
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...domain.permissions import Capability
from ...services.glucose_dto import EmergencyEventDTO
from ..charts.chart_style import clinic_zone
from ..formats import Formats
from ..models.glucose_reading_table_model import EV_STARTED, EmergencyEventTableModel
from ..models.glucose_table_model import ROW_ROLE, SortKeyProxy
from ..workers import TaskRunner
from .glucose_gateway import GlucoseGateway
from ..error_messages import describe_error


class GlucoseAlertsView(QWidget):
    """Table of active events plus the two actions; `load(patient_id)` refreshes it."""

    def __init__(self, gateway: GlucoseGateway, zone_name: str | None, parent: QWidget | None = None,
                 *, formats: Formats, ask_note: Callable[[str], str | None] | None = None) -> None:
        super().__init__(parent)
        self._gateway = gateway
        self._patient_id: uuid.UUID | None = None
        self._runner = TaskRunner(self)
        self._action_runner = TaskRunner(self)
        self._ask_note = ask_note or self._ask_note_dialog
        self.units: dict = {}
        self.model = EmergencyEventTableModel(clinic_zone(zone_name), self.units, self, formats=formats)
        proxy = SortKeyProxy(self)
        proxy.setSourceModel(self.model)
        self.proxy = proxy
        self.table = QTableView(self)
        self.table.setModel(proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(EV_STARTED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.all_patients = QCheckBox("All patients", self)
        self.all_patients.toggled.connect(lambda _on: self.reload())
        self.resolve_button = QPushButton("Resolve…", self)
        self.escalate_button = QPushButton("Escalate…", self)
        self.resolve_button.clicked.connect(lambda: self._act("resolve"))
        self.escalate_button.clicked.connect(lambda: self._act("escalate"))
        for button in (self.resolve_button, self.escalate_button):
            button.setVisible(gateway.can(Capability.RECORD_GLUCOSE))
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>Active emergency events</b>"))
        bar.addWidget(self.all_patients)
        bar.addStretch(1)
        bar.addWidget(self.resolve_button)
        bar.addWidget(self.escalate_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def load(self, patient_id: uuid.UUID | None) -> None:
        self._patient_id = patient_id
        self.reload()

    def reload(self) -> None:
        patient = None if self.all_patients.isChecked() else self._patient_id
        if patient is None and not self.all_patients.isChecked():
            self.model.set_rows([])
            return
        self._runner.run(lambda state: self._gateway.active_events(patient), self._on_loaded, self._on_error)

    def selected(self) -> EmergencyEventDTO | None:
        index = self.table.currentIndex()
        return None if not index.isValid() else self.proxy.index(index.row(), 0).data(ROW_ROLE)

    def _on_loaded(self, events: list[EmergencyEventDTO]) -> None:
        self.model.set_rows(events)
        self.status.setText("No active events." if not events else f"{len(events)} active event(s).")

    def _on_error(self, exc: BaseException) -> None:
        self.status.setText(f"<span style='color:#c62828'>{html.escape(describe_error(exc, 'load the alerts'))}</span>")

    def _ask_note_dialog(self, action: str) -> str | None:
        text, ok = QInputDialog.getText(self, f"{action.capitalize()} event", "Note (what was done):")
        return text.strip() if ok else None

    def _act(self, action: str) -> None:
        event = self.selected()
        if event is None:
            self.status.setText("Select an event first.")
            return
        note = self._ask_note(action)
        if note is None:
            return
        call = self._gateway.resolve_event if action == "resolve" else self._gateway.escalate_event
        self._action_runner.run(lambda state: call(event, note or None), lambda _r: self._done(action),
                                self._on_error, supersede=False)

    def _done(self, action: str) -> None:
        self.status.setText("Event resolved." if action == "resolve" else "Event escalated.")
        self.reload()
