"""Admin-only audit viewer: who viewed or changed which patient, when, and which fields
(before → after). Filters by patient, staff member and a date range; "Load older" pages on."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...services.audit_service import AuditEntry
from ..app_context import AppContext
from ..formats import Formats
from ..models.glucose_table_model import Column, DtoTableModel
from ..widgets.patient_picker import PatientPicker
from ..workers import TaskRunner
from ..error_messages import describe_error

PAGE = 200


class AuditEntryModel(DtoTableModel[AuditEntry]):
    def __init__(self, zone: ZoneInfo, parent=None, *, formats: Formats) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.columns = [
            # Seconds matter in an audit trail (the order of a burst of events).
            Column("When", lambda e: formats.instant(e.occurred_at, zone, seconds=True), lambda e: e.occurred_at),
            Column("Staff", lambda e: e.staff_name or "—"),
            Column("Action", lambda e: e.action),
            Column("Patient", lambda e: e.patient_name or "—"),
            Column("Fields", lambda e: ", ".join(e.changed_fields)),
            Column("Workstation", lambda e: e.workstation or ""),
        ]

    def append(self, entries: list[AuditEntry]) -> None:
        if entries:
            start = len(self._rows)
            self.beginInsertRows(self.index(0, 0).parent(), start, start + len(entries) - 1)
            self._rows.extend(entries)
            self.endInsertRows()


class AuditViewerPane(QWidget):
    """Only admins see data here; the service refuses everyone else."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context, self._service, self._actor = context, context.services.audit, context.actor
        self._zone = ZoneInfo(context.session.clinic_timezone)
        self._runner, self._staff_runner = TaskRunner(self), TaskRunner(self)
        self.patient = PatientPicker(context, include_archived=True)
        self.patient.patient_chosen.connect(lambda _: self.search())
        self.staff = QComboBox()
        self.staff.addItem("All staff", None)
        today = QDate(context.today())  # the clinic's today, not the workstation's date
        self.since, self.until = QDateEdit(today.addDays(-30)), QDateEdit(today)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            context.formats.set_edit_format(edit, context.formats.qt_date)
        self.search_button, self.more_button = QPushButton("Show"), QPushButton("Load older")
        self.search_button.clicked.connect(self.search)
        self.more_button.clicked.connect(self.load_more)
        self.model = AuditEntryModel(self._zone, self, formats=context.formats)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._show_details)
        self.details = QPlainTextEdit(readOnly=True)
        self.status = QLabel()
        bar = QHBoxLayout()
        for label, widget in (("Patient", self.patient), ("Staff", self.staff), ("From", self.since),
                              ("to", self.until)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget, 2 if widget is self.patient else 0)
        bar.addWidget(self.search_button)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.more_button)
        layout.addLayout(bottom)
        self._staff_runner.run(lambda s: self._service.staff_options(self._actor), self._fill_staff, self._failed)

    def _fill_staff(self, staff) -> None:  # noqa: ANN001
        for option in staff:
            self.staff.addItem(f"{option.full_name} ({option.role.label})", option.id)

    def _filters(self) -> dict:
        since = datetime.combine(self.since.date().toPython(), time.min, self._zone)
        until = datetime.combine(self.until.date().toPython() + timedelta(days=1), time.min, self._zone)
        chosen = self.patient.chosen if self.patient.text().strip() else None
        return {"patient_id": chosen.id if chosen else None, "staff_id": self.staff.currentData(),
                "since": since, "until": until}

    def search(self) -> None:
        self.model.set_rows([])
        self._load(None)

    def load_more(self) -> None:
        rows = self.model.rows()
        self._load((rows[-1].occurred_at, rows[-1].id) if rows else None)

    def _load(self, before) -> None:  # noqa: ANN001
        filters = self._filters()
        self.status.setText("Loading…")
        self._runner.run(lambda s: self._service.query(self._actor, before=before, limit=PAGE, **filters),
                         self._loaded, self._failed)

    def _loaded(self, entries: list[AuditEntry]) -> None:
        self.model.append(entries)
        self.more_button.setEnabled(len(entries) == PAGE)
        self.status.setText(f"{self.model.rowCount():,} events shown")

    def _show_details(self, current, previous) -> None:  # noqa: ANN001
        if not current.isValid():
            return
        entry = self.model.row_at(current.row())
        lines = [f"{entry.action} {entry.entity} by {entry.staff_name or 'unknown'}"]
        for field, change in sorted((entry.changes or {}).items()):
            before, after = (change + [None, None])[:2] if isinstance(change, list) else (None, change)
            lines.append(f"{field}: {json.dumps(before, ensure_ascii=False)} → {json.dumps(after, ensure_ascii=False)}")
        self.details.setPlainText("\n".join(lines))

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(describe_error(exc, "load the audit trail"))
