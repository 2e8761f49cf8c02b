"""Move an appointment by dialog: new doctor, day, time and duration, free times suggested, and
for a follow-up series the choice to move this and the following appointments too."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QListWidget,
    QListWidgetItem, QPushButton, QSpinBox, QTimeEdit, QVBoxLayout, QWidget,
)

from ...domain.appointment_rules import local_wall_time
from ...domain.errors import ConnectionLost, DomainError, StaleRecord, ValidationError
from ...services.appointment_dto import SlotTaken
from ..workers import TaskRunner
from .booking_dialog import index_of


class RescheduleDialog(QDialog):
    """`moved` holds the updated AppointmentDTO (or a tuple of them for "this and following")."""

    def __init__(self, context, appointment, *, doctors, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setWindowTitle(f"Move appointment — {appointment.patient_name}")
        self._context, self.appointment = context, appointment
        self._zone = ZoneInfo(context.session.clinic_timezone)
        self._formats = formats = context.formats
        self._runner = TaskRunner(self)
        self.moved = None
        self.doctor = QComboBox()
        for d in doctors:
            self.doctor.addItem(d.display_name, d.id)
        self.doctor.setCurrentIndex(max(0, index_of(self.doctor, appointment.doctor_id)))
        local = appointment.starts_at.astimezone(self._zone)
        self.date = QDateEdit(QDate(local.year, local.month, local.day), calendarPopup=True)
        self.time = QTimeEdit(QTime(local.hour, local.minute))
        formats.set_edit_format(self.date, formats.qt_weekday_date)
        formats.set_edit_format(self.time, formats.qt_time)
        self.duration = QSpinBox(minimum=0, maximum=720, singleStep=5, suffix=" min", value=appointment.duration_minutes)
        self.override = QCheckBox("Move outside working hours")
        self.following = QCheckBox("Also move the following appointments of this series (same weekday shift and time)")
        self.following.setVisible(appointment.series_id is not None)
        self.following.toggled.connect(self._following_toggled)  # a series moves with its doctor
        self.suggest = QPushButton("Suggest free times")
        self.suggest.clicked.connect(self._suggest)
        self.slots = QListWidget()
        self.slots.setMaximumHeight(100)
        self.slots.hide()
        self.slots.itemClicked.connect(self._take_slot)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        when = QHBoxLayout()
        for w in (self.date, self.time, QLabel("for"), self.duration):
            when.addWidget(w)
        form = QFormLayout()
        form.addRow("Doctor", self.doctor)
        form.addRow("When", when)
        form.addRow("", self.override)
        form.addRow("", self.following)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.move_button = QPushButton("Move")
        buttons.addButton(self.move_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.move_button.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.suggest)
        layout.addWidget(self.slots)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _following_toggled(self, checked: bool) -> None:
        self.doctor.setEnabled(not checked)

    def starts_at(self):  # noqa: ANN201 - datetime
        return local_wall_time(self.date.date().toPython(), self.time.time().toPython(), self._zone)

    def submit(self) -> None:
        service, actor, appt = self._context.services.appointments, self._context.actor, self.appointment
        start, minutes, doctor = self.starts_at(), self.duration.value(), self.doctor.currentData()
        override = self.override.isChecked()
        if self.following.isChecked():
            op = lambda _s: service.reschedule_following(  # noqa: E731
                actor, appt.id, expected_version=appt.version, starts_at=start, duration_minutes=minutes,
                override_hours=override)
        else:
            op = lambda _s: service.reschedule(  # noqa: E731
                actor, appt.id, expected_version=appt.version, starts_at=start, duration_minutes=minutes,
                doctor_id=doctor, override_hours=override)
        self.move_button.setEnabled(False)
        self.error.setText("")
        self._runner.run(op, self._done, self._failed)

    def _done(self, result) -> None:  # noqa: ANN001
        self.moved = result
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.move_button.setEnabled(True)
        if isinstance(exc, SlotTaken):
            self._offer(exc.next_slots)
        if isinstance(exc, ValidationError):
            self.error.setText("\n".join(p.message for p in exc.problems))
        elif isinstance(exc, StaleRecord):
            self.error.setText(exc.message + " Close this dialog and open the appointment again.")
        elif isinstance(exc, ConnectionLost):
            self.error.setText("The database server cannot be reached; nothing was moved. Press Move to try again.")
        elif isinstance(exc, DomainError):
            self.error.setText(exc.message)
        else:
            self.error.setText("Moving failed unexpectedly; nothing was changed.")

    def _suggest(self) -> None:
        service, actor = self._context.services.appointments, self._context.actor
        doctor, minutes, after = self.doctor.currentData(), self.duration.value() or 30, self.starts_at()
        self._runner.run(lambda _s: service.next_free_slots(actor, doctor_id=doctor, duration_minutes=minutes,
                                                            after=after, count=6), self._offer, self._failed)

    def _offer(self, slots) -> None:  # noqa: ANN001
        self.slots.clear()
        for slot in slots:
            item = QListWidgetItem(self._formats.weekday_instant(slot.starts_at, self._zone))
            item.setData(Qt.ItemDataRole.UserRole, slot.starts_at)
            self.slots.addItem(item)
        self.slots.setVisible(bool(slots))

    def _take_slot(self, item: QListWidgetItem) -> None:
        local = item.data(Qt.ItemDataRole.UserRole).astimezone(self._zone)
        self.date.setDate(QDate(local.year, local.month, local.day))
        self.time.setTime(QTime(local.hour, local.minute))
