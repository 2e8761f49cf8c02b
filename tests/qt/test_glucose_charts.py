"""Glucose chart components: fed DTOs built from numpy arrays, they draw what they are given."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QLabel

from clinic_desktop.domain.enums import GlucoseUnit
from clinic_desktop.qt.charts.agp_chart import AgpChart
from clinic_desktop.qt.charts.clinic_date_axis import ClinicDateAxis
from clinic_desktop.qt.charts.daily_overlay_chart import DailyOverlayChart
from clinic_desktop.qt.charts.glucose_trend_chart import GlucoseTrendChart, break_gaps
from clinic_desktop.qt.charts.time_in_ranges_bar import TimeInRangesBar
from clinic_desktop.qt.formats import Formats
from clinic_desktop.services.glucose_dto import TimeInRanges

from . import glucose_samples as samples


@pytest.fixture
def trend(qtbot):
    chart = GlucoseTrendChart("Europe/Berlin", formats=Formats("en_US"))
    qtbot.addWidget(chart)
    chart.resize(1000, 400)
    chart.show()
    return chart


def test_raw_series_draws_every_reading_as_a_point(trend):
    series = samples.raw_series(288)
    trend.set_series(series, GlucoseUnit.MG_DL)
    counts = trend.shown_counts()
    assert counts["points"] == 288 and counts["line"] == 288 and counts["bars"] == 0


def test_downsampled_series_draws_one_bar_per_bucket_and_only_extremes_as_points(trend):
    series = samples.bucketed_series(days=90, buckets=1000)
    trend.set_series(series, GlucoseUnit.MG_DL)
    counts = trend.shown_counts()
    assert counts["bars"] == 1000 and counts["line"] == 1000
    expected = int(np.sum(series.mins < 54) + np.sum(series.maxs > 250))
    assert counts["points"] == expected > 0


def test_empty_buckets_are_not_drawn(trend):
    series = samples.bucketed_series(days=14, buckets=200)
    for array in (series.values, series.mins, series.maxs):
        array[50:80] = np.nan
    trend.set_series(series, GlucoseUnit.MG_DL)
    assert trend.shown_counts()["bars"] == 170 and trend.shown_counts()["line"] == 170


def test_mmol_unit_scales_axis_band_and_values(trend):
    series = samples.raw_series(100)
    trend.set_series(series, GlucoseUnit.MMOL_L)
    assert trend.y_axis_label() == "Glucose (mmol/L)"
    shown = trend._line.yData[np.isfinite(trend._line.yData)]
    assert shown.max() == pytest.approx(series.values.max() / 18.0)
    assert trend._band.getRegion() == pytest.approx((70 / 18.0, 10.0))
    assert trend.y_range()[1] < 30  # 400 mg/dL ≈ 22 mmol/L, not 400
    trend.set_series(series, GlucoseUnit.MG_DL)
    assert trend.y_axis_label() == "Glucose (mg/dL)" and trend._band.getRegion() == pytest.approx((70, 180))


def drawn_tick_labels(axis: ClinicDateAxis) -> list[str]:
    """The texts the axis paints at its current size and range."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [text for _rect, _flags, text in specs[2]]


def painted_differs_without(chart: GlucoseTrendChart, widget: QLabel) -> bool:
    """Whether hiding `widget` changes what the chart paints (it is really seen)."""
    shown = chart.grab().toImage()
    widget.hide()
    try:
        return chart.grab().toImage() != shown
    finally:
        widget.show()


def empty_state(chart: GlucoseTrendChart) -> QLabel | None:
    return chart.findChild(QLabel, "chartEmptyState")


def test_empty_trend_chart_shows_a_plain_empty_state_until_readings_arrive(trend, qtbot):
    axis = trend.plot_widget.getPlotItem().getAxis("bottom")
    trend.set_series(None, GlucoseUnit.MG_DL)
    label = empty_state(trend)
    assert label is not None and label.isVisible() and label.text() == "No readings in this period"
    assert drawn_tick_labels(axis) == []  # not pyqtgraph's "00.100 … 00.900" of an empty 0…1 view
    assert painted_differs_without(trend, label)  # on top of the plot, not hidden under it
    trend.set_series(samples.raw_series(288), GlucoseUnit.MG_DL)
    assert not label.isVisible()
    labels = drawn_tick_labels(axis)
    assert labels and not any(re.search(r"\.\d{3}$", text) for text in labels)  # times of day, not milliseconds


def test_empty_window_keeps_its_dates_and_says_there_are_no_readings(trend):
    trend.set_window(samples.START, samples.START + timedelta(days=7))
    empty = samples.raw_series(288)
    empty = replace(empty, times=empty.times[:0], values=empty.values[:0], mins=empty.mins[:0], maxs=empty.maxs[:0],
                    flags=empty.flags[:0])
    trend.set_series(empty, GlucoseUnit.MG_DL)
    label = empty_state(trend)
    assert label is not None and label.isVisible()
    assert drawn_tick_labels(trend.plot_widget.getPlotItem().getAxis("bottom"))  # the chosen week is still labelled


