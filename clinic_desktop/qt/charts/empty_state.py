"""A chart's empty state: a plain centred message, and no time axis labels when there is no time to label.

Without data, pyqtgraph keeps its default view of 0…1 and a date axis labels it "00.100 … 00.900"
(fractions of a second after the epoch). A chart with nothing to show says so instead.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

NO_READINGS_TEXT = "No readings in this period"


class EmptyStateLabel(QLabel):
    """A message laid over the middle of a plot (same layout cell, centred); mouse events pass through it."""

    def __init__(self, text: str = NO_READINGS_TEXT, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("chartEmptyState")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("color: #424242; font-size: 13pt; background: rgba(255, 255, 255, 230);"
                           "border: 1px solid #bdbdbd; border-radius: 4px; padding: 8px 16px;")


def set_axis_labelled(axis: pg.AxisItem, labelled: bool) -> None:
    """Show the axis' automatic ticks and labels, or none at all (no ticks, no grid lines, no text)."""
    axis.setTicks(None if labelled else [[]])
    axis.setStyle(showValues=labelled)
