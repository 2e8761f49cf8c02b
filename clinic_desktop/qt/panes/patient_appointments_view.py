"""A patient's appointments for their record: upcoming and past lists and the no-show count.
Embedded by the patient record (Patients pane); loads in the background and follows the bus."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ..workers import TaskRunner
from .calendar_list_view import AppointmentTable
from ...domain.changes import ChangeKind, ChangeSet
from ..error_messages import describe_error


class PatientAppointmentsView(QWidget):
    """`show_patient(patient_id)` loads; `record` is the last PatientAppointments."""

    def __init__(self, context, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._context = context
        self._runner = TaskRunner(self)
        self.patient_id = None
        self.record = None
        self.summary = QLabel("No patient selected.")
        zone, formats = context.session.clinic_timezone, context.formats
        self.upcoming = AppointmentTable(zone, formats=formats, with_date=True)
        self.past = AppointmentTable(zone, formats=formats, with_date=True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.upcoming, "Upcoming")
        self.tabs.addTab(self.past, "Past")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs)
        context.bus.subscribe({ChangeKind.APPOINTMENT}, self._on_changed, self)

    def show_patient(self, patient_id) -> None:  # noqa: ANN001
        self.patient_id = patient_id
        self.reload()

    def reload(self) -> None:
        if self.patient_id is None:
            return
        service, actor, pid = self._context.services.appointments, self._context.actor, self.patient_id
        self._runner.run(lambda _s: service.patient_appointments(actor, pid), self._loaded, self._failed)

    def _loaded(self, record) -> None:  # noqa: ANN001
        self.record = record
        self.upcoming.set_rows(record.upcoming)
        self.past.set_rows(record.past)
        self.tabs.setTabText(0, f"Upcoming ({len(record.upcoming)})")
        self.tabs.setTabText(1, f"Past ({len(record.past)})")
        noshow = record.no_show_count
        self.summary.setText(f"{noshow} no-show{'s' if noshow != 1 else ''} on record." if noshow else "No no-shows on record.")
        self.summary.setStyleSheet("color: #8a1c1c; font-weight: bold" if noshow >= 2 else "")

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(describe_error(exc, "load the appointments"))

    def _on_changed(self, _changes: ChangeSet) -> None:  # subscribed to appointment changes only
        self.reload()
