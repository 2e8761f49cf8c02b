"""Ambulatory glucose profile: median, 25–75 % and 5–95 % bands by time of day (Johnson 2019).

A generic layout of our own (not the official AGP report's). Fed an `AgpProfile` of canonical
mg/dL percentiles; drawn in the patient's unit with the target band behind.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...domain.enums import GlucoseUnit
from ...services.glucose_dto import AgpProfile
from . import chart_style as style
from .time_of_day_axis import day_axis, style_plot

OUTER_BAND = QColor(31, 59, 115, 45)
INNER_BAND = QColor(31, 59, 115, 110)
MEDIAN_COLOUR = QColor("#0d2350")


def wrap_day(minutes: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Close the 24-hour loop: repeat the last bin before 00:00 and the first after 24:00."""
    if len(minutes) == 0:
        return (minutes, *columns)
    x = np.concatenate([[minutes[-1] - 1440], minutes, [minutes[0] + 1440]])
    return (x, *(np.concatenate([[c[-1]], c, [c[0]]]) for c in columns))


class AgpChart(QWidget):
    """Percentile bands by time of day; `set_profile(profile, unit)` updates it in place."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._unit = GlucoseUnit.MG_DL
        self._profile: AgpProfile | None = None
        self.plot_widget = pg.PlotWidget(background="w", axisItems={"bottom": day_axis()})
        plot = self.plot_widget.getPlotItem()
        style_plot(plot, y_label=style.axis_label(self._unit))
        self._band = pg.LinearRegionItem(orientation="horizontal", movable=False, brush=style.TARGET_BAND_COLOUR,
                                         pen=pg.mkPen("#66bb6a"))
        self._band.setZValue(-20)
        self._curves = {name: pg.PlotCurveItem(pen=pg.mkPen(None)) for name in ("p5", "p25", "p75", "p95")}
        self._p5_p95 = pg.FillBetweenItem(self._curves["p5"], self._curves["p95"], brush=OUTER_BAND)
        self._p25_p75 = pg.FillBetweenItem(self._curves["p25"], self._curves["p75"], brush=INNER_BAND)
        self._edge5 = pg.PlotDataItem(pen=pg.mkPen(QColor(31, 59, 115, 140), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self._edge95 = pg.PlotDataItem(pen=pg.mkPen(QColor(31, 59, 115, 140), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self._median = pg.PlotDataItem(pen=pg.mkPen(MEDIAN_COLOUR, width=2.5))
        for item in (self._band, *self._curves.values(), self._p5_p95, self._p25_p75, self._edge5, self._edge95, self._median):
            plot.addItem(item)
        self._caption = QLabel(self)
        self._caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self._caption)
        self._apply_unit()

    @property
    def unit(self) -> GlucoseUnit:
        return self._unit

    def set_profile(self, profile: AgpProfile | None, unit: GlucoseUnit) -> None:
        """Show `profile` (percentiles in mg/dL) in `unit`; None clears the chart."""
        self._profile, self._unit = profile, unit
        self._apply_unit()
        if profile is None or len(profile.minutes) == 0:
            for item in (*self._curves.values(), self._edge5, self._edge95, self._median):
                item.setData([], [])
            self._update_caption()
            return
        x, p5, p25, p50, p75, p95 = wrap_day(
            np.asarray(profile.minutes, float), *(style.to_display(getattr(profile, k), unit) for k in ("p5", "p25", "p50", "p75", "p95"))
        )
        for name, ys in (("p5", p5), ("p25", p25), ("p75", p75), ("p95", p95)):
            self._curves[name].setData(x, ys)
        self._edge5.setData(x, p5)
        self._edge95.setData(x, p95)
        self._median.setData(x, p50)
        top = np.nanmax(profile.p95) if np.isfinite(profile.p95).any() else None
        self.plot_widget.getPlotItem().setYRange(0, style.default_y_max(unit, top), padding=0)
        self._update_caption()

    def bin_count(self) -> int:
        """Time-of-day bins shown (the profile's, without the wrap-around points)."""
        return 0 if self._profile is None else len(self._profile.minutes)

    def y_axis_label(self) -> str:
        return self.plot_widget.getPlotItem().getAxis("left").labelText

    def median_display_values(self) -> np.ndarray:
        y = self._median.yData
        return np.empty(0) if y is None else np.asarray(y[1:-1])

    def _apply_unit(self) -> None:
        plot = self.plot_widget.getPlotItem()
        plot.setLabel("left", style.axis_label(self._unit))
        self._band.setRegion((style.threshold(style.LOW_MGDL, self._unit), style.threshold(style.HIGH_MGDL, self._unit)))
        plot.setYRange(0, style.default_y_max(self._unit), padding=0)

    def _update_caption(self) -> None:
        labels = style.range_labels(self._unit)
        sw = lambda c, t: f"<span style='color:{QColor(c).name()}'>&#9632;</span>&nbsp;{html.escape(t)}"  # noqa: E731
        days = f"{self._profile.days} days of data. " if self._profile is not None else "No data in this window. "
        self._caption.setText(
            html.escape(days) + "&nbsp;&nbsp;".join([
                sw(MEDIAN_COLOUR, "Median"), sw(INNER_BAND.darker(120), "25–75 %"), sw(QColor(120, 140, 185), "5–95 %"),
                sw("#66bb6a", f"Target {labels['in_range']}"),
            ])
        )
