"""A full session leaves no password and no patient data in settings, logs or temp files.

Setup wizard (local database) → sign-ins (one failing) → staff account → patient registered,
viewed and edited → appointment → CGM import → the app closed. Then every file under the
config, data (the database's own files excepted — that is where the data belongs; its server log
is searched), temp and log folders is searched for the passwords and the patient's details.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QApplication, QWizard

from clinic_desktop.config.settings import SettingsStore
from clinic_desktop.domain.enums import AppointmentReason, Role
from clinic_desktop.domain.errors import AuthenticationFailed
from clinic_desktop.qt.wizard.setup_wizard import SetupWizard
from clinic_desktop.services.appointment_service import AppointmentService
from clinic_desktop.services.auth_service import AuthService
from clinic_desktop.services.glucose_import_service import GlucoseImportService
from clinic_desktop.services.patient_service import PatientService
from clinic_desktop.services.staff_service import StaffService

ADMIN_PW = "Unique-Admin-Secret-8841"
DOCTOR_PW = "Doctor-Secret-Phrase-5521"
WRONG_PW = "Wrong-Secret-Guess-7734"
PATIENT = {"given_name": "Zebedee", "family_name": "Quorrington-Vasquez", "email": "zebedee.q@example.org"}
NOTE = "Sensitive-note-about-foot-ulcer"
DEVICE_OWNER = ("Philomena", "Krzyzanowska")
DATA = Path(__file__).resolve().parents[1] / "data" / "cgm" / "dexcom_clarity_mgdl.csv"


@pytest.fixture
def session_dirs(monkeypatch, tmp_path):
    root = Path(tempfile.mkdtemp(prefix="clinic-scan-", dir="/tmp"))
    os.chmod(root, 0o755)
    dirs = {name: root / name for name in ("config", "data", "tmp", "log")}
    for path in dirs.values():
        path.mkdir()
    monkeypatch.setenv("CLINIC_DESKTOP_CONFIG_DIR", str(dirs["config"]))
    monkeypatch.setenv("CLINIC_DESKTOP_DATA_DIR", str(dirs["data"]))
    monkeypatch.setenv("TMPDIR", str(dirs["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", str(dirs["tmp"]))
    handler = logging.FileHandler(dirs["log"] / "clinic-desktop.log", encoding="utf-8")
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # every statement, as with echo=True
    try:
        yield dirs, tmp_path
    finally:
        root_logger.removeHandler(handler)
        handler.close()
        root_logger.setLevel(old_level)
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        shutil.rmtree(root, ignore_errors=True)


def _run_wizard(qtbot, settings: SettingsStore):  # noqa: ANN001, ANN202
    wizard = SetupWizard(settings)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.where_page.local.setChecked(True)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.prepare_page.isComplete() or wizard.prepare_page.retry.isVisible(), timeout=60000)
    assert wizard.prepare_page.isComplete(), wizard.prepare_page.status.text()
    wizard.next()
    page = wizard.clinic_page
    page.clinic_name.setText("Scan Clinic")
    page.timezone.setCurrentText("Europe/Berlin")
    page.username.setText("chief")
    page.full_name.setText("Chief Admin")
    page.password.setText(ADMIN_PW)
    page.confirm.setText(ADMIN_PW)
    with qtbot.waitSignal(wizard.accepted, timeout=30000):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    for p in (wizard.prepare_page, wizard.clinic_page):
        p._runner.wait_idle()
    QApplication.processEvents()
    return wizard.runtime


def _work_like_a_clinic(runtime, upload: Path) -> None:  # noqa: ANN001
    db = runtime.database
    auth = AuthService(db)
    with pytest.raises(AuthenticationFailed):
        auth.login("chief", WRONG_PW)
    admin = auth.login("chief", ADMIN_PW).actor
    StaffService(db).create_account(admin, username="dr.who", full_name="Dr. Who", role=Role.DOCTOR, password=DOCTOR_PW)
    doctor = auth.login("dr.who", DOCTOR_PW).actor
    patients = PatientService(db)
    record = patients.create(doctor, data={**PATIENT, "mrn": "SCAN-0001", "date_of_birth": "1961-02-03",
                                           "phone": "+49 30 12345678", "diabetes_type": "type_1"},
                             request_id=uuid.uuid4())
    viewed = patients.get(doctor, record.id)
    patients.update(doctor, record.id, data={"notes": NOTE}, expected_version=viewed.version)
    zone = ZoneInfo("Europe/Berlin")
    day = datetime.now(zone).date() + timedelta(days=7)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    AppointmentService(db).book(doctor, patient_id=record.id, doctor_id=doctor.doctor_id,
                                starts_at=datetime.combine(day, time(10, 0), zone), duration_minutes=30,
                                reason=AppointmentReason.ROUTINE, notes=NOTE, override_hours=True)
    imports = GlucoseImportService(db)
    preview = imports.preview(doctor, record.id, str(upload), kind="dexcom")
    assert preview.accepted > 0
    result = imports.import_file(doctor, record.id, str(upload), kind="dexcom")
    assert result is not None


def _files_to_search(dirs: dict[str, Path]) -> list[Path]:
    found = []
    for name, root in dirs.items():
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            parts = path.relative_to(root).parts
            if name == "data" and "clusters" in parts and "data" in parts[parts.index("clusters") + 2:][:1]:
                continue  # the database's own files: the clinic's data is meant to be there
            found.append(path)
    return found


def test_a_full_session_leaves_no_secret_and_no_patient_data_behind(qtbot, session_dirs):
    dirs, outside = session_dirs
    upload = outside / "clarity-export.csv"  # the user's own file, outside the app's folders
    upload.write_text(DATA.read_text(encoding="utf-8-sig").replace(",Alex,", f",{DEVICE_OWNER[0]},")
                      .replace(",Example,", f",{DEVICE_OWNER[1]},"), encoding="utf-8")
    settings = SettingsStore()
    runtime = _run_wizard(qtbot, settings)
    try:
        _work_like_a_clinic(runtime, upload)
    finally:
        runtime.close()
    files = _files_to_search(dirs)
    names = {p.name for p in files}
    assert "profiles.json" in names and "server.log" in names and "clinic-desktop.log" in names
    log_text = (dirs["log"] / "clinic-desktop.log").read_text(encoding="utf-8")
    assert "INSERT INTO patient" in log_text  # the log really recorded the session's statements
    secrets = [ADMIN_PW, DOCTOR_PW, WRONG_PW, NOTE, "+493012345678", "SCAN-0001", *PATIENT.values(), *DEVICE_OWNER]
    leaks = [(str(path), secret) for path in files for secret in secrets
             if secret.encode() in path.read_bytes() or secret.lower().encode() in path.read_bytes().lower()]
    assert leaks == []
