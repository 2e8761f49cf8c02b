"""Migrations on a real server: empty → head → empty, autogenerate finds nothing, revision guards."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text

from clinic_desktop.db.schema_compare import autogenerate_options, comparison_metadata
from clinic_desktop.db.migrate import downgrade_to, head_revision, schema_status, upgrade_to_head
from clinic_desktop.domain.errors import SchemaTooNew


@pytest.fixture
def empty_engine(empty_database_url):
    engine = create_engine(empty_database_url, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


def test_upgrade_from_empty_and_downgrade_back(empty_engine):
    steps = []
    status = upgrade_to_head(empty_engine, progress=lambda label, done, total: steps.append((done, total)))
    assert status.at_head and status.current == head_revision()
    assert steps[-1][0] == steps[-1][1] >= 1
    tables = set(inspect(empty_engine).get_table_names())
    assert {"patient", "appointment", "medication", "audit_event"} <= tables
    assert "glucose_reading" in inspect(empty_engine).get_view_names()
    assert "glucose_reading" in inspect(empty_engine).get_table_names(schema="glucose_internal")
    downgrade_to(empty_engine, "base")
    leftover = set(inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert leftover == set()
    assert schema_status(empty_engine).current is None


def test_autogenerate_finds_nothing_to_change(database):
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=autogenerate_options()), comparison_metadata())
    assert diff == []


def test_database_at_newer_revision_is_refused(empty_engine):
    upgrade_to_head(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'fffffffffff9'"))
        conn.execute(text("COMMENT ON TABLE alembic_version IS 'Clinic Desktop 9.1.0'"))
    status = schema_status(empty_engine)
    assert status.too_new and status.migrated_by == "Clinic Desktop 9.1.0"
    with pytest.raises(SchemaTooNew, match="newer version of Clinic Desktop.*Install Clinic Desktop 9.1.0 \\(or newer\\)"):
        upgrade_to_head(empty_engine)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "fffffffffff9"


def test_two_workstations_migrating_at_once_migrate_once(empty_database_url):
    engines = [create_engine(empty_database_url, poolclass=pool.NullPool) for _ in range(2)]
    results, errors = [], []

    def run(engine):
        try:
            results.append(upgrade_to_head(engine))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for e in engines:
        e.dispose()
    assert errors == []
    assert all(r.at_head for r in results) and len(results) == 2


def test_updated_at_is_set_by_the_server(database, clinic):
    with database.engine.begin() as conn:
        before = conn.execute(text("SELECT updated_at FROM clinic WHERE id = :i"), {"i": clinic.clinic_id}).scalar_one()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE clinic SET name = name || ' x' WHERE id = :i"), {"i": clinic.clinic_id})
        after = conn.execute(text("SELECT updated_at FROM clinic WHERE id = :i"), {"i": clinic.clinic_id}).scalar_one()
    assert after > before
