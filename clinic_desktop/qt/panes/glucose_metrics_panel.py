"""Consensus CGM metrics with their targets (Battelino et al., Diabetes Care 2019).

`metric_rows` turns a `GlucoseMetrics` DTO into display rows (shared with the PDF report);
`GlucoseMetricsPanel` shows them with a prominent data-sufficiency warning and a separate
"deeper review" section for MAGE, MODD and the Kovatchev risk indices.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from ...domain.data_sufficiency import MIN_ACTIVE_PERCENT, MIN_DAYS, rule_text
from ...domain.enums import GlucoseUnit
from ...domain.units import format_glucose
from ...services.glucose_dto import GlucoseMetrics

MET, NOT_MET, INFO = "met", "not met", ""


@dataclass(frozen=True)
class MetricRow:
    """One line of the panel: what, the value as shown, the goal, and whether it is met."""

    name: str
    value: str
    target: str
    status: str  # MET, NOT_MET or INFO


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _check(value: float | None, ok) -> str:  # noqa: ANN001 - predicate
    return INFO if value is None else (MET if ok(value) else NOT_MET)


def gri_zone(gri: float) -> str:
    """Klonoff 2023: zones A (0–20, best) to E (81–100)."""
    return "ABCDE"[min(4, max(0, int((gri - 1e-9) // 20)))] if gri > 0 else "A"


def sufficiency_text(m: GlucoseMetrics) -> str:
    """The warning (or confirmation) shown above the metrics, from the same verdict as the rows."""
    if m.readings == 0:
        return "No readings in this window."
    s = m.sufficiency
    facts = f"{s.days_text} days of data, CGM active {s.active_text} of the time"
    if s.met:
        return f"Enough data for consensus metrics: {facts}."
    return (f"Caution — less than {rule_text()}: {facts}. The consensus needs at least {MIN_DAYS:.0f} days with "
            f"{MIN_ACTIVE_PERCENT:.0f} % of possible readings; these metrics may not represent this patient's "
            "usual glucose.")


def _verdict(met: bool) -> str:
    return MET if met else NOT_MET


def metric_rows(m: GlucoseMetrics, unit: GlucoseUnit) -> list[MetricRow]:
    """The core consensus metrics, in the patient's unit, with the targets for most adults."""
    r, s = m.ranges, m.sufficiency
    tbr70 = None if r is None else r.very_low + r.low
    tar180 = None if r is None else r.high + r.very_high
    low_t, high_t = (("3.9", "10.0") if unit == GlucoseUnit.MMOL_L else ("70", "180"))
    vlow_t, vhigh_t = (("3.0", "13.9") if unit == GlucoseUnit.MMOL_L else ("54", "250"))
    gmi = "—" if m.gmi_percent is None else f"{m.gmi_percent:.1f} %"
    gri = "—" if m.gri is None else f"{m.gri:.0f} (zone {gri_zone(m.gri)})"
    return [
        MetricRow("Days with CGM data", s.days_text, f"≥ {MIN_DAYS:.0f} days", _verdict(s.days_met)),
        MetricRow("CGM active", s.active_text, f"≥ {MIN_ACTIVE_PERCENT:.0f} %", _verdict(s.active_met)),
        MetricRow("Readings", f"{m.readings:,}", "", INFO),
        MetricRow("Mean glucose", format_glucose(m.mean_mgdl, unit), "", INFO),
        MetricRow("GMI", gmi, "", INFO),
        MetricRow("Glucose variability (CV)", _pct(m.cv_percent), "≤ 36 %", _check(m.cv_percent, lambda v: v <= 36)),
        MetricRow("Standard deviation", format_glucose(m.sd_mgdl, unit), "", INFO),
        MetricRow(f"Time in range {low_t}–{high_t} {unit.value}", _pct(None if r is None else r.in_range), "> 70 %",
                  _check(None if r is None else r.in_range, lambda v: v > 70)),
        MetricRow(f"Time below {low_t} {unit.value}", _pct(tbr70), "< 4 %", _check(tbr70, lambda v: v < 4)),
        MetricRow(f"Time below {vlow_t} {unit.value}", _pct(None if r is None else r.very_low), "< 1 %",
                  _check(None if r is None else r.very_low, lambda v: v < 1)),
        MetricRow(f"Time above {high_t} {unit.value}", _pct(tar180), "< 25 %", _check(tar180, lambda v: v < 25)),
        MetricRow(f"Time above {vhigh_t} {unit.value}", _pct(None if r is None else r.very_high), "< 5 %",
                  _check(None if r is None else r.very_high, lambda v: v < 5)),
        MetricRow("Glycemia Risk Index", gri, "zone A best", INFO),
    ]


