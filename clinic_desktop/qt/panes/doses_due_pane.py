"""Nurses' view of today's doses across the clinic: filter, record taken / missed / skipped, bulk morning.

Loaded in the background; refreshes on `medication` changes (also from other workstations) and
every few minutes so overdue doses turn amber without a click.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget,
)

from ...domain.enums import DoseStatus
from ...services.medication_dto import DoseDTO
from ..app_context import AppContext
from ..models.dose_table_model import COL_PATIENT, DoseTableModel
from ..models.glucose_table_model import ROW_ROLE, SortKeyProxy
from ..workers import TaskRunner

REFRESH_MS = 5 * 60 * 1000


class DosesDuePane(QWidget):
    """Today's doses of every patient; pending and overdue ones first to hand."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context, self._service = context, context.services.medications
        self._runner, self._write_runner = TaskRunner(self), TaskRunner(self)
        self._all: list[DoseDTO] = []
        self._notice = ""
        self.model = DoseTableModel(ZoneInfo(context.session.clinic_timezone), self)
        self._build()
        context.bus.changed.connect(self._on_changes)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()  # today's list as soon as the pane opens, not only at the next timer tick

    def _build(self) -> None:
        self.filter = QLineEdit(placeholderText="Filter by patient or medication", clearButtonEnabled=True)
        self.filter.textChanged.connect(self._apply_filter)
        self.pending_only = QCheckBox("Not yet recorded only")
        self.pending_only.toggled.connect(self._apply_filter)
        self.proxy = SortKeyProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setVisible(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Doses due today</b>"))
        top.addWidget(self.filter, 1)
        top.addWidget(self.pending_only)
        buttons = QHBoxLayout()
        for text, slot in (("Taken", lambda: self.record_selected(DoseStatus.TAKEN)),
                           ("Missed", lambda: self.record_selected(DoseStatus.MISSED)),
                           ("Skipped…", lambda: self.record_selected(DoseStatus.SKIPPED)),
                           ("Mark this patient's morning doses taken", self.mark_morning_for_selected),
                           ("Refresh", self.refresh)):
            buttons.addWidget(QPushButton(text, clicked=slot))
        buttons.addStretch(1)
        self.counts = QLabel("")
        self.status = QLabel("", wordWrap=True, styleSheet="color: #b71c1c;")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.counts)
        layout.addWidget(self.status)

    def _on_changes(self, changes) -> None:  # noqa: ANN001 - a slot returns nothing (PySide 6.12)
        if changes.touches("medication"):
            self.refresh()

    def refresh(self) -> None:
        service, actor = self._service, self._context.actor
        self._runner.run(lambda _s: service.doses_due(actor), self._show, self._failed)

    def _show(self, doses: list[DoseDTO]) -> None:
        self._all = doses
        self.status.setText(self._notice)
        self._notice = ""
        self._apply_filter()

    def _apply_filter(self) -> None:
        text = self.filter.text().strip().casefold()
        rows = [d for d in self._all
                if (not text or text in d.patient_name.casefold() or text in d.drug_summary.casefold())
                and (not self.pending_only.isChecked() or d.log_id is None)]
        self.model.set_rows(rows)
        pending = sum(1 for d in self._all if d.log_id is None)
        overdue = sum(1 for d in self._all if d.log_id is None and d.overdue)
        self.counts.setText(f"{len(self._all)} doses today · {pending} not recorded · {overdue} overdue")

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(getattr(exc, "message", None) or "Could not load today's doses. Try again.")

    def selected(self) -> list[DoseDTO]:
        return [i.data(ROW_ROLE) for i in self.view.selectionModel().selectedRows(COL_PATIENT)]

    def record_selected(self, status: DoseStatus, reason: str | None = None) -> None:
        doses = [d for d in self.selected() if d.log_id is None]
        if not doses:
            self.status.setText("Select one or more doses that are not recorded yet.")
            return
        if status is DoseStatus.SKIPPED and reason is None:
            reason, ok = QInputDialog.getText(self, "Skipped dose", "Why was the dose skipped?")
            if not ok:
                return
        service, actor = self._service, self._context.actor

        def op(state):  # noqa: ANN001, ANN202 - each dose is its own action; report the ones refused
            refused = []
            for done, dose in enumerate(doses):
                state.check_cancelled()
                try:
                    service.record_dose(actor, medication_id=dose.medication_id, scheduled_at=dose.scheduled_at,
                                        status=status, reason=reason)
                except Exception as exc:  # noqa: BLE001 - shown to the nurse, the rest still recorded
                    refused.append(getattr(exc, "message", "not saved"))
                state.report(done + 1, len(doses))
            return refused

        self._write_runner.run(op, self._written, self._write_failed, supersede=False)

    def mark_morning_for_selected(self) -> None:
        doses = self.selected()
        if not doses:
            self.status.setText("Select a dose of the patient first.")
            return
        service, actor, pid = self._service, self._context.actor, doses[0].patient_id
        self._write_runner.run(lambda _s: (service.mark_morning_taken(actor, patient_id=pid), [])[1],
                               self._written, self._write_failed, supersede=False)

    def _written(self, refused: list[str]) -> None:
        self._notice = "; ".join(sorted(set(refused)))
        self.refresh()

    def _write_failed(self, exc: BaseException) -> None:
        self._notice = getattr(exc, "message", None) or "The doses could not be saved. Try again."
        self.refresh()
