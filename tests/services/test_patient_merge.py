"""Duplicates, merge (admin only, one transaction, audited), care team and the audit viewer."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from clinic_desktop.db.models import (
    Appointment,
    AuditEvent,
    EmergencyEvent,
    GlucoseReading,
    Medication,
    MedicationDoseLog,
)
from clinic_desktop.domain.enums import (
    AppointmentReason,
    AppointmentStatus,
    DoseStatus,
    EmergencyKind,
    ReadingSource,
    Role,
)
from clinic_desktop.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from clinic_desktop.services.audit_service import AuditService
from clinic_desktop.services.patient_service import PatientService

from .patient_support import register

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def service(database):
    return PatientService(database)


def _give_history(database, clinic, patient_id, *, minutes: int, value: float = 120.0, visit_days_ago: int = 3):
    """One reading, a past completed visit, a medication with a dose, an emergency."""
    with database.unit_of_work(clinic.doctor) as uow:
        s = uow.session
        s.add(GlucoseReading(clinic_id=clinic.clinic_id, patient_id=patient_id, recorded_at=NOW - timedelta(minutes=minutes),
                             value_mgdl=value, source=ReadingSource.MANUAL))
        start = NOW - timedelta(days=visit_days_ago, hours=minutes)  # a doctor sees one patient at a time
        s.add(Appointment(clinic_id=clinic.clinic_id, patient_id=patient_id, doctor_id=clinic.doctor.doctor_id,
                          starts_at=start, ends_at=start + timedelta(minutes=15), reason=AppointmentReason.ROUTINE,
                          status=AppointmentStatus.COMPLETED))
        med = Medication(clinic_id=clinic.clinic_id, patient_id=patient_id, drug_name="Metformin", frequency="daily",
                         start_date=date(2024, 1, 1))
        s.add(med)
        s.flush()
        s.add(MedicationDoseLog(clinic_id=clinic.clinic_id, medication_id=med.id, patient_id=patient_id,
                                scheduled_at=NOW - timedelta(hours=minutes), status=DoseStatus.TAKEN))
        s.add(EmergencyEvent(clinic_id=clinic.clinic_id, patient_id=patient_id, kind=EmergencyKind.HYPO,
                             started_at=NOW - timedelta(minutes=minutes), extreme_mgdl=48))


def _count(database, model, patient_id):
    with database.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model).where(model.patient_id == patient_id))


def test_duplicates_by_birth_date_and_similar_name_or_phone(service, clinic):
    anna = register(service, clinic.receptionist, given_name="Anna", family_name="Schmidt", phone="+4930111222")
    register(service, clinic.receptionist, given_name="Anna", family_name="Schmidt", date_of_birth=date(1991, 1, 1),
             phone=None)
    hits = service.find_duplicates(clinic.receptionist, given_name="Ana", family_name="Schmitt",
                                   date_of_birth=anna.date_of_birth, phone=None)
    assert [h.id for h in hits] == [anna.id] and hits[0].match == "dob+name"
    by_phone = service.find_duplicates(clinic.receptionist, given_name="Someone", family_name="Else",
                                       date_of_birth=date(2000, 1, 1), phone="+49 30 111 222")
    assert [h.id for h in by_phone] == [anna.id] and by_phone[0].match == "phone"
    assert service.find_duplicates(clinic.receptionist, given_name="Otto", family_name="Kranz",
                                   date_of_birth=anna.date_of_birth, phone=None) == []


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST])
def test_only_admins_merge(service, clinic, role):
    a, b = register(service, clinic.receptionist), register(service, clinic.receptionist)
    with pytest.raises(PermissionDenied, match="Only admins"):
        service.merge(clinic.as_role(role), keep_id=a.id, merge_id=b.id)


def test_merge_moves_everything_in_one_transaction_and_audits(service, database, clinic):
    keep = register(service, clinic.receptionist, phone=None, email=None)
    dup = register(service, clinic.receptionist, phone="+4930999888", email="dup@example.org")
    _give_history(database, clinic, keep.id, minutes=5)
    _give_history(database, clinic, dup.id, minutes=10)
    service.link_doctor(clinic.doctor, dup.id, clinic.doctor.doctor_id)
    service.link_caregiver(clinic.nurse, dup.id, given_name="Maria", family_name="Schmidt", relationship="mother",
                           permissions=("record_doses",))
    result = service.merge(clinic.admin, keep_id=keep.id, merge_id=dup.id)
    assert result.moved["glucose_reading"] == 1 and result.moved["appointment"] == 1
    for model, expected in ((GlucoseReading, 2), (Appointment, 2), (Medication, 2), (MedicationDoseLog, 2),
                            (EmergencyEvent, 2)):
        assert _count(database, model, keep.id) == expected, model.__name__
        assert _count(database, model, dup.id) == 0, model.__name__
    kept = service.get(clinic.doctor, keep.id)
    assert kept.phone_e164 == "+4930999888" and kept.email == "dup@example.org"  # gaps filled from the duplicate
    assert [d.doctor_id for d in kept.care_team.doctors] == [clinic.doctor.doctor_id]
    assert [c.permissions for c in kept.care_team.caregivers] == [("record_doses", "view")]
    assert service.get(clinic.admin, dup.id).archived
    trail = AuditService(database).query(clinic.admin, patient_id=keep.id)
    merge_event = next(e for e in trail if e.action == "merge")
    assert merge_event.changes["merged_from"] == [None, str(dup.id)] and merge_event.staff_id == clinic.admin.staff_id


def test_merge_with_conflicting_readings_changes_nothing(service, database, clinic):
    keep, dup = register(service, clinic.receptionist), register(service, clinic.receptionist)
    _give_history(database, clinic, keep.id, minutes=7, value=100)
    _give_history(database, clinic, dup.id, minutes=7, value=250, visit_days_ago=4)  # same source and time, other value
    with pytest.raises(ConflictError, match="same source and time but different values"):
        service.merge(clinic.admin, keep_id=keep.id, merge_id=dup.id)
    assert _count(database, Appointment, dup.id) == 1 and _count(database, GlucoseReading, dup.id) == 1
    assert not service.get(clinic.admin, dup.id).archived


def test_merge_refuses_same_or_unknown_patient(service, clinic):
    a = register(service, clinic.receptionist)
    with pytest.raises(ConflictError):
        service.merge(clinic.admin, keep_id=a.id, merge_id=a.id)
    import uuid

    with pytest.raises(NotFound):
        service.merge(clinic.admin, keep_id=a.id, merge_id=uuid.uuid4())


def test_completed_visit_sets_last_visit(service, database, clinic):
    p = register(service, clinic.receptionist)
    _give_history(database, clinic, p.id, minutes=1)
    row = next(r for r in service.list_page(clinic.doctor).rows if r.id == p.id)
    assert row.last_visit_on is not None and row.last_visit_on <= date.today()
    assert row.risk == "Emergency" and row.last_glucose_mgdl == 120.0
    header = service.get(clinic.doctor, p.id).header
    assert header.active_medications == 1 and header.last_glucose_mgdl == 120.0


def test_care_team_roles_and_permissions(service, clinic):
    p = register(service, clinic.receptionist)
    with pytest.raises(PermissionDenied):
        service.link_doctor(clinic.receptionist, p.id, clinic.doctor.doctor_id)
    team = service.link_doctor(clinic.nurse, p.id, clinic.doctor.doctor_id)
    assert [d.doctor_id for d in team.doctors] == [clinic.doctor.doctor_id]
    with pytest.raises(ValidationError, match="Unknown caregiver permission"):
        service.link_caregiver(clinic.doctor, p.id, given_name="Max", family_name="Muster", permissions=("sudo",))
    with pytest.raises(ValidationError) as info:
        service.link_caregiver(clinic.doctor, p.id, given_name="", family_name="Muster", phone="123")
    assert {pr.field for pr in info.value.problems} == {"given_name", "phone"}
    team = service.link_caregiver(clinic.doctor, p.id, given_name="Max", family_name="Muster", relationship="son")
    carer = team.caregivers[0]
    assert carer.permissions == ("view",)
    team = service.set_caregiver_permissions(clinic.doctor, p.id, carer.caregiver_id, ("record_readings",))
    assert team.caregivers[0].permissions == ("record_readings", "view")
    assert service.care_team(clinic.receptionist, p.id).caregivers[0].display_name == "Muster, Max"
    team = service.unlink_caregiver(clinic.doctor, p.id, carer.caregiver_id)
    assert team.caregivers == ()
    assert service.unlink_doctor(clinic.admin, p.id, clinic.doctor.doctor_id).doctors == ()


def test_audit_viewer_is_admin_only_and_filters(service, database, clinic):
    audit = AuditService(database)
    p = register(service, clinic.receptionist)
    q = register(service, clinic.receptionist)
    service.get(clinic.doctor, p.id)
    service.get(clinic.nurse, q.id)
    for role in (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST):
        with pytest.raises(PermissionDenied):
            audit.query(clinic.as_role(role))
    by_patient = audit.query(clinic.admin, patient_id=p.id)
    assert {e.action for e in by_patient} == {"create", "view"} and all(e.patient_id == p.id for e in by_patient)
    by_staff = audit.query(clinic.admin, staff_id=clinic.nurse.staff_id)
    assert [(e.action, e.patient_id) for e in by_staff] == [("view", q.id)]
    assert by_staff[0].patient_name == "Schmidt, Anna"
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert audit.query(clinic.admin, since=future) == []
    with pytest.raises(ValidationError, match="before its start"):
        audit.query(clinic.admin, since=future, until=future - timedelta(days=1))
    first = audit.query(clinic.admin, limit=2)
    rest = audit.query(clinic.admin, before=(first[-1].occurred_at, first[-1].id), limit=100)
    everything = audit.query(clinic.admin, limit=1000)
    assert [e.id for e in first + rest] == [e.id for e in everything]
    assert {s.role for s in audit.staff_options(clinic.admin)} == set(Role)
    with database.engine.connect() as conn:  # the viewer itself reads, it never writes
        assert conn.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "audit_read")) == 0


def test_merge_preview_counts_what_will_move_and_is_admin_only(service, database, clinic):
    keep = register(service, clinic.receptionist, given_name="Jon", family_name="Doe")
    dup = register(service, clinic.receptionist, given_name="John", family_name="Doe")
    _give_history(database, clinic, dup.id, minutes=5)
    _give_history(database, clinic, dup.id, minutes=50, visit_days_ago=4)
    preview = service.merge_preview(clinic.admin, keep_id=keep.id, merge_id=dup.id)
    assert preview.keep.id == keep.id and preview.duplicate.id == dup.id
    assert preview.duplicate_counts == {"glucose readings": 2, "appointments": 2, "medications": 2, "caregivers": 0}
    assert preview.keep_counts == {"glucose readings": 0, "appointments": 0, "medications": 0, "caregivers": 0}
    with database.engine.connect() as conn:
        views = conn.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "view", AuditEvent.patient_id.in_([keep.id, dup.id]),
            AuditEvent.actor_id == clinic.admin.staff_id))
    assert views == 2
    for role in (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST):
        with pytest.raises(PermissionDenied):
            service.merge_preview(clinic.as_role(role), keep_id=keep.id, merge_id=dup.id)
    with pytest.raises(ConflictError):
        service.merge_preview(clinic.admin, keep_id=keep.id, merge_id=keep.id)
