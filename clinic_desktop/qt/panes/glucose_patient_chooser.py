"""Patient search field for the glucose pane: type a name or MRN, pick from the matches.

The search runs in the background (debounced) through the pane's gateway; picking a match emits
`patient_chosen(PatientChoice)`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from ..workers import TaskRunner
from .glucose_gateway import PatientChoice
from ..error_messages import describe_error

SEARCH_DEBOUNCE_MS = 300


class GlucosePatientChooser(QLineEdit):
    """A line edit with a completer filled by a background patient search."""

    patient_chosen = Signal(object)
    search_failed = Signal(str)

    def __init__(self, search: Callable[[str], list[PatientChoice]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self._choices: dict[str, PatientChoice] = {}
        self._runner = TaskRunner(self)
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self._completer.activated.connect(self._on_activated)
        self.setCompleter(self._completer)
        self.setPlaceholderText("Search patient by name or MRN…")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(280)
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._run_search)
        self.textEdited.connect(lambda _text: self._debounce.start())
        self.returnPressed.connect(self._on_return)

    def choices(self) -> list[PatientChoice]:
        return list(self._choices.values())

    def show_choice(self, choice: PatientChoice) -> None:
        """Display a patient chosen elsewhere (e.g. from the worklist) without searching."""
        self._choices[choice.label] = choice
        self.setText(choice.label)

    def search_now(self, text: str) -> None:
        self.setText(text)
        self._run_search()

    def _run_search(self) -> None:
        text = self.text().strip()
        if len(text) < 2:
            return
        self._runner.run(lambda state: self._search(text), self._on_results, lambda exc: self.search_failed.emit(describe_error(exc, "search patients")))

    def _on_results(self, choices: list[PatientChoice]) -> None:
        self._choices = {c.label: c for c in choices}
        self._model.setStringList(list(self._choices))
        if self.hasFocus() and choices:
            self._completer.complete()

    def _on_activated(self, label: str) -> None:
        choice = self._choices.get(label)
        if choice is not None:
            self.patient_chosen.emit(choice)

    def _on_return(self) -> None:
        if len(self._choices) == 1:
            self._on_activated(next(iter(self._choices)))
        elif self.text() in self._choices:
            self._on_activated(self.text())
