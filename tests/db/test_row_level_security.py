"""Clinic isolation and database roles, proven with hand-written SQL on the app's own connection."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import exc, text

from clinic_desktop.domain.errors import DomainError
from clinic_desktop.services.auth_service import AuthService
from clinic_desktop.services.staff_service import StaffService

from ..conftest import create_clinic_with_staff


@pytest.fixture(scope="module")
def two_clinics(database):
    return create_clinic_with_staff(database, name="North"), create_clinic_with_staff(database, name="South")


def _clinic_owned_tables(database, kinds: tuple[str, ...] = ("r", "p")) -> list[str]:
    """Relations in public with a clinic_id: tables ('r', 'p') or also the views ('v') the app reads."""
    with database.engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'clinic_id' AND NOT a.attisdropped "
                    "WHERE n.nspname = 'public' AND c.relkind = ANY(:k) ORDER BY 1"
                ),
                {"k": list(kinds)},
            )
        ]


def test_every_clinic_owned_table_has_row_level_security(database):
    tables = _clinic_owned_tables(database)
    assert {"patient", "appointment", "audit_event", "staff_account"} <= set(tables)
    with database.engine.connect() as conn:
        unprotected = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c WHERE c.relname = ANY(:t) AND "
                "(NOT c.relrowsecurity OR NOT EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname "
                "AND p.policyname = 'clinic_isolation'))"
            ),
            {"t": tables + ["clinic"]},
        ).scalars().all()
    assert unprotected == []


def test_one_clinic_cannot_read_anothers_rows(app_role_database, two_clinics, database):
    north, south = two_clinics
    with app_role_database.unit_of_work(north.admin) as uow:
        staff = uow.session.execute(text("SELECT DISTINCT clinic_id FROM staff_account")).scalars().all()
        clinics = uow.session.execute(text("SELECT id FROM clinic")).scalars().all()
        audit = uow.session.execute(text("SELECT DISTINCT clinic_id FROM audit_event")).scalars().all()
    assert staff == [north.clinic_id]
    assert clinics == [north.clinic_id]
    assert set(audit) <= {north.clinic_id}
    relations = _clinic_owned_tables(database, ("r", "p", "v"))
    assert {"glucose_reading", "glucose_hourly", "glucose_daily"} <= set(relations)
    for table in relations:
        with app_role_database.unit_of_work(north.admin) as uow:
            other = uow.session.execute(
                text(f"SELECT count(*) FROM {table} WHERE clinic_id <> :c"), {"c": north.clinic_id}
            ).scalar_one()
        assert other == 0, table


def test_no_clinic_set_means_no_rows(app_role_database, two_clinics):
    with app_role_database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM staff_account")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM clinic")).scalar_one() == 0


def test_one_clinic_cannot_write_anothers_rows(app_role_database, two_clinics, database):
    north, south = two_clinics
    with app_role_database.unit_of_work(north.admin) as uow:
        updated = uow.session.execute(
            text("UPDATE staff_account SET full_name = 'hijacked' WHERE clinic_id = :c"), {"c": south.clinic_id}
        ).rowcount
        deleted = uow.session.execute(text("DELETE FROM patient WHERE clinic_id = :c"), {"c": south.clinic_id}).rowcount
    assert updated == 0 and deleted == 0
    with pytest.raises(DomainError):
        with app_role_database.unit_of_work(north.admin) as uow:
            uow.session.execute(
                text(
                    "INSERT INTO patient (clinic_id, mrn, given_name, family_name, date_of_birth) "
                    "VALUES (:c, 'X-1', 'Eve', 'Intruder', '1990-01-01')"
                ),
                {"c": south.clinic_id},
            )
    with database.engine.connect() as conn:
        assert conn.execute(
            text("SELECT count(*) FROM staff_account WHERE full_name = 'hijacked'")
        ).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM patient WHERE mrn = 'X-1'")).scalar_one() == 0


def test_app_role_has_no_ddl_no_truncate_and_audit_is_append_only(app_role_database, two_clinics):
    north, _ = two_clinics
    forbidden = [
        "CREATE TABLE sneaky (id int)",
        "DROP TABLE patient",
        "ALTER TABLE patient ADD COLUMN x int",
        "TRUNCATE patient",
        "UPDATE audit_event SET action = 'nothing'",
        "DELETE FROM audit_event",
    ]
    for statement in forbidden:
        with app_role_database.engine.connect() as conn:
            conn.execute(text("SELECT set_config('app.clinic_id', :c, false)"), {"c": str(north.clinic_id)})
            with pytest.raises(exc.ProgrammingError, match="permission denied|must be owner"):
                conn.execute(text(statement))
            conn.rollback()


def test_audit_trigger_refuses_even_the_owner(database, two_clinics):
    north, _ = two_clinics
    with database.unit_of_work(north.admin) as uow:
        uow.audit("view", "clinic", north.clinic_id)
    with database.engine.connect() as conn:
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
            with pytest.raises(exc.DBAPIError, match="append-only"):
                conn.execute(text(statement))
            conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM audit_event WHERE action = 'view'")).scalar_one() >= 1


def test_services_work_under_the_app_role(app_role_database, two_clinics):
    north, south = two_clinics
    session = AuthService(app_role_database).login(north.doctor.username, north.password)
    assert session.actor.clinic_id == north.clinic_id
    assert StaffService(app_role_database).has_any_clinic()
    names = {s.username for s in StaffService(app_role_database).list_staff(north.admin)}
    assert north.doctor.username in names and south.doctor.username not in names


def test_first_clinic_setup_works_under_the_app_role(pg_server, template_database):
    from ..conftest import make_database

    db, name = make_database(pg_server, template_database)
    try:
        staff = StaffService(db)
        assert not staff.has_any_clinic()
        clinic, admin = staff.create_first_clinic(
            clinic_name="Lakeside", timezone="Europe/Paris", admin_username="boss",
            admin_full_name="Ada Admin", admin_password="Sturdy-Lake-House-42",
        )
        assert staff.has_any_clinic() and admin.role.value == "admin"
        with pytest.raises(DomainError, match="already has a clinic"):
            staff.create_first_clinic(
                clinic_name="Second", timezone="Europe/Paris", admin_username="boss2",
                admin_full_name="B", admin_password="Sturdy-Lake-House-43",
            )
        assert AuthService(db).login("boss", "Sturdy-Lake-House-42").actor.clinic_id == clinic.id
    finally:
        from tests import conftest

        db.dispose()
        conftest._open_databases.remove(db)
        pg_server.drop_database(name)


def _patient_with_reading(database, clinic, mrn: str) -> uuid.UUID:
    with database.engine.begin() as conn:  # the owner role: not held to one clinic
        patient = conn.execute(
            text("INSERT INTO patient (clinic_id, mrn, given_name, family_name, date_of_birth) "
                 "VALUES (:c, :m, 'Ida', 'Reading', '1980-05-05') RETURNING id"),
            {"c": clinic.clinic_id, "m": mrn},
        ).scalar_one()
        conn.execute(
            text("INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source) "
                 "VALUES (:c, :p, '2026-11-01 08:00+00', 111, 'manual')"),
            {"c": clinic.clinic_id, "p": patient},
        )
    return patient


def test_readings_are_isolated_by_their_view(app_role_database, two_clinics, database):
    """Readings have no row-level security (TimescaleDB would then refuse to compress them): the app
    reaches them only through a security-barrier view with a check option, and the table behind it
    is out of the application role's reach."""
    north, south = two_clinics
    north_patient = _patient_with_reading(database, north, "RLS-N-1")
    south_patient = _patient_with_reading(database, south, "RLS-S-1")
    with database.engine.connect() as conn:
        options = conn.execute(text("SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                    "WHERE n.nspname = 'public' AND c.relname = 'glucose_reading' AND c.relkind = 'v'"
                                    )).scalar_one()
        # The owner sees both clinics' readings, as row-level security would let it.
        both = conn.execute(text("SELECT count(DISTINCT clinic_id) FROM glucose_reading WHERE patient_id = ANY(:p)"),
                            {"p": [north_patient, south_patient]}).scalar_one()
    assert {"security_barrier=true", "check_option=cascaded"} <= set(options)
    assert both == 2

    with app_role_database.unit_of_work(north.admin) as uow:
        seen = uow.session.execute(text("SELECT DISTINCT patient_id FROM glucose_reading")).scalars().all()
        updated = uow.session.execute(text("UPDATE glucose_reading SET value_mgdl = 1 WHERE patient_id = :p"),
                                      {"p": south_patient}).rowcount
        deleted = uow.session.execute(text("DELETE FROM glucose_reading WHERE clinic_id = :c"),
                                      {"c": south.clinic_id}).rowcount
    assert north_patient in seen and south_patient not in seen
    assert updated == 0 and deleted == 0

    writes = [
        ("INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source) "
         "VALUES (:south, :sp, '2026-11-02 08:00+00', 99, 'manual')"),
        "UPDATE glucose_reading SET clinic_id = :south WHERE patient_id = :np",
    ]
    for statement in writes:
        with pytest.raises(DomainError, match="another clinic"):
            with app_role_database.unit_of_work(north.admin) as uow:
                uow.session.execute(text(statement), {"south": south.clinic_id, "sp": south_patient,
                                                      "np": north_patient})
    for statement in ("SELECT count(*) FROM glucose_internal.glucose_reading",
                      "DELETE FROM glucose_internal.glucose_reading"):
        with app_role_database.engine.connect() as conn:
            conn.execute(text("SELECT set_config('app.clinic_id', :c, false)"), {"c": str(north.clinic_id)})
            with pytest.raises(exc.ProgrammingError, match="permission denied"):
                conn.execute(text(statement))
            conn.rollback()
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT clinic_id, value_mgdl FROM glucose_reading WHERE patient_id = ANY(:p) "
                                 "ORDER BY recorded_at"), {"p": [north_patient, south_patient]}).all()
    assert sorted((str(c), v) for c, v in rows) == sorted([(str(north.clinic_id), 111.0), (str(south.clinic_id), 111.0)])
