"""The embedded default: a local profile creates and starts its own cluster, migrates it, and the app
works through a non-superuser workstation role; --demo fills it once with the demo clinic."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from clinic_desktop.config.settings import ConnectionProfile, SettingsStore
from clinic_desktop.db.local_server import WORKSTATION_ROLE
from clinic_desktop.db.migrate import head_revision, schema_status
from clinic_desktop.runtime import open_profile
from clinic_desktop.services.auth_service import AuthService
from clinic_desktop.services.demo_service import DEMO_PASSWORD, DemoService


@pytest.fixture
def local_runtime():
    root = Path(tempfile.mkdtemp(prefix="clinic-local-", dir="/tmp"))
    os.chmod(root, 0o755)
    settings = SettingsStore(config_dir=root / "config", data_dir=root / "data")
    profile = ConnectionProfile(name="trial", kind="local", port=5433)
    steps: list[str] = []
    runtime = open_profile(profile, settings, progress=lambda text, done, total: steps.append(text))
    try:
        yield runtime, settings, steps
    finally:
        runtime.close()
        shutil.rmtree(root, ignore_errors=True)


def test_local_profile_starts_migrates_and_uses_a_workstation_role(local_runtime):
    runtime, settings, steps = local_runtime
    assert runtime.cluster is not None and runtime.cluster.is_running()
    assert any("local database" in s for s in steps) and steps[-1] == "Database is up to date"
    assert schema_status(runtime.database.engine).current == head_revision()
    with runtime.database.engine.connect() as conn:
        user, superuser, member = conn.execute(text(
            "SELECT current_user, rolsuper, pg_has_role(current_user, 'clinic_app', 'member') "
            "FROM pg_roles WHERE rolname = current_user")).one()
        assert (user, superuser, member) == (WORKSTATION_ROLE, False, True)
        # the daily-work role has no DDL and cannot rewrite the audit trail
        with pytest.raises(Exception, match="permission denied"):
            conn.execute(text("CREATE TABLE intruder (id int)"))
    # the cluster is private: no TCP listener, only a socket in its own folder
    assert (runtime.cluster.socket_dir / f".s.PGSQL.{runtime.cluster.port}").exists()
    conf = runtime.cluster.data_dir / "pg_hba.conf"
    assert "trust" not in conf.read_text()


def test_demo_clinic_is_made_once_and_its_accounts_sign_in(local_runtime):
    runtime, _settings, _steps = local_runtime
    demo = DemoService(runtime.database, patients=20, cgm_patients=2, cgm_days=3)
    progress: list[tuple[int, int, str]] = []
    assert demo.ensure_demo_clinic(progress=lambda d, t, s: progress.append((d, t, s))) is True
    assert progress[-1][0] == progress[-1][1]
    session = AuthService(runtime.database).login("dr.meyer", DEMO_PASSWORD)
    with runtime.database.unit_of_work(session.actor, read_only=True) as uow:
        patients = uow.session.scalar(text("SELECT count(*) FROM patient"))
        readings, cgm_patients = uow.session.execute(
            text("SELECT count(*), count(DISTINCT patient_id) FILTER (WHERE value_mgdl IS NOT NULL) FROM glucose_reading")).one()
        low, high = uow.session.execute(text("SELECT min(value_mgdl), max(value_mgdl) FROM glucose_reading")).one()
        statuses = dict(uow.session.execute(text("SELECT status::text, count(*) FROM appointment GROUP BY 1")).all())
        hours = uow.session.scalar(text("SELECT count(*) FROM doctor_working_hours"))
        meds, doses = uow.session.execute(text(
            "SELECT (SELECT count(*) FROM medication), (SELECT count(*) FROM medication_dose_log)")).one()
    assert patients == 20
    assert statuses.get("completed", 0) > 0 and statuses.get("confirmed", 0) + statuses.get("requested", 0) > 0
    assert hours == 4 * 5  # weekday hours for the four demo doctors
    assert meds >= 20 and doses > meds * 30  # every demo patient here has prescriptions with a dose history
    assert readings > 2 * 3 * 288 * 0.9 and cgm_patients == 20
    assert 40 <= low and high <= 400
    assert demo.ensure_demo_clinic() is False  # never a second clinic, never touching existing data


def test_demo_cgm_loads_after_sign_in_is_possible_and_resumes_if_interrupted(local_runtime):
    runtime, _settings, _steps = local_runtime
    demo = DemoService(runtime.database, patients=12, cgm_patients=3, cgm_days=2)
    assert demo.ensure_demo_clinic(defer_cgm=True) is True
    session = AuthService(runtime.database).login("nurse.lee", DEMO_PASSWORD)  # signing in works already

    def cgm_patients() -> int:
        with runtime.database.unit_of_work(session.actor, read_only=True) as uow:
            return uow.session.scalar(text("SELECT count(DISTINCT patient_id) FROM glucose_reading "
                                           "JOIN patient p ON p.id = patient_id WHERE p.mrn <= 'D00003'"))

    assert cgm_patients() == 0
    calls = iter([False, True])  # the app closes after the first patient
    assert demo.load_deferred_cgm(stop=lambda: next(calls)) == 1
    assert cgm_patients() == 1
    later = DemoService(runtime.database, patients=12, cgm_patients=3, cgm_days=2)
    assert later.ensure_demo_clinic() is False and later.has_deferred_cgm
    assert later.load_deferred_cgm() == 2
    assert cgm_patients() == 3
