"""The one-page patient summary: rendered offscreen to PDF and read back with poppler's tools."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest

from clinic_desktop.qt.dialogs.patient_summary_printing import PatientSummaryPrinting
from clinic_desktop.services.patient_service import PatientService
from tests.qt.test_patient_list import context_for
from tests.services.patient_support import seed_summary_patient

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext, pdfinfo) not installed")


def pdf_text(path) -> tuple[int, str]:  # noqa: ANN001
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return pages, unicodedata.normalize("NFKC", text)


def save(qtbot, database, actor, patient_id, path) -> str:  # noqa: ANN001
    widget_parent = None
    from PySide6.QtWidgets import QWidget

    widget_parent = QWidget()
    qtbot.addWidget(widget_parent)
    printing = PatientSummaryPrinting(context_for(database, actor), widget_parent)
    with qtbot.waitSignal(printing.finished, timeout=20000) as done:
        printing.save_pdf(patient_id, path=str(path))
    printing.wait_idle()
    return done.args[0]


def test_clinical_summary_is_one_page_even_with_many_medications(qtbot, database, clinic, tmp_path,
                                                                  gui_thread_statements):
    patient = seed_summary_patient(database, PatientService(database), clinic, medications=40, appointments=6)
    path = tmp_path / "summary.pdf"
    message = save(qtbot, database, clinic.doctor, patient.id, path)
    assert gui_thread_statements == []  # gathered on a worker; only the drawing ran on the GUI thread
    assert message.startswith("Summary of Lindqvist, Greta saved")
    pages, text = pdf_text(path)
    assert pages == 1
    for expected in ("Patient summary", "Lindqvist, Greta", "MRN SUM-0042", "Type 1", "8.1 % on 10/02/2026",
                     "target 7.0 %, above target by 1.1 %", "Lindenallee 4, 10115 Berlin", "Glucose, last 14 days",
                     "Mean glucose", "GMI", "Time in range", "Target range 70–180 mg/dL", "Active medications (40)", "DrugA 500 mg, 1 tablet",
                     "Twice daily at 08:00, 20:00", "more active medications", "(responsible doctor)",
                     "Caregiver Lindqvist, Lars", "husband", "may record doses, view", "Upcoming appointments",
                     "follow up", "more booked appointment(s)", "Printed by", "(doctor)", "Page 1 of 1"):
        assert expected in text, expected
    shown = [line for line in text.splitlines() if "500 mg, 1 tablet" in line]
    hidden = int(re.search(r"and (\d+) more active medications", text).group(1))
    assert len(shown) + hidden == 40 and len(shown) >= 10


def test_receptionist_summary_leaves_out_every_clinical_field(qtbot, database, clinic, tmp_path):
    patient = seed_summary_patient(database, PatientService(database), clinic, medications=5)
    path = tmp_path / "reception.pdf"
    save(qtbot, database, clinic.receptionist, patient.id, path)
    pages, text = pdf_text(path)
    assert pages == 1
    for expected in ("demographics only", "Lindqvist, Greta", "MRN SUM-0042", "+49 30 1234567", "Upcoming appointments",
                     "(receptionist)", "Page 1 of 1", "Clinical details are not included for your role"):
        assert expected in text, expected
    for clinical in ("Diabetes", "Type 1", "HbA1c", "8.1", "Glucose", "Mean glucose", "medication", "Drug",
                     "follow up", "Twice daily"):
        assert clinical not in text, clinical
