"""Admin view of the glucose time-series storage (TimescaleDB only).

Shows chunk count, compression ratio and the background jobs (compression, continuous
aggregate refresh, retention) with a prominent warning when a job is failing — on some server
builds these jobs fail while the app keeps showing correct data through real-time aggregates,
and only an admin can fix the server. On plain PostgreSQL it says TimescaleDB is not active.

The snapshot comes from the service layer (duck-typed: any object with the fields below).
"""

from __future__ import annotations

import html

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ..charts.chart_style import clinic_zone
from ..formats import Formats
from ..workers import TaskRunner
from ..error_messages import describe_error

JOB_COLUMNS = ("Job", "Applies to", "Last run", "Result", "Failures", "Next run", "Last error")
RUNNING_NOW = "Running now"
AFTER_THIS_RUN = "after this run"


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return "—"


def compression_ratio(before: int | None, after: int | None) -> float | None:
    """How many times smaller the compressed chunks are (None when nothing is compressed)."""
    if not before or not after:
        return None
    return before / after


def failing_jobs(snapshot: Any) -> list[Any]:
    return [j for j in getattr(snapshot, "jobs", ()) if str(getattr(j, "last_run_status", "")).lower() == "failed"]


class GlucoseStorageHealthView(QWidget):
    """`load()` fetches a snapshot in the background via `fetch()` and shows it."""

    title = "Glucose storage health"

    def __init__(self, fetch: Callable[[], Any], zone: tzinfo | str | None = None, parent: QWidget | None = None, *,
                 formats: Formats) -> None:
        super().__init__(parent)
        self._fetch, self._formats = fetch, formats
        self._zone = zone if isinstance(zone, tzinfo) else clinic_zone(zone)
        self._runner = TaskRunner(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.warning = QLabel(self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("background:#ffebee; color:#b71c1c; border:1px solid #c62828; padding:6px; font-weight:bold;")
        self.warning.hide()
        self.jobs = QTableWidget(0, len(JOB_COLUMNS), self)
        self.jobs.setHorizontalHeaderLabels(JOB_COLUMNS)
        self.jobs.verticalHeader().hide()
        self.jobs.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        refresh = QPushButton("Refresh", self)
        refresh.clicked.connect(self.load)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>Glucose time-series storage</b>", self))
        bar.addStretch(1)
        bar.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.warning)
        layout.addWidget(self.summary)
        layout.addWidget(self.jobs, 1)

    def load(self) -> None:
        self.summary.setText("Checking the server…")
        self._runner.run(lambda state: self._fetch(), self.show_snapshot, self._on_error)

    def _on_error(self, exc: BaseException) -> None:
        self.summary.setText(f"<span style='color:#c62828'>{html.escape(describe_error(exc, 'read the storage state'))}</span>")

    def _when(self, moment: datetime | None) -> str:
        return self._formats.instant(moment, self._zone, "—")

    def show_snapshot(self, snapshot: Any) -> None:
        """Fill the view from a snapshot (fields: timescale_active, version, chunks, compressed_chunks,
        bytes_before_compression, bytes_after_compression, jobs[job_id, name, applies_to, last_run_at,
        last_run_status, total_failures, next_run_at, last_error, running])."""
        if snapshot is None or not getattr(snapshot, "timescale_active", False):
            self.summary.setText("TimescaleDB is not active on this server: glucose readings are stored in a plain "
                                 "PostgreSQL table (indexed by patient and time). There are no chunks, compression or "
                                 "background jobs to watch.")
            self.warning.hide()
            self.jobs.setRowCount(0)
            return
        before, after = getattr(snapshot, "bytes_before_compression", None), getattr(snapshot, "bytes_after_compression", None)
        ratio = compression_ratio(before, after)
        ratio_text = "no chunks compressed yet" if ratio is None else f"{ratio:.1f}× ({_size(before)} → {_size(after)})"
        self.summary.setText(
            f"TimescaleDB {getattr(snapshot, 'version', '')} is active.<br>"
            f"Chunks: <b>{snapshot.chunks}</b>, of which compressed: <b>{snapshot.compressed_chunks}</b>.<br>"
            f"Compression: <b>{ratio_text}</b>."
        )
        failing = failing_jobs(snapshot)
        if failing:
            names = ", ".join(str(getattr(j, "name", j.job_id)) for j in failing)
            self.warning.setText(
                f"⚠ {len(failing)} background job(s) failing: {names}. Charts and metrics stay correct (recent data is "
                "read directly), but storage will grow and aggregates refresh slowly. Check the PostgreSQL server log "
                "and the TimescaleDB version; the last error is shown in the table."
            )
            self.warning.show()
        else:
            self.warning.hide()
        self._fill_jobs(snapshot)

    def _fill_jobs(self, snapshot: Any) -> None:
        jobs = list(getattr(snapshot, "jobs", ()))
        self.jobs.setRowCount(len(jobs))
        for row, job in enumerate(jobs):
            running = bool(getattr(job, "running", False))
            # A running job has no result yet and its next start is set only when it ends.
            status = RUNNING_NOW if running else str(getattr(job, "last_run_status", "") or "not run yet")
            next_run = AFTER_THIS_RUN if running else self._when(getattr(job, "next_run_at", None))
            values = (str(getattr(job, "name", job.job_id)), str(getattr(job, "applies_to", "") or ""),
                      self._when(getattr(job, "last_run_at", None)), status, str(getattr(job, "total_failures", 0) or 0),
                      next_run, str(getattr(job, "last_error", "") or ""))
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col == 3 and status.lower() == "failed":
                    item.setForeground(QBrush(QColor("white")))
                    item.setBackground(QBrush(QColor("#c62828")))
                    item.setToolTip(str(getattr(job, "last_error", "") or "failed"))
                elif col == 3 and running:
                    item.setBackground(QBrush(QColor("#e3f2fd")))
                    item.setToolTip("The job is running on the server now; its result shows when it ends.")
                self.jobs.setItem(row, col, item)

    def job_rows(self) -> list[list[str]]:
        return [[self.jobs.item(r, c).text() for c in range(self.jobs.columnCount())] for r in range(self.jobs.rowCount())]
