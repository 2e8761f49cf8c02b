"""Nurses' view of today's doses across the clinic: filter, record taken / missed / skipped, bulk morning.

The list comes page by page from the server (time, then patient; a clinic's day is tens of
thousands of doses): the filter (patient or medication text, part of the day, overdue, not yet
recorded) runs in PostgreSQL, and the view fetches the next page as the nurse scrolls. Refreshes
on `medication` changes (also from other workstations) and every few minutes so overdue doses
turn amber without a click.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel, QLineEdit, QPushButton, QTableView,
    QVBoxLayout, QWidget,
)

from ...domain.enums import DoseStatus
from ...services.medication_dto import DoseCounts, DoseDTO, DoseFilter, DueWindow
from ..app_context import AppContext
from ..models.dose_page_model import DosePageModel
from ..models.dose_table_model import COL_PATIENT
from ..models.glucose_table_model import ROW_ROLE
from ..workers import TaskRunner
from ...domain.changes import ChangeKind, ChangeSet

REFRESH_MS = 5 * 60 * 1000
FILTER_DEBOUNCE_MS = 300


class DosesDuePane(QWidget):
    """Today's doses of every patient, in time order; filtered on the server, fetched as the list scrolls."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, page_size: int = 200) -> None:
        super().__init__(parent)
        self._context, self._service = context, context.services.medications
        self._write_runner = TaskRunner(self)
        self._notice = ""
        service, actor = self._service, context.actor
        self.model = DosePageModel(
            lambda where, after, limit: service.doses_due_page(actor, where=where, after=after, limit=limit),
            ZoneInfo(context.session.clinic_timezone), self, formats=context.formats, page_size=page_size)
        self._runner = self.model.runner
        self.model.loaded.connect(self._loaded)
        self.model.load_failed.connect(self._failed)
        self._debounce = QTimer(self, singleShot=True, interval=FILTER_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._apply_filter)
        self._build()
        context.bus.subscribe({ChangeKind.MEDICATION}, self._on_changes, self)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()  # today's list as soon as the pane opens, not only at the next timer tick

    def _build(self) -> None:
        self.filter = QLineEdit(placeholderText="Filter by patient or medication", clearButtonEnabled=True)
        self.filter.textChanged.connect(lambda _text: self._debounce.start())
        self.window_filter = QComboBox()
        for window in DueWindow:
            self.window_filter.addItem(window.label, window)
        self.window_filter.currentIndexChanged.connect(self._apply_filter)
        self.pending_only = QCheckBox("Not yet recorded only")
        self.pending_only.toggled.connect(self._apply_filter)
        self.view = QTableView(self)
        self.view.setModel(self.model)  # the server's order: time, then patient (no client-side sort of a partial list)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setVisible(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Doses due today</b>"))
        top.addWidget(self.filter, 1)
        top.addWidget(self.window_filter)
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

    def current_filter(self) -> DoseFilter:
        return DoseFilter(text=self.filter.text().strip(), not_recorded_only=self.pending_only.isChecked(),
                          window=self.window_filter.currentData())

    def _on_changes(self, _changes: ChangeSet) -> None:  # subscribed to medication changes only
        self.refresh()

    def refresh(self) -> None:
        """Reload from the server, keeping as many rows as are shown (data changed, or the clock moved on)."""
        self.model.reload()

    def _apply_filter(self) -> None:
        self._debounce.stop()
        self.model.reload(self.current_filter())

    def _loaded(self) -> None:
        self.status.setText(self._notice)
        self._notice = ""
        self._show_counts(self.model.counts)

    def _show_counts(self, counts: DoseCounts | None) -> None:
        if counts is None:
            return
        shown, filtered = self.model.rowCount(), counts.matching != counts.total
        head = ""
        if shown < counts.matching:  # more pages to scroll to
            head = f"Showing {shown:,} of {counts.matching:,}{' matching' if filtered else ''} · "
        elif filtered:
            head = f"{counts.matching:,} matching · "
        self.counts.setText(f"{head}{counts.total:,} doses today · {counts.not_recorded:,} not recorded · "
                            f"{counts.overdue:,} overdue")

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
