"""Book an appointment: patient (by search), doctor, date and time in the clinic's zone,
duration, reason, notes, a pre-appointment checklist and optionally a recurring series.

Booking runs in the background under one client request id for the dialog's whole life, so a
retry after "server gone" can never book twice; the dialog keeps everything typed and offers
Retry. A slot taken meanwhile shows the doctor's next free times, one click away.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ...domain.appointment_rules import local_wall_time
from ...domain.enums import AppointmentReason
from ...domain.errors import ConflictError, DomainError, TryAgain, ValidationError
from ...services.appointment_dto import SlotTaken
from ..models.appointment_list_model import REASON_LABELS
from ..workers import TaskRunner
from .booking_checklist import BookingChecklist
from .booking_patient_search import BookingPatientSearch
from .booking_series_box import BookingSeriesBox

FIELDS = ("patient", "doctor", "starts_at", "duration", "reason", "notes", "checklist")


class BookingDialog(QDialog):
    """`booked` holds the AppointmentDTO (or SeriesResult) once the server confirmed it."""

    def __init__(self, context, *, doctors, doctor_id=None, starts_at: datetime | None = None,  # noqa: ANN001
                 duration_minutes: int = 30, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Book appointment")
        self._context = context
        self._zone = ZoneInfo(context.session.clinic_timezone)
        self._formats = context.formats
        self._runner = TaskRunner(self)
        self.request_id = uuid.uuid4()  # one booking intent per dialog: retries reuse it
        self.booked: Any = None
        self._build(doctors, duration_minutes)
        if doctor_id is not None:
            self.doctor.setCurrentIndex(max(0, index_of(self.doctor, doctor_id)))
        if starts_at is not None:
            self.set_start(starts_at)

    # -- building ---------------------------------------------------------------------------

    def _build(self, doctors, duration_minutes: int) -> None:  # noqa: ANN001
        self.patient = BookingPatientSearch(self._context)
        self.doctor = QComboBox()
        for d in doctors:
            self.doctor.addItem(d.display_name, d.id)
        self.date, self.time = QDateEdit(calendarPopup=True), QTimeEdit()
        self._formats.set_edit_format(self.date, self._formats.qt_weekday_date)
        self._formats.set_edit_format(self.time, self._formats.qt_time)
        self.duration = QSpinBox(minimum=0, maximum=720, singleStep=5, suffix=" min", value=duration_minutes)
        self.reason = QComboBox()
        for reason in AppointmentReason:
            self.reason.addItem(REASON_LABELS[reason], reason)
        self.notes = QPlainTextEdit(placeholderText="Notes for the doctor and reception")
        self.notes.setMaximumHeight(70)
        self.checklist = BookingChecklist()
        self.override = QCheckBox("Book outside working hours")
        self.series = BookingSeriesBox(formats=self._formats)
        self.series.preview_requested.connect(self._preview_series)
        self.errors = {f: _error_label() for f in FIELDS + ("general",)}
        self.next_slots = QListWidget()
        self.next_slots.setMaximumHeight(90)
        self.next_slots.hide()
        self.next_slots.itemClicked.connect(self._take_slot)
        when = QHBoxLayout()
        for w in (self.date, self.time, QLabel("for"), self.duration):
            when.addWidget(w)
        form = QFormLayout()
        for label, widget, field in (("Patient", self.patient, "patient"), ("Doctor", self.doctor, "doctor"),
                                     ("When", when, "starts_at"), ("Reason", self.reason, "reason"),
                                     ("Notes", self.notes, "notes"), ("Checklist", self.checklist, "checklist")):
            form.addRow(label, widget)
            form.addRow("", self.errors[field])
        form.addRow("", self.errors["duration"])
        form.addRow("", self.override)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.book_button = QPushButton("Book")
        self.book_button.setDefault(True)
        self.buttons.addButton(self.book_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.book_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.series)
        layout.addWidget(self.errors["general"])
        layout.addWidget(self.next_slots)
        layout.addWidget(self.buttons)

    # -- values -----------------------------------------------------------------------------

    def set_start(self, starts_at: datetime) -> None:
        local = starts_at.astimezone(self._zone)
        self.date.setDate(QDate(local.year, local.month, local.day))
        self.time.setTime(QTime(local.hour, local.minute))

    def starts_at(self) -> datetime:
        """The typed wall-clock time in the clinic's zone, as an aware instant."""
        return local_wall_time(self.date.date().toPython(), self.time.time().toPython(), self._zone)

    def _values(self) -> dict:
        patient = self.patient.patient
        return dict(patient_id=patient.id if patient else None, doctor_id=self.doctor.currentData(),
                    starts_at=self.starts_at(), duration_minutes=self.duration.value(),
                    reason=self.reason.currentData(), notes=self.notes.toPlainText(),
                    checklist=self.checklist.items(), override_hours=self.override.isChecked())

    # -- booking ----------------------------------------------------------------------------

    def submit(self) -> None:
        """Book (or retry) in the background; the dialog stays open until the server answers."""
        self._clear_errors()
        if self.patient.patient is None:
            self._show_error("patient", "Choose a patient.")
            return
        values, service, actor = self._values(), self._context.services.appointments, self._context.actor
        request_id = self.request_id
        if self.series.enabled():
            first = values.pop("starts_at")
            op = lambda _s: service.book_series(  # noqa: E731
                actor, first_starts_at=first, interval_weeks=self.series.interval_weeks(),
                occurrences=self.series.occurrences(), request_id=request_id,
                skip_collisions=self.series.skip_collisions(), **values)
        else:
            op = lambda _s: service.book(actor, request_id=request_id, **values)  # noqa: E731
        self.book_button.setEnabled(False)
        self.book_button.setText("Booking…")
        self._runner.run(op, self._booked, self._failed)

    def _booked(self, result) -> None:  # noqa: ANN001
        self.booked = result
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.book_button.setEnabled(True)
        self.book_button.setText("Book")
        if isinstance(exc, ValidationError):
            for problem in exc.problems:
                self._show_error(problem.field if problem.field in self.errors else "general", problem.message)
        elif isinstance(exc, SlotTaken):
            self._show_error("starts_at", exc.message)
            self._offer_slots(exc.next_slots)
        elif isinstance(exc, TryAgain):  # only errors a second try may pass get a Retry
            self._show_error("general", f"{exc.message} Nothing you typed is lost: press Retry — the booking "
                                        "cannot be made twice.")
            self.book_button.setText("Retry")
        elif isinstance(exc, ConflictError):
            self._show_error(exc.field if exc.field in self.errors else "general", exc.message)
            preview = getattr(exc, "preview", None)
            if preview is not None:
                self.series.show_preview(preview, self._zone)
        elif isinstance(exc, DomainError):
            self._show_error(exc.field if exc.field in self.errors else "general", exc.message)
        else:
            self._show_error("general", "The booking failed unexpectedly; nothing was booked.")

    def _offer_slots(self, slots) -> None:  # noqa: ANN001
        self.next_slots.clear()
        for slot in slots:
            item = QListWidgetItem(f"Next free: {self._formats.weekday_instant(slot.starts_at, self._zone)}")
            item.setData(Qt.ItemDataRole.UserRole, slot.starts_at)
            self.next_slots.addItem(item)
        self.next_slots.setVisible(bool(slots))

    def _take_slot(self, item: QListWidgetItem) -> None:
        self.set_start(item.data(Qt.ItemDataRole.UserRole))
        self.next_slots.hide()
        self._show_error("starts_at", "")

    def _preview_series(self) -> None:
        values = self._values()
        if values["patient_id"] is None:
            self._show_error("patient", "Choose a patient.")
            return
        service, actor = self._context.services.appointments, self._context.actor
        kw = dict(patient_id=values["patient_id"], doctor_id=values["doctor_id"], first_starts_at=values["starts_at"],
                  duration_minutes=values["duration_minutes"], interval_weeks=self.series.interval_weeks(),
                  occurrences=self.series.occurrences())
        self._runner.run(lambda _s: service.preview_series(actor, **kw),
                         lambda preview: self.series.show_preview(preview, self._zone), self._failed)

    # -- errors -----------------------------------------------------------------------------

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.setText("")
            label.hide()

    def _show_error(self, field: str, message: str) -> None:
        label = self.errors[field]
        label.setText(message)
        label.setVisible(bool(message))

    def error_text(self, field: str) -> str:
        return self.errors[field].text()


def index_of(combo: QComboBox, data: Any) -> int:
    """QComboBox.findData compares QVariants and misses Python objects such as UUIDs."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == data), -1)


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet("color: #b00020")
    label.setWordWrap(True)
    label.hide()
    return label


