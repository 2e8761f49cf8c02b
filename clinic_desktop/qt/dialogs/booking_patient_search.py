"""Patient chooser of the booking dialog: types ahead through `services.patients.search` in the
background (the same search as the Patients pane); archived patients are shown but not choosable."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QSizePolicy, QVBoxLayout, QWidget

from ..formats import Formats
from ..workers import TaskRunner
from ..error_messages import describe_error

DEBOUNCE_MS = 250


class BookingPatientSearch(QWidget):
    """A search box, a short result list and the chosen patient."""

    chosen = Signal(object)  # the search hit (has .id, .display_name, .mrn, .date_of_birth, .archived)

    def __init__(self, context, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._context = context
        self._runner = TaskRunner(self)
        # Shrink back when the result list hides, instead of leaving a gap in the form.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.patient: Any = None
        self.search_box = QLineEdit(placeholderText="Search by name, MRN or date of birth…")
        self.results = QListWidget()
        self.results.setMaximumHeight(110)
        self.results.hide()
        self.status = QLabel()
        self.status.setStyleSheet("color: #555")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.search_box, self.results, self.status):
            layout.addWidget(w)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search)
        self.search_box.textEdited.connect(lambda _t: self._debounce.start())
        self.results.itemActivated.connect(self._choose_item)
        self.results.itemClicked.connect(self._choose_item)

    def set_patient(self, hit: Any) -> None:
        """Preset (e.g. booking from a patient's record)."""
        self.patient = hit
        self.search_box.setText(hit.display_name)
        self.status.setText(_describe(hit, self._context.formats))
        self.results.hide()
        self.chosen.emit(hit)

    def _search(self) -> None:
        text = self.search_box.text().strip()
        if len(text) < 2:
            self.results.clear()
            self.results.hide()
            return
        service, actor = self._context.services.patients, self._context.actor
        self.status.setText("Searching…")
        self._runner.run(lambda _s: service.search(actor, text=text, limit=20), self._show, self._failed)

    def _show(self, hits) -> None:  # noqa: ANN001
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(_describe(hit, self._context.formats))
            item.setData(Qt.ItemDataRole.UserRole, hit)
            if hit.archived:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip("Archived record: restore it in the Patients pane before booking.")
            self.results.addItem(item)
        self.results.setVisible(bool(hits))
        self.status.setText("" if hits else "No patient found.")

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(describe_error(exc, "search patients"))

    def _choose_item(self, item: QListWidgetItem) -> None:
        hit = item.data(Qt.ItemDataRole.UserRole)
        if hit is None or hit.archived:
            return
        self.set_patient(hit)


def _describe(hit: Any, formats: Formats) -> str:
    archived = " (archived)" if hit.archived else ""
    return f"{hit.display_name} · MRN {hit.mrn} · born {formats.date(hit.date_of_birth)}{archived}"
