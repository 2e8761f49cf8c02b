"""The booking dialog on real PostgreSQL: patient search, field errors next to the field, a slot
taken meanwhile with one-click next free times, the server going away (content kept, Retry books
exactly once) and the series preview listing collisions."""

from __future__ import annotations

import uuid
from datetime import timedelta

from PySide6.QtCore import QDate, Qt
from sqlalchemy import func, select

from clinic_desktop.db.models import Appointment
from clinic_desktop.domain.enums import AppointmentReason
from clinic_desktop.domain.errors import ConnectionLost
from clinic_desktop.qt.dialogs.booking_dialog import BookingDialog
from clinic_desktop.qt.formats import Formats
from clinic_desktop.qt.models.appointment_list_model import AppointmentListModel
from clinic_desktop.services.appointment_service import AppointmentService

from ..services.appointment_support import add_patient, at, future_monday
from .calendar_fixtures import drain_background_tasks, make_context  # noqa: F401 - fixtures


def _count(database, patient_id) -> int:
    with database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Appointment).where(Appointment.patient_id == patient_id)).scalar_one()


def _dialog(qtbot, context, clinic, start):
    doctors = context.services.appointments.doctors(clinic.receptionist)
    dialog = BookingDialog(context, doctors=doctors, doctor_id=clinic.doctor.doctor_id, starts_at=start)
    qtbot.addWidget(dialog, before_close_func=lambda d: d._runner.wait_idle())
    dialog.show()
    return dialog


def _choose(qtbot, dialog, text, name):
    dialog.patient.search_box.setText(text)
    dialog.patient.search_box.textEdited.emit(text)
    qtbot.waitUntil(lambda: dialog.patient.results.count() > 0, timeout=10000)
    for i in range(dialog.patient.results.count()):
        item = dialog.patient.results.item(i)
        if name in item.text():
            dialog.patient.results.itemClicked.emit(item)
            return item
    raise AssertionError(f"{name} not found")


def test_book_with_search_checklist_and_notes(qtbot, database, clinic, gui_thread_statements):
    patient = add_patient(database, clinic, given="Grace", family="Hopper")
    add_patient(database, clinic, given="Gretel", family="Hopper", archived=True)
    context = make_context(database, clinic.receptionist)
    day = future_monday(2)
    dialog = _dialog(qtbot, context, clinic, at(day, 9, 30))
    _choose(qtbot, dialog, "Hopp", "Grace")
    archived = next(dialog.patient.results.item(i) for i in range(dialog.patient.results.count())
                    if "Gretel" in dialog.patient.results.item(i).text())
    assert "(archived)" in archived.text() and not archived.flags() & Qt.ItemFlag.ItemIsEnabled
    assert dialog.patient.patient.id == patient
    dialog.duration.setValue(45)
    dialog.reason.setCurrentIndex(dialog.reason.findText("Test results"))
    dialog.notes.setPlainText("Discuss pump settings")
    dialog.checklist.set_checked("HbA1c test done")
    dialog.checklist.custom.setText("Bring sensor data")
    dialog.checklist._add_custom()
    dialog.grab().save("/tmp/calendar_booking_dialog.png")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        dialog.book_button.click()
    booked = dialog.booked
    assert booked.starts_at == at(day, 9, 30) and booked.duration_minutes == 45
    assert booked.reason == AppointmentReason.TEST_RESULTS and booked.notes == "Discuss pump settings"
    assert booked.checklist == ("HbA1c test done", "Bring sensor data")
    assert gui_thread_statements == []


def test_errors_show_next_to_their_field_and_nothing_is_booked(qtbot, database, clinic):
    patient = add_patient(database, clinic, given="Alan", family="Turing")
    context = make_context(database, clinic.receptionist)
    dialog = _dialog(qtbot, context, clinic, at(future_monday(), 9))
    dialog.book_button.click()
    assert dialog.error_text("patient") == "Choose a patient."
    _choose(qtbot, dialog, "Turing", "Alan")
    dialog.date.setDate(QDate.currentDate().addDays(-1))
    dialog.duration.setValue(0)
    dialog.book_button.click()
    qtbot.waitUntil(lambda: bool(dialog.error_text("starts_at")), timeout=10000)
    assert "in the past" in dialog.error_text("starts_at")
    assert "more than zero" in dialog.error_text("duration")
    assert dialog.isVisible() and dialog.patient.patient.id == patient
    assert _count(database, patient) == 0


