"""Stacked time-in-ranges bar (<54, 54–69, 70–180, 181–250, >250 mg/dL) with percentages.

A QPainter widget so the same drawing goes on screen and into the PDF report (`paint`).
Goals are the consensus targets for most adults with type 1 or 2 diabetes (Battelino 2019).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...domain.enums import GlucoseUnit
from ...services.glucose_dto import TimeInRanges
from . import chart_style as style

TITLES = {"very_low": "Very low", "low": "Low", "in_range": "In range", "high": "High", "very_high": "Very high"}
GOALS = {"very_low": "goal <1 %", "low": "goal <4 % (below 70 in total)", "in_range": "goal >70 %",
         "high": "goal <25 % (above 180 in total)", "very_high": "goal <5 %"}
MIN_SEGMENT_PX = 3.0  # a 0.3 % slice still shows as a sliver


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def goal_text(key: str, unit: GlucoseUnit) -> str:
    """The goal line, with the combined thresholds written in the patient's unit."""
    text = GOALS[key]
    if unit == GlucoseUnit.MMOL_L:
        text = text.replace("below 70", "below 3.9").replace("above 180", "above 10.0")
    return text


class TimeInRangesBar(QWidget):
    """One stacked bar, very low at the bottom, with a labelled row per range."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ranges: TimeInRanges | None = None
        self._unit = GlucoseUnit.MG_DL
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(360, 220)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(460, 300)

    def set_ranges(self, ranges: TimeInRanges | None, unit: GlucoseUnit) -> None:
        self._ranges, self._unit = ranges, unit
        self.update()

    def labels(self) -> list[str]:
        """The text of each row, top (very high) to bottom (very low): what the user reads."""
        names = style.range_labels(self._unit)
        rows = []
        for key in reversed(style.RANGE_KEYS):
            value = getattr(self._ranges, key) if self._ranges is not None else None
            rows.append(f"{TITLES[key]} {names[key]}: {percent_text(value)} ({goal_text(key, self._unit)})")
        return rows

    def segment_heights(self, total: float) -> dict[str, float]:
        """Pixel height of each segment in a bar `total` px high (tiny non-zero slices widened)."""
        if self._ranges is None:
            return {key: 0.0 for key in style.RANGE_KEYS}
        values = {key: max(0.0, getattr(self._ranges, key) or 0.0) for key in style.RANGE_KEYS}
        whole = sum(values.values()) or 1.0
        heights = {k: (max(MIN_SEGMENT_PX, total * v / whole) if v > 0 else 0.0) for k, v in values.items()}
        scale = total / (sum(heights.values()) or 1.0)
        return {k: h * scale for k, h in heights.items()}

    def paintEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor("white"))
            self.paint(painter, QRectF(self.rect()))
        finally:
            painter.end()

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        """Draw the bar and its labels into `rect` (screen or PDF page)."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(painter.font())
        # Pixel sizes follow the painter's transform, so the PDF report can scale the drawing.
        font.setPixelSize(int(max(10, min(15, rect.height() / 20))))
        painter.setFont(font)
        title_h = painter.fontMetrics().height() * 1.6
        painter.setPen(QColor("#202020"))
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), title_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         "Time in ranges")
        painter.setFont(font)
        bar = QRectF(rect.left() + 8, rect.top() + title_h, min(60.0, rect.width() * 0.16), rect.height() - title_h - 8)
        if self._ranges is None:
            painter.setPen(QPen(QColor("#9e9e9e"), 1, Qt.PenStyle.DashLine))
            painter.drawRect(bar)
            painter.drawText(bar.adjusted(bar.width() + 12, 0, rect.width(), 0), Qt.AlignmentFlag.AlignVCenter, "No readings in this window")
            return
        heights = self.segment_heights(bar.height())
        y = bar.bottom()
        centres = {}
        for key in style.RANGE_KEYS:
            h = heights[key]
            segment = QRectF(bar.left(), y - h, bar.width(), h)
            painter.fillRect(segment, style.RANGE_COLOURS[key])
            centres[key] = y - h / 2
            y -= h
        painter.setPen(QPen(QColor("#424242"), 1))
        painter.drawRect(bar)
        self._paint_labels(painter, rect, bar, centres)

    def _paint_labels(self, painter: QPainter, rect: QRectF, bar: QRectF, centres: dict[str, float]) -> None:
        """Rows evenly spaced beside the bar, with a leader line to their segment."""
        names = style.range_labels(self._unit)
        keys = list(reversed(style.RANGE_KEYS))
        row_h = bar.height() / len(keys)
        text_left = bar.right() + 28
        metrics = painter.fontMetrics()
        for i, key in enumerate(keys):
            row_y = bar.top() + row_h * (i + 0.5)
            painter.setPen(QPen(style.RANGE_COLOURS[key], 1.2))
            painter.drawLine(int(bar.right() + 2), int(centres[key]), int(text_left - 4), int(row_y))
            value = getattr(self._ranges, key)
            painter.setPen(QColor("#202020"))
            bold = QFont(painter.font())
            bold.setBold(True)
            line1 = f"{TITLES[key]} {names[key]}"
            painter.drawText(int(text_left), int(row_y - 2), line1)
            painter.save()
            painter.setFont(bold)
            painter.drawText(int(text_left + metrics.horizontalAdvance(line1) + 10), int(row_y - 2), percent_text(value))
            painter.restore()
            painter.setPen(QColor("#616161"))
            painter.drawText(int(text_left), int(row_y - 2 + metrics.height()), goal_text(key, self._unit))
