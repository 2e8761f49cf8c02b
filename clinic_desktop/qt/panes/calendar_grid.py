"""The painted calendar grid: a column per doctor (day view) or per day (week view), working
hours shaded, blocks coloured by status, the current-time line; click or drag on free time to
book, drag a block to move it."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QPoint, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...domain.appointment_rules import STATUS_LABELS
from ...domain.clock import Clock
from ...domain.enums import AppointmentStatus
from ..models.appointment_calendar_model import CalendarLayout, PlacedBlock
from ..models.appointment_list_model import REASON_LABELS, STATUS_COLOURS

HEADER_PX = 30
GUTTER_PX = 54
PX_PER_MINUTE = 1.5
MIN_COLUMN_PX = 120
DRAG_THRESHOLD_PX = 6
DEFAULT_BOOKING_MINUTES = 30


class CalendarGrid(QWidget):
    """Paints a CalendarLayout and turns mouse gestures into booking and moving requests."""

    #: (column index, start, end or None for a plain click) on free time
    slot_requested = Signal(int, object, object)
    #: (AppointmentDTO, column index, new start) after dragging a block
    move_requested = Signal(object, int, object)
    selected = Signal(object)  # AppointmentDTO or None
    activated = Signal(object)  # double-clicked AppointmentDTO

    def __init__(self, layout: CalendarLayout, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_model = layout
        self._clock = clock
        self._selected_id = None
        self._press: tuple[QPoint, int, float, PlacedBlock | None] | None = None
        self._drag_preview: tuple[int, datetime, datetime] | None = None
        self._view_left, self._view_top = 0, 0  # the scroll area's visible corner: header and times stay there
        self.setMouseTracking(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._tick = QTimer(self, interval=60_000)
        self._tick.timeout.connect(self.update)  # the current-time line moves every minute
        self._tick.start()

    def relayout(self) -> None:
        self.setMinimumWidth(GUTTER_PX + MIN_COLUMN_PX * max(1, len(self.layout_model.columns)))
        self.setFixedHeight(int(HEADER_PX + self.layout_model.minutes_shown * PX_PER_MINUTE) + 1)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(GUTTER_PX + 220 * max(1, len(self.layout_model.columns)), self.minimumHeight())

    def set_view_origin(self, left: int, top: int) -> None:
        """Keep the doctors' header and the time gutter in view while the scroll area scrolls."""
        self._view_left, self._view_top = left, top
        self.update()

    def select(self, appointment_id) -> None:  # noqa: ANN001
        self._selected_id = appointment_id
        self.update()

    # -- geometry ---------------------------------------------------------------------------

    def column_width(self) -> float:
        return (self.width() - GUTTER_PX) / max(1, len(self.layout_model.columns))

    def y_of(self, minute: float) -> float:
        return HEADER_PX + minute * PX_PER_MINUTE

    def point_for(self, column: int, instant: datetime) -> QPoint:
        """Widget coordinates of `instant` in `column` (used by tests to click like a user)."""
        x = GUTTER_PX + (column + 0.5) * self.column_width()
        return QPoint(int(x), int(self.y_of(self.layout_model.minute_of(instant)) + 2))

    def block_rect(self, block: PlacedBlock) -> QRectF:
        lm, width = self.layout_model, self.column_width()
        top, bottom = self.y_of(lm.minute_of(block.appointment.starts_at)), self.y_of(lm.minute_of(block.appointment.ends_at))
        lane_w = (width - 6) / block.lanes
        x = GUTTER_PX + block.column * width + 3 + block.lane * lane_w
        return QRectF(x, top, lane_w - 2, max(bottom - top, 14))

    def _hit(self, pos: QPoint) -> tuple[int, float] | None:
        if (pos.x() < self._view_left + GUTTER_PX or pos.y() < self._view_top + HEADER_PX
                or not self.layout_model.columns):
            return None
        column = int((pos.x() - GUTTER_PX) // self.column_width())
        if column >= len(self.layout_model.columns):
            return None
        return column, (pos.y() - HEADER_PX) / PX_PER_MINUTE

    # -- mouse ------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        hit = self._hit(event.position().toPoint())
        if hit is None or event.button() != Qt.MouseButton.LeftButton:
            return
        column, minute = hit
        block = next((b for b in self.layout_model.blocks if self.block_rect(b).contains(event.position())), None)
        self._press = (event.position().toPoint(), column, minute, block)
        self._selected_id = block.appointment.id if block else None
        self.selected.emit(block.appointment if block else None)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._press is None:
            return
        origin, column0, minute0, block = self._press
        if (event.position().toPoint() - origin).manhattanLength() < DRAG_THRESHOLD_PX:
            return
        hit = self._hit(event.position().toPoint())
        if hit is None:
            return
        column, minute = hit
        lm = self.layout_model
        if block is not None and block.appointment.is_open and block.appointment.status != AppointmentStatus.CHECKED_IN:
            grab = minute0 - lm.minute_of(block.appointment.starts_at)
            start = lm.instant_at(column, minute - grab)
            self._drag_preview = (column, start, start + (block.appointment.ends_at - block.appointment.starts_at))
        elif block is None:
            lo, hi = sorted((minute0, minute))
            self._drag_preview = (column0, lm.instant_at(column0, lo), lm.instant_at(column0, max(hi, lo + 5)))
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        press, preview = self._press, self._drag_preview
        self._press, self._drag_preview = None, None
        self.update()
        if press is None:
            return
        _, column, minute, block = press
        if block is None and preview is None:
            start = self.layout_model.instant_at(column, (minute // 15) * 15)  # the clicked quarter hour
            self.slot_requested.emit(column, start, None)
        elif block is None and preview is not None:
            self.slot_requested.emit(preview[0], preview[1], preview[2])
        elif block is not None and preview is not None and (
            preview[1] != block.appointment.starts_at or preview[0] != block.column
        ):
            self.move_requested.emit(block.appointment, preview[0], preview[1])

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        block = next((b for b in self.layout_model.blocks if self.block_rect(b).contains(event.position())), None)
        if block is not None:
            self.activated.emit(block.appointment)

    # -- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.fillRect(self.rect(), QColor("#f1f1f1"))
            self._paint_columns(p)
            self._paint_hours(p)
            for block in self.layout_model.blocks:
                self._paint_block(p, block)
            self._paint_preview(p)
            self._paint_now(p)
            self._paint_header(p)
            self._paint_gutter(p)
        finally:
            p.end()

    def _paint_columns(self, p: QPainter) -> None:
        lm, width = self.layout_model, self.column_width()
        for i, col in enumerate(lm.columns):
            x = GUTTER_PX + i * width
            for start, end in col.windows:  # working hours in white on grey "closed" time
                top, bottom = self.y_of(max(0, lm.minute_of(start))), self.y_of(min(lm.minutes_shown, lm.minute_of(end)))
                p.fillRect(QRectF(x, top, width, bottom - top), QColor("#ffffff"))
            if col.closed:
                p.fillRect(QRectF(x, HEADER_PX, width, self.height() - HEADER_PX),
                           QBrush(QColor("#d9d9d9"), Qt.BrushStyle.BDiagPattern))
            p.setPen(QColor("#c8c8c8"))
            p.drawLine(int(x), 0, int(x), self.height())

    def _paint_hours(self, p: QPainter) -> None:
        for minute in range(0, self.layout_model.minutes_shown + 1, 30):
            y = self.y_of(minute)
            p.setPen(QPen(QColor("#d0d0d0" if minute % 60 == 0 else "#e6e6e6"), 1))
            p.drawLine(GUTTER_PX, int(y), self.width(), int(y))

    def _paint_header(self, p: QPainter) -> None:
        lm, width, top = self.layout_model, self.column_width(), self._view_top
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        p.fillRect(QRectF(0, top, self.width(), HEADER_PX), QColor("#e6ecf5"))
        for i, col in enumerate(lm.columns):
            x = GUTTER_PX + i * width
            p.setPen(QColor("#c8c8c8"))
            p.drawLine(int(x), top, int(x), top + HEADER_PX)
            p.setPen(QColor("#1f2d3d"))
            title = col.title + (f" — closed: {col.closed}" if col.closed else "")
            p.drawText(QRectF(x + 4, top, width - 8, HEADER_PX),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignHCenter, title)
        p.setFont(self.font())

    def _paint_gutter(self, p: QPainter) -> None:
        lm, left = self.layout_model, self._view_left
        p.fillRect(QRectF(left, self._view_top + HEADER_PX, GUTTER_PX, self.height()), QColor("#f1f1f1"))
        p.setPen(QColor("#555555"))
        for minute in range(0, lm.minutes_shown, 60):
            y = self.y_of(minute)
            if y - 2 >= self._view_top + HEADER_PX - 4:
                p.drawText(QRectF(left, y - 2, GUTTER_PX - 6, 16), Qt.AlignmentFlag.AlignRight,
                           f"{lm.first_hour + minute // 60:02d}:00")
        p.fillRect(QRectF(left, self._view_top, GUTTER_PX, HEADER_PX), QColor("#e6ecf5"))

    def _paint_block(self, p: QPainter, block: PlacedBlock) -> None:
        a = block.appointment
        rect = self.block_rect(block)
        fill, border = STATUS_COLOURS[a.status]
        selected = a.id == self._selected_id
        p.setBrush(QColor(fill))
        p.setPen(QPen(QColor("#111111" if selected else border), 2.5 if selected else 1.2))
        p.drawRoundedRect(rect, 4, 4)
        p.fillRect(QRectF(rect.x(), rect.y(), 4, rect.height()), QColor(border))
        font = QFont(self.font())
        font.setStrikeOut(a.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW))
        p.setFont(font)
        p.setPen(QColor("#1b1b1b"))
        p.save()
        p.setClipRect(rect)
        p.drawText(rect.adjusted(8, 1, -3, -1), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                   "\n".join(self.block_lines(a, int(rect.height() - 2) // max(1, p.fontMetrics().height()))))
        p.restore()
        p.setFont(self.font())

    def block_lines(self, a, fit: int) -> list[str]:  # noqa: ANN001 - AppointmentDTO
        """Patient, reason, duration and status, folded into the lines that fit the block."""
        lm = self.layout_model
        status = STATUS_LABELS[a.status] + (f" · checklist {len(a.checklist)}" if a.checklist else "")
        head = f"{lm.formats.clock_time(a.starts_at, lm.zone)} {a.patient_name}"
        what = f"{REASON_LABELS[a.reason]} · {a.duration_minutes} min"
        if fit >= 3:
            return [head, what, status]
        if fit == 2:
            return [head, f"{what} · {status}"]
        return [f"{head} · {status}"]

    def _paint_preview(self, p: QPainter) -> None:
        if self._drag_preview is None:
            return
        column, start, end = self._drag_preview
        lm = self.layout_model
        width = self.column_width()
        top, bottom = self.y_of(lm.minute_of(start)), self.y_of(lm.minute_of(end))
        ignore = self._press[3].appointment.id if self._press and self._press[3] else None
        free = lm.is_free(column, start, end, ignore=ignore)
        p.setBrush(QColor(80, 140, 220, 70) if free else QColor(220, 60, 60, 70))
        p.setPen(QPen(QColor("#2f6fd0" if free else "#c03030"), 1.5, Qt.PenStyle.DashLine))
        p.drawRoundedRect(QRectF(GUTTER_PX + column * width + 3, top, width - 6, bottom - top), 4, 4)
        p.setPen(QColor("#1b1b1b"))
        p.drawText(QRectF(GUTTER_PX + column * width + 8, top + 2, width - 12, 16), Qt.AlignmentFlag.AlignLeft,
                   f"{lm.formats.clock_time(start, lm.zone)}–{lm.formats.clock_time(end, lm.zone)}")

    def _paint_now(self, p: QPainter) -> None:
        lm, now = self.layout_model, self._clock.now()
        minute = lm.minute_of(now)
        if not (0 <= minute <= lm.minutes_shown):
            return
        today = now.astimezone(lm.zone).date()
        width = self.column_width()
        p.setPen(QPen(QColor("#e53935"), 2))
        for i, col in enumerate(lm.columns):
            if col.day == today:
                y = int(self.y_of(minute))
                p.drawLine(int(GUTTER_PX + i * width), y, int(GUTTER_PX + (i + 1) * width), y)
                p.setBrush(QColor("#e53935"))
                p.drawEllipse(QPoint(int(GUTTER_PX + i * width) + 3, y), 3, 3)

    def now_line_visible(self) -> bool:
        lm, now = self.layout_model, self._clock.now()
        today = now.astimezone(lm.zone).date()
        return 0 <= lm.minute_of(now) <= lm.minutes_shown and any(c.day == today for c in lm.columns)


