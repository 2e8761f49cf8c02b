"""Duplicate detection before registering, and the admin's merge of two records.

A merge moves every row that points at the duplicate (readings, appointments, medications, dose
logs, emergency events, reviews, care-team links) to the kept record in ONE transaction, fills
the kept record's empty demographic fields from the duplicate, archives the duplicate (it never
vanishes: the audit trail still points at it) and audits both sides.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from ..db.models import Patient
from ..db.unit_of_work import UnitOfWork
from ..domain import patient_rules
from ..domain.errors import ConflictError
from .patient_dto import MergeResult, PatientSummary
from ..domain.changes import ChangeKind

DUPLICATE_NAME_SIMILARITY = 0.4
#: Tables whose rows simply follow the patient (no per-patient unique key).
_MOVABLE = ("appointment", "appointment_series", "medication", "medication_dose_log", "emergency_event",
            "patient_review")
_FILLABLE = ("phone_e164", "email", "address", "diabetes_type", "diagnosed_on", "last_hba1c", "last_hba1c_on",
             "target_hba1c", "management_mode", "responsible_doctor_id")


def find_duplicates(
    session: Session, clinic_id: uuid.UUID, ctx: patient_rules.FieldContext, *, given_name: str,
    family_name: str, date_of_birth: date | str | None, phone: str | None,
) -> list[PatientSummary]:
    """Same birth date and a similar name, or the same phone number."""
    dob = date_of_birth
    if isinstance(dob, str):
        dob = patient_rules.parse_typed_date(dob, ctx.locale, today=ctx.day)
    e164 = None
    if phone:
        try:
            e164 = patient_rules.normalize_phone(phone, ctx.region)
        except ValueError:
            e164 = None
    name = " ".join(f"{family_name} {given_name}".split())
    conditions = []
    if dob is not None and name:
        normalized = func.lower(func.f_unaccent(name))
        conditions.append((Patient.date_of_birth == dob) & (
            func.similarity(Patient.search_name, normalized) >= DUPLICATE_NAME_SIMILARITY))
    if e164:
        conditions.append(Patient.phone_e164 == e164)
    if not conditions:
        return []
    rows = session.execute(
        select(Patient.id, Patient.mrn, Patient.family_name, Patient.given_name, Patient.date_of_birth,
               Patient.deleted_at, Patient.phone_e164)
        .where(Patient.clinic_id == clinic_id, or_(*conditions))
        .order_by(Patient.search_name).limit(20)
    )
    return [
        PatientSummary(r.id, r.mrn, f"{r.family_name}, {r.given_name}", r.date_of_birth, r.deleted_at is not None,
                       r.phone_e164, "phone" if e164 and r.phone_e164 == e164 else "dob+name")
        for r in rows
    ]


#: What the merge dialog counts on each side (every row moves, archived or cancelled ones too).
_COUNTED = {"glucose_reading": "glucose readings", "appointment": "appointments", "medication": "medications",
            "patient_caregiver": "caregivers"}


def record_counts(session: Session, patient_id: uuid.UUID) -> dict[str, int]:
    """Rows that belong to a patient, by what a merge would move (label → count)."""
    parts = ", ".join(f"(SELECT count(*) FROM {table} WHERE patient_id = :p) AS {table}" for table in _COUNTED)
    row = session.execute(text(f"SELECT {parts}"), {"p": patient_id}).one()  # noqa: S608 - fixed names
    return {label: int(getattr(row, table)) for table, label in _COUNTED.items()}


def merge(uow: UnitOfWork, keep: Patient, dup: Patient, *, now: datetime) -> MergeResult:
    """Both patients are already locked FOR UPDATE by the caller; `dup` is archived as of `now`."""
    session = uow.session
    if keep.deleted_at is not None:
        raise ConflictError("The record to keep is archived; restore it first.")
    ids = {"keep": keep.id, "dup": dup.id}
    moved: dict[str, int] = {}
    moved["glucose_reading"], moved["glucose_duplicates_dropped"] = _move_readings(session, ids)
    for table in _MOVABLE:
        moved[table] = session.execute(
            text(f"UPDATE {table} SET patient_id = :keep WHERE patient_id = :dup"), ids  # noqa: S608 - fixed names
        ).rowcount
    moved["patient_doctor"] = _move_links(session, "patient_doctor", "doctor_id", ids)
    moved["patient_caregiver"] = _move_links(session, "patient_caregiver", "caregiver_id", ids)
    filled = {}
    for column in _FILLABLE:
        if getattr(keep, column) is None and getattr(dup, column) is not None:
            filled[column] = [None, getattr(dup, column)]
            setattr(keep, column, getattr(dup, column))
    dup.deleted_at = now
    session.flush()
    uow.audit("merge", "patient", keep.id, patient_id=keep.id,
              changes={"merged_from": [None, dup.id], "merged_mrn": [None, dup.mrn], **filled,
                       **{f"moved_{k}": [0, v] for k, v in moved.items() if v}})
    uow.audit("merged_into", "patient", dup.id, patient_id=dup.id,
              changes={"merged_into": [None, keep.id], "deleted_at": [None, dup.deleted_at]})
    uow.changed(ChangeKind.PATIENT, keep.id, dup.id)
    for kind, table in ((ChangeKind.APPOINTMENT, "appointment"), (ChangeKind.MEDICATION, "medication"),
                        (ChangeKind.GLUCOSE_READING, "glucose_reading"), (ChangeKind.EMERGENCY_EVENT, "emergency_event"),
                        (ChangeKind.PATIENT_REVIEW, "patient_review")):
        if moved.get(table):
            uow.changed(kind, keep.id)
    return MergeResult(keep.id, dup.id, moved)


def _move_readings(session: Session, ids: dict[str, uuid.UUID]) -> tuple[int, int]:
    """Readings have a unique (patient, source, time): identical ones are the same import twice
    and are dropped; the same source and time with a different value is refused."""
    clash = session.scalar(text(
        "SELECT count(*) FROM glucose_reading d JOIN glucose_reading k ON k.patient_id = :keep "
        "AND k.source = d.source AND k.recorded_at = d.recorded_at "
        "WHERE d.patient_id = :dup AND k.value_mgdl <> d.value_mgdl"), ids)
    if clash:
        raise ConflictError(
            f"{clash} glucose readings of the two patients have the same source and time but different values; "
            "they cannot both be kept. Check the records: they may be different people.")
    dropped = session.execute(text(
        "DELETE FROM glucose_reading d USING glucose_reading k WHERE d.patient_id = :dup AND k.patient_id = :keep "
        "AND k.source = d.source AND k.recorded_at = d.recorded_at"), ids).rowcount
    moved = session.execute(text("UPDATE glucose_reading SET patient_id = :keep WHERE patient_id = :dup"), ids).rowcount
    return moved, dropped


def _move_links(session: Session, table: str, other: str, ids: dict[str, uuid.UUID]) -> int:
    moved = session.execute(text(
        f"UPDATE {table} d SET patient_id = :keep WHERE d.patient_id = :dup AND NOT EXISTS ("  # noqa: S608
        f"SELECT 1 FROM {table} k WHERE k.patient_id = :keep AND k.{other} = d.{other})"), ids).rowcount
    session.execute(text(f"DELETE FROM {table} WHERE patient_id = :dup"), ids)  # noqa: S608 - already on keep
    return moved
