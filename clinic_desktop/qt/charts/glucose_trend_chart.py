"""Trend chart of one patient's glucose over time (pyqtgraph), fed numpy arrays.

Built once; `set_series` and `set_markers` only call `setData`. The server decides the
resolution: when the chart holds downsampled buckets it draws each bucket's min–max as a vertical
bar (so every spike stays visible) with the bucket means as a line; raw readings are drawn as
points coloured by consensus range. Zooming or panning emits a debounced `range_requested` so the
pane can fetch the right resolution in the background. Values are shown in the patient's unit.
With no readings the chart says so in the middle of the plot; with no window either, the time
axis carries no labels.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timezone, tzinfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from ...domain.enums import GlucoseUnit, ReadingFlag
from ...domain.units import format_glucose
from ...services.glucose_dto import ChartMarker, GlucoseSeries
from ..formats import Formats
from . import chart_style as style
from .clinic_date_axis import ClinicDateAxis
from .empty_state import EmptyStateLabel, set_axis_labelled

#: How each marker kind is drawn: symbol, colour, legend text.
MARKER_STYLES = {
    "dose": ("t1", "#1565c0", "Medication dose"),
    "meal": ("s", "#6d4c41", "Meal"),
    "hypo": ("t", "#8e0000", "Hypo event"),
    "hyper": ("t1", "#e65100", "Hyper event"),
}
_OTHER_MARKER = ("d", "#616161", "Event")
MIN_VIEW_SECONDS = 15 * 60.0
RAW_GAP_SECONDS = 30 * 60.0  # a CGM gap longer than this breaks the line instead of bridging it


def _epoch(moment: datetime) -> float:
    return moment.timestamp() if moment.tzinfo else moment.replace(tzinfo=timezone.utc).timestamp()


def break_gaps(times: np.ndarray, values: np.ndarray, max_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Insert NaN between points further apart than `max_gap` so the line shows missing data."""
    if len(times) < 2:
        return times, values
    gaps = np.flatnonzero(np.diff(times) > max_gap) + 1
    if not len(gaps):
        return times, values
    return np.insert(times, gaps, times[gaps - 1] + 1.0), np.insert(values, gaps, np.nan)


