"""Metrics panel, worklist model, reading-entry dialog and the AGP PDF report (no database)."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PySide6.QtCore import Qt

from clinic_desktop.domain.enums import GlucoseUnit, ReadingContext
from clinic_desktop.domain.errors import FieldProblem, ValidationError
from clinic_desktop.qt.dialogs.glucose_reading_dialog import GlucoseReadingDialog, parse_value
from clinic_desktop.qt.formats import Formats
from clinic_desktop.qt.models.glucose_table_model import SORT_ROLE, SortKeyProxy
from clinic_desktop.qt.models.review_worklist_model import (
    COL_CV,
    COL_EVENTS,
    COL_LAST_REVIEW,
    COL_PATIENT,
    COL_PRIORITY,
    COL_TBR70,
    COL_TIR,
    ReviewWorklistModel,
)
from clinic_desktop.qt.panes.glucose_metrics_panel import GlucoseMetricsPanel, gri_zone
from clinic_desktop.qt.reports.agp_report import AgpReportData, write_agp_report
from clinic_desktop.services.glucose_dto import WorklistRow
from clinic_desktop.services.glucose_service import metrics_of

from . import glucose_samples as samples
from clinic_desktop.domain.clock import FixedClock

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)


def worklist_rows() -> list[WorklistRow]:
    def row(i, name, tir, tbr70, cv, events, reviewed_days, priority):  # noqa: ANN001
        reviewed = None if reviewed_days is None else NOW - timedelta(days=reviewed_days)
        return WorklistRow(uuid.UUID(int=i), name, f"M{i:03d}", GlucoseUnit.MG_DL, tir, tbr70, tbr70 and tbr70 / 4, cv,
                           events, reviewed, NOW - timedelta(hours=i), priority, ("TIR under 70 %",) if tir and tir < 70 else ())
    return [
        row(1, "Berg, Anna", 55.0, 6.0, 41.0, 2, None, 95.0),
        row(2, "Adams, Ben", 82.0, 1.0, 30.0, 0, 10, 12.0),
        row(3, "Cole, Cara", None, None, None, 0, 200, 40.0),  # no CGM data: unknown, not zero
        row(4, "Diaz, Dan", 68.0, 3.0, 37.5, 1, 95, 60.0),
    ]


def test_metrics_panel_warns_when_data_is_insufficient(qtbot):
    panel = GlucoseMetricsPanel()
    qtbot.addWidget(panel)
    panel.set_metrics(samples.metrics(days=9.5, active_percent=52.0), GlucoseUnit.MG_DL)
    assert "less than 14 days / 70 % data" in panel.banner_text() and "9.5 days" in panel.banner_text()
    panel.set_metrics(samples.metrics(), GlucoseUnit.MG_DL)
    assert panel.banner_text().startswith("Enough data")


def test_metrics_panel_gives_one_verdict_for_a_window_shown_as_14_days(qtbot):
    """13.96 days of readings shows as 14.0: the banner and the rows must not disagree about it."""
    zone = ZoneInfo("Europe/Berlin")
    end = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)
    start = end - timedelta(days=14)
    times = start.timestamp() + 0.04 * 86400 + np.arange(int(13.96 * 288)) * 300.0
    panel = GlucoseMetricsPanel()
    qtbot.addWidget(panel)
    panel.set_metrics(metrics_of(times, np.full(times.size, 120.0), zone, start, end), GlucoseUnit.MG_DL)
    days = {r.name: r for r in panel.rows()}["Days with CGM data"]
    assert days.value == "14.0" and "14.0 days" in panel.banner_text()
    assert panel.banner_text().startswith("Enough data") and days.status == "met"


def test_metrics_panel_values_in_patients_unit_with_goals(qtbot):
    panel = GlucoseMetricsPanel()
    qtbot.addWidget(panel)
    panel.set_metrics(samples.metrics(), GlucoseUnit.MMOL_L)
    rows = {r.name: r for r in panel.rows()}
    assert rows["Mean glucose"].value == "8.6 mmol/L"  # 154.2 / 18
    assert rows["Time in range 3.9–10.0 mmol/L"].value == "68.5 %"
    assert rows["Time in range 3.9–10.0 mmol/L"].status == "not met"
    assert rows["Time below 3.9 mmol/L"].value == "3.9 %" and rows["Time below 3.9 mmol/L"].status == "met"  # 0.8 + 3.1
    assert rows["Glucose variability (CV)"].status == "not met"
    assert rows["Glycemia Risk Index"].value == "41 (zone C)"
    deeper = {r.name.split(" (")[0]: r.value for r in panel.deeper()}
    assert deeper["MAGE"] == "6.2 mmol/L" and deeper["LBGI"].startswith("1.9 (low")
    panel.set_metrics(samples.metrics(), GlucoseUnit.MG_DL)
    assert {r.name: r for r in panel.rows()}["Mean glucose"].value == "154 mg/dL"


def test_gri_zones():
    assert [gri_zone(v) for v in (0, 20, 20.5, 41, 79.9, 100)] == ["A", "A", "B", "C", "D", "E"]


def test_worklist_model_passes_modeltester(qtmodeltester):
    model = ReviewWorklistModel("Europe/Berlin", FixedClock(NOW), formats=Formats("en_US"))
    model.set_rows(worklist_rows())
    qtmodeltester.check(model)
    proxy = SortKeyProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)


@pytest.mark.parametrize(
    ("column", "order", "expected"),
    [
        (COL_PRIORITY, Qt.SortOrder.DescendingOrder, ["Berg, Anna", "Diaz, Dan", "Cole, Cara", "Adams, Ben"]),
        (COL_TIR, Qt.SortOrder.AscendingOrder, ["Berg, Anna", "Diaz, Dan", "Adams, Ben", "Cole, Cara"]),
        (COL_TBR70, Qt.SortOrder.DescendingOrder, ["Cole, Cara", "Berg, Anna", "Diaz, Dan", "Adams, Ben"]),
        (COL_CV, Qt.SortOrder.AscendingOrder, ["Adams, Ben", "Diaz, Dan", "Berg, Anna", "Cole, Cara"]),
        (COL_EVENTS, Qt.SortOrder.DescendingOrder, ["Berg, Anna", "Diaz, Dan"]),  # then a 0–0 tie
        (COL_LAST_REVIEW, Qt.SortOrder.AscendingOrder, ["Cole, Cara", "Diaz, Dan", "Adams, Ben", "Berg, Anna"]),
        (COL_PATIENT, Qt.SortOrder.AscendingOrder, ["Adams, Ben", "Berg, Anna", "Cole, Cara", "Diaz, Dan"]),
    ],
)
def test_worklist_sorts_numbers_as_numbers_and_unknown_last(qtbot, column, order, expected):
    model = ReviewWorklistModel("Europe/Berlin", FixedClock(NOW), formats=Formats("en_US"))
    model.set_rows(worklist_rows())
    proxy = SortKeyProxy()
    proxy.setSourceModel(model)
    proxy.sort(column, order)
    names = [proxy.index(r, COL_PATIENT).data() for r in range(proxy.rowCount())]
    # Unknown values sort after known ones ascending, hence first when descending.
    assert names[: len(expected)] == expected


def test_worklist_colour_cues_and_texts(qtbot):
    model = ReviewWorklistModel("Europe/Berlin", FixedClock(NOW), formats=Formats("en_US"))
    model.set_rows(worklist_rows())
    bg = lambda r, c: model.index(r, c).data(Qt.ItemDataRole.BackgroundRole)  # noqa: E731
    assert bg(0, COL_TIR) is not None and bg(1, COL_TIR) is None  # 55 % flagged, 82 % not
    assert bg(0, COL_EVENTS) is not None and bg(1, COL_EVENTS) is None
    assert bg(0, COL_LAST_REVIEW) is not None  # never reviewed
    assert bg(1, COL_LAST_REVIEW) is None and bg(3, COL_LAST_REVIEW) is not None  # 10 vs 95 days ago
    assert model.index(2, COL_TIR).data() == "—" and model.index(0, COL_LAST_REVIEW).data() == "never"
    assert model.index(1, COL_LAST_REVIEW).data() == "03/10/2026 13:00"  # clinic time (CET), the clinic's format
    assert isinstance(model.index(0, COL_PRIORITY).data(SORT_ROLE), tuple)


def test_parse_value_accepts_decimal_comma_and_rejects_implausible():
    assert parse_value("6,4", GlucoseUnit.MMOL_L) == (6.4, None)
    assert parse_value(" 115 ", GlucoseUnit.MG_DL) == (115.0, None)
    assert parse_value("abc", GlucoseUnit.MG_DL)[1] == "“abc” is not a number."
    assert "plausible range 20 mg/dL – 600 mg/dL" in parse_value("700", GlucoseUnit.MG_DL)[1]
    assert "1.1 mmol/L – 33.3 mmol/L" in parse_value("115", GlucoseUnit.MMOL_L)[1]  # mg/dL typed as mmol/L


def make_dialog(qtbot, save, unit=GlucoseUnit.MMOL_L):  # noqa: ANN001
    dialog = GlucoseReadingDialog(patient_label="Doe, Jane · MRN 1", unit=unit, zone=ZoneInfo("Europe/Berlin"),
                                  save=save, clock=FixedClock(NOW), formats=Formats("en_US"))
    qtbot.addWidget(dialog)
    return dialog


def test_reading_dialog_validates_inline_and_saves_in_background(qtbot):
    saved = []
    dialog = make_dialog(qtbot, lambda fields: saved.append(fields) or "stored")
    dialog.value_edit.setText("99")
    assert dialog.errors["value"].isVisibleTo(dialog) and "plausible range" in dialog.errors["value"].text()
    dialog.value_edit.setText("5,2")
    assert not dialog.errors["value"].isVisibleTo(dialog)
    dialog.when_edit.setDateTime(dialog.when_edit.dateTime().addDays(1))
    assert dialog.errors["recorded_at"].text() == "The time is in the future."
    dialog.when_edit.setDateTime(dialog.when_edit.dateTime().addDays(-2))
    dialog.context_combo.setCurrentIndex(dialog.context_combo.findData(ReadingContext.FASTING))
    dialog.note_edit.setPlainText("  before insulin ")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.result_value == "stored", timeout=5000)
    fields = saved[0]
    assert fields["value"] == 5.2 and fields["unit"] == GlucoseUnit.MMOL_L and fields["context"] == ReadingContext.FASTING
    assert fields["note"] == "before insulin"
    assert fields["recorded_at"] == datetime(2026, 3, 19, 13, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # clinic local


def test_reading_dialog_shows_service_errors_next_to_the_field(qtbot):
    def refuse(fields):  # noqa: ANN001
        raise ValidationError([FieldProblem("recorded_at", "A reading at this time already exists.")])

    dialog = make_dialog(qtbot, refuse, unit=GlucoseUnit.MG_DL)
    dialog.value_edit.setText("120")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.errors["recorded_at"].text() == "A reading at this time already exists.", timeout=5000)
    assert dialog.result() == 0 and dialog.buttons.isEnabled()


def test_empty_value_blocks_saving(qtbot):
    saved = []
    dialog = make_dialog(qtbot, saved.append)
    dialog.submit()
    assert dialog.errors["value"].text() == "Enter the glucose value." and saved == []


def test_agp_report_pdf_has_one_page_with_metrics(qtbot, tmp_path):
    path = tmp_path / "report.pdf"
    data = AgpReportData("Doe, Jane", "MRN0042", GlucoseUnit.MMOL_L, "Riverside Clinic", ZoneInfo("Europe/Berlin"),
                         samples.START, samples.START + timedelta(days=14, seconds=-1),
                         samples.metrics(days=11.2, active_percent=52.0), samples.agp_profile(), samples.daily_overlays(),
                         generated_at=samples.START + timedelta(days=14, hours=3), formats=Formats("de_DE"))
    write_agp_report(str(path), data)
    assert path.read_bytes().startswith(b"%PDF")
    assert shutil.which("pdftotext") and shutil.which("pdfinfo"), "poppler-utils is installed by packaging/bootstrap.sh test"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = unicodedata.normalize("NFKC", text)  # the PDF font uses ligatures (ﬁ, ﬃ)
    for expected in ("Glucose profile report", "MRN0042", "Mean glucose", "8.6 mmol/L", "Time in range 3.9–10.0 mmol/L",
                     "68.5 %", "less than 14 days / 70 % data", "Ambulatory glucose profile", "Daily overlay",
                     "Very low <3.0 mmol/L", "not the official AGP report",
                     "Window: 01.03.2026 – 15.03.2026", "Generated 15.03.2026 04:00"):  # a German clinic's dates
        assert expected in text, expected
