"""Tools → Back up the database: choose a file, dump in the background with progress and cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from ..app_context import AppContext
from ..workers import TaskRunner
from ..error_messages import describe_error


def run_backup_dialog(parent: QWidget, context: AppContext) -> TaskRunner | None:
    """Ask where, then back up; the progress dialog's Cancel stops pg_dump and leaves no file."""
    stamp = context.now().astimezone(context.zone)
    default = Path.home() / f"clinic-backup-{stamp:%Y-%m-%d-%H%M}.dump"
    path, _ = QFileDialog.getSaveFileName(parent, "Back up the clinic database", str(default),
                                          "PostgreSQL custom-format dump (*.dump)")
    if not path:
        return None
    progress = QProgressDialog("Backing up…", "Cancel", 0, 0, parent)
    progress.setWindowTitle("Backup")
    progress.setMinimumDuration(0)
    runner = TaskRunner(parent)
    service, actor = context.services.admin, context.actor

    def op(state):  # noqa: ANN001, ANN202 - worker thread
        return service.backup(actor, path=Path(path), progress=lambda d, t, s: state.report(d, t, s),
                              cancelled=lambda: state.cancelled)

    def on_progress(done: int, total: int, text: str) -> None:
        progress.setRange(0, total)
        progress.setValue(done)
        if text:
            progress.setLabelText(text)

    def done(result) -> None:  # noqa: ANN001
        progress.close()
        QMessageBox.information(parent, "Backup", f"Backup written to {result.path} ({result.size_bytes // 1024:,} KiB).")

    def failed(exc: BaseException) -> None:
        progress.close()
        QMessageBox.warning(parent, "Backup", describe_error(exc, "back up the database"))

    handle = runner.run(op, done, failed, on_progress=on_progress, supersede=False)
    progress.canceled.connect(handle.cancel)
    return runner