class GlucoseTrendChart(QWidget):
    """Glucose over time with target band, range colouring, min/max envelope and event markers."""

    #: (start, end, pixels): the user zoomed or panned; fetch this range at this width.
    range_requested = Signal(object, object, int)
    DEBOUNCE_MS = 250

    def __init__(self, zone: tzinfo | str | None = None, parent: QWidget | None = None, *, formats: Formats) -> None:
        super().__init__(parent)
        self._formats = formats
        self._unit = GlucoseUnit.MG_DL
        self._series: GlucoseSeries | None = None
        self._markers: list[ChartMarker] = []
        self._window: tuple[float, float] | None = None
        self._programmatic = False
        self._bar_count = 0
        self._point_values: np.ndarray = np.empty(0)
        self._point_flags: np.ndarray | None = None
        self._range_brushes = np.array([pg.mkBrush(style.RANGE_COLOURS[k]) for k in style.RANGE_KEYS], dtype=object)
        self._debounce = QTimer(self, singleShot=True, interval=self.DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit_range)
        self._axis = ClinicDateAxis(zone, formats=formats)
        self._build_plot()
        self._legend = QLabel(self)
        self._legend.setWordWrap(True)
        self._empty_state = EmptyStateLabel(parent=self)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 0, 0)
        layout.addWidget(self._empty_state, 0, 0, Qt.AlignmentFlag.AlignCenter)  # over the plot, centred
        layout.addWidget(self._legend, 1, 0)
        layout.setRowStretch(0, 1)
        self._empty_state.raise_()  # the layout reparented the plot widget on top of it
        self._apply_unit()
        self._update_empty_state()

    # -- construction -------------------------------------------------------------------------
    def _build_plot(self) -> None:
        self.plot_widget = pg.PlotWidget(background="w", axisItems={"bottom": self._axis})
        plot = self.plot_widget.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=style.GRID_ALPHA)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        for name in ("left", "bottom"):
            plot.getAxis(name).setTextPen("#202020")
            plot.getAxis(name).setPen("#808080")
        plot.setLabel("bottom", "Date and time (clinic time)")
        self._vb = plot.getViewBox()
        self._vb.setMouseEnabled(x=True, y=False)  # glucose scale stays fixed; time zooms
        self._vb.sigXRangeChanged.connect(self._on_x_range_changed)
        self._band = pg.LinearRegionItem(
            orientation="horizontal", movable=False, brush=style.TARGET_BAND_COLOUR, pen=pg.mkPen("#66bb6a", width=1)
        )
        self._band.setZValue(-20)
        self._very_low_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(style.VERY_LOW_COLOUR, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self._very_high_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(style.VERY_HIGH_COLOUR, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self._envelope = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(style.ENVELOPE_COLOUR, width=3))
        # The parts of each bucket's min–max bar outside the target range, in the range colours.
        self._envelope_low = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(style.LOW_COLOUR, width=3))
        self._envelope_high = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(style.HIGH_COLOUR, width=3))
        for bars in (self._envelope, self._envelope_low, self._envelope_high):
            # Separate vertical segments never overlap, so drawLines is exact and ~10× faster than
            # stroking a path with a wide translucent pen.
            bars.setSegmentedLineMode("on")
        self._line = pg.PlotDataItem(connect="finite", pen=pg.mkPen(style.LINE_COLOUR, width=1.5))
        self._points = pg.ScatterPlotItem(size=6, pen=None, hoverable=True, tip=self._point_tip)
        self._marker_items = pg.ScatterPlotItem(size=11, hoverable=True, tip=lambda x, y, data: str(data))
        for item in (self._band, self._very_low_line, self._very_high_line, self._envelope, self._envelope_low,
                     self._envelope_high, self._line, self._points, self._marker_items):
            plot.addItem(item)
        self._readout = pg.TextItem(color="#202020", anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 210))
        self._readout.setZValue(50)
        plot.addItem(self._readout, ignoreBounds=True)
        self._readout.hide()
        self._mouse_proxy = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)

    # -- public interface ---------------------------------------------------------------------
    @property
    def unit(self) -> GlucoseUnit:
        return self._unit

    def set_zone(self, zone: tzinfo | str | None) -> None:
        """Show times in this zone (the clinic's)."""
        self._axis.set_zone(zone)

    def set_window(self, start: datetime, end: datetime) -> None:
        """The selected window: the whole view, and the limits of pan and zoom (no request emitted)."""
        lo, hi = _epoch(start), _epoch(end)
        self._window = (lo, hi)
        self._programmatic = True
        try:
            self._vb.setLimits(xMin=lo, xMax=hi, minXRange=min(MIN_VIEW_SECONDS, hi - lo), maxXRange=hi - lo)
            self._vb.setXRange(lo, hi, padding=0)
        finally:
            self._programmatic = False
        self._debounce.stop()
        self._update_empty_state()

    def reset_view(self) -> None:
        """Back to the whole window (asks for the window's resolution again)."""
        if self._window is not None:
            self._vb.setXRange(*self._window, padding=0)

    def visible_range(self) -> tuple[datetime, datetime]:
        lo, hi = self._vb.viewRange()[0]
        return datetime.fromtimestamp(lo, timezone.utc), datetime.fromtimestamp(hi, timezone.utc)

    def pixel_width(self) -> int:
        return max(100, int(self._vb.width() or self.width() or 1000))

    def set_series(self, series: GlucoseSeries | None, unit: GlucoseUnit) -> None:
        """Show this series in `unit`; the view range is kept (set it with `set_window`)."""
        unit_changed = unit != self._unit
        self._series, self._unit = series, unit
        if unit_changed:
            self._apply_unit()
        if series is None or len(series.times) == 0:
            self._set_envelope(np.empty(0), np.empty(0), np.empty(0))
            self._line.setData([], [])
            self._points.setData([], [])
        elif series.raw:
            self._show_raw(series)
        else:
            self._show_buckets(series)
        if self._window is None and series is not None:
            self.set_window(series.start, series.end)
        self._place_markers()
        self._update_legend()
        self._update_empty_state()

    def set_markers(self, markers: Sequence[ChartMarker]) -> None:
        """Doses, meals and events, drawn in a lane at the top of the plot."""
        self._markers = list(markers)
        self._place_markers()
        self._update_legend()

    def shown_counts(self) -> dict[str, int]:
        """What is drawn (for tests and the status line): line points, envelope bars, dots, markers."""
        line_y = self._line.yData if self._line.yData is not None else np.empty(0)
        return {
            "line": int(np.count_nonzero(np.isfinite(line_y))),
            "bars": self._bar_count,
            "points": len(self._points.data),
            "markers": len(self._marker_items.data),
        }

    def y_axis_label(self) -> str:
        return self.plot_widget.getPlotItem().getAxis("left").labelText

    def y_range(self) -> tuple[float, float]:
        lo, hi = self._vb.viewRange()[1]
        return float(lo), float(hi)

    # -- drawing ------------------------------------------------------------------------------
    def _apply_unit(self) -> None:
        unit = self._unit
        plot = self.plot_widget.getPlotItem()
        plot.setLabel("left", style.axis_label(unit))
        self._band.setRegion((style.threshold(style.LOW_MGDL, unit), style.threshold(style.HIGH_MGDL, unit)))
        self._very_low_line.setPos(style.threshold(style.VERY_LOW_MGDL, unit))
        self._very_high_line.setPos(style.threshold(style.VERY_HIGH_MGDL, unit))
        self._rescale_y()

    def _rescale_y(self) -> None:
        data_max = None
        if self._series is not None and len(self._series.maxs):
            finite = self._series.maxs[np.isfinite(self._series.maxs)]
            data_max = float(finite.max()) if len(finite) else None
        top = style.default_y_max(self._unit, data_max)
        self._vb.setLimits(yMin=0, yMax=top * 1.1)
        self._vb.setYRange(0, top * 1.08, padding=0)  # headroom for the marker lane

    def _show_raw(self, series: GlucoseSeries) -> None:
        unit = self._unit
        times = np.asarray(series.times, dtype=np.float64)
        values = np.asarray(series.values, dtype=np.float64)
        ok = np.isfinite(values)
        times, values = times[ok], values[ok]
        flags = np.asarray(series.flags, dtype=object)[ok] if len(series.flags) == len(ok) else None
        line_t, line_v = break_gaps(times, style.to_display(values, unit), RAW_GAP_SECONDS)
        self._line.setData(line_t, line_v)
        self._set_envelope(np.empty(0), np.empty(0), np.empty(0))
        symbols = np.full(len(values), "o", dtype=object)
        if flags is not None:
            symbols[flags == ReadingFlag.LOW] = "t"
            symbols[flags == ReadingFlag.HIGH] = "t1"
        self._point_values, self._point_flags = values, flags
        # Shared brushes (one per range) and plain index data: cheap, and no per-point Python objects.
        self._points.setData(x=times, y=style.to_display(values, unit), brush=self._range_brushes[style.range_codes(values)],
                             symbol=symbols, data=np.arange(len(values)))
        self._rescale_y()

    def _show_buckets(self, series: GlucoseSeries) -> None:
        unit = self._unit
        times = np.asarray(series.times, dtype=np.float64)
        mins, maxs = np.asarray(series.mins, dtype=np.float64), np.asarray(series.maxs, dtype=np.float64)
        means = np.asarray(series.values, dtype=np.float64)
        ok = np.isfinite(mins) & np.isfinite(maxs)
        centres = times + series.bucket_seconds / 2.0
        self._set_envelope(centres[ok], mins[ok], maxs[ok])
        line_t, line_v = break_gaps(centres[np.isfinite(means)], style.to_display(means[np.isfinite(means)], unit),
                                    max(3 * series.bucket_seconds, RAW_GAP_SECONDS))
        self._line.setData(line_t, line_v)
        # Extremes beyond the very-low / very-high thresholds get a dot (the bars colour the rest).
        lows = ok & (mins < style.VERY_LOW_MGDL)
        highs = ok & (maxs > style.VERY_HIGH_MGDL)
        # Sparse data (fingersticks over weeks): a lone bucket has neither a bar height nor a line
        # segment, so it gets a dot of its own, or it would not show at all.
        lone = ok & ~lows & ~highs & _isolated(centres, ok, max(3 * series.bucket_seconds, RAW_GAP_SECONDS))
        xs = np.concatenate([centres[lows], centres[highs], centres[lone]])
        ys = np.concatenate([mins[lows], maxs[highs], means[lone]])
        self._point_values, self._point_flags = ys, None
        self._points.setData(x=xs, y=style.to_display(ys, unit), brush=self._range_brushes[style.range_codes(ys)],
                             symbol="o", data=np.arange(len(ys)))
        self._rescale_y()

    def _update_empty_state(self) -> None:
        """No readings: say so; no window either: no time labels (there is no time to label)."""
        series = self._series
        empty = series is None or not np.isfinite(np.asarray(series.maxs, dtype=np.float64)).any()
        self._empty_state.setVisible(empty)
        set_axis_labelled(self._axis, self._window is not None)

    def _set_envelope(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Vertical min–max bars, split into below-range, in-range and above-range parts."""
        unit = self._unit
        self._bar_count = len(x)
        low_t, high_t = style.LOW_MGDL, style.HIGH_MGDL
        parts = (
            (self._envelope_low, lo < low_t, lo, np.minimum(hi, low_t)),
            (self._envelope, (hi >= low_t) & (lo <= high_t), np.maximum(lo, low_t), np.minimum(hi, high_t)),
            (self._envelope_high, hi > high_t, np.maximum(lo, high_t), hi),
        )
        for item, mask, bottom, top in parts:
            ys = np.column_stack([bottom[mask], top[mask]]).ravel()
            item.setData(np.repeat(x[mask], 2), style.to_display(ys, unit))

    def _place_markers(self) -> None:
        if not self._markers:
            self._marker_items.setData([], [])
            return
        top = self.y_range()[1]
        lane = top * 0.96
        spots = []
        for marker in self._markers:
            symbol, colour, _ = MARKER_STYLES.get(marker.kind, _OTHER_MARKER)
            when = self._formats.instant(datetime.fromtimestamp(_epoch(marker.at), timezone.utc), self._axis.zone)
            spots.append({"pos": (_epoch(marker.at), lane), "symbol": symbol, "brush": pg.mkBrush(colour),
                          "pen": pg.mkPen("w"), "data": f"{when} — {marker.label}"})
        self._marker_items.setData(spots)

    def _update_legend(self) -> None:
        unit = self._unit
        labels = style.range_labels(unit)
        swatch = lambda colour, text: f"<span style='color:{QColor(colour).name()}'>&#9632;</span>&nbsp;{html.escape(text)}"  # noqa: E731
        parts = [swatch("#66bb6a", f"Target range {labels['in_range']}")]
        if self._series is not None and not self._series.raw and len(self._series.times):
            minutes = self._series.bucket_seconds / 60.0
            span = f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.0f} h"
            parts.append(swatch(style.LINE_COLOUR, f"Mean per {span}"))
            parts.append(swatch(style.ENVELOPE_COLOUR.darker(150), f"Lowest–highest per {span} (bars)"))
        elif self._series is not None and len(self._series.times):
            parts.append(swatch(style.LINE_COLOUR, "Readings"))
        parts.append(swatch(style.LOW_COLOUR, f"Low {labels['low']}"))
        parts.append(swatch(style.VERY_LOW_COLOUR, f"Very low {labels['very_low']}"))
        parts.append(swatch(style.HIGH_COLOUR, f"High {labels['high']}"))
        parts.append(swatch(style.VERY_HIGH_COLOUR, f"Very high {labels['very_high']}"))
        for kind in sorted({m.kind for m in self._markers}):
            _, colour, text = MARKER_STYLES.get(kind, _OTHER_MARKER)
            parts.append(swatch(colour, text))
        self._legend.setText("&nbsp;&nbsp; ".join(parts))

    # -- interaction --------------------------------------------------------------------------
    def _point_tip(self, x: float, y: float, data: object) -> str:  # noqa: ARG002 - pyqtgraph signature
        i = int(data) if data is not None else -1
        value = float(self._point_values[i]) if 0 <= i < len(self._point_values) else None
        flag = self._point_flags[i] if self._point_flags is not None and 0 <= i < len(self._point_flags) else None
        when = self._when(x)
        text = f"{when}\n{format_glucose(value, self._unit)}" if value is not None else when
        if flag in (ReadingFlag.LOW, ReadingFlag.HIGH):
            text += f" (sensor reported {flag.value.upper()})"
        return text

    def _when(self, epoch_seconds: float) -> str:
        return self._formats.weekday_instant(datetime.fromtimestamp(epoch_seconds, timezone.utc), self._axis.zone)

    def _on_mouse_moved(self, event) -> None:  # noqa: ANN001 - SignalProxy tuple
        pos = event[0]
        series = self._series
        if series is None or len(series.times) == 0 or not self._vb.sceneBoundingRect().contains(pos):
            self._readout.hide()
            return
        x = self._vb.mapSceneToView(pos).x()
        i = int(np.clip(np.searchsorted(series.times, x), 0, len(series.times) - 1))
        if not np.isfinite(series.values[i]):
            self._readout.hide()
            return
        when = self._when(float(series.times[i]))
        if series.raw:
            text = f"{when}   {format_glucose(series.values[i], self._unit)}"
        else:
            text = (f"{when}   mean {format_glucose(series.values[i], self._unit)}"
                    f"   (lowest {format_glucose(series.mins[i], self._unit, with_unit=False)},"
                    f" highest {format_glucose(series.maxs[i], self._unit, with_unit=False)})")
        lo_x, _ = self._vb.viewRange()[0]
        self._readout.setText(text)
        self._readout.setPos(lo_x, self.y_range()[1])
        self._readout.show()

    def _on_x_range_changed(self, *_args) -> None:  # noqa: ANN002
        if not self._programmatic:
            self._debounce.start()

    def _emit_range(self) -> None:
        start, end = self.visible_range()
        self.range_requested.emit(start, end, self.pixel_width())


def _isolated(x: np.ndarray, ok: np.ndarray, gap: float) -> np.ndarray:
    """True where a valid bucket has no valid neighbour within `gap` on either side."""
    out = np.zeros(len(x), dtype=bool)
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return out
    xs = x[idx]
    before = np.diff(xs, prepend=-np.inf) > gap
    after = np.diff(xs, append=np.inf) > gap
    out[idx] = before & after
    return out
