"""The Care team tab of the patient record and its summary menu, on a real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinic_desktop.db.models import AuditEvent, PatientCaregiver, PatientDoctor
from clinic_desktop.domain.enums import CaregiverPermission as Perm
from clinic_desktop.qt.dialogs.patient_record_dialog import PatientRecordDialog
from clinic_desktop.services.patient_service import PatientService
from tests.qt.test_patient_list import context_for
from tests.services.appointment_support import add_doctor
from tests.services.patient_support import register, seed_summary_patient
from clinic_desktop.domain.changes import ChangeKind

def shot(widget, name: str) -> None:  # noqa: ANN001
    """Save a screenshot for review when CLINIC_SHOTS_DIR names a directory (never in CI)."""
    import os

    directory = os.environ.get("CLINIC_SHOTS_DIR")
    if directory and os.path.isdir(directory):
        widget.grab().save(os.path.join(directory, name))


def open_dialog(qtbot, database, actor, patient_id):  # noqa: ANN001, ANN201
    context = context_for(database, actor)
    dialog = PatientRecordDialog(context, patient_id)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=10000)
    return dialog, context


def texts(widget) -> list[str]:  # noqa: ANN001
    return [widget.item(i).text() for i in range(widget.count())]


def off_gui_thread(fn):  # noqa: ANN001, ANN201
    """Run the test's own checks on another thread, so the GUI-thread SQL recorder sees only the app."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def links(database, patient_id):  # noqa: ANN001, ANN201
    return off_gui_thread(lambda: _links(database, patient_id))


def _links(database, patient_id):  # noqa: ANN001, ANN201
    with database.engine.connect() as conn:
        doctors = conn.scalars(select(PatientDoctor.doctor_id).where(PatientDoctor.patient_id == patient_id)).all()
        carers = conn.scalars(select(PatientCaregiver.permissions)
                              .where(PatientCaregiver.patient_id == patient_id)).all()
    return set(doctors), [sorted(p) for p in carers]


def test_nurse_edits_doctors_caregivers_and_permissions(qtbot, database, clinic, gui_thread_statements):
    second = add_doctor(database, clinic, name="Dr Second")
    patient = register(PatientService(database), clinic.doctor, given_name="Greta", family_name="Lindqvist",
                       responsible_doctor_id=clinic.doctor.doctor_id)
    dialog, context = open_dialog(qtbot, database, clinic.nurse, patient.id)
    published = []
    context.bus.changed.connect(published.append)
    editor = dialog.care_team
    assert dialog.tabs.isTabEnabled(1) and editor.can_edit
    qtbot.waitUntil(lambda: editor.doctor_choice.count() >= 2, timeout=10000)
    assert any("responsible doctor" in t for t in texts(editor.doctors))
    editor.doctors.setCurrentRow(0)
    assert not editor.remove_doctor_button.isEnabled()  # the responsible doctor is changed on the Record tab

    editor.doctor_choice.setCurrentIndex(editor.doctor_choice.findText("Dr Second"))
    editor.add_doctor()
    qtbot.waitUntil(lambda: any(t.startswith("Dr Second") for t in texts(editor.doctors)), timeout=10000)
    assert second in links(database, patient.id)[0]

    for name, value in {"given_name": "Lars", "family_name": "", "phone": "+49 30 7654321"}.items():
        editor.new_inputs[name].setText(value)
    editor.add_caregiver()
    qtbot.waitUntil(lambda: editor.new_errors["family_name"].isVisibleTo(editor), timeout=10000)
    assert links(database, patient.id)[1] == []  # nothing saved
    editor.new_inputs["family_name"].setText("Lindqvist")
    editor.new_inputs["relationship"].setText("husband")
    editor.new_permissions[Perm.RECORD_DOSES].setChecked(True)
    editor.add_caregiver()
    qtbot.waitUntil(lambda: len(editor.team.caregivers) == 1, timeout=10000)
    assert links(database, patient.id)[1] == [["record_doses", "view"]]
    assert "Lindqvist, Lars" in texts(editor.caregivers)[0] and "husband" in texts(editor.caregivers)[0]
    assert editor.new_inputs["given_name"].text() == ""  # the form is ready for the next one

    editor.caregivers.setCurrentRow(0)
    assert editor.permission_boxes[Perm.RECORD_DOSES].isChecked()
    editor.permission_boxes[Perm.RECORD_DOSES].setChecked(False)
    editor.permission_boxes[Perm.RECORD_READINGS].setChecked(True)
    editor.save_permissions()
    qtbot.waitUntil(lambda: editor.team.caregivers[0].permissions == ("record_readings", "view"), timeout=10000)
    assert links(database, patient.id)[1] == [["record_readings", "view"]]

    dialog.tabs.setCurrentIndex(1)
    dialog.resize(900, 760)
    shot(dialog, "patients-gaps-care-team-tab.png")
    dialog.tabs.setCurrentIndex(0)
    shot(dialog, "patients-gaps-record-tab.png")

    editor.doctors.setCurrentRow([t.startswith("Dr Second") for t in texts(editor.doctors)].index(True))
    editor.remove_doctor()
    qtbot.waitUntil(lambda: not any(t.startswith("Dr Second") for t in texts(editor.doctors)), timeout=10000)
    editor.caregivers.setCurrentRow(0)
    editor.remove_caregiver()
    qtbot.waitUntil(lambda: editor.team.caregivers == (), timeout=10000)
    assert links(database, patient.id) == (set(), [])
    editor.wait_idle()
    assert len(published) == 5 and all(c.touches(ChangeKind.PATIENT) for c in published)
    def audited():  # noqa: ANN202
        with database.engine.connect() as conn:
            return conn.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient.id,
                                                                AuditEvent.actor_id == clinic.nurse.staff_id)).all()

    actions = off_gui_thread(audited)
    assert {"link_doctor", "link_caregiver", "caregiver_permissions", "unlink_doctor", "unlink_caregiver"} <= set(actions)
    assert gui_thread_statements == []


