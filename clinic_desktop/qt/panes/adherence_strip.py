"""Calendar strip: one cell per day per medication (all taken / some missed / none taken)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...services.medication_dto import DayMark
from ..formats import Formats

MARK_COLOURS = {
    DayMark.ALL_TAKEN: QColor("#43a047"), DayMark.SOME_MISSED: QColor("#fbc02d"),
    DayMark.NONE_TAKEN: QColor("#e53935"), DayMark.PENDING: QColor("#bbdefb"), DayMark.NOT_SCHEDULED: QColor("#f5f5f5"),
}
MARK_TEXT = {
    DayMark.ALL_TAKEN: "All taken", DayMark.SOME_MISSED: "Some missed", DayMark.NONE_TAKEN: "None taken",
    DayMark.PENDING: "Not yet due", DayMark.NOT_SCHEDULED: "Nothing scheduled",
}
LABEL_WIDTH, CELL, GAP, HEADER = 190, 22, 3, 18


class AdherenceStrip(QWidget):
    """Paints rows of (label, marks) against a shared list of days; tooltips name day and outcome."""

    def __init__(self, parent: QWidget | None = None, *, formats: Formats) -> None:
        super().__init__(parent)
        self._formats = formats
        self._days: list[date] = []
        self._rows: list[tuple[str, tuple[DayMark, ...]]] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_data(self, days: list[date], rows: list[tuple[str, tuple[DayMark, ...]]]) -> None:
        self._days, self._rows = list(days), list(rows)
        self.updateGeometry()
        self.update()

    def rows(self) -> list[tuple[str, tuple[DayMark, ...]]]:
        return list(self._rows)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(LABEL_WIDTH + len(self._days) * (CELL + GAP), HEADER + max(1, len(self._rows)) * (CELL + GAP) + 4)

    def _cell(self, row: int, col: int) -> QRectF:
        return QRectF(LABEL_WIDTH + col * (CELL + GAP), HEADER + row * (CELL + GAP), CELL, CELL)

    def paintEvent(self, _event) -> None:  # noqa: ANN001, N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self._rows:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No scheduled medications in these days")
            return
        for col, day in enumerate(self._days):
            rect = self._cell(0, col).adjusted(-4, -HEADER, 4, 0)
            painter.drawText(QRectF(rect.x(), 0, rect.width(), HEADER), Qt.AlignmentFlag.AlignCenter, f"{day.day:02d}")  # the day of the month; the tooltip names the date
        for row, (label, marks) in enumerate(self._rows):
            painter.setPen(QPen(self.palette().text().color()))
            painter.drawText(QRectF(0, HEADER + row * (CELL + GAP), LABEL_WIDTH - 6, CELL),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             painter.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 8))
            painter.setPen(QPen(QColor("#9e9e9e")))
            for col, mark in enumerate(marks):
                painter.setBrush(MARK_COLOURS[mark])
                painter.drawRoundedRect(self._cell(row, col), 3, 3)
        painter.end()

    def mouseMoveEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        pos = event.position()
        for row, (label, marks) in enumerate(self._rows):
            for col, mark in enumerate(marks):
                if self._cell(row, col).contains(pos):
                    self.setToolTip(f"{label}\n{self._formats.weekday_date(self._days[col])}: {MARK_TEXT[mark]}")
                    return
        self.setToolTip("")