def test_markers_are_drawn_and_replaced(trend):
    trend.set_series(samples.raw_series(288), GlucoseUnit.MG_DL)
    trend.set_markers(samples.markers())
    assert trend.shown_counts()["markers"] == 4
    assert "Medication dose" in trend._legend.text() and "Meal" in trend._legend.text()
    trend.set_markers([])
    assert trend.shown_counts()["markers"] == 0


def test_zoom_emits_one_debounced_range_request(trend, qtbot):
    series = samples.bucketed_series(days=14, buckets=500)
    trend.set_window(series.start, series.end)
    trend.set_series(series, GlucoseUnit.MG_DL)
    requests = []
    trend.range_requested.connect(lambda s, e, px: requests.append((s, e, px)))
    qtbot.wait(trend.DEBOUNCE_MS + 100)
    assert requests == []  # setting the window is not a user zoom
    lo = series.start.timestamp() + 86400
    for hours in (48, 24, 12):  # a burst of wheel steps → one request
        trend._vb.setXRange(lo, lo + hours * 3600, padding=0)
    qtbot.waitUntil(lambda: len(requests) == 1, timeout=2000)
    qtbot.wait(trend.DEBOUNCE_MS + 50)
    assert len(requests) == 1
    start, end, pixels = requests[0]
    assert start == datetime.fromtimestamp(lo, timezone.utc)
    assert end - start == timedelta(hours=12) and pixels >= 100


def test_pan_is_limited_to_the_window(trend):
    series = samples.bucketed_series(days=14, buckets=200)
    trend.set_window(series.start, series.end)
    trend._vb.setXRange(series.start.timestamp() - 5 * 86400, series.start.timestamp() + 86400, padding=0)
    start, _ = trend.visible_range()
    assert start >= series.start - timedelta(seconds=1)


def test_gaps_break_the_line():
    times = np.array([0.0, 300, 600, 600 + 7200, 600 + 7500])
    x, y = break_gaps(times, np.ones(5), 1800)
    assert len(x) == 6 and np.isnan(y[3])


def test_date_axis_labels_in_clinic_time(qtbot):
    from PySide6.QtGui import QFont, QFontMetrics

    axis = ClinicDateAxis("America/New_York", formats=Formats("en_US"))
    axis.fontMetrics = QFontMetrics(QFont())  # set by pyqtgraph when the axis is first drawn
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc).timestamp()  # 08:00 EDT
    axis.tickValues(moment - 3600 * 6, moment + 3600 * 6, 1000)
    spacing = next(s.spacing for s in axis.zoomLevel.tickSpecs if "%H" in s.format)
    assert axis.tickStrings([moment], 1, spacing) == ["08:00"]
    axis.set_zone("Asia/Tokyo")
    assert axis.tickStrings([moment], 1, spacing) == ["21:00"]


def test_agp_chart_shows_one_point_per_bin_in_patient_unit(qtbot):
    chart = AgpChart()
    qtbot.addWidget(chart)
    profile = samples.agp_profile(days=14, bins=96)
    chart.set_profile(profile, GlucoseUnit.MMOL_L)
    assert chart.bin_count() == 96 and chart.y_axis_label() == "Glucose (mmol/L)"
    assert np.allclose(chart.median_display_values(), profile.p50 / 18.0)
    assert "14 days" in chart._caption.text()
    chart.set_profile(None, GlucoseUnit.MG_DL)
    assert chart.bin_count() == 0 and "No data" in chart._caption.text()


def test_daily_overlay_draws_one_line_per_day_and_reuses_lines(qtbot):
    chart = DailyOverlayChart(formats=Formats("en_US"))
    qtbot.addWidget(chart)
    chart.set_days(samples.daily_overlays(14), GlucoseUnit.MG_DL)
    assert chart.line_count() == 14
    chart.set_days(samples.daily_overlays(5), GlucoseUnit.MMOL_L)
    assert chart.line_count() == 5 and chart.y_axis_label() == "Glucose (mmol/L)"
    assert "5 days" in chart._caption.text()


def test_time_in_ranges_bar_labels_and_proportions(qtbot):
    bar = TimeInRangesBar()
    qtbot.addWidget(bar)
    ranges = TimeInRanges(very_low=0.2, low=3.8, in_range=71.0, high=20.0, very_high=5.0)
    bar.set_ranges(ranges, GlucoseUnit.MG_DL)
    labels = bar.labels()
    assert labels[0].startswith("Very high >250 mg/dL: 5.0 %")
    assert labels[2].startswith("In range 70–180 mg/dL: 71.0 %")
    assert labels[4].startswith("Very low <54 mg/dL: 0.2 %")
    heights = bar.segment_heights(200.0)
    assert sum(heights.values()) == pytest.approx(200.0)
    assert heights["in_range"] > heights["high"] > heights["very_high"] > heights["low"]
    assert heights["very_low"] >= 2.5  # a sliver stays visible
    bar.set_ranges(ranges, GlucoseUnit.MMOL_L)
    assert bar.labels()[2].startswith("In range 3.9–10.0 mmol/L")
    bar.resize(460, 300)
    assert not bar.grab().isNull()
