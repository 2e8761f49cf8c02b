"""One-page glucose profile report (PDF) in a generic layout of our own.

Not the official AGP report layout (its owner holds the rights to that): a header with the
patient and window, the consensus metrics with goals beside the time-in-ranges bar, then the
AGP bands and the daily overlays. Drawn with QPdfWriter + QPainter; the charts are our own
widgets rendered offscreen, so the PDF shows exactly what the screen shows. Text stays text
(searchable, and checked by the tests with pdftotext).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from PySide6.QtCore import QMarginsF, QPoint, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)
from PySide6.QtWidgets import QWidget

from ...domain.enums import GlucoseUnit
from ...services.glucose_dto import AgpProfile, DailyOverlay, GlucoseMetrics
from ..charts.agp_chart import AgpChart
from ..charts.daily_overlay_chart import DailyOverlayChart
from ..charts.time_in_ranges_bar import TimeInRangesBar
from ..formats import Formats
from ..panes.glucose_metrics_panel import (
    MET,
    NOT_MET,
    deeper_rows,
    metric_rows,
    sufficiency_text,
)

DPI = 300
MARGIN_MM = 12.0


@dataclass(frozen=True)
class AgpReportData:
    """What the report shows; all of it already loaded (no database access while drawing)."""

    patient_name: str
    mrn: str
    unit: GlucoseUnit
    clinic_name: str
    zone: tzinfo
    start: datetime
    end: datetime
    metrics: GlucoseMetrics | None
    agp: AgpProfile | None
    overlays: list[DailyOverlay]
    generated_at: datetime
    formats: Formats  # the clinic's way of writing dates


def write_agp_report(path: str, data: AgpReportData) -> None:
    """Write the one-page report to `path` (A4 portrait)."""
    writer = QPdfWriter(path)
    writer.setResolution(DPI)
    writer.setTitle(f"Glucose profile report — {data.mrn}")
    writer.setCreator("Clinic Desktop")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM), QPageLayout.Unit.Millimeter))
    painter = QPainter(writer)
    try:
        page = QRectF(0, 0, writer.width(), writer.height())
        _ReportPainter(painter, page, data).draw()
    finally:
        painter.end()


class _ReportPainter:
    """Lays the page out top to bottom; coordinates are device pixels at DPI."""

    def __init__(self, painter: QPainter, page: QRectF, data: AgpReportData) -> None:
        self.p, self.page, self.data = painter, page, data
        self.mm = DPI / 25.4

    def font(self, points: float, *, bold: bool = False) -> QFont:
        font = QFont("DejaVu Sans")
        font.setPointSizeF(points)
        font.setBold(bold)
        self.p.setFont(font)
        return font

    def text(self, rect: QRectF, text: str, *, points: float = 9, bold: bool = False, colour: str = "#202020",
             flags: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) -> None:
        self.font(points, bold=bold)
        self.p.setPen(QColor(colour))
        self.p.drawText(rect, int(flags) | int(Qt.TextFlag.TextWordWrap), text)

    def draw(self) -> None:
        y = self._header(self.page.top())
        y = self._sufficiency(y)
        y = self._metrics_and_bar(y)
        chart_h = (self.page.bottom() - y - 14 * self.mm) / 2
        y = self._chart(y, chart_h, "Ambulatory glucose profile (median, 25–75 % and 5–95 % by time of day)", self._agp_widget())
        y = self._chart(y, chart_h, "Daily overlay (one line per day)", self._overlay_widget())
        self._footer()

    def _header(self, y: float) -> float:
        d, w = self.data, self.page.width()
        self.text(QRectF(0, y, w, 9 * self.mm), "Glucose profile report", points=16, bold=True)
        day = lambda m: d.formats.date(m.astimezone(d.zone).date())  # noqa: E731
        window = f"{day(d.start)} – {day(d.end)}"
        days = (d.end - d.start).days + 1
        self.text(QRectF(0, y + 9 * self.mm, w * 0.7, 12 * self.mm),
                  f"{d.patient_name}   ·   MRN {d.mrn}\nWindow: {window} ({days} days)   ·   Values in {d.unit.value}", points=10)
        generated = d.formats.instant(d.generated_at, d.zone)
        self.text(QRectF(w * 0.7, y + 9 * self.mm, w * 0.3, 12 * self.mm), f"{d.clinic_name}\nGenerated {generated}",
                  points=9, colour="#424242", flags=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        bottom = y + 22 * self.mm
        self.p.setPen(QPen(QColor("#1f3b73"), 0.6 * self.mm))
        self.p.drawLine(int(0), int(bottom), int(w), int(bottom))
        return bottom + 2 * self.mm

    def _sufficiency(self, y: float) -> float:
        m = self.data.metrics
        if m is None:
            return y
        box = QRectF(0, y, self.page.width(), 9 * self.mm)
        ok = m.sufficiency.met
        self.p.fillRect(box, QColor("#e8f5e9" if ok else "#fff3e0"))
        self.text(box.adjusted(2 * self.mm, 1 * self.mm, -2 * self.mm, 0), sufficiency_text(m), points=8, bold=not ok,
                  colour="#1b5e20" if ok else "#8a3b00")
        return box.bottom() + 2 * self.mm

    def _metrics_and_bar(self, y: float) -> float:
        d, w = self.data, self.page.width()
        height = 78 * self.mm
        if d.metrics is None:
            self.text(QRectF(0, y, w, 10 * self.mm), "No readings in this window.", points=11)
            return y + 12 * self.mm
        rows = metric_rows(d.metrics, d.unit) + deeper_rows(d.metrics, d.unit)
        row_h = height / (len(rows) + 1)
        col = (0.0, w * 0.25, w * 0.43)
        self.text(QRectF(col[0], y, w * 0.25, row_h), "Metric", points=8, bold=True)
        self.text(QRectF(col[1], y, w * 0.18, row_h), "Value", points=8, bold=True)
        self.text(QRectF(col[2], y, w * 0.15, row_h), "Goal", points=8, bold=True)
        for i, row in enumerate(rows, start=1):
            top = y + i * row_h
            name = row.name.split(" (")[0]  # the short name; the long form is on screen
            colour = "#c62828" if row.status == NOT_MET else "#202020"
            self.text(QRectF(col[0], top, w * 0.25, row_h), name, points=7.5)
            self.text(QRectF(col[1], top, w * 0.18, row_h), row.value, points=7.5, bold=True, colour=colour)
            goal = row.target + ("  ✔" if row.status == MET else "  ✘" if row.status == NOT_MET else "")
            self.text(QRectF(col[2], top, w * 0.17, row_h), goal, points=7.5, colour=colour)
        bar = TimeInRangesBar()
        bar.set_ranges(d.metrics.ranges, d.unit)
        self._scaled(QRectF(w * 0.60, y, w * 0.40, height), bar, (420, 330), paint=bar.paint)
        return y + height + 3 * self.mm

    def _agp_widget(self) -> QWidget:
        chart = AgpChart()
        chart.set_profile(self.data.agp, self.data.unit)
        return chart

    def _overlay_widget(self) -> QWidget:
        chart = DailyOverlayChart(formats=self.data.formats)
        chart.set_days(self.data.overlays, self.data.unit)
        return chart

    def _chart(self, y: float, height: float, title: str, widget: QWidget) -> float:
        w = self.page.width()
        self.text(QRectF(0, y, w, 6 * self.mm), title, points=10, bold=True)
        target = QRectF(0, y + 6 * self.mm, w, height - 7 * self.mm)
        logical_w = 820  # the on-screen size whose fonts read well once scaled to the page
        self._scaled(target, widget, (logical_w, int(logical_w * target.height() / target.width())))
        return y + height

    def _scaled(self, target: QRectF, widget: QWidget, size: tuple[int, int], paint=None) -> None:  # noqa: ANN001
        """Render `widget` laid out at `size` logical pixels, scaled into `target`."""
        widget.resize(*size)
        widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        widget.show()  # lays the plot out (offscreen)
        scale = min(target.width() / size[0], target.height() / size[1])
        self.p.save()
        try:
            self.p.translate(target.left(), target.top())
            self.p.scale(scale, scale)
            if paint is not None:
                paint(self.p, QRectF(0, 0, *size))
            else:
                widget.render(self.p, QPoint(0, 0))
        finally:
            self.p.restore()
            widget.close()
            widget.deleteLater()

    def _footer(self) -> None:
        w = self.page.width()
        self.text(QRectF(0, self.page.bottom() - 9 * self.mm, w, 9 * self.mm),
                  "Metrics and goals per the international consensus on time in range (Battelino et al., Diabetes Care 2019); "
                  "goals shown are for most adults with type 1 or type 2 diabetes. Generic layout by Clinic Desktop — "
                  "not the official AGP report.", points=6.5, colour="#616161")
