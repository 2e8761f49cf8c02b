"""Patient record dialog, conflict dialog and picker on a real PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic_desktop.config.settings import PoolSettings
from clinic_desktop.db.database import Database
from clinic_desktop.db.engine import ConnectTarget, create_app_engine
from clinic_desktop.db.local_server import free_port
from clinic_desktop.db.models import Patient
from clinic_desktop.db.timeseries import backend_for
from clinic_desktop.qt.dialogs.patient_conflict_dialog import KEEP_MINE
from clinic_desktop.qt.dialogs.patient_record_dialog import PatientRecordDialog
from clinic_desktop.qt.widgets.patient_picker import PatientPicker
from clinic_desktop.services.patient_service import PatientService
from tests.qt.test_patient_list import context_for
from tests.services.patient_support import register


def count(database, clinic) -> int:
    with database.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Patient).where(Patient.clinic_id == clinic.clinic_id))


def fill(dialog, **values) -> None:
    for name, value in values.items():
        dialog.inputs[name].setText(value)


def test_receptionist_registers_with_inline_errors_first(qtbot, database, clinic):
    dialog = PatientRecordDialog(context_for(database, clinic.receptionist))
    qtbot.addWidget(dialog)
    assert not dialog.clinical_box.isVisibleTo(dialog)
    future = (date.today() + timedelta(days=3)).strftime("%m/%d/%Y")
    fill(dialog, mrn="R-100", given_name="Lena", family_name="", date_of_birth=future, phone="12", email="x@")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.errors["phone"].isVisibleTo(dialog), timeout=10000)
    assert "future" in dialog.errors["date_of_birth"].text()
    assert dialog.errors["family_name"].text() == "Enter the family name."
    assert "e-mail" in dialog.errors["email"].text()
    assert not dialog.errors["mrn"].isVisibleTo(dialog)
    assert count(database, clinic) == 0
    assert dialog.inputs["given_name"].text() == "Lena"  # the form keeps what was typed
    fill(dialog, family_name="Wolf", date_of_birth="04/23/1980", phone="+49 30 1234567", email="lena@example.org")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=10000)
    assert dialog.record.family_name == "Wolf" and count(database, clinic) == 1
    assert "46 years" in dialog.header.text() or "years" in dialog.header.text()
    dialog._runner.wait_idle()


def test_doctor_sees_the_clinical_header(qtbot, database, clinic):
    service = PatientService(database)
    p = register(service, clinic.doctor, diabetes_type="type_1", last_hba1c="8.1", target_hba1c="7.0")
    dialog = PatientRecordDialog(context_for(database, clinic.doctor), p.id)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=10000)
    assert dialog.clinical_box.isVisibleTo(dialog)
    assert "Type 1" in dialog.header.text() and "HbA1c 8.1 % (target 7.0 %)" in dialog.header.text()
    as_reception = PatientRecordDialog(context_for(database, clinic.receptionist), p.id)
    qtbot.addWidget(as_reception)
    qtbot.waitUntil(lambda: as_reception.record is not None, timeout=10000)
    assert "HbA1c" not in as_reception.header.text() and "Type 1" not in as_reception.header.text()
    dialog._runner.wait_idle()


def test_header_shows_30_day_adherence_to_clinicians_in_red_when_low(qtbot, database, clinic, gui_thread_statements):
    from clinic_desktop.domain.enums import DoseStatus
    from clinic_desktop.services.medication_service import MedicationService
    from tests.services.medication_support import at_local, today, twice_daily

    service, meds = PatientService(database), MedicationService(database)
    p = register(service, clinic.doctor, given_name="Ada", family_name="Lovelace", diabetes_type="type_2",
                 last_hba1c="7.9", target_hba1c="7.0")
    med = meds.prescribe(clinic.doctor, patient_id=p.id, data=twice_daily(start=today() - timedelta(days=10)))
    for days_ago in range(1, 11):  # mornings taken, evenings missed: 50 %
        meds.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=at_local(today() - timedelta(days=days_ago), 8),
                         status=DoseStatus.TAKEN)
        meds.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=at_local(today() - timedelta(days=days_ago), 20),
                         status=DoseStatus.MISSED)
    figure = meds.adherence(clinic.doctor, p.id).overall[30]
    dialog = PatientRecordDialog(context_for(database, clinic.doctor), p.id)
    qtbot.addWidget(dialog)
    dialog.resize(1000, 560)
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=10000)
    shown = f"adherence 30 d: {figure.percent:.0f} %"
    assert shown in dialog.header.text() and "color:#c62828" in dialog.header.text()  # below 80 %: red
    assert "10 missed" in dialog.header.toolTip()
    dialog.grab().save("/tmp/patient_header_adherence.png")
    as_reception = PatientRecordDialog(context_for(database, clinic.receptionist), p.id)
    qtbot.addWidget(as_reception)
    qtbot.waitUntil(lambda: as_reception.record is not None, timeout=10000)
    assert "adherence" not in as_reception.header.text() and as_reception.header.toolTip() == ""
    dialog._runner.wait_idle()
    as_reception._runner.wait_idle()
    assert gui_thread_statements == []


def test_stale_save_shows_both_versions_and_keeps_mine_on_request(qtbot, database, clinic):
    service = PatientService(database)
    p = register(service, clinic.receptionist, email="first@example.org")
    dialog = PatientRecordDialog(context_for(database, clinic.nurse), p.id)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=10000)
    service.update(clinic.doctor, p.id, data={"email": "theirs@example.org"}, expected_version=1)  # elsewhere
    dialog.inputs["email"].setText("mine@example.org")
    dialog.save()
    qtbot.waitUntil(lambda: getattr(dialog, "conflict_dialog", None) is not None, timeout=10000)
    conflict = dialog.conflict_dialog
    assert conflict.differences == ["email"]
    rows = {conflict.table.item(r, 0).text(): (conflict.table.item(r, 1).text(), conflict.table.item(r, 2).text())
            for r in range(conflict.table.rowCount())}
    assert rows["E-mail"] == ("mine@example.org", "theirs@example.org")
    assert service.get(clinic.admin, p.id).email == "theirs@example.org"  # nothing overwritten yet
    conflict._done(KEEP_MINE)
    qtbot.waitUntil(lambda: dialog.record.version == 3, timeout=10000)
    assert service.get(clinic.admin, p.id).email == "mine@example.org"
    dialog._runner.wait_idle()


def test_unreachable_server_keeps_the_form_and_retry_registers_once(qtbot, database, clinic):
    url = database.engine.url.set(host="127.0.0.1", port=free_port())
    down = Database(create_app_engine(ConnectTarget(url, None, PoolSettings(size=1, max_overflow=0, timeout_s=2,
                                                                             pre_ping=False))))
    context = context_for(database, clinic.receptionist)
    # The backend is chosen when the app connects (the server was up then); the server goes away afterwards.
    context.services.patients = PatientService(down, backend=backend_for(database))
    dialog = PatientRecordDialog(context)
    qtbot.addWidget(dialog)
    fill(dialog, mrn="R-200", given_name="Ida", family_name="Berg", date_of_birth="01/02/1970")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.retry_button.isVisibleTo(dialog), timeout=15000)
    assert "Nothing you typed is lost" in dialog.banner.text()
    assert dialog.inputs["family_name"].text() == "Berg" and count(database, clinic) == 0
    dialog._service = PatientService(database)  # the server is back
    dialog.retry_button.click()
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=10000)
    dialog.save()  # a second click after success changes nothing
    dialog._runner.wait_idle()
    assert count(database, clinic) == 1
    down.dispose()


def test_picker_emits_the_chosen_patient(qtbot, database, clinic):
    service = PatientService(database)
    p = register(service, clinic.receptionist, given_name="Björn", family_name="Åkesson")
    picker = PatientPicker(context_for(database, clinic.nurse))
    qtbot.addWidget(picker)
    picker.show()
    with qtbot.waitSignal(picker.patient_chosen, timeout=10000) as signal:
        qtbot.keyClicks(picker, "akess")
        qtbot.waitUntil(lambda: len(picker.hits) == 1, timeout=10000)
        picker._activated(picker._completer.completionModel().index(0, 0))
    assert signal.args[0].id == p.id and picker.text() == "Åkesson, Björn"
    picker._runner.wait_idle()


@pytest.mark.parametrize("typed", ["%", "'; DROP TABLE patient; --"])
def test_picker_treats_sql_as_text(qtbot, database, clinic, typed):
    register(PatientService(database), clinic.receptionist)
    picker = PatientPicker(context_for(database, clinic.nurse))
    qtbot.addWidget(picker)
    picker.show()
    qtbot.keyClicks(picker, typed + "zz")
    qtbot.wait(600)
    picker._runner.wait_idle()
    qtbot.wait(50)
    assert picker.hits == [] and count(database, clinic) == 1


def test_doctor_changes_the_responsible_doctor(qtbot, database, clinic):
    service = PatientService(database)
    p = register(service, clinic.doctor, responsible_doctor_id=clinic.doctor.doctor_id)
    dialog = PatientRecordDialog(context_for(database, clinic.doctor), p.id)
    qtbot.addWidget(dialog)
    combo = dialog.inputs["responsible_doctor_id"]
    qtbot.waitUntil(lambda: dialog.record is not None and combo.count() == 2, timeout=10000)
    assert combo.currentData() == clinic.doctor.doctor_id  # shown, not "—"
    assert dialog.changed_data() == {}
    combo.setCurrentIndex(0)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.record.version == 2, timeout=10000)
    assert service.get(clinic.doctor, p.id).responsible_doctor_id is None
    dialog._runner.wait_idle()
    dialog._runner_doctors.wait_idle()


def test_likely_duplicates_are_shown_before_registering(qtbot, database, clinic):
    service = PatientService(database)
    existing = register(service, clinic.receptionist, given_name="Anna", family_name="Schmidt",
                        date_of_birth=date(1980, 4, 23))
    dialog = PatientRecordDialog(context_for(database, clinic.receptionist))
    qtbot.addWidget(dialog)
    fill(dialog, mrn="NEW-1", given_name="Ana", family_name="Schmitt", date_of_birth="04/23/1980")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.save_button.text() == "Register anyway", timeout=10000)
    assert [d.id for d in dialog.duplicates] == [existing.id]
    assert "Schmidt, Anna" in dialog.banner.text() and count(database, clinic) == 1
    dialog.save()
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=10000)
    assert count(database, clinic) == 2
    dialog._runner.wait_idle()


def test_nul_in_the_address_is_a_field_error_without_retry(qtbot, database, clinic):
    dialog = PatientRecordDialog(context_for(database, clinic.receptionist))
    qtbot.addWidget(dialog)
    fill(dialog, mrn="R-300", given_name="Nia", family_name="Roth", date_of_birth="01/02/1970")
    dialog.inputs["address"].setPlainText("Hauptstr. 1\x00\nBerlin")
    assert "\x00" in dialog.form_data()["address"]  # the widget hands the character on
    dialog.save()
    qtbot.waitUntil(lambda: dialog.errors["address"].isVisibleTo(dialog), timeout=10000)
    assert "address" in dialog.errors["address"].text() and "U+0000" in dialog.errors["address"].text()
    assert dialog.banner.isVisibleTo(dialog) and not dialog.retry_button.isVisibleTo(dialog)
    assert count(database, clinic) == 0
    dialog._runner.wait_idle()


def test_bidi_override_in_a_name_is_a_field_error(qtbot, database, clinic):
    dialog = PatientRecordDialog(context_for(database, clinic.receptionist))
    qtbot.addWidget(dialog)
    fill(dialog, mrn="R-301", given_name="Nia", family_name="Ro\u202eht", date_of_birth="01/02/1970")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.errors["family_name"].isVisibleTo(dialog), timeout=10000)
    assert "U+202E" in dialog.errors["family_name"].text() and not dialog.retry_button.isVisibleTo(dialog)
    assert count(database, clinic) == 0
    dialog._runner.wait_idle()


def test_a_value_the_server_refuses_is_explained_and_not_offered_a_retry(qtbot, database, clinic, monkeypatch):
    """Should a value slip past validation, the server's DataError is a sentence, never a Retry that cannot work."""
    from clinic_desktop.domain import patient_rules

    # The text rule switched off, as if a character had slipped past it.
    monkeypatch.setattr(patient_rules, "text_problem", lambda *args, **kwargs: None)
    monkeypatch.setattr(patient_rules, "checked_text", lambda value, label, multiline=False: str(value).strip())
    dialog = PatientRecordDialog(context_for(database, clinic.receptionist))
    qtbot.addWidget(dialog)
    fill(dialog, mrn="R-302", given_name="Nia", family_name="Roth", date_of_birth="01/02/1970")
    dialog.inputs["address"].setPlainText("Hauptstr. 1\x00")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.banner.isVisibleTo(dialog), timeout=10000)
    assert "could not be stored" in dialog.banner.text() and not dialog.retry_button.isVisibleTo(dialog)
    assert count(database, clinic) == 0
    dialog._runner.wait_idle()
