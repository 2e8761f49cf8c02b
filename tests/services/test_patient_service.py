"""PatientService on a real PostgreSQL: roles, validation, versions, archive/restore, audit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from clinic_desktop.db.models import AuditEvent, Patient
from clinic_desktop.domain.enums import DiabetesType, Role
from clinic_desktop.domain.errors import NotFound, PermissionDenied, StaleRecord, ValidationError
from clinic_desktop.services.patient_dto import PatientFilters
from clinic_desktop.services.patient_service import PatientService
from clinic_desktop.domain.changes import ChangeKind

from .patient_support import patient_data, register


@pytest.fixture
def service(database):
    return PatientService(database)


def _count(database, clinic_id) -> int:
    with database.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Patient).where(Patient.clinic_id == clinic_id))


def _audit(database, patient_id, action=None):
    with database.engine.connect() as conn:
        stmt = select(AuditEvent).where(AuditEvent.patient_id == patient_id).order_by(AuditEvent.occurred_at)
        rows = conn.execute(stmt).all()
    return [r for r in rows if action is None or r.action == action]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_registers_demographics(service, clinic, role):
    actor = clinic.as_role(role)
    record = register(service, actor, given_name="  Zoë ", family_name="Ölund", phone="+49 (30) 123-4567")
    assert record.given_name == "Zoë" and record.family_name == "Ölund"
    assert record.version == 1 and not record.archived
    created = _audit(service._db, record.id, "create")
    assert len(created) == 1 and created[0].actor_id == actor.staff_id
    assert created[0].changes["given_name"] == [None, "Zoë"]
    assert record.phone_e164 == "+49301234567"


def test_receptionist_cannot_set_or_see_clinical_fields(service, clinic):
    with pytest.raises(PermissionDenied, match="clinical fields \\(diabetes type\\)"):
        service.create(clinic.receptionist, data=patient_data(diabetes_type="type_1"))
    record = register(service, clinic.doctor, diabetes_type="type_1", last_hba1c="8.4", target_hba1c=7)
    as_reception = service.get(clinic.receptionist, record.id)
    assert not as_reception.clinical_visible
    assert as_reception.diabetes_type is None and as_reception.last_hba1c is None
    assert as_reception.header.last_hba1c is None and as_reception.header.active_medications is None
    with pytest.raises(PermissionDenied):
        service.update(clinic.receptionist, record.id, data={"last_hba1c": "7.0"}, expected_version=record.version)
    as_doctor = service.get(clinic.doctor, record.id)
    assert as_doctor.diabetes_type == DiabetesType.TYPE_1 and as_doctor.last_hba1c == Decimal("8.4")
    assert as_doctor.header.last_hba1c == Decimal("8.4") and as_doctor.header.target_hba1c == Decimal("7.0")
    rows = service.list_page(clinic.receptionist).rows
    assert all(r.diabetes_type is None and r.risk is None for r in rows)
    with pytest.raises(PermissionDenied):
        service.list_page(clinic.receptionist, filters=PatientFilters(diabetes_type=DiabetesType.TYPE_1))


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE])
def test_clinicians_edit_clinical_fields_with_audit_before_after(service, clinic, role):
    record = register(service, clinic.receptionist)
    actor = clinic.as_role(role)
    updated = service.update(actor, record.id, data={"last_hba1c": "7,5 %", "diabetes_type": "type_2"},
                             expected_version=record.version)
    assert updated.version == record.version + 1 and updated.last_hba1c == Decimal("7.5")
    event = _audit(service._db, record.id, "update")[-1]
    assert event.actor_id == actor.staff_id
    assert event.changes == {"last_hba1c": [None, "7.5"], "diabetes_type": [None, "type_2"]}


def test_admin_may_not_edit_clinical_fields_but_may_edit_demographics(service, clinic):
    record = register(service, clinic.receptionist)
    with pytest.raises(PermissionDenied):
        service.update(clinic.admin, record.id, data={"notes": "x"}, expected_version=record.version)
    updated = service.update(clinic.admin, record.id, data={"email": "new@example.org"}, expected_version=1)
    assert updated.email == "new@example.org"


def test_saving_unchanged_values_writes_nothing(service, clinic):
    record = register(service, clinic.receptionist)
    again = service.update(clinic.receptionist, record.id, data={"given_name": "Anna"}, expected_version=1)
    assert again.version == 1 and _audit(service._db, record.id, "update") == []


BAD_INPUTS = [
    ({"given_name": ""}, "given_name", "Enter the given name"),
    ({"family_name": "   "}, "family_name", "Enter the family name"),
    ({"given_name": "A" * 101}, "given_name", "too long"),
    ({"family_name": "Sm1th"}, "family_name", "letters"),
    ({"date_of_birth": date.today() + timedelta(days=2)}, "date_of_birth", "future"),
    ({"date_of_birth": "31/31/1990"}, "date_of_birth", "Enter a date like 04/23/1980"),
    ({"phone": "12345"}, "phone", "not a valid phone"),
    ({"phone": "call me"}, "phone", "Enter a phone number"),
    ({"email": "anna@"}, "email", "e-mail address"),
    ({"mrn": "A B"}, "mrn", "MRN may use"),
    ({"mrn": ""}, "mrn", "Enter the medical record number"),
]


@pytest.mark.parametrize(("override", "field", "message"), BAD_INPUTS)
def test_invalid_field_names_the_field_and_writes_nothing(service, clinic, override, field, message):
    before = _count(service._db, clinic.clinic_id)
    with pytest.raises(ValidationError) as info:
        service.create(clinic.receptionist, data=patient_data(**override))
    assert message in (info.value.for_field(field) or "")
    assert _count(service._db, clinic.clinic_id) == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"last_hba1c": "2.9"}, "last_hba1c", "between 3 and 20"),
        ({"target_hba1c": "20.1"}, "target_hba1c", "between 3 and 20"),
        ({"last_hba1c": "high"}, "last_hba1c", "percentage"),
        ({"diagnosed_on": date(1970, 1, 1)}, "diagnosed_on", "before the date of birth"),
        ({"diabetes_type": "type_9"}, "diabetes_type", "valid diabetes type"),
    ],
)
def test_invalid_clinical_field_on_update_keeps_the_record(service, clinic, data, field, message):
    record = register(service, clinic.receptionist)
    with pytest.raises(ValidationError) as info:
        service.update(clinic.doctor, record.id, data=data, expected_version=record.version)
    assert message in info.value.for_field(field)
    assert service.get(clinic.doctor, record.id).version == record.version


def test_all_missing_required_fields_are_reported_together(service, clinic):
    with pytest.raises(ValidationError) as info:
        service.create(clinic.receptionist, data={"phone": "+4930123456"})
    assert {p.field for p in info.value.problems} >= {"mrn", "given_name", "family_name", "date_of_birth"}


def test_duplicate_mrn_names_the_existing_patient(service, clinic):
    first = register(service, clinic.receptionist, mrn="dup-77", given_name="Karl", family_name="Weber")
    assert first.mrn == "DUP-77"
    with pytest.raises(ValidationError) as info:
        register(service, clinic.receptionist, mrn="DUP-77")
    assert info.value.for_field("mrn") == "MRN DUP-77 already belongs to Weber, Karl."
    other = register(service, clinic.receptionist)
    with pytest.raises(ValidationError, match="Weber, Karl"):
        service.update(clinic.receptionist, other.id, data={"mrn": "dup-77"}, expected_version=1)


def test_same_mrn_is_allowed_in_another_clinic(service, database, clinic):
    from tests.conftest import create_clinic_with_staff

    register(service, clinic.receptionist, mrn="SHARED-1")
    other = create_clinic_with_staff(database, name="Other")
    assert register(service, other.receptionist, mrn="SHARED-1").mrn == "SHARED-1"


def test_stale_update_raises_with_both_versions_and_overwrites_nothing(service, clinic):
    record = register(service, clinic.receptionist)
    service.update(clinic.nurse, record.id, data={"email": "theirs@example.org"}, expected_version=1)
    with pytest.raises(StaleRecord) as info:
        service.update(clinic.receptionist, record.id, data={"email": "mine@example.org"}, expected_version=1)
    assert info.value.mine == {"email": "mine@example.org"}
    assert info.value.theirs.email == "theirs@example.org" and info.value.theirs.version == 2
    assert service.get(clinic.doctor, record.id).email == "theirs@example.org"
    retried = service.update(clinic.receptionist, record.id, data={"email": "mine@example.org"}, expected_version=2)
    assert retried.email == "mine@example.org" and retried.version == 3


def test_view_is_audited_in_the_same_transaction(service, clinic):
    record = register(service, clinic.receptionist)
    service.get(clinic.doctor, record.id)
    views = _audit(service._db, record.id, "view")
    assert len(views) == 1 and views[0].actor_id == clinic.doctor.staff_id


def test_archive_then_only_admin_restores(service, clinic):
    record = register(service, clinic.receptionist)
    archived = service.archive(clinic.receptionist, record.id)
    assert archived.archived
    assert record.id not in {r.id for r in service.list_page(clinic.doctor).rows}
    assert record.id in {r.id for r in service.list_page(clinic.doctor, filters=PatientFilters(archived=True)).rows}
    assert service.search(clinic.doctor, text=record.mrn) == []
    assert [s.archived for s in service.search(clinic.doctor, text=record.mrn, include_archived=True)] == [True]
    for role in (Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR):
        with pytest.raises(PermissionDenied, match="Only admins"):
            service.restore(clinic.as_role(role), record.id)
    assert not service.restore(clinic.admin, record.id).archived
    assert [e.action for e in _audit(service._db, record.id) if e.action in ("archive", "restore")] == [
        "archive", "restore"]


def test_other_clinics_patient_is_not_found(service, database, clinic):
    from tests.conftest import create_clinic_with_staff

    record = register(service, clinic.receptionist)
    other = create_clinic_with_staff(database, name="Elsewhere")
    with pytest.raises(NotFound):
        service.get(other.doctor, record.id)
    with pytest.raises(NotFound):
        service.update(other.doctor, record.id, data={"email": "x@example.org"}, expected_version=1)


def test_create_is_idempotent_per_request_id(service, clinic):
    request_id = uuid.uuid4()
    data = patient_data()
    first = service.create(clinic.receptionist, data=data, request_id=request_id)
    second = service.create(clinic.receptionist, data=data, request_id=request_id)
    assert first.id == second.id
    assert len(service.search(clinic.receptionist, text=data["mrn"])) == 1


def test_changes_are_broadcast(service, database, clinic):
    heard = []
    database.add_change_listener(heard.append)
    record = register(service, clinic.receptionist)
    service.update(clinic.receptionist, record.id, data={"address": "Hauptstr. 1"}, expected_version=1)
    assert [c.touches(ChangeKind.PATIENT) and record.id in c.ids(ChangeKind.PATIENT) for c in heard[-2:]] == [True, True]
