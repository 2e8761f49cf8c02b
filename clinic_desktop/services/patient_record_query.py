"""Build the PatientRecord DTO (with header and care team) from a loaded Patient, role-aware."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from ..db.models import Patient
from ..domain.actor import Actor
from . import patient_care_team
from .medication_dose_sql import recent_adherence
from .patient_dto import HEADER_ADHERENCE_DAYS, PatientHeader, PatientRecord, age_on

_HEADER = text(
    """
    SELECT
      (SELECT a.starts_at FROM appointment a
        WHERE a.patient_id = :pid AND a.deleted_at IS NULL AND a.starts_at > :now
          AND a.status IN ('requested', 'confirmed') ORDER BY a.starts_at LIMIT 1) AS next_at,
      (SELECT count(*) FROM medication m
        WHERE m.patient_id = :pid AND m.deleted_at IS NULL AND m.state = 'active') AS active_meds,
      g.value_mgdl, g.recorded_at
    FROM (SELECT 1) AS one
    LEFT JOIN glucose_latest(ARRAY[CAST(:pid AS uuid)]) g ON true
    """
).bindparams(bindparam("pid"))


def header(session: Session, patient: Patient, clinical: bool, now: datetime) -> PatientHeader:
    """Age and next appointment for everyone; HbA1c, last glucose, medications and adherence for clinicians."""
    row = session.execute(_HEADER, {"pid": patient.id, "now": now}).one()
    adherence = None
    if clinical:  # reception sees no medication data: not computed, not returned
        adherence = recent_adherence(session, patient.clinic_id, [patient.id], days=HEADER_ADHERENCE_DAYS,
                                     now=now)[patient.id]
    return PatientHeader(
        age=age_on(patient.date_of_birth, now.date()),
        diabetes_type=patient.diabetes_type if clinical else None,
        last_hba1c=patient.last_hba1c if clinical else None,
        target_hba1c=patient.target_hba1c if clinical else None,
        last_glucose_mgdl=float(row.value_mgdl) if clinical and row.value_mgdl is not None else None,
        last_glucose_at=row.recorded_at if clinical else None,
        next_appointment_at=row.next_at,
        active_medications=int(row.active_meds) if clinical else None,
        adherence_30d=adherence,
    )


def record(session: Session, patient: Patient, actor: Actor, now: datetime) -> PatientRecord:
    """The record as `actor` may see it (`now` in the clinic's zone): receptionists get no clinical values."""
    clinical = actor.sees_clinical
    common = dict(
        id=patient.id,
        version=patient.version,
        mrn=patient.mrn,
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        phone_e164=patient.phone_e164,
        email=patient.email,
        address=patient.address,
        archived=patient.deleted_at is not None,
        clinical_visible=clinical,
        header=header(session, patient, clinical, now),
        care_team=patient_care_team.load(session, patient),
        updated_at=patient.updated_at,
    )
    if not clinical:
        return PatientRecord(**common)
    return PatientRecord(
        **common,
        diabetes_type=patient.diabetes_type,
        diagnosed_on=patient.diagnosed_on,
        last_hba1c=patient.last_hba1c,
        last_hba1c_on=patient.last_hba1c_on,
        target_hba1c=patient.target_hba1c,
        glucose_unit=patient.glucose_unit,
        management_mode=patient.management_mode,
        notes=patient.notes,
        responsible_doctor_id=patient.responsible_doctor_id,
    )
