"""Admin-only merge from the patient list: pick, compare, confirm, merge in the background."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from clinic_desktop.db.models import Appointment, GlucoseReading, Medication, Patient
from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus, ReadingSource, Role
from clinic_desktop.qt.panes.patient_list_pane import PatientListPane
from clinic_desktop.services.patient_service import PatientService
from tests.qt.test_patient_care_team import off_gui_thread, shot
from tests.qt.test_patient_list import context_for
from tests.services.patient_support import register

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def give_history(database, clinic, patient_id: uuid.UUID, readings: int, *, days_ahead: int) -> None:  # noqa: ANN001
    with database.unit_of_work(clinic.doctor) as uow:
        for i in range(readings):
            uow.session.add(GlucoseReading(clinic_id=clinic.clinic_id, patient_id=patient_id, value_mgdl=110 + i,
                                           recorded_at=NOW - timedelta(minutes=5 * i + days_ahead), source=ReadingSource.MANUAL))
        start = NOW + timedelta(days=days_ahead)
        uow.session.add(Appointment(clinic_id=clinic.clinic_id, patient_id=patient_id, doctor_id=clinic.doctor.doctor_id,
                                    starts_at=start, ends_at=start + timedelta(minutes=15),
                                    reason=AppointmentReason.ROUTINE, status=AppointmentStatus.CONFIRMED))
        uow.session.add(Medication(clinic_id=clinic.clinic_id, patient_id=patient_id, drug_name="Metformin",
                                   frequency="once_daily", start_date=date(2025, 1, 1)))


def owned(database, patient_id):  # noqa: ANN001, ANN201
    def counts():  # noqa: ANN202
        with database.engine.connect() as conn:
            return tuple(conn.scalar(select(func.count()).select_from(m).where(m.patient_id == patient_id))
                         for m in (GlucoseReading, Appointment, Medication))
    return off_gui_thread(counts)


def row_of(pane, name: str):  # noqa: ANN001, ANN201
    return next(pane.model.index(r, 0) for r in range(pane.model.rowCount())
                if pane.model.row_at(r).display_name == name)


def test_admin_merges_a_duplicate_from_the_list(qtbot, database, clinic, monkeypatch, gui_thread_statements):
    service = PatientService(database)
    keep = register(service, clinic.receptionist, given_name="Jonathan", family_name="Doe", mrn="KEEP-1")
    dup = register(service, clinic.receptionist, given_name="Jonathon", family_name="Doe", mrn="DUP-2")
    give_history(database, clinic, dup.id, readings=3, days_ahead=9)
    give_history(database, clinic, keep.id, readings=1, days_ahead=10)
    pane = PatientListPane(context_for(database, clinic.admin))
    qtbot.addWidget(pane)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=10000)
    assert pane.merge_button.isVisibleTo(pane)
    menu = pane.context_menu(pane.patient_at(row_of(pane, "Doe, Jonathon")))
    merge_action = next(a for a in menu.actions() if a.text() == "Merge duplicate into…")
    merge_action.trigger()
    dialog = pane.merge_dialog
    assert dialog.duplicate_picker.chosen.id == dup.id

    qtbot.keyClicks(dialog.keep_picker, "KEEP-1")
    qtbot.waitUntil(lambda: bool(dialog.keep_picker.hits), timeout=10000)
    dialog.keep_picker.choose(dialog.keep_picker.hits[0])
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    cell = lambda row, col: dialog.table.item(row, col).text()  # noqa: E731
    labels = [dialog.table.verticalHeaderItem(r).text() for r in range(dialog.table.rowCount())]
    assert cell(labels.index("MRN"), 0) == "DUP-2" and cell(labels.index("MRN"), 1) == "KEEP-1"
    assert cell(labels.index("Glucose readings"), 0) == "3" and cell(labels.index("Glucose readings"), 1) == "1"
    assert cell(labels.index("Appointments"), 0) == "1" and cell(labels.index("Medications"), 0) == "1"
    assert "moves 3 glucose readings, 1 appointments, 1 medications" in dialog.summary.text()
    shot(dialog, "patients-gaps-merge-dialog.png")

    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kw: asked.append(args[2]) or QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.merged, timeout=10000):
        dialog.merge()
    assert asked and "DUP-2" in asked[0] and "KEEP-1" in asked[0]
    assert owned(database, keep.id) == (4, 2, 2) and owned(database, dup.id) == (0, 0, 0)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)  # the list refreshed: the duplicate is archived
    assert pane.model.row_at(0).display_name == "Doe, Jonathan"
    assert "Merged." in dialog.status.text()
    dialog.wait_idle()
    pane.model.wait_idle()
    assert gui_thread_statements == []


def test_merge_refuses_an_archived_record_to_keep(qtbot, database, clinic):
    from clinic_desktop.qt.dialogs.patient_merge_dialog import PatientMergeDialog

    service = PatientService(database)
    keep = register(service, clinic.receptionist, family_name="Gone", mrn="OLD-1")
    dup = register(service, clinic.receptionist, family_name="Here", mrn="NEW-1")
    service.archive(clinic.admin, keep.id)
    dialog = PatientMergeDialog(context_for(database, clinic.admin))
    qtbot.addWidget(dialog)
    for picker, mrn in ((dialog.keep_picker, "OLD-1"), (dialog.duplicate_picker, "NEW-1")):
        hits = service.search(clinic.admin, text=mrn, include_archived=True)
        picker.choose(hits[0])
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    assert not dialog.merge_button.isEnabled() and "restore it first" in dialog.status.text()
    off_gui_thread(lambda: None)
    with database.engine.connect() as conn:
        assert conn.scalar(select(Patient.deleted_at).where(Patient.id == dup.id)) is None
    dialog.wait_idle()


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST])
def test_only_admins_see_the_merge_action(qtbot, database, clinic, role):
    register(PatientService(database), clinic.receptionist, family_name="Doe")
    pane = PatientListPane(context_for(database, clinic.as_role(role)))
    qtbot.addWidget(pane)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)
    actions = [a.text() for a in pane.context_menu(pane.patient_at(pane.model.index(0, 0))).actions()]
    assert "Merge duplicate into…" not in actions and "Print one-page summary…" in actions
    assert not pane.merge_button.isVisibleTo(pane)
    pane.model.wait_idle()
