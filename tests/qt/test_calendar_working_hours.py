"""The working-hours dialog on real PostgreSQL: load the default week, save two blocks a day,
refuse an end before the start next to the form, add and remove a closed day."""

from __future__ import annotations

from datetime import date, time, timedelta

from PySide6.QtCore import QDate, QTime

from clinic_desktop.qt.dialogs.working_hours_dialog import WorkingHoursDialog
from clinic_desktop.services.appointment_dto import WorkingBlock
from clinic_desktop.services.appointment_service import AppointmentService

from .calendar_fixtures import drain_background_tasks, make_context  # noqa: F401 - fixture


def test_edit_hours_and_closed_days(qtbot, database, clinic):
    service = AppointmentService(database)
    context = make_context(database, clinic.admin)
    today = date.today()
    dialog = WorkingHoursDialog(context, doctors=service.doctors(clinic.admin), today=today)
    qtbot.addWidget(dialog, before_close_func=lambda d: d._runner.wait_idle())
    dialog.show()
    qtbot.waitUntil(lambda: dialog.rows[0].on[0].isChecked(), timeout=10000)  # default week loaded
    assert not dialog.rows[5].on[0].isChecked()  # Saturday off
    monday = dialog.rows[0]
    monday.end[0].setTime(QTime(12, 0))
    monday.on[1].setChecked(True)
    monday.start[1].setTime(QTime(13, 30))
    monday.end[1].setTime(QTime(18, 0))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "Saved" in dialog.message.text(), timeout=10000)
    hours = service.working_hours(clinic.nurse, clinic.doctor.doctor_id)
    assert [b for b in hours if b.weekday == 1] == [WorkingBlock(1, time(8), time(12)), WorkingBlock(1, time(13, 30), time(18))]

    dialog.rows[1].end[0].setTime(QTime(7, 0))  # Tuesday ends before it starts
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "end must be after the start" in dialog.message.text(), timeout=10000)
    assert len(service.working_hours(clinic.nurse, clinic.doctor.doctor_id)) == len(hours)

    holiday = today + timedelta(days=10)
    dialog.closed_date.setDate(QDate(holiday.year, holiday.month, holiday.day))
    dialog.closed_label.setText("Public holiday")
    dialog.add_closed_day()
    qtbot.waitUntil(lambda: dialog.closed.count() == 1, timeout=10000)
    dialog.grab().save("/tmp/calendar_working_hours.png")
    assert "Public holiday" in dialog.closed.item(0).text()
    dialog.closed.setCurrentRow(0)
    dialog.remove_closed_day()
    qtbot.waitUntil(lambda: dialog.closed.count() == 0, timeout=10000)
    assert service.closed_days(clinic.nurse, first=today, last=holiday) == ()
