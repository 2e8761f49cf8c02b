"""Care team of a patient: linked doctors and caregivers (with what caregivers may do).

Called by PatientService inside its unit of work; every change is audited on the patient.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db.models import Caregiver, DoctorProfile, Patient, PatientCaregiver, PatientDoctor
from ..db.unit_of_work import UnitOfWork
from ..domain import patient_rules
from ..domain.enums import CaregiverPermission
from ..domain.errors import ConflictError, FieldProblem, NotFound, ValidationError
from .patient_dto import CareTeam, CareTeamCaregiver, CareTeamDoctor
from ..domain.changes import ChangeKind
from ..domain.text_rules import text_field_problems


def load(session: Session, patient: Patient) -> CareTeam:
    doctors = session.execute(
        select(DoctorProfile.id, DoctorProfile.display_name, DoctorProfile.specialty)
        .join(PatientDoctor, PatientDoctor.doctor_id == DoctorProfile.id)
        .where(PatientDoctor.patient_id == patient.id)
        .order_by(DoctorProfile.display_name)
    ).all()
    linked = {d.id for d in doctors}
    team_doctors = [CareTeamDoctor(d.id, d.display_name, d.specialty, d.id == patient.responsible_doctor_id)
                    for d in doctors]
    if patient.responsible_doctor_id is not None and patient.responsible_doctor_id not in linked:
        responsible = session.get(DoctorProfile, patient.responsible_doctor_id)
        if responsible is not None:
            team_doctors.insert(0, CareTeamDoctor(responsible.id, responsible.display_name, responsible.specialty, True))
    carers = session.execute(
        select(Caregiver, PatientCaregiver.relationship, PatientCaregiver.permissions)
        .join(PatientCaregiver, PatientCaregiver.caregiver_id == Caregiver.id)
        .where(PatientCaregiver.patient_id == patient.id)
        .order_by(Caregiver.family_name, Caregiver.given_name)
    ).all()
    return CareTeam(
        tuple(team_doctors),
        tuple(
            CareTeamCaregiver(c.Caregiver.id, f"{c.Caregiver.family_name}, {c.Caregiver.given_name}", c.relationship,
                              c.Caregiver.phone_e164, tuple(c.permissions))
            for c in carers
        ),
    )


def link_doctor(uow: UnitOfWork, patient: Patient, doctor_id: uuid.UUID) -> CareTeam:
    session = uow.session
    doctor = session.get(DoctorProfile, doctor_id)
    if doctor is None or doctor.clinic_id != patient.clinic_id:
        raise NotFound("This doctor does not exist in this clinic.")
    exists = session.scalar(select(PatientDoctor.id).where(
        PatientDoctor.patient_id == patient.id, PatientDoctor.doctor_id == doctor_id))
    if exists is None:
        session.add(PatientDoctor(clinic_id=patient.clinic_id, patient_id=patient.id, doctor_id=doctor_id))
        session.flush()
        uow.audit("link_doctor", "patient", patient.id, patient_id=patient.id,
                  changes={"doctor": [None, doctor.display_name]})
        uow.changed(ChangeKind.PATIENT, patient.id)
    return load(session, patient)


def unlink_doctor(uow: UnitOfWork, patient: Patient, doctor_id: uuid.UUID) -> CareTeam:
    removed = uow.session.execute(
        delete(PatientDoctor).where(PatientDoctor.patient_id == patient.id, PatientDoctor.doctor_id == doctor_id)
    ).rowcount
    if removed:
        uow.audit("unlink_doctor", "patient", patient.id, patient_id=patient.id,
                  changes={"doctor_id": [doctor_id, None]})
        uow.changed(ChangeKind.PATIENT, patient.id)
    return load(uow.session, patient)


def clean_permissions(permissions: tuple[str, ...] | list[str]) -> list[str]:
    allowed = {p.value for p in CaregiverPermission}
    unknown = [p for p in permissions if p not in allowed]
    if unknown:
        raise ValidationError([FieldProblem("permissions", f"Unknown caregiver permission: {', '.join(unknown)}.")])
    return sorted(set(permissions) | {CaregiverPermission.VIEW.value})


def link_caregiver(
    uow: UnitOfWork, patient: Patient, ctx: patient_rules.FieldContext, *, given_name: str, family_name: str,
    phone: str | None, email: str | None, relationship: str | None, permissions: tuple[str, ...],
) -> CareTeam:
    cleaned, problems = patient_rules.clean_patient_fields(
        {"given_name": given_name, "family_name": family_name, "phone": phone, "email": email}, ctx, existing={}
    )
    problems += text_field_problems([("relationship", "relationship", relationship, False)])
    if relationship is not None and len(relationship) > 64:
        problems.append(FieldProblem("relationship", "The relationship is too long (at most 64 characters)."))
    if problems:
        raise ValidationError(problems)
    perms = clean_permissions(permissions)
    carer = Caregiver(clinic_id=patient.clinic_id, given_name=cleaned["given_name"],
                      family_name=cleaned["family_name"], phone_e164=cleaned["phone"], email=cleaned["email"])
    uow.session.add(carer)
    uow.session.flush()
    uow.session.add(PatientCaregiver(clinic_id=patient.clinic_id, patient_id=patient.id, caregiver_id=carer.id,
                                     relationship=(relationship or "").strip() or None, permissions=perms))
    uow.session.flush()
    uow.audit("link_caregiver", "patient", patient.id, patient_id=patient.id,
              changes={"caregiver_id": [None, carer.id], "permissions": [None, perms]})
    uow.changed(ChangeKind.PATIENT, patient.id)
    return load(uow.session, patient)


def set_permissions(uow: UnitOfWork, patient: Patient, caregiver_id: uuid.UUID, permissions: tuple[str, ...]) -> CareTeam:
    link = uow.session.scalars(select(PatientCaregiver).where(
        PatientCaregiver.patient_id == patient.id, PatientCaregiver.caregiver_id == caregiver_id).with_for_update()
    ).first()
    if link is None:
        raise NotFound("This caregiver is not linked to the patient.")
    perms = clean_permissions(permissions)
    if sorted(link.permissions) != perms:
        before = list(link.permissions)
        link.permissions = perms
        uow.session.flush()
        uow.audit("caregiver_permissions", "patient", patient.id, patient_id=patient.id,
                  changes={"permissions": [before, perms]})
        uow.changed(ChangeKind.PATIENT, patient.id)
    return load(uow.session, patient)


def unlink_caregiver(uow: UnitOfWork, patient: Patient, caregiver_id: uuid.UUID) -> CareTeam:
    removed = uow.session.execute(delete(PatientCaregiver).where(
        PatientCaregiver.patient_id == patient.id, PatientCaregiver.caregiver_id == caregiver_id)).rowcount
    if not removed:
        raise ConflictError("This caregiver was not linked to the patient (perhaps already removed).")
    uow.audit("unlink_caregiver", "patient", patient.id, patient_id=patient.id,
              changes={"caregiver_id": [caregiver_id, None]})
    uow.changed(ChangeKind.PATIENT, patient.id)
    return load(uow.session, patient)