def _risk_band(value: float, bands: tuple[tuple[float, str], ...]) -> str:
    for limit, name in bands:
        if value <= limit:
            return name
    return bands[-1][1]


def deeper_rows(m: GlucoseMetrics, unit: GlucoseUnit) -> list[MetricRow]:
    """MAGE, MODD, LBGI, HBGI; risk bands after Kovatchev (LBGI ≤1.1 minimal … >5 high; HBGI ≤4.5 low … >9 high)."""
    lbgi = "—" if m.lbgi is None else f"{m.lbgi:.1f} ({_risk_band(m.lbgi, ((1.1, 'minimal'), (2.5, 'low'), (5.0, 'moderate'), (1e9, 'high')))} risk)"
    hbgi = "—" if m.hbgi is None else f"{m.hbgi:.1f} ({_risk_band(m.hbgi, ((4.5, 'low'), (9.0, 'moderate'), (1e9, 'high')))} risk)"
    return [
        MetricRow("MAGE (mean amplitude of glycaemic excursions)", format_glucose(m.mage_mgdl, unit), "", INFO),
        MetricRow("MODD (mean of daily differences)", format_glucose(m.modd_mgdl, unit), "", INFO),
        MetricRow("LBGI (low blood glucose index)", lbgi, "", INFO),
        MetricRow("HBGI (high blood glucose index)", hbgi, "", INFO),
    ]


class GlucoseMetricsPanel(QWidget):
    """The metrics of the chosen window, with targets; refilled by `set_metrics`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._banner = QLabel(self)
        self._banner.setWordWrap(True)
        self._banner.setObjectName("sufficiencyBanner")
        self._grid = QGridLayout()
        self._deeper_box = QGroupBox("Deeper review", self)
        self._deeper_grid = QGridLayout(self._deeper_box)
        layout = QVBoxLayout(self)
        layout.addWidget(self._banner)
        frame = QFrame(self)
        frame.setLayout(self._grid)
        layout.addWidget(frame)
        layout.addWidget(self._deeper_box)
        layout.addStretch(1)
        self._rows: list[MetricRow] = []
        self._deeper: list[MetricRow] = []
        self.set_metrics(None, GlucoseUnit.MG_DL)

    def set_metrics(self, metrics: GlucoseMetrics | None, unit: GlucoseUnit) -> None:
        """Show `metrics` in `unit` (None: nothing loaded yet)."""
        if metrics is None:
            self._banner.setText("Choose a patient to see their metrics.")
            self._banner.setStyleSheet("color: #616161; padding: 6px;")
            self._rows, self._deeper = [], []
        else:
            self._banner.setText(sufficiency_text(metrics))
            warn = not metrics.sufficiency.met
            self._banner.setStyleSheet(
                "background: #fff3e0; color: #8a3b00; border: 1px solid #e65100; padding: 6px; font-weight: bold;" if warn
                else "background: #e8f5e9; color: #1b5e20; border: 1px solid #66bb6a; padding: 6px;"
            )
            self._rows, self._deeper = metric_rows(metrics, unit), deeper_rows(metrics, unit)
        self._fill(self._grid, self._rows, header=True)
        self._fill(self._deeper_grid, self._deeper, header=False)
        self._deeper_box.setVisible(bool(self._deeper))

    def rows(self) -> list[MetricRow]:
        return list(self._rows)

    def deeper(self) -> list[MetricRow]:
        return list(self._deeper)

    def banner_text(self) -> str:
        return self._banner.text()

    def _fill(self, grid: QGridLayout, rows: list[MetricRow], *, header: bool) -> None:
        while grid.count():
            item = grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        offset = 0
        if header and rows:
            for col, text in enumerate(("Metric", "Value", "Goal", "")):
                label = QLabel(f"<b>{text}</b>")
                grid.addWidget(label, 0, col)
            offset = 1
        for i, row in enumerate(rows, start=offset):
            grid.addWidget(QLabel(row.name), i, 0)
            value = QLabel(f"<b>{row.value}</b>")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(value, i, 1)
            grid.addWidget(QLabel(row.target), i, 2)
            status = QLabel({MET: "✔ met", NOT_MET: "✘ not met", INFO: ""}[row.status])
            status.setStyleSheet("color: #2e7d32;" if row.status == MET else "color: #c62828; font-weight: bold;")
            grid.addWidget(status, i, 3)
        grid.setColumnStretch(0, 1)
