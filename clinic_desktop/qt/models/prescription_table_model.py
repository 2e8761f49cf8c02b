"""Table model of a patient's prescriptions (PrescriptionDTO rows): current ones and their history."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ...domain.enums import MedicationState
from ...services.medication_dto import PrescriptionDTO
from ..formats import Formats
from .glucose_table_model import Column, DtoTableModel

COL_DRUG, COL_FREQUENCY, COL_TIMES, COL_START, COL_END, COL_STATE, COL_PRESCRIBER, COL_NOTE = range(8)
_STATE_COLOURS = {MedicationState.PAUSED: QColor("#fff3cd"), MedicationState.DISCONTINUED: QColor("#eeeeee")}


def _frequency(p: PrescriptionDTO) -> str:
    return f"Every {p.every_n_hours} hours" if p.every_n_hours else p.frequency.label


def _note(p: PrescriptionDTO) -> str:
    if p.state is MedicationState.DISCONTINUED:
        return p.discontinued_reason or ""
    return p.instructions or ""


class PrescriptionTableModel(DtoTableModel[PrescriptionDTO]):
    """One row per prescription; discontinued rows greyed, paused rows amber."""

    def __init__(self, parent=None, *, formats: Formats) -> None:  # noqa: ANN001
        super().__init__(parent)
        state_bg = lambda p: _STATE_COLOURS.get(p.state)  # noqa: E731
        self.columns = [
            Column("Drug", lambda p: p.summary, lambda p: p.summary.casefold(), background=state_bg),
            Column("Frequency", _frequency, lambda p: p.frequency.value),
            Column("Times", lambda p: ", ".join(formats.time(t) for t in p.times) or "—", lambda p: p.times),
            Column("Start", lambda p: formats.date(p.start_date), lambda p: p.start_date),
            Column("End", lambda p: formats.date(p.end_date, "—"), lambda p: p.end_date),
            Column("State", lambda p: p.state.value.capitalize(), lambda p: p.state.value, background=state_bg),
            Column("Prescriber", lambda p: p.prescriber_name or "—", lambda p: p.prescriber_name),
            Column("Instructions / reason", _note, _note, tooltip=lambda p: _note(p) or None),
        ]
