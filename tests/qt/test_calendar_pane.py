"""The calendar pane on real PostgreSQL, used the way reception uses it: day view with a column
per doctor, click free time to book, drag to move, live refresh from another workstation, check-in
and cancel from the side panel — with no SQL on the GUI thread."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from clinic_desktop.domain.changes import ChangeSet
from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus
from clinic_desktop.qt.panes.calendar_pane import DAY, LIST, RECEPTION, WEEK, CalendarPane
from clinic_desktop.services.appointment_service import AppointmentService

from ..services.appointment_support import add_doctor, add_patient, at, future_monday
from .calendar_fixtures import drain_background_tasks, make_context  # noqa: F401 - fixtures
from clinic_desktop.domain.clock import FixedClock
from clinic_desktop.domain.changes import ChangeKind

R = AppointmentReason.ROUTINE


@pytest.fixture
def seeded(database, clinic):
    service = AppointmentService(database)
    day = future_monday(3)
    second = add_doctor(database, clinic, name="Dr Zeta")
    p1, p2 = add_patient(database, clinic), add_patient(database, clinic, given="Bob", family="Baker")
    a = service.book(clinic.receptionist, patient_id=p1, doctor_id=clinic.doctor.doctor_id, starts_at=at(day, 9),
                     duration_minutes=30, reason=R, checklist=["HbA1c test done"])
    b = service.book(clinic.receptionist, patient_id=p2, doctor_id=second, starts_at=at(day, 10), duration_minutes=45,
                     reason=AppointmentReason.TEST_RESULTS)
    service.change_status(clinic.receptionist, b.id, expected_version=b.version, status=AppointmentStatus.CONFIRMED)
    return service, day, second, (p1, p2), (a, b)


def _pane(qtbot, database, clinic, day, actor=None):
    context = make_context(database, actor or clinic.receptionist, clock=FixedClock(at(day, 10, 20)))
    pane = CalendarPane(context)
    qtbot.addWidget(pane, before_close_func=lambda w: w.wait_idle())
    pane.resize(1300, 850)
    pane.show()
    qtbot.waitUntil(lambda: bool(pane.doctors), timeout=10000)
    pane.go_to(day)
    return pane, context


def _scroll_top(pane) -> None:  # noqa: ANN001
    """Show the day from its first hour (the pane opens scrolled to the working time)."""
    for scroll in pane.scrolls:
        scroll.verticalScrollBar().setValue(0)


def _drag(widget, start: QPoint, end: QPoint) -> None:
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    mid = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
    for point in (mid, end):
        QTest.mouseMove(widget, point)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_day_view_book_by_click_move_by_drag_and_live_refresh(qtbot, database, clinic, seeded, gui_thread_statements):
    service, day, second, patients, (a, b) = seeded
    pane, context = _pane(qtbot, database, clinic, day)
    grid, layout = pane.day_grid, pane.day_layout
    qtbot.waitUntil(lambda: len(layout.blocks) == 2, timeout=10000)
    # Opened on "today" (10:20 on the clinic's clock): scrolled to an hour before now.
    assert pane.scrolls[DAY].verticalScrollBar().value() == int(grid.y_of(layout.minute_of(at(day, 9, 20))) - grid.y_of(0))
    _scroll_top(pane)
    titles = [c.title for c in layout.columns]
    assert "Dr Zeta" in titles and len(titles) == 2
    assert grid.now_line_visible()
    grid.grab().save("/tmp/calendar_day_view.png")

    # Click on free time in the first doctor's column at 11:00: the dialog opens prefilled.
    col = next(i for i, c in enumerate(layout.columns) if c.doctor_id == clinic.doctor.doctor_id)
    QTest.mouseClick(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, grid.point_for(col, at(day, 11)))
    dialog = pane.booking_dialog
    assert dialog is not None and dialog.doctor.currentData() == clinic.doctor.doctor_id
    assert dialog.starts_at() == at(day, 11) and dialog.duration.value() == 30
    dialog.reject()

    # Drag Ada's 09:00 block down to 12:00: the appointment moves.
    block = next(x for x in layout.blocks if x.appointment.id == a.id)
    rect = grid.block_rect(block)
    start = QPoint(int(rect.center().x()), int(rect.top()) + 5)
    target = grid.point_for(col, at(day, 12))
    _drag(grid, start, QPoint(start.x(), target.y() + 3))
    qtbot.waitUntil(lambda: any(x.appointment.id == a.id and x.appointment.starts_at == at(day, 12)
                                for x in layout.blocks), timeout=10000)

    # Another workstation books at 14:00; its NOTIFY arrives on the bus and the pane refreshes.
    other = threading.Thread(target=lambda: service.book(
        clinic.nurse, patient_id=patients[1], doctor_id=clinic.doctor.doctor_id, starts_at=at(day, 14),
        duration_minutes=20, reason=R))
    other.start()
    other.join()
    context.bus.publish(ChangeSet({ChangeKind.APPOINTMENT: frozenset()}, origin="ws-2", remote=True))
    qtbot.waitUntil(lambda: len(layout.blocks) == 3, timeout=10000)
    pane.resize(1300, 900)
    grid.grab().save("/tmp/calendar_day_after.png")
    assert gui_thread_statements == []


def test_drag_onto_a_taken_slot_shows_the_message_and_moves_nothing(qtbot, database, clinic, seeded):
    service, day, second, patients, (a, b) = seeded
    pane, _ = _pane(qtbot, database, clinic, day)
    layout, grid = pane.day_layout, pane.day_grid
    qtbot.waitUntil(lambda: len(layout.blocks) == 2, timeout=10000)
    _scroll_top(pane)
    block = next(x for x in layout.blocks if x.appointment.id == a.id)
    zeta = next(i for i, c in enumerate(layout.columns) if c.doctor_id == second)
    rect = grid.block_rect(block)
    start = QPoint(int(rect.center().x()), int(rect.top()) + 5)
    target = grid.point_for(zeta, at(day, 10, 15))
    _drag(grid, start, QPoint(target.x(), target.y()))
    qtbot.waitUntil(lambda: "no longer free" in pane.banner.text(), timeout=10000)
    assert "Next free" in pane.banner.text()
    assert service.list_appointments(clinic.admin, __import__("clinic_desktop.services.appointment_dto",
                                     fromlist=["AppointmentFilter"]).AppointmentFilter(patient_id=patients[0]))[0].starts_at == at(day, 9)


def test_reception_checks_in_and_cancels_from_the_side_panel(qtbot, database, clinic, seeded, monkeypatch):
    service, day, second, patients, (a, b) = seeded
    pane, _ = _pane(qtbot, database, clinic, day)
    monkeypatch.setattr(pane, "_ask_cancel", lambda appt: ("Patient phoned in sick", False))
    pane.set_mode(RECEPTION)
    # Reception's "today" is the seeded day, 09:55 on the clinic's clock.
    pane._service = _TodayIs(AppointmentService(database, clock=FixedClock(at(day, 9, 55))), day)
    pane.refresh()
    qtbot.waitUntil(lambda: pane.reception.model_.rowCount() == 2, timeout=10000)
    pane.reception.select_id(b.id)
    assert pane.detail.appointment.id == b.id
    assert not pane.detail.buttons[AppointmentStatus.COMPLETED].isEnabled()  # reception cannot complete
    qtbot.mouseClick(pane.detail.buttons[AppointmentStatus.CHECKED_IN], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.detail.appointment is not None
                    and pane.detail.appointment.status == AppointmentStatus.CHECKED_IN, timeout=10000)
    pane.reception.select_id(a.id)
    qtbot.mouseClick(pane.detail.buttons[AppointmentStatus.CANCELLED], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.detail.appointment is not None and pane.detail.appointment.id == a.id
                    and pane.detail.appointment.status == AppointmentStatus.CANCELLED, timeout=10000)
    qtbot.waitUntil(lambda: "Cancelled" in pane.detail.history.text(), timeout=10000)
    pane.grab().save("/tmp/calendar_reception.png")


def test_week_and_list_views(qtbot, database, clinic, seeded):
    service, day, second, patients, (a, b) = seeded
    pane, _ = _pane(qtbot, database, clinic, day, actor=clinic.doctor)
    pane.set_mode(WEEK)
    qtbot.waitUntil(lambda: len(pane.week_layout.columns) == 7 and len(pane.week_layout.blocks) == 1, timeout=10000)
    assert pane.week_layout.blocks[0].appointment.id == a.id  # the doctor's own week by default
    pane.week_grid.grab().save("/tmp/calendar_week_view.png")
    pane.set_mode(LIST)
    qtbot.waitUntil(lambda: pane.list_view.table.model_.rowCount() == 2, timeout=10000)
    pane.list_view.status.setCurrentIndex(pane.list_view.status.findData(AppointmentStatus.CONFIRMED))
    qtbot.waitUntil(lambda: pane.list_view.table.model_.rowCount() == 1, timeout=10000)
    assert pane.list_view.table.model_.row_at(0).id == b.id
    pane.set_mode(DAY)
    qtbot.waitUntil(lambda: len(pane.day_layout.blocks) == 2, timeout=10000)


class _TodayIs:
    """The real service (its clock on the seeded day), with reception's list of that day."""

    def __init__(self, service, day) -> None:  # noqa: ANN001
        self._service, self._day = service, day

    def reception_today(self, actor, *, day=None):  # noqa: ANN001
        return self._service.reception_today(actor, day=self._day)

    def __getattr__(self, name):  # noqa: ANN001
        return getattr(self._service, name)


