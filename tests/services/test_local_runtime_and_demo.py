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
from clinic_desktop.db.local_server import WORKSTATION_ROLE, LocalCluster
from clinic_desktop.db.migrate import head_revision, schema_status
from clinic_desktop.runtime import local_cluster_for, open_profile
from clinic_desktop.services.auth_service import AuthService
from clinic_desktop.services.demo_service import DEMO_PASSWORD, DemoService


@pytest.fixture
def local_home():
    """Settings in a temporary folder and a local profile there; any server left is stopped."""
    root = Path(tempfile.mkdtemp(prefix="clinic-local-", dir="/tmp"))
    os.chmod(root, 0o755)
    settings = SettingsStore(config_dir=root / "config", data_dir=root / "data")
    profile = ConnectionProfile(name="trial", kind="local", port=5433)
    try:
        yield settings, profile
    finally:
        local_cluster_for(profile, settings).stop(mode="immediate")  # only does anything after a failure
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def local_runtime(local_home):
    settings, profile = local_home
    steps: list[str] = []
    runtime = open_profile(profile, settings, progress=lambda text, done, total: steps.append(text))
    try:
        yield runtime, settings, steps
    finally:
        runtime.close()


def _server_pid(cluster: LocalCluster) -> int:
    return int((cluster.data_dir / "postmaster.pid").read_text().split()[0])


def _process_gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for a parent that does not reap (containers)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


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


def test_a_cluster_left_running_by_a_crash_is_adopted_and_stopped_on_close(local_home):
    settings, profile = local_home
    leftover = local_cluster_for(profile, settings)
    leftover.ensure_started()  # as a crashed app leaves it: running, and nobody claims it any more
    pid = _server_pid(leftover)
    runtime = open_profile(profile, settings)
    assert runtime.cluster is not None and not runtime.cluster.started_by_us  # adopted, not started
    assert _server_pid(runtime.cluster) == pid
    runtime.close()
    assert not leftover.is_running() and _process_gone(pid)


def test_two_runtimes_of_a_profile_share_its_cluster_and_the_last_one_stops_it(local_runtime):
    first, settings, _steps = local_runtime
    assert first.cluster is not None
    pid = _server_pid(first.cluster)
    second = open_profile(first.profile, settings)  # another window of the same profile, or the wizard again
    assert second.cluster is not None and _server_pid(second.cluster) == pid
    first.close()
    assert second.cluster.is_running()  # still in use: the second user's work goes on
    with second.database.engine.connect() as conn:
        assert conn.scalar(text("SELECT 1")) == 1
    second.close()
    assert not second.cluster.is_running() and _process_gone(pid)
    third = open_profile(first.profile, settings)  # and a later start finds it stopped, and starts it
    assert third.cluster is not None and third.cluster.started_by_us
    third.close()
    assert not third.cluster.is_running()


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
