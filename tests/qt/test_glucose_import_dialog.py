"""Import dialog flow: column mapping from the file's first lines, preview of rejected lines,
background import with progress, and Cancel. The import service here is a small test double
(the readers and COPY import belong to the data side and are tested there)."""

from __future__ import annotations

import csv
import time
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from clinic_desktop.domain.actor import Actor
from clinic_desktop.domain.enums import GlucoseUnit, Role
from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.dialogs.glucose_column_mapping_page import read_sample
from clinic_desktop.qt.dialogs.glucose_import_calls import ImportKind
from clinic_desktop.qt.dialogs.glucose_import_dialog import PAGE_MAPPING, PAGE_PREVIEW, PAGE_PROGRESS, GlucoseImportDialog
from clinic_desktop.qt.panes.glucose_gateway import PatientChoice
from clinic_desktop.services.auth_service import StaffSession

GENERIC = "When;Glucose (mmol/L);Comment\n2026-03-01 08:00;5,6;\n2026-03-01 08:05;abc;\n2026-02-30 08:10;5,9;\n2026-03-01 08:15;6,1;ok\n"


class ImportDouble:
    """Parses the generic CSV by the mapping it is given; import loops slowly so it can be cancelled."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.stored = 0

    def preview(self, actor, patient_id, path, *, kind, mapping, state):  # noqa: ANN001
        self.calls.append(("preview", kind, mapping))
        sample, rejected = [], []
        with open(path, encoding="utf-8") as handle:
            for line_no, row in enumerate(csv.DictReader(handle, delimiter=mapping["delimiter"]), start=2):
                try:
                    at = datetime.strptime(row[mapping["timestamp_column"]], "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
                except ValueError:
                    rejected.append(SimpleNamespace(line=line_no, reason="Impossible date", text=row[mapping["timestamp_column"]]))
                    continue
                try:
                    value = float(row[mapping["value_column"]].replace(",", ".")) * 18
                except ValueError:
                    rejected.append(SimpleNamespace(line=line_no, reason="Not a number", text=row[mapping["value_column"]]))
                    continue
                sample.append(SimpleNamespace(recorded_at=at, value_mgdl=value))
        return SimpleNamespace(accepted=len(sample), sample=sample, rejected=rejected, device_serial=None,
                               device_name="Generic CSV", first_at=sample[0].recorded_at, last_at=sample[-1].recorded_at)

    def import_file(self, actor, patient_id, path, *, kind, mapping, state):  # noqa: ANN001
        for i in range(200):
            state.check_cancelled()
            state.report(i, 200, f"Stored {i} of 200 batches")
            time.sleep(0.01)
        self.stored = 2
        return SimpleNamespace(stored=2, duplicates=0, rejected_count=2)


def make_dialog(qtbot, tmp_path, double):  # noqa: ANN001
    path = tmp_path / "export.csv"
    path.write_text(GENERIC, encoding="utf-8")
    actor = Actor(uuid.uuid4(), uuid.uuid4(), Role.NURSE, "n", "Nurse", None)
    context = AppContext(Services(extra={"glucose_import": double}), ChangeBus(), StaffSession(actor, "C", "UTC", False))
    dialog = GlucoseImportDialog(context, PatientChoice(uuid.uuid4(), "Doe, Jane", "M1", GlucoseUnit.MMOL_L))
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(path))
    next(b for b in dialog.kind_group.buttons() if b.property("kind") == ImportKind.GENERIC.value).setChecked(True)
    return dialog


def to_preview(qtbot, dialog):  # noqa: ANN001
    dialog.next_button.click()
    assert dialog.pages.currentIndex() == PAGE_MAPPING
    qtbot.waitUntil(lambda: dialog.mapping_page.time_combo.count() == 4, timeout=5000)
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == PAGE_PREVIEW, timeout=5000)


def test_read_sample_sniffs_delimiter_and_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffTime\tValue\n2026-01-01 00:00\t100\n".encode())
    header, rows, delimiter = read_sample(str(path))
    assert header == ["Time", "Value"] and delimiter == "\t" and rows == [["2026-01-01 00:00", "100"]]


def test_read_sample_reads_utf16_with_a_bom_and_names_it_without_one(tmp_path):
    """#12 item 9: the mapping page reads the file as the import will."""
    from clinic_desktop.imports import ImportFormatError

    text = "Time;Value\n2026-01-01 00:00;100\n"
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-16"))
    assert read_sample(str(tmp_path / "bom.csv")) == (["Time", "Value"], [["2026-01-01 00:00", "100"]], ";")
    (tmp_path / "plain.csv").write_bytes(text.encode("utf-16-le"))
    with pytest.raises(ImportFormatError, match="UTF-16 LE text without a byte-order mark"):
        read_sample(str(tmp_path / "plain.csv"))


def test_mapping_guesses_columns_and_preview_lists_rejected_lines(qtbot, tmp_path):
    double = ImportDouble()
    dialog = make_dialog(qtbot, tmp_path, double)
    to_preview(qtbot, dialog)
    mapping = double.calls[0][2]
    assert mapping["timestamp_column"] == "When" and mapping["value_column"] == "Glucose (mmol/L)"
    assert mapping["unit"] == "mmol/L" and mapping["delimiter"] == ";"
    assert dialog.rejected_rows() == [("3", "Not a number"), ("4", "Impossible date")]
    assert "2 lines will not be stored" in dialog.rejected_label.text()
    assert "Generic CSV" in dialog.identity.text() and "03/01/2026 08:00" in dialog.identity.text()
    assert dialog.accepted_table.item(0, 1).text() == "5.6 mmol/L"


def test_mapping_requires_distinct_columns(qtbot, tmp_path):
    dialog = make_dialog(qtbot, tmp_path, ImportDouble())
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.mapping_page.time_combo.count() == 4, timeout=5000)
    dialog.mapping_page.value_combo.setCurrentIndex(dialog.mapping_page.time_combo.currentIndex())
    dialog.next_button.click()
    assert dialog.pages.currentIndex() == PAGE_MAPPING
    assert dialog.error.text() == "The time and the value must be different columns."


def test_import_runs_with_progress_and_reports_result(qtbot, tmp_path):
    double = ImportDouble()
    dialog = make_dialog(qtbot, tmp_path, double)
    to_preview(qtbot, dialog)
    dialog.next_button.click()
    assert dialog.pages.currentIndex() == PAGE_PROGRESS
    qtbot.waitUntil(lambda: dialog.result_summary is not None, timeout=10000)
    assert "2 readings stored" in dialog.summary.text() and dialog.close_button.text() == "Close"


def test_cancel_stops_the_import(qtbot, tmp_path):
    double = ImportDouble()
    dialog = make_dialog(qtbot, tmp_path, double)
    to_preview(qtbot, dialog)
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.progress.maximum() == 200, timeout=5000)
    dialog.close_button.click()
    qtbot.waitUntil(lambda: dialog.result_summary == "cancelled", timeout=5000)
    assert dialog.progress_label.text() == "Import cancelled — nothing was stored." and double.stored == 0
    assert dialog.close_button.isEnabled()
