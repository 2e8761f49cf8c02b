"""Part of bench_patients.py: scroll N rows through the Qt table model and report the RSS.

The model keeps a bounded window of pages (plus one keyset anchor per page), so RSS after
100,000 rows should be close to RSS after 10,000. Not a test module (no test_ prefix).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QApplication

from clinic_desktop.qt.models.patient_table_model import COL_NAME, PatientTableModel


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def scroll_rss(service, actor, *, rows: int = 100_000) -> None:  # noqa: ANN001
    app = QApplication.instance() or QApplication([])
    model = PatientTableModel(lambda after, limit, sort, filters: service.list_page(
        actor, after=after, limit=limit, sort=sort, filters=filters), page_size=200, max_cached_pages=10)
    marks: dict[int, float] = {0: rss_mb()}
    t0 = time.perf_counter()
    model.reload()
    while model.rowCount() < rows:
        while model._appending:
            app.processEvents()
        if not model.canFetchMore(QModelIndex()):
            break
        start = model.rowCount()
        model.fetchMore(QModelIndex())
        while model._appending:
            app.processEvents()
        for r in range(start, model.rowCount()):  # the rows a view would paint while scrolling
            model.data(model.index(r, COL_NAME))
        for mark in (10_000, 50_000, 100_000):
            if start < mark <= model.rowCount():
                gc.collect()
                marks[mark] = rss_mb()
    elapsed = time.perf_counter() - t0
    model.wait_idle()
    print(f"\nscrolled {model.rowCount():,} rows through PatientTableModel in {elapsed:.1f} s "
          f"({elapsed / max(1, model.rowCount() // 200) * 1000:.1f} ms per 200-row page); DTOs held: {model.cached_rows:,}")
    print("RSS (MB): " + ", ".join(f"after {k:,} rows {v:.0f}" for k, v in sorted(marks.items())))
