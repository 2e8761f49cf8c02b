"""Each doctor's weekly working hours (up to two blocks a day, e.g. morning and afternoon) and the
clinic's closed days. Booking outside them needs an explicit override in the booking dialog."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ...domain.appointment_rules import WEEKDAY_NAMES
from ...domain.errors import DomainError
from ...services.appointment_dto import WorkingBlock
from ..formats import Formats
from ..workers import TaskRunner


class _DayRow:
    """Two optional blocks of one weekday."""

    def __init__(self, grid: QGridLayout, row: int, weekday: int, formats: Formats) -> None:
        self.weekday = weekday
        self.on = [QCheckBox(WEEKDAY_NAMES[weekday - 1]), QCheckBox("and")]
        self.start = [QTimeEdit(QTime(8, 0)), QTimeEdit(QTime(13, 0))]
        self.end = [QTimeEdit(QTime(12, 0)), QTimeEdit(QTime(17, 0))]
        for edit in self.start + self.end:
            formats.set_edit_format(edit, formats.qt_time)
        for b in range(2):
            grid.addWidget(self.on[b], row, b * 3)
            grid.addWidget(self.start[b], row, b * 3 + 1)
            grid.addWidget(self.end[b], row, b * 3 + 2)

    def set_blocks(self, blocks: list[WorkingBlock]) -> None:
        for b in range(2):
            self.on[b].setChecked(b < len(blocks))
            if b < len(blocks):
                self.start[b].setTime(QTime(blocks[b].starts.hour, blocks[b].starts.minute))
                self.end[b].setTime(QTime(blocks[b].ends.hour, blocks[b].ends.minute))

    def blocks(self) -> list[WorkingBlock]:
        return [WorkingBlock(self.weekday, self.start[b].time().toPython(), self.end[b].time().toPython())
                for b in range(2) if self.on[b].isChecked()]


class WorkingHoursDialog(QDialog):
    """Edit one doctor's week at a time; closed days are clinic-wide."""

    def __init__(self, context, *, doctors, parent: QWidget | None = None, today: date | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setWindowTitle("Working hours and closed days")
        self._context, self._today = context, today or context.today()
        self._formats = formats = context.formats
        self._runner, self._days_runner = TaskRunner(self), TaskRunner(self)
        self.doctor = QComboBox()
        for d in doctors:
            self.doctor.addItem(d.display_name, d.id)
        self.doctor.currentIndexChanged.connect(lambda _i: self.load_hours())
        grid = QGridLayout()
        self.rows = [_DayRow(grid, i, i + 1, formats) for i in range(7)]
        self.save_button = QPushButton("Save hours")
        self.save_button.clicked.connect(self.save_hours)
        self.message = QLabel()
        self.message.setWordWrap(True)
        hours = QGroupBox("Weekly hours (clinic time)")
        hl = QVBoxLayout(hours)
        hl.addWidget(self.doctor)
        hl.addLayout(grid)
        hl.addWidget(self.save_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.closed = QListWidget()
        self.closed_date = QDateEdit(calendarPopup=True)
        formats.set_edit_format(self.closed_date, formats.qt_weekday_date)
        self.closed_date.setDate(QDate(self._today.year, self._today.month, self._today.day))
        self.closed_label = QLineEdit(placeholderText="e.g. Public holiday")
        add, remove = QPushButton("Add closed day"), QPushButton("Remove selected")
        add.clicked.connect(self.add_closed_day)
        remove.clicked.connect(self.remove_closed_day)
        row = QHBoxLayout()
        for w in (self.closed_date, self.closed_label, add, remove):
            row.addWidget(w)
        days = QGroupBox("Closed days (whole clinic, next 12 months)")
        dl = QVBoxLayout(days)
        dl.addWidget(self.closed)
        dl.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (hours, days, self.message, buttons):
            layout.addWidget(w)
        self.load_hours()
        self.load_closed_days()

    def _call(self, runner: TaskRunner, op, done) -> None:  # noqa: ANN001
        service, actor = self._context.services.appointments, self._context.actor
        runner.run(lambda _s: op(service, actor), done, self._failed)

    def load_hours(self) -> None:
        doctor = self.doctor.currentData()
        if doctor is not None:
            self._call(self._runner, lambda s, a: s.working_hours(a, doctor), self._show_hours)

    def _show_hours(self, blocks) -> None:  # noqa: ANN001
        for row in self.rows:
            row.set_blocks([b for b in blocks if b.weekday == row.weekday])

    def save_hours(self) -> None:
        doctor = self.doctor.currentData()
        blocks = [b for row in self.rows for b in row.blocks()]
        self._call(self._runner, lambda s, a: s.set_working_hours(a, doctor, blocks),
                   lambda saved: self._info(f"Saved {len(saved)} blocks for {self.doctor.currentText()}."))

    def load_closed_days(self) -> None:
        first, last = self._today, self._today + timedelta(days=365)
        self._call(self._days_runner, lambda s, a: s.closed_days(a, first=first, last=last), self._show_closed)

    def _show_closed(self, days) -> None:  # noqa: ANN001
        self.closed.clear()
        for d in days:
            item = QListWidgetItem(f"{self._formats.weekday_date(d.day)} — {d.label}")
            item.setData(Qt.ItemDataRole.UserRole, d.day)
            self.closed.addItem(item)

    def add_closed_day(self) -> None:
        day, label = self.closed_date.date().toPython(), self.closed_label.text()
        self._call(self._days_runner, lambda s, a: s.set_closed_day(a, day=day, label=label), self._closed_day_saved)

    def _closed_day_saved(self, _day) -> None:  # noqa: ANN001
        self.closed_label.clear()
        self._info("Closed day saved.")
        self.load_closed_days()

    def remove_closed_day(self) -> None:
        item = self.closed.currentItem()
        if item is not None:
            day = item.data(Qt.ItemDataRole.UserRole)
            self._call(self._days_runner, lambda s, a: s.remove_closed_day(a, day=day),
                       lambda _r: self.load_closed_days())

    def _info(self, text: str) -> None:
        self.message.setStyleSheet("color: #1b5e20")
        self.message.setText(text)

    def _failed(self, exc: BaseException) -> None:
        self.message.setStyleSheet("color: #b00020")
        self.message.setText(exc.message if isinstance(exc, DomainError) else "Saving failed; nothing was changed.")


