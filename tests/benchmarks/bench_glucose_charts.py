"""Benchmark: how long the trend chart takes to take new data and repaint, by resolution.

Compares the server-downsampled series the pane asks for (about one bucket per pixel) with
handing the chart every raw reading of the same window (the baseline, measured in the same run).
Run: `QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_glucose_charts.py [--scale 1.0]`.
Figures depend on the machine and its load (the shared 2-core machine when first measured).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from clinic_desktop.domain.enums import GlucoseUnit  # noqa: E402
from clinic_desktop.qt.charts.glucose_trend_chart import GlucoseTrendChart  # noqa: E402
from clinic_desktop.qt.formats import Formats  # noqa: E402
from tests.qt import glucose_samples as samples  # noqa: E402


def timed(chart: GlucoseTrendChart, series, app: QApplication, repeats: int) -> float:  # noqa: ANN001
    """Median ms for set_series + a full repaint."""
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        chart.set_series(series, GlucoseUnit.MG_DL)
        chart.plot_widget.viewport().repaint()
        app.processEvents()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the window lengths (default 1.0)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    chart = GlucoseTrendChart("Europe/Berlin", formats=Formats("en_US"))
    chart.resize(1100, 450)
    chart.show()
    print(f"{'window':>10} {'raw points':>11} {'raw ms':>9} {'1000 buckets ms':>16} {'ratio':>7}")
    for days in (1, 14, 90, 365):
        d = max(1, int(days * args.scale))
        raw = samples.raw_series(d * 288)
        buckets = samples.bucketed_series(days=d, buckets=min(1000, d * 288))
        chart.set_window(raw.start, raw.end)
        raw_ms = timed(chart, raw, app, args.repeats)
        bucket_ms = timed(chart, buckets, app, args.repeats)
        print(f"{d:>8} d {len(raw.times):>11,} {raw_ms:>9.1f} {bucket_ms:>16.1f} {raw_ms / bucket_ms:>6.1f}×")


if __name__ == "__main__":
    main()
