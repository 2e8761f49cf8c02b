"""The clinic calendar: day view (a column per doctor), week view (one doctor), list view with
filters and reception's today list with check-in. Click or drag free time to book, drag a block
to move it; colours by status; the current-time line. Every service call runs in the background
and the pane refreshes from the change bus (bookings on other workstations arrive by NOTIFY)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...domain.enums import AppointmentStatus
from ...domain.errors import DomainError, ValidationError
from ...services.appointment_dto import SlotTaken
from ..app_context import AppContext
from ..dialogs.booking_dialog import BookingDialog, index_of
from ..dialogs.cancel_appointment_dialog import CancelAppointmentDialog
from ..dialogs.reschedule_dialog import RescheduleDialog
from ..dialogs.working_hours_dialog import WorkingHoursDialog
from ..models.appointment_calendar_model import CalendarLayout
from ..workers import TaskRunner
from .calendar_detail_panel import CalendarDetailPanel
from .calendar_grid import DEFAULT_BOOKING_MINUTES, CalendarGrid
from .calendar_list_view import AppointmentTable, CalendarListView
from ...domain.changes import ChangeKind, ChangeSet

DAY, WEEK, LIST, RECEPTION = range(4)
MODES = ("Day", "Week", "List", "Today at reception")


class CalendarPane(QWidget):
    """The appointments pane; `view` is the last CalendarView or list loaded."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._service = context.services.appointments
        self._zone_name = context.session.clinic_timezone
        self._zone = ZoneInfo(self._zone_name)
        self._formats = context.formats
        self._clock = context.clock
        self.day: date = context.today()
        self.doctors: tuple = ()
        self.view = None
        self._scrolled_for: tuple | None = None
        self.booking_dialog: BookingDialog | None = None
        self.reschedule_dialog: RescheduleDialog | None = None
        self._loader, self._actions, self._side = TaskRunner(self), TaskRunner(self), TaskRunner(self)
        self._build()
        self._refresh_soon = QTimer(self, singleShot=True, interval=120)
        self._refresh_soon.timeout.connect(self.refresh)
        context.bus.subscribe({ChangeKind.APPOINTMENT, ChangeKind.WORKING_HOURS}, self._on_changed, self)
        self._load_doctors()

    # -- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.mode_buttons = QButtonGroup(self)
        bar = QHBoxLayout()
        for i, name in enumerate(MODES):
            button = QPushButton(name, checkable=True, checked=i == DAY)
            self.mode_buttons.addButton(button, i)
            bar.addWidget(button)
        self.mode_buttons.idClicked.connect(self.set_mode)
        self.prev_button, self.today_button, self.next_button = QPushButton("◀"), QPushButton("Today"), QPushButton("▶")
        self.date_edit = QDateEdit(calendarPopup=True)
        self._formats.set_edit_format(self.date_edit, self._formats.qt_weekday_date)
        self.week_doctor = QComboBox()
        self.show_closed = QCheckBox("Show cancelled and no-shows")
        self.new_button = QPushButton("New booking…")
        self.hours_button = QPushButton("Hours && closed days…")
        self.hours_button.clicked.connect(self.open_working_hours)
        for w in (self.prev_button, self.today_button, self.next_button, self.date_edit, self.week_doctor,
                  self.show_closed):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.hours_button)
        bar.addWidget(self.new_button)
        self.prev_button.clicked.connect(lambda: self._step(-1))
        self.next_button.clicked.connect(lambda: self._step(1))
        self.today_button.clicked.connect(lambda: self.go_to(self._clock.now().astimezone(self._zone).date()))
        self.date_edit.dateChanged.connect(lambda d: self.go_to(d.toPython()))
        self.week_doctor.currentIndexChanged.connect(lambda _i: self.refresh())
        self.show_closed.toggled.connect(lambda _c: self._show_view())
        self.new_button.clicked.connect(lambda: self.open_booking(None, None, None))
        self.new_button.setToolTip("New booking (Ctrl+N)")
        for keys, slot in (("Ctrl+N", lambda: self.open_booking(None, None, None)),
                           ("Alt+Left", lambda: self._step(-1)), ("Alt+Right", lambda: self._step(1))):
            QShortcut(QKeySequence(keys), self, activated=slot)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.day_layout = CalendarLayout(self._zone_name, formats=self._formats)
        self.week_layout = CalendarLayout(self._zone_name, formats=self._formats)
        self.day_grid = CalendarGrid(self.day_layout, self._clock)
        self.week_grid = CalendarGrid(self.week_layout, self._clock)
        self.list_view = CalendarListView(self._zone_name, formats=self._formats)
        self.list_view.filter_changed.connect(self.refresh)
        self.reception = AppointmentTable(self._zone_name, formats=self._formats, with_date=False)
        self.stack = QStackedWidget()
        self.scrolls: list[QScrollArea] = []
        for grid in (self.day_grid, self.week_grid):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(grid)
            for scrollbar in (scroll.horizontalScrollBar(), scroll.verticalScrollBar()):
                scrollbar.valueChanged.connect(lambda _v, g=grid, s=scroll: g.set_view_origin(
                    s.horizontalScrollBar().value(), s.verticalScrollBar().value()))
            self.scrolls.append(scroll)
            self.stack.addWidget(scroll)
            grid.slot_requested.connect(lambda col, start, end, g=grid: self._slot_requested(g, col, start, end))
            grid.move_requested.connect(lambda appt, col, start, g=grid: self._move_requested(g, appt, col, start))
            grid.selected.connect(self._select)
            grid.relayout()
        self.stack.addWidget(self.list_view)
        self.stack.addWidget(self.reception)
        for table in (self.list_view.table, self.reception):
            table.selected.connect(self._select)
        self.detail = CalendarDetailPanel(self._zone_name, self._context.actor.role, formats=self._formats)
        self.detail.status_requested.connect(self.request_status)
        self.detail.move_requested.connect(self.open_reschedule)
        for grid in (self.day_grid, self.week_grid):
            grid.activated.connect(self.open_reschedule)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.stack)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        self._sync_controls()

    # -- navigation -------------------------------------------------------------------------

    @property
    def mode(self) -> int:
        return self.stack.currentIndex()

    def set_mode(self, mode: int) -> None:
        self.stack.setCurrentIndex(mode)
        self.mode_buttons.button(mode).setChecked(True)
        if mode == LIST:
            self.list_view.set_range(self.day)
        self._sync_controls()
        self.refresh()

    def go_to(self, day: date) -> None:
        if day != self.day:
            self.day = day
            self._sync_controls()
            self.refresh()

    def _step(self, direction: int) -> None:
        self.go_to(self.day + timedelta(days=direction * (7 if self.mode == WEEK else 1)))

    def week_start(self) -> date:
        return self.day - timedelta(days=self.day.weekday())

    def _sync_controls(self) -> None:
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        self.date_edit.blockSignals(False)
        for w in (self.prev_button, self.next_button, self.today_button, self.date_edit):
            w.setVisible(self.mode in (DAY, WEEK))
        self.week_doctor.setVisible(self.mode == WEEK)
        self.show_closed.setVisible(self.mode in (DAY, WEEK))

    # -- loading ----------------------------------------------------------------------------

    def _load_doctors(self) -> None:
        service, actor = self._service, self._context.actor
        self._side.run(lambda _s: service.doctors(actor), self._doctors_loaded, self._show_error)

    def _doctors_loaded(self, doctors) -> None:  # noqa: ANN001
        self.doctors = tuple(doctors)
        own = self._context.actor.doctor_id
        self.week_doctor.blockSignals(True)
        self.week_doctor.clear()
        for d in self.doctors:
            self.week_doctor.addItem(d.display_name, d.id)
        if own is not None and index_of(self.week_doctor, own) >= 0:
            self.week_doctor.setCurrentIndex(index_of(self.week_doctor, own))
        self.week_doctor.blockSignals(False)
        self.list_view.set_doctors(self.doctors)
        self.refresh()

    def refresh(self) -> None:
        """Reload what the current mode shows, in the background (a newer request wins)."""
        service, actor, mode, day = self._service, self._context.actor, self.mode, self.day
        if mode == DAY:
            op = lambda _s: service.day_view(actor, day)  # noqa: E731
        elif mode == WEEK:
            doctor = self.week_doctor.currentData()
            if doctor is None:
                return
            op = lambda _s: service.week_view(actor, doctor_id=doctor, week_start=self.week_start())  # noqa: E731
        elif mode == LIST:
            flt = self.list_view.current_filter()
            op = lambda _s: service.list_appointments(actor, flt)  # noqa: E731
        else:
            op = lambda _s: service.reception_today(actor)  # noqa: E731
        self._loader.run(op, lambda result: self._loaded(mode, result), self._show_error)

    def _loaded(self, mode: int, result) -> None:  # noqa: ANN001
        if mode != self.mode:
            return
        self.view = result
        self._show_view()

    def _show_view(self) -> None:
        selected = self.detail.appointment.id if self.detail.appointment else None
        show_closed = self.show_closed.isChecked()
        if self.view is None:
            return
        if self.mode == DAY and hasattr(self.view, "doctors"):
            self.day_layout.set_day_view(self.view, self.day, show_closed_statuses=show_closed)
            self.day_grid.relayout()
            self._scroll_to_working_time(DAY)
        elif self.mode == WEEK and hasattr(self.view, "doctors"):
            self.week_layout.set_week_view(self.view, self.week_start(), show_closed_statuses=show_closed)
            self.week_grid.relayout()
            self._scroll_to_working_time(WEEK)
        elif self.mode == LIST and isinstance(self.view, tuple):
            self.list_view.show_rows(self.view, selected)
        elif self.mode == RECEPTION and isinstance(self.view, tuple):
            self.reception.set_rows(self.view, selected)
        rows = self.view.appointments if hasattr(self.view, "appointments") else self.view
        fresh = next((a for a in rows if a.id == selected), None)
        self._select(fresh)

    def _scroll_to_working_time(self, mode: int) -> None:
        """On a newly shown day or week: today an hour before now, otherwise the start of work."""
        key = (mode, self.day if mode == DAY else self.week_start())
        if self._scrolled_for == key:
            return
        self._scrolled_for = key
        grid = self.day_grid if mode == DAY else self.week_grid
        lm, now = grid.layout_model, self._clock.now()
        if any(c.day == now.astimezone(self._zone).date() for c in lm.columns):
            minute = lm.minute_of(now) - 60
        else:
            starts = [lm.minute_of(w[0]) for c in lm.columns for w in c.windows]
            minute = min(starts, default=60) - 30
        self.scrolls[mode].verticalScrollBar().setValue(int(max(0.0, grid.y_of(minute) - grid.y_of(0))))

    def _on_changed(self, _changes: ChangeSet) -> None:  # subscribed to appointments and working hours
        self._refresh_soon.start()

    # -- selection and workflow -------------------------------------------------------------

    def _select(self, appt) -> None:  # noqa: ANN001
        self.detail.show_appointment(appt)
        for grid in (self.day_grid, self.week_grid):
            grid.select(appt.id if appt else None)
        if appt is not None:
            service, actor = self._service, self._context.actor
            self._side.run(lambda _s: service.status_history(actor, appt.id), self.detail.show_history,
                           lambda _e: None)

    def request_status(self, appt, status: AppointmentStatus) -> None:  # noqa: ANN001
        service, actor = self._service, self._context.actor
        if status == AppointmentStatus.CANCELLED:
            answer = self._ask_cancel(appt)
            if answer is None:
                return
            reason, following = answer
            cancel = service.cancel_following if following else service.cancel
            op = lambda _s: cancel(actor, appt.id, expected_version=appt.version, reason=reason)  # noqa: E731
        else:
            op = lambda _s: service.change_status(actor, appt.id, expected_version=appt.version, status=status)  # noqa: E731
        self._actions.run(op, self._written, self._action_failed, supersede=False)

    def _action_failed(self, exc: BaseException) -> None:
        """Say why, and show the calendar as it now is (another user may have changed it)."""
        self._show_error(exc)
        self.refresh()

    def _written(self, result) -> None:  # noqa: ANN001
        self._hide_banner()
        self.detail.show_appointment(result[0] if isinstance(result, tuple) else result)
        self.refresh()

    def open_working_hours(self) -> WorkingHoursDialog:
        dialog = WorkingHoursDialog(self._context, doctors=self.doctors, parent=self,
                                    today=self._clock.now().astimezone(self._zone).date())
        dialog.finished.connect(self.refresh)
        self.hours_dialog = dialog
        dialog.open()
        return dialog

    def open_reschedule(self, appt) -> RescheduleDialog:  # noqa: ANN001
        """Move by dialog (also "this and following" for a series)."""
        dialog = RescheduleDialog(self._context, appt, doctors=self.doctors, parent=self)
        dialog.accepted.connect(lambda: self._written(dialog.moved))
        self.reschedule_dialog = dialog
        dialog.open()
        return dialog

    # -- booking and moving -----------------------------------------------------------------

    def _slot_requested(self, grid: CalendarGrid, column: int, start: datetime, end: datetime | None) -> None:
        col = grid.layout_model.columns[column]
        minutes = DEFAULT_BOOKING_MINUTES if end is None else max(5, int((end - start).total_seconds() // 60))
        self.open_booking(col.doctor_id, start, minutes)

    def open_booking(self, doctor_id, start: datetime | None, minutes: int | None) -> BookingDialog:  # noqa: ANN001
        if start is None:
            now = self._clock.now()
            start = now + timedelta(minutes=15 - now.astimezone(self._zone).minute % 15)
        dialog = BookingDialog(self._context, doctors=self.doctors, doctor_id=doctor_id, starts_at=start,
                               duration_minutes=minutes or DEFAULT_BOOKING_MINUTES, parent=self)
        dialog.accepted.connect(self.refresh)
        self.booking_dialog = dialog
        dialog.open()
        return dialog

    def _move_requested(self, grid: CalendarGrid, appt, column: int, start: datetime, override: bool = False) -> None:  # noqa: ANN001
        doctor = grid.layout_model.columns[column].doctor_id
        service, actor = self._service, self._context.actor
        op = lambda _s: service.reschedule(actor, appt.id, expected_version=appt.version, starts_at=start,  # noqa: E731
                                           doctor_id=doctor, override_hours=override)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError) and "working hours" in exc.message and not override:
                if self._confirm(exc.problems[0].message.split(" Tick")[0] + "\nMove it there anyway?"):
                    self._move_requested(grid, appt, column, start, override=True)
                    return
            self._show_error(exc)
            self.refresh()

        self._actions.run(op, self._written, failed, supersede=False)

    def wait_idle(self, msecs: int = 10_000) -> None:
        """Wait for this pane's background calls and deliver their results (shutdown, tests)."""
        from PySide6.QtCore import QCoreApplication

        runners = (self._loader, self._actions, self._side)
        for _ in range(20):  # a delivered result may start a follow-up read (refresh after a write)
            for runner in runners:
                runner.wait_idle(msecs)
            QCoreApplication.processEvents()
            if not self._refresh_soon.isActive() and not any(r.busy for r in runners):
                return
            if self._refresh_soon.isActive():
                self._refresh_soon.stop()
                self.refresh()

    # -- messages (overridable in tests) ----------------------------------------------------

    def _ask_cancel(self, appt) -> tuple[str, bool] | None:  # noqa: ANN001
        """(reason, also the following of the series) or None when the user keeps it."""
        dialog = CancelAppointmentDialog(appt, self)
        if dialog.exec() != CancelAppointmentDialog.DialogCode.Accepted:
            return None
        return dialog.reason(), dialog.following()

    def _confirm(self, question: str) -> bool:
        return QMessageBox.question(self, "Calendar", question) == QMessageBox.StandardButton.Yes

    def _show_error(self, exc: BaseException) -> None:
        if isinstance(exc, SlotTaken) and exc.next_slots:
            times = ", ".join(self._formats.weekday_instant(s.starts_at, self._zone) for s in exc.next_slots[:5])
            text = f"{exc.message} Next free: {times}."
        elif isinstance(exc, ValidationError):
            text = " ".join(p.message for p in exc.problems)
        elif isinstance(exc, DomainError):
            text = exc.message
        else:
            text = "Something went wrong; nothing was changed. Try again."
        self.banner.setText(text)
        self.banner.setStyleSheet("background: #fdecea; color: #8a1c1c; padding: 6px; border-radius: 4px")
        self.banner.show()

    def _hide_banner(self) -> None:
        self.banner.hide()

    def banner_text(self) -> str:
        return self.banner.text() if self.banner.isVisible() or self.banner.text() else ""