def test_receptionist_sees_the_care_team_read_only(qtbot, database, clinic):
    service = PatientService(database)
    patient = register(service, clinic.doctor, responsible_doctor_id=clinic.doctor.doctor_id)
    service.link_caregiver(clinic.doctor, patient.id, given_name="Lars", family_name="Lindqvist", relationship="son")
    dialog, _ = open_dialog(qtbot, database, clinic.receptionist, patient.id)
    editor = dialog.care_team
    assert not editor.can_edit
    assert "Lindqvist, Lars" in texts(editor.caregivers)[0]
    for widget in (editor.add_doctor_button, editor.remove_doctor_button, editor.new_caregiver_box,
                   editor.save_permissions_button, editor.remove_caregiver_button):
        assert not widget.isVisibleTo(dialog)
    assert "Only doctors, nurses and admins" in editor.status.text()
    editor.wait_idle()


def test_new_patient_has_no_care_team_or_summary_yet(qtbot, database, clinic):
    dialog = PatientRecordDialog(context_for(database, clinic.doctor))
    qtbot.addWidget(dialog)
    assert not dialog.tabs.isTabEnabled(1) and not dialog.summary_button.isEnabled()
    dialog._runner_doctors.wait_idle()


@pytest.mark.skipif(not __import__("shutil").which("pdfinfo"), reason="poppler-utils not installed")
def test_record_dialog_saves_the_summary_as_pdf(qtbot, database, clinic, tmp_path):
    from tests.qt.test_patient_summary_print import pdf_text

    patient = seed_summary_patient(database, PatientService(database), clinic, medications=2)
    dialog, _ = open_dialog(qtbot, database, clinic.doctor, patient.id)
    assert dialog.summary_button.isEnabled()
    path = tmp_path / "from-dialog.pdf"
    with qtbot.waitSignal(dialog.summary.finished, timeout=20000):
        dialog.save_summary_pdf(str(path))
    dialog.summary.wait_idle()
    pages, text = pdf_text(path)
    assert pages == 1 and "Lindqvist, Greta" in text and "DrugB 500 mg" in text
    assert "saved to" in dialog.status.text()
    dialog.care_team.wait_idle()