def test_slot_taken_meanwhile_offers_the_next_free_times(qtbot, database, clinic):
    service = AppointmentService(database)
    day = future_monday(2)
    first, second = add_patient(database, clinic, given="Emmy", family="Noether"), add_patient(database, clinic, given="Lise", family="Meitner")
    context = make_context(database, clinic.receptionist)
    dialog = _dialog(qtbot, context, clinic, at(day, 11))
    _choose(qtbot, dialog, "Meitner", "Lise")
    # Another workstation takes 11:00 while the dialog is open.
    service.book(clinic.nurse, patient_id=first, doctor_id=clinic.doctor.doctor_id, starts_at=at(day, 11),
                 duration_minutes=30, reason=AppointmentReason.ROUTINE)
    dialog.book_button.click()
    qtbot.waitUntil(lambda: dialog.next_slots.count() > 0, timeout=10000)
    assert "no longer free" in dialog.error_text("starts_at")
    assert dialog.next_slots.item(0).text().endswith("11:30")
    dialog.next_slots.itemClicked.emit(dialog.next_slots.item(0))
    assert dialog.starts_at() == at(day, 11, 30)
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        dialog.book_button.click()
    assert dialog.booked.patient_id == second and _count(database, second) == 1


class _AnswerLost:
    """The real service; the first booking commits but its answer is lost (server gone)."""

    def __init__(self, service) -> None:  # noqa: ANN001
        self._service, self.calls = service, 0

    def book(self, actor, **kw):  # noqa: ANN001
        self.calls += 1
        result = self._service.book(actor, **kw)
        if self.calls == 1:
            raise ConnectionLost("The connection to the database server was lost. Your input is kept; try again when it is back.")
        return result

    def __getattr__(self, name):  # noqa: ANN001
        return getattr(self._service, name)


def test_server_gone_mid_booking_keeps_content_and_retry_books_once(qtbot, database, clinic):
    patient = add_patient(database, clinic, given="Rosalind", family="Franklin")
    flaky = _AnswerLost(AppointmentService(database))
    context = make_context(database, clinic.receptionist, appointments=flaky)
    day = future_monday(2)
    dialog = _dialog(qtbot, context, clinic, at(day, 15))
    _choose(qtbot, dialog, "Franklin", "Rosalind")
    dialog.notes.setPlainText("kept")
    dialog.book_button.click()
    qtbot.waitUntil(lambda: dialog.book_button.text() == "Retry", timeout=10000)
    assert "Nothing you typed is lost" in dialog.error_text("general")
    assert dialog.notes.toPlainText() == "kept" and dialog.patient.patient.id == patient and dialog.isVisible()
    dialog.grab().save("/tmp/calendar_booking_retry.png")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        dialog.book_button.click()
    assert flaky.calls == 2 and _count(database, patient) == 1
    assert dialog.booked.notes == "kept"


def test_series_preview_lists_collisions_in_the_dialog(qtbot, database, clinic):
    service = AppointmentService(database)
    day = future_monday(3)
    other, patient = add_patient(database, clinic), add_patient(database, clinic, given="Marie", family="Curie")
    service.book(clinic.receptionist, patient_id=other, doctor_id=clinic.doctor.doctor_id,
                 starts_at=at(day + timedelta(weeks=4), 10), duration_minutes=30, reason=AppointmentReason.ROUTINE)
    context = make_context(database, clinic.receptionist)
    dialog = _dialog(qtbot, context, clinic, at(day, 10))
    _choose(qtbot, dialog, "Curie", "Marie")
    dialog.series.setChecked(True)
    dialog.series.every.setValue(4)
    dialog.series.times.setValue(3)
    dialog.series.preview_requested.emit()
    qtbot.waitUntil(lambda: dialog.series.dates.count() == 3, timeout=10000)
    assert "collides" in dialog.series.dates.item(1).text() and "1 collide" in dialog.series.summary.text()
    dialog.book_button.click()
    qtbot.waitUntil(lambda: "collide" in dialog.error_text("starts_at"), timeout=10000)
    dialog.series.skip.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        dialog.book_button.click()
    assert len(dialog.booked.booked) == 2 and _count(database, patient) == 2


def test_appointment_list_model_passes_the_model_tester(qtmodeltester, database, clinic):
    service = AppointmentService(database)
    p = add_patient(database, clinic)
    rows = [service.book(clinic.receptionist, patient_id=p, doctor_id=clinic.doctor.doctor_id,
                         starts_at=at(future_monday(9), h), duration_minutes=20, reason=AppointmentReason.ROUTINE,
                         request_id=uuid.uuid4()) for h in (9, 10)]
    model = AppointmentListModel("Europe/Berlin", formats=Formats("en_US"))
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert model.index(0, 0).data() == f"{at(future_monday(9), 9):%a %m/%d/%Y} 09:00"  # the clinic's (en_US) format
