"""Print or save the one-page patient summary, from the record dialog or the list's menu.

The sheet is gathered (and the printing audited) by the patient service on a worker; only the
drawing runs on the GUI thread, which is where Qt paints.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from ...services.patient_summary import PatientSummarySheet
from ..workers import TaskRunner
from ..error_messages import describe_error


class PatientSummaryPrinting(QObject):
    """Fetches a patient's summary sheet in the background, then prints it or writes a PDF."""

    finished = Signal(str)  # what happened, for a status line
    failed = Signal(str)

    def __init__(self, context, parent: QWidget) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._context, self._parent = context, parent
        self._runner = TaskRunner(self)

    def print_summary(self, patient_id: uuid.UUID, mrn: str = "") -> None:
        """Let the user choose a printer, then fetch the sheet (audited only if printed) and print it."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from ..reports.patient_summary_report import page_layout

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(page_layout())
        printer.setDocName(f"Patient summary {mrn}".strip())
        dialog = QPrintDialog(printer, self._parent)
        dialog.setWindowTitle("Print patient summary")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self._printer = printer  # kept alive until the sheet arrives
        self._fetch(patient_id, lambda sheet: self._print(sheet, printer))

    def save_pdf(self, patient_id: uuid.UUID, mrn: str = "", path: str | None = None) -> None:
        """Fetch, then write a PDF to `path` (asked for with a file dialog when not given)."""
        if path is None:
            default = f"Patient summary {mrn} {self._context.today():%Y-%m-%d}.pdf".replace("  ", " ")
            path, _ = QFileDialog.getSaveFileName(self._parent, "Save patient summary", default, "PDF files (*.pdf)")
            if not path:
                return
        self._fetch(patient_id, lambda sheet: self._write(sheet, path))

    def wait_idle(self) -> None:
        self._runner.wait_idle()

    def _fetch(self, patient_id: uuid.UUID, then) -> None:  # noqa: ANN001
        service, actor = self._context.services.patients, self._context.actor
        self._runner.run(lambda state: service.summary_sheet(actor, patient_id), then, self._failed)

    def _write(self, sheet: PatientSummarySheet, path: str) -> None:
        from ..reports.patient_summary_report import write_summary_pdf

        write_summary_pdf(path, sheet)
        self.finished.emit(f"Summary of {sheet.record.display_name} saved to {path}.")

    def _print(self, sheet: PatientSummarySheet, printer) -> None:  # noqa: ANN001 - a QPrinter
        from ..reports.patient_summary_report import paint_summary

        paint_summary(printer, sheet)
        self.finished.emit(f"Summary of {sheet.record.display_name} sent to the printer.")

    def _failed(self, exc: BaseException) -> None:
        self.failed.emit(describe_error(exc, "prepare the summary"))
