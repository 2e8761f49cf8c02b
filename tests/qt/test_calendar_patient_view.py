"""The patient record's appointments: upcoming and past with the no-show count, live from the bus."""

from __future__ import annotations

import threading

from clinic_desktop.domain.changes import ChangeSet
from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus
from clinic_desktop.qt.panes.patient_appointments_view import PatientAppointmentsView
from clinic_desktop.services.appointment_service import AppointmentService

from ..services.appointment_support import add_patient, at, future_monday
from .calendar_fixtures import drain_background_tasks, make_context  # noqa: F401 - fixtures
from clinic_desktop.domain.clock import FixedClock
from clinic_desktop.domain.changes import ChangeKind


def test_upcoming_past_and_no_shows(qtbot, database, clinic, gui_thread_statements):
    service = AppointmentService(database)
    patient = add_patient(database, clinic)
    day = future_monday(2)
    for hour in (9, 10):
        a = service.book(clinic.receptionist, patient_id=patient, doctor_id=clinic.doctor.doctor_id,
                         starts_at=at(day, hour), duration_minutes=20, reason=AppointmentReason.ROUTINE)
    context = make_context(database, clinic.receptionist)
    view = PatientAppointmentsView(context)
    qtbot.addWidget(view, before_close_func=lambda v: v._runner.wait_idle())
    view.show_patient(patient)
    qtbot.waitUntil(lambda: view.record is not None and len(view.record.upcoming) == 2, timeout=10000)
    assert view.summary.text() == "No no-shows on record." and view.tabs.tabText(0) == "Upcoming (2)"
    after_visit = AppointmentService(database, clock=FixedClock(at(day, 12)))
    worker = threading.Thread(target=lambda: after_visit.change_status(
        clinic.receptionist, a.id, expected_version=a.version, status=AppointmentStatus.NO_SHOW))
    worker.start()
    worker.join()
    context.bus.publish(ChangeSet({ChangeKind.APPOINTMENT: frozenset({a.id})}, remote=True))
    qtbot.waitUntil(lambda: view.record.no_show_count == 1, timeout=10000)
    assert view.summary.text() == "1 no-show on record." and view.tabs.tabText(0) == "Upcoming (1)"
    assert gui_thread_statements == []
