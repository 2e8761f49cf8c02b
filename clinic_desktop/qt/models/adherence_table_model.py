"""Table model of adherence per medication (MedicationAdherence rows) over 7, 30 and 90 days."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ...services.medication_dto import AdherenceFigure, MedicationAdherence
from .glucose_table_model import Column, DtoTableModel

COL_DRUG, COL_7, COL_30, COL_90 = range(4)
LOW = QColor("#ffcdd2")  # below 80 %: the usual threshold for "non-adherent"
GOOD = QColor("#c8e6c9")


def percent_text(figure: AdherenceFigure | None) -> str:
    if figure is None or figure.percent is None:
        return "no doses due"
    return f"{figure.percent:.0f} % ({figure.taken + figure.taken_late}/{figure.scheduled})"


def _tooltip(figure: AdherenceFigure | None) -> str | None:
    if figure is None:
        return None
    return (f"Taken on time: {figure.taken}\nTaken late: {figure.taken_late}\nMissed: {figure.missed}\n"
            f"Skipped: {figure.skipped}\nNot recorded: {figure.not_recorded}")


def _colour(figure: AdherenceFigure | None) -> QColor | None:
    if figure is None or figure.percent is None:
        return None
    return GOOD if figure.percent >= 80 else LOW


class AdherenceTableModel(DtoTableModel[MedicationAdherence]):
    """One row per medication with its 7/30/90-day adherence."""

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)

        def window(days: int) -> Column:
            pick = lambda m: m.by_days.get(days)  # noqa: E731
            return Column(f"{days} days", lambda m: percent_text(pick(m)),
                          lambda m: pick(m).percent if pick(m) else None, True,
                          background=lambda m: _colour(pick(m)), tooltip=lambda m: _tooltip(pick(m)))

        self.columns = [Column("Medication", lambda m: m.drug_summary, lambda m: m.drug_summary.casefold()),
                        window(7), window(30), window(90)]
