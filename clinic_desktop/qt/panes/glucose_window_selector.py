"""Choose the review window: last 1/7/14/30/90 days, 1 or 5 years, or custom dates.

Windows end "now" and are computed in the clinic's time zone: a custom window runs from the
start of its first local day to the end of its last.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QWidget

from ...domain.clock import Clock
from ..charts.chart_style import clinic_zone
from ..formats import Formats

PRESETS: list[tuple[str, timedelta | None]] = [
    ("Last 24 hours", timedelta(days=1)),
    ("Last 7 days", timedelta(days=7)),
    ("Last 14 days", timedelta(days=14)),
    ("Last 30 days", timedelta(days=30)),
    ("Last 90 days", timedelta(days=90)),
    ("Last year", timedelta(days=365)),
    ("Last 5 years", timedelta(days=5 * 365 + 1)),
    ("Custom dates…", None),
]
DEFAULT_INDEX = 2  # the consensus' 14 days


def local_day_bounds(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in `zone`, as UTC datetimes."""
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


class GlucoseWindowSelector(QWidget):
    """Emits `window_changed(start, end)` (UTC datetimes) when the choice changes."""

    window_changed = Signal(object, object)

    def __init__(self, zone: tzinfo | str | None, clock: Clock, parent: QWidget | None = None, *,
                 formats: Formats) -> None:
        super().__init__(parent)
        self._zone = zone if isinstance(zone, tzinfo) else clinic_zone(zone)
        self._formats = formats
        self._clock = clock
        self.combo = QComboBox(self)
        for text, _ in PRESETS:
            self.combo.addItem(text)
        self.combo.setCurrentIndex(DEFAULT_INDEX)
        self.combo.setToolTip("Window of readings to review")
        today = QDate(self._clock.now().astimezone(self._zone).date())  # the clinic's today
        self.from_edit = QDateEdit(today.addDays(-13), self)
        self.to_edit = QDateEdit(today, self)
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            formats.set_edit_format(edit, formats.qt_date)
            edit.dateChanged.connect(self._on_custom_changed)
        self._to_label = QLabel("to", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Window:", self))
        layout.addWidget(self.combo)
        layout.addWidget(self.from_edit)
        layout.addWidget(self._to_label)
        layout.addWidget(self.to_edit)
        self.combo.currentIndexChanged.connect(self._on_preset_changed)
        self._show_custom(False)

    def window(self) -> tuple[datetime, datetime]:
        """The chosen window as UTC datetimes [start, end)."""
        span = PRESETS[self.combo.currentIndex()][1]
        if span is not None:
            end = self._clock.now()
            return end - span, end
        first, last = self.from_edit.date().toPython(), self.to_edit.date().toPython()
        if last < first:
            first, last = last, first
        return local_day_bounds(first, last, self._zone)

    def select(self, index: int) -> None:
        self.combo.setCurrentIndex(index)

    def description(self) -> str:
        start, end = self.window()
        day = lambda m: self._formats.date(m.astimezone(self._zone).date())  # noqa: E731
        return f"{day(start)} – {day(end - timedelta(seconds=1))}"

    def _show_custom(self, visible: bool) -> None:
        for widget in (self.from_edit, self._to_label, self.to_edit):
            widget.setVisible(visible)

    def _on_preset_changed(self, index: int) -> None:
        self._show_custom(PRESETS[index][1] is None)
        self.window_changed.emit(*self.window())

    def _on_custom_changed(self) -> None:
        if PRESETS[self.combo.currentIndex()][1] is None:
            self.window_changed.emit(*self.window())
