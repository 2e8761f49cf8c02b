"""Window selector: default 14 days; custom windows are whole local days in the clinic's zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate

from clinic_desktop.qt.formats import Formats
from clinic_desktop.qt.panes.glucose_window_selector import PRESETS, GlucoseWindowSelector, local_day_bounds
from clinic_desktop.domain.clock import FixedClock

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=timezone.utc)


def test_default_is_last_14_days(qtbot):
    selector = GlucoseWindowSelector("Europe/Berlin", FixedClock(NOW), formats=Formats("en_US"))
    qtbot.addWidget(selector)
    start, end = selector.window()
    assert end == NOW and end - start == timedelta(days=14)
    assert selector.combo.currentText() == "Last 14 days"
    assert [p[0] for p in PRESETS][-2:] == ["Last 5 years", "Custom dates…"]


def test_preset_change_emits_window(qtbot):
    selector = GlucoseWindowSelector("Europe/Berlin", FixedClock(NOW), formats=Formats("en_US"))
    qtbot.addWidget(selector)
    with qtbot.waitSignal(selector.window_changed) as blocker:
        selector.select(4)  # 90 days
    start, end = blocker.args
    assert end - start == timedelta(days=90)


def test_custom_window_spans_local_days_across_dst(qtbot):
    selector = GlucoseWindowSelector("Europe/Berlin", FixedClock(NOW), formats=Formats("en_US"))
    qtbot.addWidget(selector)
    selector.select(len(PRESETS) - 1)
    assert selector.from_edit.isVisibleTo(selector)
    selector.from_edit.setDate(QDate(2026, 3, 28))
    selector.to_edit.setDate(QDate(2026, 3, 29))  # clocks go forward on the 29th
    start, end = selector.window()
    assert start == datetime(2026, 3, 27, 23, 0, tzinfo=timezone.utc)  # 00:00 CET
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=timezone.utc)  # 00:00 CEST on the 30th
    assert end - start == timedelta(hours=47)
    assert selector.description() == "03/28/2026 – 03/29/2026"
    assert selector.from_edit.text() == "03/28/2026"  # the edits show what the description says


def test_local_day_bounds_swapped_dates_are_reordered(qtbot):
    selector = GlucoseWindowSelector("UTC", FixedClock(NOW), formats=Formats("en_US"))
    qtbot.addWidget(selector)
    selector.select(len(PRESETS) - 1)
    selector.from_edit.setDate(QDate(2026, 3, 10))
    selector.to_edit.setDate(QDate(2026, 3, 1))
    assert selector.window() == local_day_bounds(date(2026, 3, 1), date(2026, 3, 10), ZoneInfo("UTC"))