def test_move_by_dialog_this_and_following_and_cancel_dialog_needs_a_reason(qtbot, database, clinic, seeded):
    from clinic_desktop.qt.dialogs.cancel_appointment_dialog import CancelAppointmentDialog

    service, day, second, patients, _ = seeded
    series = service.book_series(clinic.receptionist, patient_id=patients[0], doctor_id=clinic.doctor.doctor_id,
                                 first_starts_at=at(day, 15), duration_minutes=30, interval_weeks=1, occurrences=3,
                                 reason=AppointmentReason.FOLLOW_UP)
    pane, _ = _pane(qtbot, database, clinic, day)
    qtbot.waitUntil(lambda: len(pane.day_layout.blocks) == 3, timeout=10000)
    first = series.booked[0]
    pane._select(next(b.appointment for b in pane.day_layout.blocks if b.appointment.id == first.id))
    qtbot.mouseClick(pane.detail.move_button, Qt.MouseButton.LeftButton)
    dialog = pane.reschedule_dialog
    qtbot.addWidget(dialog, before_close_func=lambda d: d._runner.wait_idle())
    assert dialog.following.isVisibleTo(dialog)
    dialog.time.setTime(dialog.time.time().addSecs(3600))  # 15:00 -> 16:00 for all three
    dialog.following.setChecked(True)
    dialog.grab().save("/tmp/calendar_reschedule_dialog.png")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        dialog.move_button.click()
    assert [a.starts_at for a in dialog.moved] == [at(day + timedelta(weeks=w), 16) for w in range(3)]
    qtbot.waitUntil(lambda: any(b.appointment.starts_at == at(day, 16) for b in pane.day_layout.blocks), timeout=10000)

    cancel = CancelAppointmentDialog(dialog.moved[1])
    qtbot.addWidget(cancel)
    assert not cancel.ok.isEnabled() and cancel.rest.isVisibleTo(cancel)
    cancel.reason_box.setCurrentText("Patient ill")
    assert cancel.ok.isEnabled() and cancel.reason() == "Patient ill"


