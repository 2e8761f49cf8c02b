"""The CGM import dialog driving the REAL import service on PostgreSQL: preview, import, re-import adds nothing."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from PySide6.QtCore import QThreadPool
from sqlalchemy import text

from clinic_desktop.db.models import Patient
from clinic_desktop.domain.enums import GlucoseUnit
from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.dialogs.glucose_import_calls import ImportKind
from clinic_desktop.qt.dialogs.glucose_import_dialog import PAGE_PREVIEW, GlucoseImportDialog
from clinic_desktop.qt.panes.glucose_gateway import PatientChoice
from clinic_desktop.services.auth_service import StaffSession
from clinic_desktop.services.glucose_import_service import GlucoseImportService

DATA = Path(__file__).resolve().parents[1] / "data" / "cgm"


def open_dialog(qtbot, database, clinic, patient):  # noqa: ANN001
    context = AppContext(Services(extra={"glucose_import": GlucoseImportService(database)}), ChangeBus(),
                         StaffSession(clinic.nurse, "Test Clinic", "Europe/Berlin", False))
    dialog = GlucoseImportDialog(context, patient)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(DATA / "dexcom_clarity_mgdl.csv"))
    next(b for b in dialog.kind_group.buttons() if b.property("kind") == ImportKind.DEXCOM.value).setChecked(True)
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == PAGE_PREVIEW, timeout=10000)
    return dialog


def test_dexcom_file_previewed_imported_and_not_duplicated(qtbot, database, clinic):
    with database.unit_of_work(clinic.doctor) as uow:
        p = Patient(clinic_id=clinic.clinic_id, mrn=f"I{uuid.uuid4().hex[:6]}", given_name="Ann", family_name="Lee",
                    date_of_birth=date(1990, 1, 2))
        uow.session.add(p)
        uow.session.flush()
        patient = PatientChoice(p.id, "Lee, Ann", p.mrn, GlucoseUnit.MG_DL)
    dialog = open_dialog(qtbot, database, clinic, patient)
    assert "8ABC12" in dialog.identity.text() and "Dexcom G6 Mobile App" in dialog.identity.text()
    assert [line for line, _ in dialog.rejected_rows()] == ["62", "63", "64", "65"]
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.result_summary is not None, timeout=15000)
    assert "48 readings stored" in dialog.summary.text()
    again = open_dialog(qtbot, database, clinic, patient)
    again.next_button.click()
    qtbot.waitUntil(lambda: again.result_summary is not None, timeout=15000)
    assert "0 readings stored" in again.summary.text() and "49 were already stored" in again.summary.text()
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM glucose_reading WHERE patient_id = :p"), {"p": p.id}).scalar() == 48
    assert QThreadPool.globalInstance().waitForDone(10000)
