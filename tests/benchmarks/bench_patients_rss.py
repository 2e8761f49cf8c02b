"""Part of bench_patients.py: scroll N rows through the Qt table model and report the RSS.

The model keeps a bounded window of pages (plus one keyset anchor per page), so RSS after
100,000 rows should be close to RSS after 10,000. Not a test module (no test_ prefix).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtWidgets import QApplication

from clinic_desktop.qt.models.patient_table_model import PatientTableModel


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def scroll_rss(service, actor, *, rows: int = 100_000) -> None:  # noqa: ANN001
    app = QApplication.instance() or QApplication([])
    def fetch(after, limit, sort, filters):  # noqa: ANN001, ANN202
        return service.list_page(actor, after=after, limit=limit, sort=sort, filters=filters)

    model = PatientTableModel(fetch, page_size=200, max_cached_pages=10)
    marks: dict[int, float] = {0: rss_mb()}
    t0 = time.perf_counter()
    # Pages are delivered the way the model's TaskRunner delivers them (`_appended`), but
    # synchronously: PySide 6.12 aborts with "none_dealloc" after a few hundred queued
    # cross-thread deliveries in one process (the same PySide refcount bug noted in
    # tests/conftest.py), which would end the run before 100,000 rows.
    while model.rowCount() < rows and model._has_more:
        page_no = len(model._anchors) - 1
        page = fetch(model._anchors[-1], model.page_size, model.sort_order, model.filters)
        start = model.rowCount()
        model._appending = True
        model._appended(page_no, page)
        for r in range(start, model.rowCount()):  # the rows a view would paint while scrolling
            model.row_at(r)
        for mark in (10_000, 50_000, 100_000):
            if start < mark <= model.rowCount():
                gc.collect()
                marks[mark] = rss_mb()
    elapsed = time.perf_counter() - t0
    model.wait_idle()
    print(f"\nscrolled {model.rowCount():,} rows through PatientTableModel in {elapsed:.1f} s "
          f"({elapsed / max(1, model.rowCount() // 200) * 1000:.1f} ms per 200-row page); DTOs held: {model.cached_rows:,}")
    print("RSS (MB): " + ", ".join(f"after {k:,} rows {v:.0f}" for k, v in sorted(marks.items())))
