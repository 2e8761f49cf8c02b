"""Table model of appointments (list view and reception's today list), coloured by status."""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from PySide6.QtGui import QColor

from ...domain.appointment_rules import STATUS_LABELS
from ...domain.enums import AppointmentReason, AppointmentStatus
from ...services.appointment_dto import AppointmentDTO
from ..formats import Formats
from .glucose_table_model import Column, DtoTableModel

COL_WHEN, COL_DOCTOR, COL_PATIENT, COL_MRN, COL_REASON, COL_DURATION, COL_STATUS, COL_CHECKLIST = range(8)

#: Fill and border of each status: the calendar blocks, the list rows and the legend share them.
STATUS_COLOURS: dict[AppointmentStatus, tuple[str, str]] = {
    AppointmentStatus.REQUESTED: ("#d6e4ff", "#4a72c2"),
    AppointmentStatus.CONFIRMED: ("#cdebd3", "#2e8b4a"),
    AppointmentStatus.CHECKED_IN: ("#ffe2a0", "#c17f00"),
    AppointmentStatus.COMPLETED: ("#e2e2e2", "#7a7a7a"),
    AppointmentStatus.CANCELLED: ("#f7d4d4", "#b03a3a"),
    AppointmentStatus.NO_SHOW: ("#ead6f2", "#7d3f98"),
}

REASON_LABELS = {
    AppointmentReason.ROUTINE: "Routine check-up",
    AppointmentReason.FOLLOW_UP: "Follow-up",
    AppointmentReason.TEST_RESULTS: "Test results",
    AppointmentReason.EMERGENCY: "Emergency",
}


def status_fill(status: AppointmentStatus) -> QColor:
    return QColor(STATUS_COLOURS[status][0])


class AppointmentListModel(DtoTableModel[AppointmentDTO]):
    """One row per appointment; times shown in the clinic's zone, sorted through SortKeyProxy."""

    def __init__(self, zone: tzinfo | str = "UTC", parent=None, *, formats: Formats,  # noqa: ANN001
                 with_date: bool = True) -> None:
        super().__init__(parent)
        self._zone = zone if isinstance(zone, tzinfo) else ZoneInfo(zone)
        when = formats.weekday_instant if with_date else formats.clock_time
        self.columns = [
            Column("When", lambda r: when(r.starts_at, self._zone), lambda r: r.starts_at.timestamp()),
            Column("Doctor", lambda r: r.doctor_name, lambda r: r.doctor_name.casefold()),
            Column("Patient", lambda r: r.patient_name, lambda r: r.patient_name.casefold()),
            Column("MRN", lambda r: r.patient_mrn, lambda r: r.patient_mrn),
            Column("Reason", lambda r: REASON_LABELS[r.reason], lambda r: REASON_LABELS[r.reason]),
            Column("Duration", lambda r: f"{r.duration_minutes} min", lambda r: r.duration_minutes, True),
            Column("Status", lambda r: STATUS_LABELS[r.status], lambda r: list(AppointmentStatus).index(r.status),
                   background=lambda r: status_fill(r.status),
                   tooltip=lambda r: f"Cancelled: {r.cancel_reason}" if r.cancel_reason else None),
            Column("Checklist", lambda r: ", ".join(r.checklist), lambda r: len(r.checklist),
                   tooltip=lambda r: r.notes),
        ]

    def row_of(self, appointment_id) -> int:  # noqa: ANN001
        """The row showing this appointment, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.id == appointment_id), -1)
