"""The booking dialog's "repeat" section: every N weeks, M times, and a preview of the dates with
their collisions (red) before anything is booked."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout

from ..formats import Formats


class BookingSeriesBox(QGroupBox):
    """Checkable group box; `preview_requested` asks the dialog to fetch a SeriesPreview."""

    preview_requested = Signal()

    def __init__(self, *, formats: Formats) -> None:
        super().__init__("Repeat as a follow-up series")
        self._formats = formats
        self.setCheckable(True)
        self.setChecked(False)
        self.every = QSpinBox(minimum=1, maximum=52, value=4, suffix=" weeks")
        self.times = QSpinBox(minimum=2, maximum=52, value=4, suffix=" times")
        self.skip = QCheckBox("Skip dates that collide")
        preview = QPushButton("Preview dates")
        preview.clicked.connect(self.preview_requested.emit)
        self.dates = QListWidget()
        self.dates.setMaximumHeight(120)
        self.dates.hide()
        self.summary = QLabel()
        row = QHBoxLayout()
        for w in (QLabel("Every"), self.every, self.times, preview):
            row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.skip)
        layout.addWidget(self.summary)
        layout.addWidget(self.dates)

    def enabled(self) -> bool:
        return self.isChecked()

    def interval_weeks(self) -> int:
        return self.every.value()

    def occurrences(self) -> int:
        return self.times.value()

    def skip_collisions(self) -> bool:
        return self.skip.isChecked()

    def show_preview(self, preview, zone: ZoneInfo) -> None:  # noqa: ANN001 - SeriesPreview
        self.dates.clear()
        for occ in preview.occurrences:
            text = self._formats.weekday_instant(occ.starts_at, zone)
            if occ.collision:
                text += f" — collides: {occ.collision}"
            elif occ.outside_hours:
                text += " — outside working hours"
            item = QListWidgetItem(text)
            if occ.collision:
                item.setForeground(QBrush(QColor("#b00020")))
            self.dates.addItem(item)
        self.dates.show()
        n = len(preview.collisions)
        self.summary.setText(f"{len(preview.occurrences)} dates, {n} collide." if n else
                             f"{len(preview.occurrences)} dates, all free.")
