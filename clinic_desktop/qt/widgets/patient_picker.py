"""PatientPicker: a search line edit with a results popup, for any pane that needs a patient.

Typing searches in the background (debounced, newest query wins, through a TaskRunner); the
hits show in a completer popup; choosing one emits `patient_chosen(PatientSummary)`.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from ...domain.errors import DomainError
from ...services.patient_dto import PatientSummary
from ..formats import Formats
from ..workers import TaskRunner

DEBOUNCE_MS = 200
MIN_CHARS = 2


class PatientPicker(QLineEdit):
    """Find a patient by name, MRN, phone or date of birth and pick one."""

    patient_chosen = Signal(object)  # PatientSummary
    search_failed = Signal(str)

    def __init__(self, context, parent: QWidget | None = None, *, locale: str | None = None,  # noqa: ANN001
                 include_archived: bool = False) -> None:
        """`locale` overrides the clinic's (`context.formats`) where the caller knows it already."""
        super().__init__(parent)
        self._context = context
        self._formats = Formats(locale) if locale else context.formats
        self._include_archived = include_archived
        self._hits: list[PatientSummary] = []
        self.chosen: PatientSummary | None = None
        self.setPlaceholderText("Find patient: name, MRN, phone or date of birth")
        self.setClearButtonEnabled(True)
        self.setMaxLength(200)
        self._runner = TaskRunner(self)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._search)
        self._list = QStringListModel(self)
        self._completer = QCompleter(self._list, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setWidget(self)
        self._completer.activated[QModelIndex].connect(self._activated)
        self.textEdited.connect(self._on_edit)

    @property
    def hits(self) -> list[PatientSummary]:
        return list(self._hits)

    def _on_edit(self, text: str) -> None:
        self.chosen = None
        if len(text.strip()) < MIN_CHARS:
            self._timer.stop()
            self._runner.cancel()
            self._completer.popup().hide()
            return
        self._timer.start()

    def _search(self) -> None:
        text, service, actor = self.text(), self._context.services.patients, self._context.actor
        archived = self._include_archived
        self._runner.run(lambda state: service.search(actor, text=text, limit=20, include_archived=archived),
                         self._show, self._failed)

    def _label(self, hit: PatientSummary) -> str:
        archived = " — archived" if hit.archived else ""
        return f"{hit.display_name}  ·  {self._formats.date(hit.date_of_birth)}  ·  {hit.mrn}{archived}"

    def _show(self, hits: list[PatientSummary]) -> None:
        self._hits = list(hits)
        self._list.setStringList([self._label(h) for h in hits] or ["No patient found"])
        if self.hasFocus() or self.isVisible():
            self._completer.complete()

    def _failed(self, exc: BaseException) -> None:
        self.search_failed.emit(exc.message if isinstance(exc, DomainError) else "Search failed; try again.")

    def _activated(self, index) -> None:  # noqa: ANN001
        row = index.row()
        if 0 <= row < len(self._hits):
            self.choose(self._hits[row])

    def choose(self, hit: PatientSummary) -> None:
        """Select `hit` (as if clicked in the popup)."""
        self.chosen = hit
        self.blockSignals(True)
        self.setText(hit.display_name)
        self.blockSignals(False)
        self._completer.popup().hide()
        self.patient_chosen.emit(hit)

