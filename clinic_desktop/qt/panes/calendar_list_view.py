"""The calendar's list view (filters by doctor, status, reason and date range) and reception's
today list; both are a sortable table of AppointmentDTO rows."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, QItemSelectionModel, Signal
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QDateEdit, QHBoxLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from ...domain.appointment_rules import STATUS_LABELS
from ...domain.enums import AppointmentReason, AppointmentStatus
from ...services.appointment_dto import AppointmentFilter
from ..formats import Formats
from ..models.appointment_list_model import REASON_LABELS, AppointmentListModel
from ..models.glucose_table_model import ROW_ROLE, SortKeyProxy


class AppointmentTable(QTableView):
    """Sortable table of appointments; `selected` carries the chosen AppointmentDTO."""

    selected = Signal(object)

    def __init__(self, zone: str, *, formats: Formats, with_date: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = AppointmentListModel(zone, self, formats=formats, with_date=with_date)
        self.proxy = SortKeyProxy(self)
        self.proxy.setSourceModel(self.model_)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(0, self.proxy.sortOrder().AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().hide()
        self.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.selected.emit(cur.data(ROW_ROLE)))

    def set_rows(self, rows, keep=None) -> None:  # noqa: ANN001
        self.model_.set_rows(rows)
        if keep is not None:
            self.select_id(keep)

    def select_id(self, appointment_id) -> None:  # noqa: ANN001
        row = self.model_.row_of(appointment_id)
        if row >= 0:
            index = self.proxy.mapFromSource(self.model_.index(row, 0))
            self.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


class CalendarListView(QWidget):
    """Filters above a table; `filter_changed` asks the pane to reload."""

    filter_changed = Signal()

    def __init__(self, zone: str, parent: QWidget | None = None, *, formats: Formats) -> None:
        super().__init__(parent)
        self.doctor = QComboBox()
        self.doctor.addItem("All doctors", None)
        self.status = QComboBox()
        self.status.addItem("Any status", None)
        for s in AppointmentStatus:
            self.status.addItem(STATUS_LABELS[s], s)
        self.reason = QComboBox()
        self.reason.addItem("Any reason", None)
        for r in AppointmentReason:
            self.reason.addItem(REASON_LABELS[r], r)
        self.first, self.last = QDateEdit(calendarPopup=True), QDateEdit(calendarPopup=True)
        for edit in (self.first, self.last):
            formats.set_edit_format(edit, formats.qt_date)
        self.table = AppointmentTable(zone, formats=formats, with_date=True)
        self.count = QLabel()
        row = QHBoxLayout()
        for w in (self.doctor, self.status, self.reason, QLabel("from"), self.first, QLabel("to"), self.last, self.count):
            row.addWidget(w)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table)
        for combo in (self.doctor, self.status, self.reason):
            combo.currentIndexChanged.connect(lambda _i: self.filter_changed.emit())
        for edit in (self.first, self.last):
            edit.dateChanged.connect(lambda _d: self.filter_changed.emit())

    def set_range(self, first: date, days: int = 28) -> None:
        for edit, d in ((self.first, first), (self.last, first + timedelta(days=days - 1))):
            edit.blockSignals(True)
            edit.setDate(QDate(d.year, d.month, d.day))
            edit.blockSignals(False)

    def set_doctors(self, doctors) -> None:  # noqa: ANN001
        self.doctor.blockSignals(True)
        while self.doctor.count() > 1:
            self.doctor.removeItem(1)
        for d in doctors:
            self.doctor.addItem(d.display_name, d.id)
        self.doctor.blockSignals(False)

    def current_filter(self) -> AppointmentFilter:
        status = self.status.currentData()
        return AppointmentFilter(
            doctor_id=self.doctor.currentData(), statuses=frozenset({status}) if status else frozenset(),
            reason=self.reason.currentData(), first_day=self.first.date().toPython(),
            last_day=self.last.date().toPython())

    def show_rows(self, rows, keep=None) -> None:  # noqa: ANN001
        self.table.set_rows(rows, keep)
        self.count.setText(f"{len(rows)} appointments")
