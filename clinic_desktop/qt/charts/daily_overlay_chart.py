"""Daily overlay: one line per local day across 24 hours, to spot repeating patterns."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...domain.enums import GlucoseUnit
from ...services.glucose_dto import DailyOverlay
from ..formats import Formats
from . import chart_style as style
from .glucose_trend_chart import break_gaps
from .time_of_day_axis import day_axis, style_plot

GAP_MINUTES = 30.0


def day_colours(count: int) -> list[QColor]:
    """Distinguishable colours along a perceptual map, oldest day lightest."""
    if count <= 0:
        return []
    cmap = pg.colormap.get("viridis")
    return [cmap.map(0.15 + 0.7 * i / max(1, count - 1), mode="qcolor") for i in range(count)]


class DailyOverlayChart(QWidget):
    """Each day's readings over 00:00–24:00; lines are reused between updates."""

    def __init__(self, parent: QWidget | None = None, *, formats: Formats) -> None:
        super().__init__(parent)
        self._formats = formats
        self._unit = GlucoseUnit.MG_DL
        self._days: list[DailyOverlay] = []
        self.plot_widget = pg.PlotWidget(background="w", axisItems={"bottom": day_axis()})
        self._plot = self.plot_widget.getPlotItem()
        style_plot(self._plot, y_label=style.axis_label(self._unit))
        self._band = pg.LinearRegionItem(orientation="horizontal", movable=False, brush=style.TARGET_BAND_COLOUR,
                                         pen=pg.mkPen("#66bb6a"))
        self._band.setZValue(-20)
        self._plot.addItem(self._band)
        self._lines: list[pg.PlotDataItem] = []
        self._caption = QLabel(self)
        self._caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self._caption)
        self._apply_unit()

    def set_days(self, days: Sequence[DailyOverlay], unit: GlucoseUnit) -> None:
        """One line per day (values in mg/dL), drawn in `unit`."""
        self._days, self._unit = list(days), unit
        self._apply_unit()
        while len(self._lines) < len(self._days):
            line = pg.PlotDataItem(connect="finite")
            self._plot.addItem(line)
            self._lines.append(line)
        colours = day_colours(len(self._days))
        data_max = 0.0
        for line, day, colour in zip(self._lines, self._days, colours):
            minutes = np.asarray(day.minutes, float)
            values = np.asarray(day.values, float)
            x, y = break_gaps(minutes, style.to_display(values, unit), GAP_MINUTES)
            line.setData(x, y)
            line.setPen(pg.mkPen(colour, width=1.2))
            line.show()
            if np.isfinite(values).any():
                data_max = max(data_max, float(np.nanmax(values)))
        for line in self._lines[len(self._days):]:
            line.setData([], [])
            line.hide()
        self._plot.setYRange(0, style.default_y_max(unit, data_max), padding=0)
        self._update_caption(colours)

    def line_count(self) -> int:
        return sum(1 for line in self._lines if line.isVisible() and line.yData is not None and len(line.yData))

    def y_axis_label(self) -> str:
        return self._plot.getAxis("left").labelText

    def _apply_unit(self) -> None:
        self._plot.setLabel("left", style.axis_label(self._unit))
        self._band.setRegion((style.threshold(style.LOW_MGDL, self._unit), style.threshold(style.HIGH_MGDL, self._unit)))

    def _update_caption(self, colours: list[QColor]) -> None:
        if not self._days:
            self._caption.setText("No readings in this window.")
            return
        first, last = self._days[0].day, self._days[-1].day
        f = self._formats
        sw = lambda c, t: f"<span style='color:{QColor(c).name()}'>&#9632;</span>&nbsp;{html.escape(t)}"  # noqa: E731
        self._caption.setText(
            f"{len(self._days)} days, {f.date(first)} – {f.date(last)}: "
            + sw(colours[0], f"oldest ({f.day_month(first)})") + "&nbsp;→&nbsp;"
            + sw(colours[-1], f"newest ({f.day_month(last)})")
            + "&nbsp;&nbsp;" + sw("#66bb6a", f"Target {style.range_labels(self._unit)['in_range']}")
        )
