"""Side panel of the calendar: the selected appointment and the workflow buttons that apply to it
(confirm, check in, complete, no-show, cancel), greyed out when the role or status forbids."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...domain.appointment_rules import STATUS_CAPABILITY, STATUS_LABELS, TRANSITIONS
from ...domain.enums import AppointmentStatus as S
from ...domain.enums import Role
from ...domain.permissions import Capability, allows
from ..formats import Formats
from ..models.appointment_list_model import REASON_LABELS, STATUS_COLOURS

ACTIONS = (("Confirm", S.CONFIRMED), ("Check in", S.CHECKED_IN), ("Complete", S.COMPLETED),
           ("No-show", S.NO_SHOW), ("Cancel…", S.CANCELLED))


class CalendarDetailPanel(QWidget):
    """`status_requested(appointment, target_status)` when a workflow button is pressed."""

    status_requested = Signal(object, object)
    move_requested = Signal(object)

    def __init__(self, zone: str, role: Role, parent: QWidget | None = None, *, formats: Formats) -> None:
        super().__init__(parent)
        self._zone, self._role, self._formats = ZoneInfo(zone), role, formats
        self.appointment = None
        self.title = QLabel("No appointment selected")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold; font-size: 13px")
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.history = QLabel()
        self.history.setWordWrap(True)
        self.history.setStyleSheet("color: #555")
        self.buttons: dict[S, QPushButton] = {}
        grid = QGridLayout()
        for i, (text, status) in enumerate(ACTIONS):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, s=status: self._request(s))
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[status] = button
        self.move_button = QPushButton("Move…")
        self.move_button.clicked.connect(self._request_move)
        grid.addWidget(self.move_button, len(ACTIONS) // 2, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addLayout(grid)
        layout.addWidget(self.history)
        layout.addStretch(1)
        legend = QLabel("<br>".join(
            f"<span style='background:{fill}; border:1px solid {border}'>&nbsp;&nbsp;&nbsp;&nbsp;</span> {STATUS_LABELS[s]}"
            for s, (fill, border) in STATUS_COLOURS.items()))
        legend.setStyleSheet("color: #444")
        layout.addWidget(legend)
        self.setMinimumWidth(230)
        self.show_appointment(None)

    def show_appointment(self, appt) -> None:  # noqa: ANN001
        self.appointment = appt
        if appt is None:
            self.title.setText("No appointment selected")
            self.body.setText("Click an appointment to see it, or click free time to book.")
            self.history.setText("")
        else:
            f, zone = self._formats, self._zone
            day = f.weekday_date(appt.starts_at.astimezone(zone).date())
            span = f"{f.clock_time(appt.starts_at, zone)}–{f.clock_time(appt.ends_at, zone)}"
            fill, border = STATUS_COLOURS[appt.status]
            self.title.setText(appt.patient_name)
            lines = [f"MRN {appt.patient_mrn}", f"{day}, {span} ({appt.duration_minutes} min)",
                     appt.doctor_name, REASON_LABELS[appt.reason],
                     f"<span style='background:{fill}; border:1px solid {border}'>&nbsp;{STATUS_LABELS[appt.status]}&nbsp;</span>"]
            if appt.cancel_reason:
                lines.append(f"Reason: {appt.cancel_reason}")
            if appt.series_id:
                lines.append("Part of a follow-up series")
            if appt.checklist:
                lines.append("Checklist: " + "; ".join(appt.checklist))
            if appt.notes:
                lines.append(f"Notes: {appt.notes}")
            self.body.setText("<br>".join(_escape(x) if not x.startswith("<span") else x for x in lines))
        self.move_button.setEnabled(appt is not None and appt.status in (S.REQUESTED, S.CONFIRMED)
                                    and allows(self._role, Capability.BOOK_APPOINTMENTS))
        for status, button in self.buttons.items():
            button.setEnabled(appt is not None and status in TRANSITIONS[appt.status]
                              and allows(self._role, STATUS_CAPABILITY[status]))

    def show_history(self, changes) -> None:  # noqa: ANN001
        rows = [f"{self._formats.instant(c.changed_at, self._zone)} {c.changed_by}: "
                f"{STATUS_LABELS[c.from_status] if c.from_status else 'booked'} → {STATUS_LABELS[c.to_status]}"
                for c in changes]
        self.history.setText("\n".join(rows))

    def _request_move(self) -> None:
        if self.appointment is not None:
            self.move_requested.emit(self.appointment)

    def _request(self, status: S) -> None:
        if self.appointment is not None:
            self.status_requested.emit(self.appointment, status)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
