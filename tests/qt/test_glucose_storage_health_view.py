"""Admin storage health view: TimescaleDB figures, failing-job warning, plain PostgreSQL message."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from clinic_desktop.qt.formats import Formats
from clinic_desktop.qt.panes.glucose_storage_health_view import GlucoseStorageHealthView, compression_ratio

T0 = datetime(2026, 3, 1, 8, tzinfo=timezone.utc)


def job(name, status, failures=0, error=None):  # noqa: ANN001
    return SimpleNamespace(job_id=1, name=name, applies_to="glucose_reading", last_run_at=T0, last_run_status=status,
                           total_failures=failures, next_run_at=T0, last_error=error)


def snapshot(*jobs):  # noqa: ANN002
    return SimpleNamespace(timescale_active=True, version="2.28.3", chunks=57, compressed_chunks=40,
                           bytes_before_compression=800 * 2**20, bytes_after_compression=50 * 2**20, jobs=list(jobs))


def test_failing_job_gives_a_clear_warning(qtbot):
    view = GlucoseStorageHealthView(lambda: snapshot(job("Compression", "Failed", 12, "cannot drop portal"), job("Refresh", "Success")), "Europe/Berlin",
                                    formats=Formats("en_US"))
    qtbot.addWidget(view)
    view.load()
    qtbot.waitUntil(lambda: view.jobs.rowCount() == 2, timeout=5000)
    assert not view.warning.isHidden() and "1 background job(s) failing: Compression" in view.warning.text()
    assert "Chunks: <b>57</b>" in view.summary.text() and "16.0×" in view.summary.text()
    assert view.job_rows()[0][3] == "Failed" and view.job_rows()[0][6] == "cannot drop portal"
    assert view.job_rows()[0][2] == "03/01/2026 09:00"  # clinic time, the clinic's date format


def test_healthy_jobs_show_no_warning(qtbot):
    view = GlucoseStorageHealthView(lambda: snapshot(job("Compression", "Success")), formats=Formats("en_US"))
    qtbot.addWidget(view)
    view.show_snapshot(snapshot(job("Compression", "Success")))
    assert view.warning.isHidden()


def test_plain_postgresql_says_timescaledb_is_not_active(qtbot):
    view = GlucoseStorageHealthView(lambda: SimpleNamespace(timescale_active=False), formats=Formats("en_US"))
    qtbot.addWidget(view)
    view.load()
    qtbot.waitUntil(lambda: "not active" in view.summary.text(), timeout=5000)
    assert view.jobs.rowCount() == 0 and view.warning.isHidden()


def test_compression_ratio():
    assert compression_ratio(1000, 100) == 10 and compression_ratio(0, 0) is None and compression_ratio(10, None) is None


def test_a_running_job_shows_running_now(qtbot):
    running = SimpleNamespace(job_id=1000, name="Compression", applies_to="glucose_reading", last_run_at=T0,
                              last_run_status=None, total_failures=0, next_run_at=None, last_error=None, running=True)
    view = GlucoseStorageHealthView(lambda: snapshot(running, job("Refresh", "Success")), "Europe/Berlin",
                                    formats=Formats("en_US"))
    qtbot.addWidget(view)
    view.load()
    qtbot.waitUntil(lambda: view.jobs.rowCount() == 2, timeout=5000)
    assert view.job_rows()[0][2:6] == ["03/01/2026 09:00", "Running now", "0", "after this run"]
    assert view.job_rows()[1][3] == "Success" and view.warning.isHidden()
