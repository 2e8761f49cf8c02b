"""The readings list of the glucose pane, with the manual fingerstick entry dialog."""

from __future__ import annotations

import html

from datetime import datetime, timedelta, tzinfo

from PySide6.QtCore import Qt
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

from ...domain.clock import Clock
from ...domain.permissions import Capability
from ...services.glucose_dto import ReadingDTO
from ..dialogs.glucose_reading_dialog import GlucoseReadingDialog
from ..formats import Formats
from ..models.glucose_reading_table_model import (
    COL_NOTE,
    COL_TIME,
    GlucoseReadingTableModel,
)
from ..models.glucose_table_model import SortKeyProxy
from ..workers import TaskRunner
from .glucose_gateway import GlucoseGateway, PatientChoice
from ..error_messages import describe_error

#: The list shows at most this much of the window (a 5-year window holds ~500,000 CGM readings).
LIST_SPAN = timedelta(days=30)


class GlucoseReadingsView(QWidget):
    """Sortable readings of the window's last 30 days; "Add fingerstick reading…" opens the dialog."""

    def __init__(self, gateway: GlucoseGateway, zone: tzinfo, clock: Clock, parent: QWidget | None = None, *,
                 formats: Formats) -> None:
        super().__init__(parent)
        self._gateway, self._zone, self._clock, self._formats = gateway, zone, clock, formats
        self._patient: PatientChoice | None = None
        self._runner = TaskRunner(self)
        self.model = GlucoseReadingTableModel(zone, parent=self, formats=formats)
        self.proxy = SortKeyProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_TIME, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(COL_NOTE, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton("Add fingerstick reading…", self)
        self.add_button.clicked.connect(self.open_entry_dialog)
        self.add_button.setVisible(gateway.can(Capability.RECORD_GLUCOSE))
        self.status = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.last_dialog: GlucoseReadingDialog | None = None

    def set_patient(self, patient: PatientChoice) -> None:
        self._patient = patient
        self.model.set_unit(patient.unit)
        self.model.set_rows([])

    def load(self, start: datetime, end: datetime) -> None:
        if self._patient is None:
            return
        start = max(start, end - LIST_SPAN)
        patient = self._patient
        self.status.setText("Loading readings…")
        self._runner.run(lambda state: self._gateway.readings(patient.id, start, end),
                         lambda rows: self._on_loaded(rows, start, end), self._on_error)

    def _on_loaded(self, rows: list[ReadingDTO], start: datetime, end: datetime) -> None:
        self.model.set_rows(rows)
        day = lambda m: self._formats.date(m.astimezone(self._zone).date())  # noqa: E731
        span = f"{day(start)} – {day(end)}"
        self.status.setText(f"{len(rows):,} readings, {span}.")

    def _on_error(self, exc: BaseException) -> None:
        self.status.setText(f"<span style='color:#c62828'>{html.escape(describe_error(exc, 'load the readings'))}</span>")

    def make_entry_dialog(self) -> GlucoseReadingDialog:
        patient = self._patient
        assert patient is not None
        save = lambda f: self._gateway.add_reading(patient.id, **f)  # noqa: E731
        self.last_dialog = GlucoseReadingDialog(patient_label=patient.label, unit=patient.unit, zone=self._zone,
                                                save=save, clock=self._clock, formats=self._formats, parent=self)
        return self.last_dialog

    def open_entry_dialog(self) -> None:
        if self._patient is not None:
            self.make_entry_dialog().open()  # the bus refreshes the list once it is stored
