"""Backups with pg_dump and a tested restore into an empty database that brings back every row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, pool, text

from clinic_desktop.db.engine import ConnectTarget
from clinic_desktop.db.models import Patient
from clinic_desktop.domain.errors import PermissionDenied
from clinic_desktop.services.backup_service import BackupFailed, BackupService


def _table_counts(url) -> dict[str, int]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT schemaname || '.' || tablename FROM pg_tables "
                                       "WHERE schemaname IN ('public', 'glucose_internal') ORDER BY 1")).scalars().all()
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}
    finally:
        engine.dispose()


def _add_patients(database, clinic, n):
    with database.unit_of_work(clinic.receptionist) as uow:
        for i in range(n):
            uow.session.add(
                Patient(clinic_id=clinic.clinic_id, mrn=f"B-{i}", given_name="Zoë", family_name=f"Ñúñez {i}", date_of_birth=date(1980, 1, 1 + i))
            )
        uow.audit("create", "patient", None)


def test_backup_then_restore_brings_back_every_row(database, clinic, pg_server, tmp_path):
    _add_patients(database, clinic, 5)
    with database.engine.begin() as conn:  # readings live behind a view, in glucose_internal
        conn.execute(text("INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source) "
                          "SELECT clinic_id, id, '2026-11-01 08:00+00', 104, 'manual' FROM patient WHERE mrn LIKE 'B-%'"))
    target = ConnectTarget(database.engine.url, None)
    steps = []
    result = BackupService(database, target).backup(
        clinic.admin, path=tmp_path / "clinic.backup", progress=lambda d, t, s: steps.append((d, t))
    )
    assert result.path.exists() and result.size_bytes > 0 and result.tables >= 10
    assert not (tmp_path / "clinic.backup.partial").exists()
    assert steps and steps[-1][0] == result.tables and all(d <= t for d, t in steps)
    before = _table_counts(database.engine.url)
    restored_name = pg_server.unique_name("restored")
    restored_url = pg_server.create_database(restored_name)
    try:
        BackupService(database, target).restore_into(clinic.admin, path=result.path, target=ConnectTarget(restored_url, None))
        after = _table_counts(restored_url)
        before["public.audit_event"] -= 1  # the backup's own audit event is written after the dump
        assert after == before and after["glucose_internal.glucose_reading"] >= 5
        engine = create_engine(restored_url, poolclass=pool.NullPool)
        with engine.connect() as conn:
            names = set(conn.execute(text("SELECT family_name FROM patient WHERE mrn LIKE 'B-%'")).scalars())
        engine.dispose()
        assert names == {f"Ñúñez {i}" for i in range(5)}
    finally:
        pg_server.drop_database(restored_name)


def test_restore_refuses_a_non_empty_database(database, clinic, tmp_path):
    target = ConnectTarget(database.engine.url, None)
    service = BackupService(database, target)
    result = service.backup(clinic.admin, path=tmp_path / "x.backup")
    with pytest.raises(BackupFailed, match="not empty"):
        service.restore_into(clinic.admin, path=result.path, target=target)


def test_only_admins_back_up_and_failures_leave_no_file(database, clinic, tmp_path):
    target = ConnectTarget(database.engine.url, None)
    with pytest.raises(PermissionDenied):
        BackupService(database, target).backup(clinic.doctor, path=tmp_path / "d.backup")
    wrong = ConnectTarget(database.engine.url.set(database="no_such_db_here"), None)
    with pytest.raises(BackupFailed, match="no_such_db_here"):
        BackupService(database, wrong).backup(clinic.admin, path=tmp_path / "w.backup")
    assert list(tmp_path.iterdir()) == []