def test_drag_on_free_time_books_that_range_and_past_drop_is_explained(qtbot, database, clinic, seeded):
    service, day, second, patients, (a, b) = seeded
    pane, _ = _pane(qtbot, database, clinic, day)
    grid, layout = pane.day_grid, pane.day_layout
    qtbot.waitUntil(lambda: len(layout.blocks) == 2, timeout=10000)
    _scroll_top(pane)
    zeta = next(i for i, c in enumerate(layout.columns) if c.doctor_id == second)
    _drag(grid, grid.point_for(zeta, at(day, 15)), grid.point_for(zeta, at(day, 16)))
    dialog = pane.booking_dialog
    assert dialog.doctor.currentData() == second and dialog.starts_at() == at(day, 15)
    assert dialog.duration.value() == 60
    dialog.reject()
    # A stale move (someone else confirmed it meanwhile) is explained and the calendar reloaded.
    service.change_status(clinic.nurse, a.id, expected_version=a.version, status=AppointmentStatus.CONFIRMED)
    pane._move_requested(grid, a, next(i for i, c in enumerate(layout.columns) if c.doctor_id == a.doctor_id), at(day, 13))
    qtbot.waitUntil(lambda: "changed by another user" in pane.banner.text(), timeout=10000)
    qtbot.waitUntil(lambda: any(x.appointment.id == a.id and x.appointment.status == AppointmentStatus.CONFIRMED
                                for x in layout.blocks), timeout=10000)
