"""Bottom axis for 24-hour views: minutes since local midnight labelled 00:00 … 24:00."""

from __future__ import annotations

import pyqtgraph as pg

HOUR_TICKS = [(m * 60, f"{m:02d}:00") for m in range(0, 25, 3)]
MINOR_TICKS = [(m * 60, "") for m in range(0, 25)]


def day_axis() -> pg.AxisItem:
    """An axis with major ticks every three hours and minor ticks every hour."""
    axis = pg.AxisItem("bottom")
    axis.setTicks([HOUR_TICKS, MINOR_TICKS])
    axis.setTextPen("#202020")
    axis.setPen("#808080")
    return axis


def style_plot(plot: pg.PlotItem, *, y_label: str, x_label: str = "Time of day (clinic time)") -> None:
    """Common look of the 24-hour charts: white, gridded, fixed 0–24 h, no context menu."""
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    plot.getAxis("left").setTextPen("#202020")
    plot.getAxis("left").setPen("#808080")
    plot.setXRange(0, 1440, padding=0.01)
