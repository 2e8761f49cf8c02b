"""Revision 0003 on a real server: generated search columns, indexes the queries can use,
the last-visit trigger, CHECK constraints, and the registry working under row-level security."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from clinic_desktop.db.models import Appointment, Patient
from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus
from clinic_desktop.services.patient_service import PatientService
from tests.services.patient_support import register


@pytest.fixture
def service(database):
    return PatientService(database)


def test_generated_columns_normalise_name_and_phone(service, database, clinic):
    p = register(service, clinic.receptionist, given_name="Zoë", family_name="Ângelo-SSmith", phone="+49 30 1234567")
    with database.engine.connect() as conn:
        row = conn.execute(text("SELECT search_name, phone_digits FROM patient WHERE id = :id"), {"id": p.id}).one()
    assert row.search_name == "angelo-ssmith zoe" and row.phone_digits == "49301234567"


@pytest.mark.parametrize(
    ("where", "index"),
    [
        # The trigram indexes span clinics (clinic_id is then a filter); at 20,000 rows the
        # planner prefers the clinic's btree for them, so they are checked on their own.
        ("search_name %> 'schmdit'", "ix_patient_search_name_trgm"),
        ("clinic_id = :c AND search_name LIKE 'schm%'", "ix_patient_clinic_id_search_name_id"),
        ("phone_digits LIKE '%1234567%'", "ix_patient_phone_digits_trgm"),
        ("clinic_id = :c AND mrn LIKE 'T00%'", "ix_patient_clinic_id_mrn_pattern"),
    ],
)
def test_search_predicates_use_their_index(bulk_clinic_id, database, where, index):
    with database.engine.begin() as conn:
        # At 20,000 rows a sequential scan may still win on cost; the benchmark covers speed at scale.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.execute(text(
            f"EXPLAIN SELECT id FROM patient WHERE {where}"), {"c": bulk_clinic_id} if ":c" in where else {}))
    assert index in plan, plan


@pytest.fixture(scope="module")
def bulk_clinic_id(database):
    """20,000 generated patients in one clinic, analysed, so the planner costs plans for real."""
    from tests.conftest import create_clinic_with_staff

    clinic = create_clinic_with_staff(database, name="Bulk")
    with database.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO patient (clinic_id, mrn, given_name, family_name, date_of_birth, phone_e164) "
            "SELECT :c, 'B' || lpad(i::text, 7, '0'), 'Given' || (i % 97), "
            "  initcap(substr(md5(i::text), 1, 6 + i % 4)), date '1930-01-01' + (i * 7 % 30000), "
            "  '+4930' || lpad((i * 7919 % 10000000)::text, 7, '0') "
            "FROM generate_series(1, 20000) AS i"), {"c": clinic.clinic_id})
        conn.execute(text("ANALYZE patient"))
    return clinic.clinic_id


def test_unaccent_wrapper_is_immutable(database):
    with database.engine.connect() as conn:
        volatility = conn.scalar(text("SELECT provolatile FROM pg_proc WHERE proname = 'f_unaccent'"))
    assert volatility == "i"


def _appointment(clinic, patient_id, starts_at, status):
    return Appointment(clinic_id=clinic.clinic_id, patient_id=patient_id, doctor_id=clinic.doctor.doctor_id,
                       starts_at=starts_at, ends_at=starts_at + timedelta(minutes=20),
                       reason=AppointmentReason.ROUTINE, status=status)


def _last_visit(database, patient_id):
    with database.engine.connect() as conn:
        return conn.scalar(text("SELECT last_visit_on FROM patient WHERE id = :id"), {"id": patient_id})


def test_last_visit_follows_appointments(service, database, clinic):
    p = register(service, clinic.receptionist)
    old = datetime(2026, 1, 10, 23, 30, tzinfo=timezone.utc)  # 00:30 on the 11th in Berlin
    recent = datetime.now(timezone.utc) - timedelta(days=2)
    with database.unit_of_work(clinic.doctor) as uow:
        uow.session.add(_appointment(clinic, p.id, old, AppointmentStatus.COMPLETED))
        uow.session.add(_appointment(clinic, p.id, datetime.now(timezone.utc) + timedelta(days=5),
                                     AppointmentStatus.CONFIRMED))
    assert _last_visit(database, p.id) == date(2026, 1, 11)  # the clinic's local day
    with database.unit_of_work(clinic.doctor) as uow:
        later = _appointment(clinic, p.id, recent, AppointmentStatus.CONFIRMED)
        uow.session.add(later)
    assert _last_visit(database, p.id) == date(2026, 1, 11)  # not a visit until checked in
    with database.unit_of_work(clinic.doctor) as uow:
        uow.session.execute(update(Appointment).where(Appointment.starts_at == recent, Appointment.patient_id == p.id)
                            .values(status=AppointmentStatus.CHECKED_IN))
    assert _last_visit(database, p.id) >= (recent - timedelta(days=1)).date()
    with database.unit_of_work(clinic.doctor) as uow:
        uow.session.execute(update(Appointment).where(Appointment.starts_at == recent, Appointment.patient_id == p.id)
                            .values(deleted_at=datetime.now(timezone.utc)))
    assert _last_visit(database, p.id) == date(2026, 1, 11)


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"last_hba1c": 25}, "ck_patient_last_hba1c_range"),
        ({"target_hba1c": 2}, "ck_patient_target_hba1c_range"),
        ({"diagnosed_on": date(1900, 1, 1)}, "ck_patient_diagnosed_after_birth"),
    ],
)
def test_database_rejects_what_the_rules_reject(service, database, clinic, values, constraint):
    p = register(service, clinic.receptionist)
    with pytest.raises(IntegrityError, match=constraint), database.engine.begin() as conn:
        conn.execute(update(Patient).where(Patient.id == p.id).values(**values))


def test_registry_works_under_row_level_security(app_role_database, clinic):
    service = PatientService(app_role_database)
    p = register(service, clinic.receptionist, given_name="Émile", family_name="Zola")
    assert [h.id for h in service.search(clinic.receptionist, text="emile zola")] == [p.id]
    assert [h.id for h in service.search(clinic.receptionist, text="Zolla")] == [p.id]
    assert p.id in {r.id for r in service.list_page(clinic.nurse).rows}
    assert service.get(clinic.doctor, p.id).family_name == "Zola"


def test_name_keys_follow_registrations_and_renames(service, database, clinic):
    """Revision 0008: the clinic's distinct names, kept by triggers, feed the typo search."""
    from tests.conftest import create_clinic_with_staff

    p = register(service, clinic.receptionist, given_name="Zoë", family_name="Ångström")
    service.update(clinic.receptionist, p.id, data={"family_name": "Lindqvist"}, expected_version=p.version)
    with database.engine.connect() as conn:
        keys = set(map(tuple, conn.execute(text("SELECT part, key FROM patient_name_key WHERE clinic_id = :c"),
                                {"c": clinic.clinic_id}).all()))
    assert {("family", "angstrom"), ("family", "lindqvist"), ("given", "zoe")} <= keys
    assert [h.id for h in service.search(clinic.receptionist, text="Lindqivst")] == [p.id]
    assert service.search(clinic.receptionist, text="Angstrom") == []  # a stale key finds nobody
    other = create_clinic_with_staff(database, name="Elsewhere")
    assert service.search(other.receptionist, text="Lindqivst") == []


def test_typo_search_reads_keys_through_their_indexes(bulk_clinic_id, database):
    from clinic_desktop.services.patient_name_match import _BY_FAMILY, _KEYS

    with database.engine.begin() as conn:
        conn.execute(text("ANALYZE patient_name_key"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        keys = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + str(_KEYS)), {
            "clinic": bulk_clinic_id, "f_terms": ["abcdef"], "f_lo": ["a"], "f_hi": ["b"], "f_full": [2],
            "f_prefix": [1], "f_trigram": [True], "g_terms": ["given1"], "g_lo": ["g"], "g_hi": ["h"], "g_full": [2],
            "g_prefix": [1], "g_trigram": [True]}))
        pairs = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + str(_BY_FAMILY)), {
            "clinic": bulk_clinic_id, "archived": False, "limit": 50, "end": chr(0x10FFFF),
            "family_space": ["abcdef "], "given_prefix": ["given1"], "cost": [1.0]}))
    assert "ix_patient_name_key_key_trgm" in keys and "pk_patient_name_key" in keys, keys
    assert "ix_patient_clinic_id_search_name_id" in pairs, pairs
