"""Other workstations' changes arrive through LISTEN/NOTIFY; the listener reports outages and recovers."""

from __future__ import annotations

import queue
import uuid

from sqlalchemy import create_engine, pool, text

from clinic_desktop.config.settings import PoolSettings
from clinic_desktop.db.change_listener import CONNECTED, LOST, ChangeListener, backoff_delays, parse_notification
from clinic_desktop.db.database import Database
from clinic_desktop.db.engine import ConnectTarget, create_app_engine
from clinic_desktop.db.migrate import upgrade_to_head
from clinic_desktop.domain.changes import ChangeKind

from ..conftest import create_clinic_with_staff
from .test_outage_and_migration_stress import own_cluster  # noqa: F401 - fixture


def _second_workstation(database: Database) -> Database:
    target = ConnectTarget(database.engine.url, None, PoolSettings(size=1, max_overflow=0))
    return Database(create_app_engine(target), workstation="ws-2")


def test_a_change_on_one_workstation_reaches_the_other(database):
    clinic = create_clinic_with_staff(database)
    other_clinic = create_clinic_with_staff(database, name="Other")
    heard: queue.Queue = queue.Queue()
    states: queue.Queue = queue.Queue()
    listener = ChangeListener(ConnectTarget(database.engine.url), clinic_id=clinic.clinic_id,
                              own_origin=database.workstation, on_changes=heard.put, on_state=states.put, poll_s=0.1)
    listener.start()
    second = _second_workstation(database)
    try:
        assert states.get(timeout=10).state == CONNECTED
        patient_id, foreign_id, own_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        with second.unit_of_work(other_clinic.receptionist) as uow:
            uow.changed(ChangeKind.PATIENT, foreign_id)  # another clinic: never delivered
        with database.unit_of_work(clinic.receptionist) as uow:
            uow.changed(ChangeKind.PATIENT, own_id)  # this workstation's own change: the local bus has it already
        with second.unit_of_work(clinic.receptionist) as uow:
            uow.changed(ChangeKind.PATIENT, patient_id)
            uow.changed(ChangeKind.APPOINTMENT, patient_id)
        changes = heard.get(timeout=5)
        assert changes.remote and changes.origin == "ws-2"
        assert changes.ids(ChangeKind.PATIENT) == {patient_id} and changes.touches(ChangeKind.APPOINTMENT)
        assert heard.empty()
    finally:
        listener.stop()
        second.dispose()


def test_a_rolled_back_change_is_never_announced(database):
    clinic = create_clinic_with_staff(database)
    heard: queue.Queue = queue.Queue()
    states: queue.Queue = queue.Queue()
    listener = ChangeListener(ConnectTarget(database.engine.url), clinic_id=clinic.clinic_id, own_origin="me",
                              on_changes=heard.put, on_state=states.put, poll_s=0.1)
    listener.start()
    try:
        assert states.get(timeout=10).state == CONNECTED
        try:
            with database.unit_of_work(clinic.nurse) as uow:
                uow.changed(ChangeKind.PATIENT, uuid.uuid4())
                raise RuntimeError("the user action failed")
        except RuntimeError:
            pass
        with database.unit_of_work(clinic.nurse) as uow:
            uow.changed(ChangeKind.MEDICATION, uuid.uuid4())
        assert heard.get(timeout=5).touches(ChangeKind.MEDICATION)
        assert heard.empty()
    finally:
        listener.stop()


def test_malformed_or_foreign_payloads_are_ignored():
    clinic = uuid.uuid4()
    assert parse_notification("not json", clinic_id=clinic, own_origin="me") is None
    assert parse_notification('{"clinic": "%s", "origin": "x", "changed": {"patient": ["nope"]}}' % clinic,
                              clinic_id=clinic, own_origin="me") is None
    kinds_only = parse_notification('{"clinic": "%s", "origin": "x", "changed": {"patient": []}}' % clinic,
                                    clinic_id=clinic, own_origin="me")
    assert kinds_only is not None and kinds_only.touches(ChangeKind.PATIENT) and not kinds_only.ids(ChangeKind.PATIENT)


def test_backoff_doubles_up_to_its_cap():
    delays = backoff_delays(first_s=0.5, cap_s=4.0)
    values = [next(delays) for _ in range(6)]
    for value, nominal in zip(values, [0.5, 1, 2, 4, 4, 4]):
        assert nominal * 0.8 <= value <= nominal * 1.2


def test_listener_reports_a_stopped_server_and_recovers(own_cluster):  # noqa: F811 - fixture
    admin = create_engine(own_cluster.sqlalchemy_url("postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE listen"))
    admin.dispose()
    url = own_cluster.sqlalchemy_url("listen")
    upgrade_to_head(create_engine(url, poolclass=pool.NullPool))
    database = Database(create_app_engine(ConnectTarget(create_engine(url).url, None, PoolSettings(size=1, max_overflow=0))))
    clinic = create_clinic_with_staff(database)
    states: queue.Queue = queue.Queue()
    heard: queue.Queue = queue.Queue()
    listener = ChangeListener(ConnectTarget(database.engine.url), clinic_id=clinic.clinic_id, own_origin="me",
                              on_changes=heard.put, on_state=states.put, poll_s=0.1)
    listener.start()
    try:
        assert states.get(timeout=10).state == CONNECTED
        own_cluster.stop(mode="fast")
        lost = states.get(timeout=10)
        assert lost.state == LOST and lost.attempt == 1 and lost.retry_in_s > 0
        own_cluster.start()
        while (state := states.get(timeout=60)).state != CONNECTED:
            assert state.state == LOST and state.attempt > 1  # backing off until the server is back
        with database.unit_of_work(clinic.doctor) as uow:  # the same pool resumes, too
            uow.changed(ChangeKind.PATIENT, clinic.clinic_id)
        assert heard.get(timeout=5).touches(ChangeKind.PATIENT)
    finally:
        listener.stop()
        database.dispose()
