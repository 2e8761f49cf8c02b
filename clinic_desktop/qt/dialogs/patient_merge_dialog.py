"""Admin-only: merge a duplicate patient record into the one to keep.

Pick both records (search), compare them side by side with what each holds, confirm; the merge
runs on a worker in one transaction (PatientService.merge) and the lists refresh through the
change bus. The duplicate is archived, never deleted.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...domain.changes import ChangeKind, change_set
from ...domain.patient_rules import format_phone
from ...services.patient_dto import MergePreview, MergeResult, PatientRecord, PatientSummary
from ..formats import Formats
from ..widgets.patient_picker import PatientPicker
from ..workers import TaskRunner
from ..error_messages import describe_error

MOVED = ("glucose readings", "appointments", "medications", "caregivers")
_FIELDS = [
    ("MRN", lambda r: r.mrn), ("Name", lambda r: r.display_name),
    ("Date of birth", None), ("Phone", lambda r: format_phone(r.phone_e164)), ("E-mail", lambda r: r.email or ""),
    ("Address", lambda r: " ".join((r.address or "").split())),
    ("Diabetes type", lambda r: r.diabetes_type.label if r.diabetes_type else ""),
    ("Status", lambda r: "archived" if r.archived else "active"),
]


class PatientMergeDialog(QDialog):
    """Choose the duplicate and the record to keep, compare, confirm, merge."""

    merged = Signal(object)  # MergeResult

    def __init__(self, context, parent: QWidget | None = None, *, duplicate: PatientSummary | None = None,  # noqa: ANN001
                 locale: str | None = None) -> None:
        super().__init__(parent)
        self._context, self._service, self._actor = context, context.services.patients, context.actor
        self._formats = Formats(locale) if locale else context.formats
        self._locale = self._formats.locale
        self._runner = TaskRunner(self)
        self.preview: MergePreview | None = None
        self.result: MergeResult | None = None
        self.setWindowTitle("Merge duplicate patient records")
        self._build()
        if duplicate is not None:
            self.duplicate_picker.choose(duplicate)

    def _build(self) -> None:
        self.duplicate_picker = PatientPicker(self._context, self, locale=self._locale, include_archived=True)
        self.keep_picker = PatientPicker(self._context, self, locale=self._locale)
        for picker in (self.duplicate_picker, self.keep_picker):
            picker.patient_chosen.connect(lambda _: self._load_preview())
            picker.search_failed.connect(self._show_status)
        form = QFormLayout()
        form.addRow("Duplicate (merged, then archived)", self.duplicate_picker)
        form.addRow("Record to keep", self.keep_picker)
        self.swap_button = QPushButton("Swap")
        self.swap_button.clicked.connect(self.swap)
        self.table = QTableWidget(len(_FIELDS) + len(MOVED), 2)
        self.table.setHorizontalHeaderLabels(["Duplicate (moved, then archived)", "Record to keep"])
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setVerticalHeaderLabels([f[0] for f in _FIELDS] + [f"{m.capitalize()}" for m in MOVED])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.summary = QLabel("Choose both records to compare them.")
        self.summary.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.merge_button = QPushButton("Merge…")
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.merge)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.swap_button)
        buttons.addStretch(1)
        buttons.addWidget(self.merge_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(760, 600)

    # --- comparing -----------------------------------------------------------------------------

    def swap(self) -> None:
        keep, dup = self.keep_picker.chosen, self.duplicate_picker.chosen
        if keep is not None and dup is not None:
            self.keep_picker.blockSignals(True)
            self.keep_picker.choose(dup)
            self.keep_picker.blockSignals(False)
            self.duplicate_picker.choose(keep)

    def _load_preview(self) -> None:
        keep, dup = self.keep_picker.chosen, self.duplicate_picker.chosen
        self.preview = None
        self.merge_button.setEnabled(False)
        if keep is None or dup is None:
            return
        if keep.id == dup.id:
            self._show_status("Choose two different patients.")
            return
        self._show_status("Loading both records…")
        self._runner.run(lambda state: self._service.merge_preview(self._actor, keep_id=keep.id, merge_id=dup.id),
                         self._show_preview, self._failed)

    def _show_preview(self, preview: MergePreview) -> None:
        self.preview = preview
        for row, (_, value) in enumerate(_FIELDS):
            cells = [self._value(record, value) for record in (preview.duplicate, preview.keep)]
            for column, cell in enumerate(cells):
                item = QTableWidgetItem(cell)
                if cells[0] != cells[1]:  # where the two records disagree
                    item.setBackground(QColor("#fff8e1"))
                self.table.setItem(row, column, item)
        for i, label in enumerate(MOVED):
            for column, counts in enumerate((preview.duplicate_counts, preview.keep_counts)):
                self.table.setItem(len(_FIELDS) + i, column, QTableWidgetItem(f"{counts.get(label, 0):,}"))
        moving = ", ".join(f"{preview.duplicate_counts.get(m, 0):,} {m}" for m in MOVED)
        self.summary.setText(f"Merging moves {moving} from {preview.duplicate.display_name} (MRN "
                             f"{preview.duplicate.mrn}) to {preview.keep.display_name} (MRN {preview.keep.mrn}); "
                             "the duplicate is then archived. Empty fields of the kept record are filled from it.")
        self.merge_button.setEnabled(not preview.keep.archived)
        self._show_status("The record to keep is archived: restore it first." if preview.keep.archived else "")

    def _value(self, record: PatientRecord, value) -> str:  # noqa: ANN001
        return self._formats.date(record.date_of_birth) if value is None else value(record)

    # --- merging -------------------------------------------------------------------------------

    def merge(self) -> None:
        preview = self.preview
        if preview is None:
            return
        if self.isVisible():
            answer = QMessageBox.question(
                self, "Merge records",
                f"Merge {preview.duplicate.display_name} (MRN {preview.duplicate.mrn}) into "
                f"{preview.keep.display_name} (MRN {preview.keep.mrn})? This cannot be undone from here.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        keep_id, merge_id = preview.keep.id, preview.duplicate.id
        self.merge_button.setEnabled(False)
        self._show_status("Merging…")
        self._runner.run(lambda state: self._service.merge(self._actor, keep_id=keep_id, merge_id=merge_id),
                         self._merged, self._failed)

    def _merged(self, result: MergeResult) -> None:
        self.result = result
        moved = ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in sorted(result.moved.items()) if n)
        self._show_status(f"Merged. Moved: {moved or 'nothing'}. The duplicate is archived.")
        self._context.bus.publish(change_set(ChangeKind.PATIENT, result.keep_id, result.merged_id))
        self.merged.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.merge_button.setEnabled(self.preview is not None)
        self._show_status(describe_error(exc, "merge the records; nothing was merged"))

    def _show_status(self, text: str) -> None:
        self.status.setText(text)

    def wait_idle(self) -> None:
        self._runner.wait_idle()
        for picker in (self.duplicate_picker, self.keep_picker):
            picker._runner.wait_idle()
