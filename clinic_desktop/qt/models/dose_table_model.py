"""Table model of doses (DoseDTO rows): today's doses across the clinic, or one patient's dose log."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtGui import QColor

from ...domain.enums import DoseStatus
from ...services.medication_dto import DoseDTO
from ..formats import Formats
from .glucose_table_model import Column, DtoTableModel

COL_TIME, COL_PATIENT, COL_DRUG, COL_STATUS, COL_TAKEN_AT, COL_BY, COL_REASON = range(7)
STATUS_TEXT = {
    DoseStatus.PENDING: "Pending", DoseStatus.TAKEN: "Taken", DoseStatus.TAKEN_LATE: "Taken late",
    DoseStatus.MISSED: "Missed", DoseStatus.SKIPPED: "Skipped",
}
STATUS_COLOURS = {
    DoseStatus.TAKEN: QColor("#c8e6c9"), DoseStatus.TAKEN_LATE: QColor("#fff9c4"),
    DoseStatus.MISSED: QColor("#ffcdd2"), DoseStatus.SKIPPED: QColor("#e0e0e0"),
}
OVERDUE = QColor("#ffe0b2")


def status_text(dose: DoseDTO) -> str:
    if dose.status is DoseStatus.PENDING and dose.overdue:
        return "Overdue — not recorded"
    return STATUS_TEXT[dose.status]


def _taken(dose: DoseDTO, zone: tzinfo, formats: Formats) -> str:
    """The time taken; with its date when that is not the scheduled day (documented later)."""
    if dose.taken_at is None:
        return "—"
    same_day = dose.taken_at.astimezone(zone).date() == dose.scheduled_at.astimezone(zone).date()
    return formats.clock_time(dose.taken_at, zone) if same_day else formats.instant(dose.taken_at, zone)


class DoseTableModel(DtoTableModel[DoseDTO]):
    """Doses with clinic-local times; `show_day` adds the date (dose log over several days)."""

    def __init__(self, zone: tzinfo, parent=None, *, formats: Formats, show_day: bool = False) -> None:  # noqa: ANN001
        super().__init__(parent)
        shown = formats.weekday_instant if show_day else formats.clock_time
        local = lambda m: shown(m, zone) if m else "—"  # noqa: E731
        bg = lambda d: OVERDUE if (d.status is DoseStatus.PENDING and d.overdue) else STATUS_COLOURS.get(d.status)  # noqa: E731
        self.columns = [
            Column("Due", lambda d: local(d.scheduled_at), lambda d: d.scheduled_at.timestamp()),
            Column("Patient", lambda d: d.patient_name, lambda d: d.patient_name.casefold()),
            Column("Medication", lambda d: d.drug_summary, lambda d: d.drug_summary.casefold()),
            Column("Status", status_text, lambda d: d.status.value, background=bg),
            Column("Taken at", lambda d: _taken(d, zone, formats), lambda d: d.taken_at.timestamp() if d.taken_at else None),
            Column("Recorded by", lambda d: d.recorded_by_name or "", lambda d: d.recorded_by_name),
            Column("Reason", lambda d: d.reason or "", lambda d: d.reason, tooltip=lambda d: d.reason),
        ]
