"""Glucose pane: one patient's trend, AGP, daily overlay, metrics, readings and alerts.

Choose a patient (search, or opened from the review worklist) and a window (default the last
14 days). Everything loads in the background: one task fetches the window's overview (series at
the chart's width, metrics, AGP, overlays, markers); zooming the trend fetches just that range
at screen resolution. Refreshes when the change bus reports readings or events.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...domain.changes import ChangeSet
from ...domain.enums import GlucoseUnit
from ...domain.permissions import Capability
from ...services.glucose_dto import GlucoseSeries
from ..app_context import AppContext
from ..charts.agp_chart import AgpChart
from ..charts.chart_style import clinic_zone
from ..charts.daily_overlay_chart import DailyOverlayChart
from ..charts.glucose_trend_chart import GlucoseTrendChart
from ..charts.time_in_ranges_bar import TimeInRangesBar
from ..workers import TaskRunner
from .glucose_alerts_view import GlucoseAlertsView
from .glucose_gateway import GlucoseGateway, GlucoseOverview, PatientChoice
from .glucose_metrics_panel import GlucoseMetricsPanel
from .glucose_patient_chooser import GlucosePatientChooser
from .glucose_readings_view import GlucoseReadingsView
from .glucose_window_selector import GlucoseWindowSelector
from ...domain.changes import ChangeKind
from ..error_messages import describe_error

TAB_TREND, TAB_AGP, TAB_OVERLAY, TAB_READINGS, TAB_ALERTS = range(5)


class GlucosePane(QWidget):
    """The doctor's glucose review screen for one patient at a time."""

    title = "Glucose"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.formats = context.formats
        self._zone_name = context.session.clinic_timezone
        self.zone = clinic_zone(self._zone_name)
        self.gateway = GlucoseGateway(context.services, context.actor)
        self.patient: PatientChoice | None = None
        self.overview: GlucoseOverview | None = None
        self._overview_runner = TaskRunner(self)
        self._zoom_runner = TaskRunner(self)
        self._build()
        context.bus.subscribe({ChangeKind.GLUCOSE_READING, ChangeKind.EMERGENCY_EVENT}, self._on_changes, self)

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.chooser = GlucosePatientChooser(self.gateway.search_patients, self)
        self.chooser.patient_chosen.connect(self.open_patient)
        self.chooser.search_failed.connect(lambda text: self._set_status(f"Patient search failed: {text}", error=True))
        self.window_selector = GlucoseWindowSelector(self.zone, self._context.clock, self, formats=self.formats)
        self.window_selector.window_changed.connect(lambda _s, _e: self.load_overview(reset_view=True))
        self.reset_zoom_button = QPushButton("Whole window", self)
        self.reset_zoom_button.setToolTip("Zoom the trend back out to the whole window")
        self.import_button = QPushButton("Import CGM file…", self)
        self.import_button.clicked.connect(self.open_import_dialog)
        self.import_button.setVisible(self.gateway.can(Capability.RECORD_GLUCOSE))
        self.pdf_button = QPushButton("Export AGP report (PDF)…", self)
        self.pdf_button.clicked.connect(self.export_pdf)
        top = QHBoxLayout()
        top.addWidget(QLabel("Patient:", self))
        top.addWidget(self.chooser, 2)
        top.addWidget(self.window_selector)
        top.addStretch(1)
        for button in (self.import_button, self.pdf_button):
            top.addWidget(button)
        self.header = QLabel("Choose a patient to review their glucose.", self)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.trend = GlucoseTrendChart(self.zone, self, formats=self.formats)
        self.trend.range_requested.connect(self._on_range_requested)
        self.reset_zoom_button.clicked.connect(self.trend.reset_view)
        trend_page = QWidget(self)
        trend_layout = QVBoxLayout(trend_page)
        trend_layout.addWidget(self.trend, 1)
        hint = QHBoxLayout()
        hint.addWidget(QLabel("Scroll to zoom the time axis, drag to pan; hover for values.", self))
        hint.addStretch(1)
        hint.addWidget(self.reset_zoom_button)
        trend_layout.addLayout(hint)
        self.agp = AgpChart(self)
        self.overlay = DailyOverlayChart(self, formats=self.formats)
        self.readings = GlucoseReadingsView(self.gateway, self.zone, self._context.clock, self, formats=self.formats)
        self.alerts = GlucoseAlertsView(self.gateway, self._zone_name, self, formats=self.formats)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(trend_page, "Trend")
        self.tabs.addTab(self.agp, "AGP (by time of day)")
        self.tabs.addTab(self.overlay, "Daily overlay")
        self.tabs.addTab(self.readings, "Readings")
        self.tabs.addTab(self.alerts, "Alerts")
        self.tir_bar = TimeInRangesBar(self)
        self.metrics_panel = GlucoseMetricsPanel(self)
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.tir_bar)
        side_layout.addWidget(self.metrics_panel, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setMinimumWidth(500)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.tabs)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1000, 540])
        self.status = QLabel(self)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.header)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self._set_actions_enabled(False)

    def _set_actions_enabled(self, enabled: bool) -> None:
        for widget in (self.import_button, self.pdf_button, self.reset_zoom_button, self.readings.add_button):
            widget.setEnabled(enabled)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(f"<span style='color:#c62828'>{text}</span>" if error else text)

    @property
    def unit(self) -> GlucoseUnit:
        return self.patient.unit if self.patient is not None else GlucoseUnit.MG_DL

    # -- loading ------------------------------------------------------------------------------
    def open_patient(self, choice: PatientChoice) -> None:
        """Show `choice`'s glucose for the selected window (called by the chooser or the worklist)."""
        self.patient = choice
        self.chooser.show_choice(choice)
        self._set_actions_enabled(True)
        self.readings.set_patient(choice)
        self.alerts.units[choice.id] = choice.unit
        self.alerts.load(choice.id)
        self.load_overview(reset_view=True)

    def load_overview(self, *, reset_view: bool = False) -> None:
        """Fetch the window's overview in the background (keeps the zoom unless `reset_view`)."""
        if self.patient is None:
            return
        start, end = self.window_selector.window()
        if reset_view:
            self.trend.set_window(start, end)
        patient, pixels = self.patient, self.trend.pixel_width()
        self.header.setText(f"<b>{patient.name}</b> · MRN {patient.mrn} · values in {patient.unit.value} · "
                            f"{self.window_selector.description()}")
        self._set_status("Loading glucose data…")
        self._overview_runner.run(
            lambda state: self.gateway.overview(state, patient.id, start, end, pixels),
            lambda result: self._show_overview(result, reset_view), self._on_error,
        )
        self.readings.load(start, end)

    def _show_overview(self, overview: GlucoseOverview, reset_view: bool) -> None:
        self.overview = overview
        unit = self.unit
        self.trend.set_series(overview.series, unit)
        self.trend.set_markers(overview.markers)
        self.agp.set_profile(overview.agp, unit)
        self.overlay.set_days(overview.overlays, unit)
        self.metrics_panel.set_metrics(overview.metrics, unit)
        self.tir_bar.set_ranges(overview.metrics.ranges if overview.metrics else None, unit)
        n = overview.metrics.readings if overview.metrics else 0
        self._set_status(f"{n:,} readings in this window." if n else "No readings in this window.")
        if not reset_view:
            self._on_range_requested(*self.trend.visible_range(), self.trend.pixel_width())

    def _on_range_requested(self, start: datetime, end: datetime, pixels: int) -> None:
        if self.patient is None:
            return
        patient = self.patient
        self._zoom_runner.run(lambda state: self.gateway.series(patient.id, start, end, pixels),
                              self._show_zoomed, self._on_error)

    def _show_zoomed(self, series: GlucoseSeries) -> None:
        self.trend.set_series(series, self.unit)
        kind = "individual readings" if series.raw else f"{series.bucket_seconds / 60:.0f}-minute summaries"
        self._set_status(f"Showing {kind} for the zoomed range.")

    def _on_error(self, exc: BaseException) -> None:
        self._set_status(describe_error(exc, "load the glucose data"), error=True)

    def _on_changes(self, changes: ChangeSet) -> None:
        if self.patient is None:
            return
        if changes.touches(ChangeKind.GLUCOSE_READING):
            self.load_overview(reset_view=False)
        if changes.touches(ChangeKind.EMERGENCY_EVENT):
            self.alerts.reload()

    # -- actions ------------------------------------------------------------------------------
    def open_import_dialog(self) -> None:
        if self.patient is None:
            return
        from ..dialogs.glucose_import_dialog import GlucoseImportDialog

        dialog = GlucoseImportDialog(self._context, self.patient, self)
        dialog.exec()

    def export_pdf(self) -> None:
        """Write the AGP report for what is on screen (no database call: the data is loaded)."""
        if self.patient is None or self.overview is None:
            return
        default = f"AGP report {self.patient.mrn} {self._context.today():%Y-%m-%d}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Export AGP report", default, "PDF files (*.pdf)")
        if path:
            self.write_pdf(path)

    def write_pdf(self, path: str) -> None:
        from ..reports.agp_report import AgpReportData, write_agp_report

        start, end = self.window_selector.window()
        write_agp_report(path, AgpReportData(
            patient_name=self.patient.name, mrn=self.patient.mrn, unit=self.unit, clinic_name=self._context.session.clinic_name,
            zone=self.zone, start=start, end=end - timedelta(seconds=1), metrics=self.overview.metrics,
            agp=self.overview.agp, overlays=self.overview.overlays, generated_at=self._context.now(),
            formats=self.formats,
        ))
        self._set_status(f"AGP report saved to {path}.")
