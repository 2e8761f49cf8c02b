"""CGM import dialog: choose a file and its kind, map columns (generic CSV), preview, import.

The preview shows what will be stored and every line that will not (line number and reason),
with the device serial and date range in large type so a wrong patient's file is caught before
anything is written. Parsing and importing run in the background with a progress bar and
Cancel; a cancelled or failed import stores nothing (the service's transaction), and the result
page says what was stored, what was already there and what was rejected.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...domain.errors import DomainError
from ..app_context import AppContext
from ..charts.chart_style import clinic_zone
from ..panes.glucose_gateway import PatientChoice
from ..workers import TaskRunner
from .glucose_column_mapping_page import GlucoseColumnMappingPage
from .glucose_import_calls import GlucoseImportCalls, ImportKind, PreviewView
from ..error_messages import describe_error

PAGE_FILE, PAGE_MAPPING, PAGE_PREVIEW, PAGE_PROGRESS = range(4)
PREVIEW_ROWS = 200  # the first readings to be stored, enough to recognise the file


class GlucoseImportDialog(QDialog):
    """Four pages: file & kind → column mapping (generic CSV only) → preview → progress & result."""

    def __init__(self, context: AppContext, patient: PatientChoice, parent: QWidget | None = None,
                 *, calls: GlucoseImportCalls | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import CGM data — {patient.name}")
        self.resize(900, 640)
        self._patient = patient
        self._zone = clinic_zone(context.session.clinic_timezone)
        self._formats = context.formats
        self._calls = calls or GlucoseImportCalls(context.services, context.actor)
        self._runner = TaskRunner(self)
        self._runner.busy_changed.connect(self._on_busy_changed)
        self._handle = None
        self._cancelling = False
        self.preview: PreviewView | None = None
        self.result_summary: str | None = None
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._file_page())
        self.mapping_page = GlucoseColumnMappingPage(self._runner, self)
        self.pages.addWidget(self.mapping_page)
        self.pages.addWidget(self._preview_page())
        self.pages.addWidget(self._progress_page())
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c62828;")
        self.back_button = QPushButton("Back", self)
        self.next_button = QPushButton("Next", self)
        self.close_button = QPushButton("Cancel", self)
        self.back_button.clicked.connect(self._back)
        self.next_button.clicked.connect(self._next)
        self.close_button.clicked.connect(self._close_or_cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        for b in (self.back_button, self.next_button, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Importing into: <b>{patient.name}</b> · MRN {patient.mrn}", self))
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        self._show_page(PAGE_FILE)

    # -- pages --------------------------------------------------------------------------------
    def _file_page(self) -> QWidget:
        page = QWidget(self)
        self.path_edit = QLineEdit(page)
        self.path_edit.setPlaceholderText("Choose the exported CSV file…")
        browse = QPushButton("Browse…", page)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.kind_group = QButtonGroup(page)
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("<b>1. The file</b>", page))
        layout.addLayout(row)
        layout.addWidget(QLabel("<b>2. What exported it</b>", page))
        for kind in ImportKind:
            button = QRadioButton(kind.label, page)
            button.setProperty("kind", kind.value)
            self.kind_group.addButton(button)
            layout.addWidget(button)
            if kind == ImportKind.DEXCOM:
                button.setChecked(True)
        layout.addStretch(1)
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget(self)
        self.identity = QLabel(page)
        self.identity.setWordWrap(True)
        self.identity.setStyleSheet("font-size: 15px; padding: 8px; background: #e3f2fd; border: 1px solid #1565c0;")
        self.accepted_label = QLabel(page)
        self.accepted_table = self._table(("Time (clinic)", "Glucose", "Note"), page)
        self.rejected_label = QLabel(page)
        self.rejected_table = self._table(("Line", "Reason", "Text of the line"), page)
        layout = QVBoxLayout(page)
        layout.addWidget(self.identity)
        layout.addWidget(self.accepted_label)
        layout.addWidget(self.accepted_table, 2)
        layout.addWidget(self.rejected_label)
        layout.addWidget(self.rejected_table, 1)
        return page

    def _progress_page(self) -> QWidget:
        page = QWidget(self)
        self.progress_label = QLabel("Importing…", page)
        self.progress = QProgressBar(page)
        self.summary = QLabel(page)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(page)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        return page

    @staticmethod
    def _table(headers: tuple[str, ...], parent: QWidget) -> QTableWidget:
        table = QTableWidget(0, len(headers), parent)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    # -- navigation ---------------------------------------------------------------------------
    def kind(self) -> ImportKind:
        return ImportKind(self.kind_group.checkedButton().property("kind"))

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.error.clear()
        self.back_button.setVisible(index in (PAGE_MAPPING, PAGE_PREVIEW))
        self.next_button.setVisible(index != PAGE_PROGRESS)
        self.next_button.setText("Import" if index == PAGE_PREVIEW else "Next")
        self.next_button.setEnabled(index != PAGE_PREVIEW or bool(self.preview and self.preview.accepted))
        self.close_button.setText("Cancel")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose CGM export", "", "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.path_edit.setText(path)

    def _back(self) -> None:
        index = self.pages.currentIndex()
        self._show_page(PAGE_FILE if index == PAGE_MAPPING or self.kind() != ImportKind.GENERIC else PAGE_MAPPING)

    def _next(self) -> None:
        index = self.pages.currentIndex()
        path = self.path_edit.text().strip()
        if index == PAGE_FILE:
            if not path:
                self.error.setText("Choose a file first.")
                return
            if self.kind() == ImportKind.GENERIC:
                self._show_page(PAGE_MAPPING)
                self.mapping_page.load(path)
                return
            self.start_preview()
        elif index == PAGE_MAPPING:
            problem = self.mapping_page.problem()
            if problem:
                self.error.setText(problem)
                return
            self.start_preview()
        elif index == PAGE_PREVIEW:
            self.start_import()

    def mapping(self) -> dict[str, Any] | None:
        return self.mapping_page.mapping() if self.kind() == ImportKind.GENERIC else None

    # -- preview ------------------------------------------------------------------------------
    def start_preview(self) -> None:
        path, kind, mapping, patient = self.path_edit.text().strip(), self.kind(), self.mapping(), self._patient
        self.next_button.setEnabled(False)
        self.error.setText("Reading the file…")
        self._handle = self._runner.run(
            lambda state: self._calls.preview(state, patient.id, path, kind, mapping),
            self._show_preview, self._on_preview_error,
        )

    def _on_preview_error(self, exc: BaseException) -> None:
        self.next_button.setEnabled(True)
        self.error.setText(describe_error(exc, "read the file"))

    def _show_preview(self, preview: PreviewView) -> None:
        self.preview = preview
        self._show_page(PAGE_PREVIEW)
        self.identity.setText(preview.identity_html(self._zone, self._formats))
        self.accepted_label.setText(f"<b>{preview.accepted:,} readings will be stored</b> (first {min(PREVIEW_ROWS, len(preview.sample))} shown; "
                                    f"readings already stored are skipped).")
        self._fill(self.accepted_table, [r.cells(self._zone, self._patient.unit, self._formats) for r in preview.sample[:PREVIEW_ROWS]])
        self.rejected_label.setText(
            f"<b style='color:#c62828'>{preview.rejected_count:,} lines will not be stored</b>" if preview.rejected_count
            else "No lines rejected.")
        self._fill(self.rejected_table, [[str(r.line), r.reason, r.text] for r in preview.rejected])

    @staticmethod
    def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
        table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                table.setItem(r, c, QTableWidgetItem(text))

    def rejected_rows(self) -> list[tuple[str, str]]:
        t = self.rejected_table
        return [(t.item(r, 0).text(), t.item(r, 1).text()) for r in range(t.rowCount())]

    # -- import -------------------------------------------------------------------------------
    def start_import(self) -> None:
        path, kind, mapping, patient = self.path_edit.text().strip(), self.kind(), self.mapping(), self._patient
        self._show_page(PAGE_PROGRESS)
        self.progress.setRange(0, 0)
        self.summary.clear()
        self.progress_label.setText("Importing… (nothing is stored until the whole file is in)")
        self._handle = self._runner.run(
            lambda state: self._calls.run_import(state, patient.id, path, kind, mapping),
            self._on_imported, self._on_import_error, on_progress=self._on_progress,
        )

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if text:
            self.progress_label.setText(text)

    def _on_imported(self, result: Any) -> None:
        self._handle = None
        self._cancelling = False
        self.close_button.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress_label.setText("Import finished.")
        self.result_summary = self._calls.summary(result)
        self.summary.setText(self.result_summary)
        self.close_button.setText("Close")

    def _on_import_error(self, exc: BaseException) -> None:
        self._handle = None
        self._cancelling = False
        self.close_button.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label.setText("Import failed — nothing was stored.")
        self.summary.setText(exc.message if isinstance(exc, DomainError) else "The import failed. Nothing was stored.")
        self.close_button.setText("Close")

    def _close_or_cancel(self) -> None:
        if self._handle is not None and self.pages.currentIndex() == PAGE_PROGRESS:
            # Ask the import to stop and wait for it: it may be committing its last batch, in which
            # case the result still arrives and is shown; otherwise the runner goes idle silently.
            self._cancelling = True
            self._handle.cancel()
            self.close_button.setEnabled(False)
            self.progress_label.setText("Cancelling…")
            return
        self._runner.cancel()
        self.reject() if self.result_summary is None else self.accept()

    def _on_busy_changed(self, busy: bool) -> None:
        if not busy and self._cancelling and self.pages.currentIndex() == PAGE_PROGRESS and self.result_summary is None:
            self._handle = None
            self._cancelling = False
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress_label.setText("Import cancelled — nothing was stored.")
            self.result_summary = "cancelled"
            self.close_button.setEnabled(True)
            self.close_button.setText("Close")

    def done(self, result: int) -> None:  # noqa: D102 - also when the window is closed
        self._runner.cancel()
        super().done(result)

