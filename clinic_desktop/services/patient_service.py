"""Patient registry use cases: search, list, view, register, edit, archive/restore, duplicates,
merge and the care team. One unit of work per user action; roles are enforced here.

Roles: everybody may search, view demographics, register and archive; receptionists never see or
change clinical fields; doctors and nurses edit them; only admins restore archived records and
merge duplicates. Every view and change writes an audit event in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.database import Database
from ..db.models import Clinic, DoctorProfile, Patient
from ..db.timeseries import TimeSeriesBackend, backend_for
from ..domain import patient_rules
from ..domain.actor import Actor
from ..domain.clock import SYSTEM_CLOCK, Clock, local_now
from ..domain.errors import ConflictError, FieldProblem, NotFound, PermissionDenied, StaleRecord, ValidationError
from ..domain.permissions import Capability
from . import patient_care_team, patient_merge, patient_record_query, patient_summary
from .patient_dto import (
    CareTeam,
    DoctorOption,
    MergePreview,
    MergeResult,
    PatientFilters,
    PatientPage,
    PatientRecord,
    PatientSort,
    PatientSummary,
)
from .patient_list_query import fetch_page
from .patient_search import search_patients
from .patient_summary import PatientSummarySheet
from ..domain.changes import ChangeKind

_COLUMN = {"phone": "phone_e164"}  # form field name → column name where they differ


class PatientService:
    """The patient registry's use cases (see the module docstring for the role rules)."""

    def __init__(self, database: Database, *, backend: TimeSeriesBackend | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        self._clock = clock
        self._backend = backend or backend_for(database)  # resolved outside any unit of work
        self._locales: dict[uuid.UUID, str] = {}

    # --- reading -----------------------------------------------------------------------------

    def search(
        self, actor: Actor, *, text: str, limit: int = 50, include_archived: bool = False
    ) -> list[PatientSummary]:
        """Patients whose name, MRN, phone or date of birth match what was typed."""
        actor.require(Capability.SEE_PATIENTS, action="search patients")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            locale = self._locale(uow.session, actor.clinic_id)
            return search_patients(
                uow.session, actor.clinic_id, text, locale=locale, limit=limit, include_archived=include_archived,
                today=self._today(uow.session, actor.clinic_id),
            )

    def list_page(
        self,
        actor: Actor,
        *,
        after: tuple[Any, ...] | None = None,
        limit: int = 200,
        sort: PatientSort = PatientSort.NAME,
        filters: PatientFilters | None = None,
    ) -> PatientPage:
        """One keyset page of the patient list (pass the last row's `sort_key` as `after`)."""
        actor.require(Capability.SEE_PATIENTS, action="list patients")
        filters = filters or PatientFilters()
        if filters.diabetes_type is not None and not actor.sees_clinical:
            raise PermissionDenied("Receptionists cannot filter by diabetes type (a clinical field).")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return fetch_page(
                uow.session, actor.clinic_id, after=after, limit=limit, sort=PatientSort(sort), filters=filters,
                clinical=actor.sees_clinical, now=self._local_now(uow.session, actor.clinic_id),
            )

    def get(self, actor: Actor, patient_id: uuid.UUID) -> PatientRecord:
        """The record as the actor may see it; the view itself is audited."""
        actor.require(Capability.SEE_PATIENTS, action="open patient records")
        with self._db.unit_of_work(actor) as uow:
            patient = self._load(uow.session, actor, patient_id)
            uow.audit("view", "patient", patient.id, patient_id=patient.id)
            return patient_record_query.record(uow.session, patient, actor, self._local_now(uow.session, actor.clinic_id))

    def summary_sheet(self, actor: Actor, patient_id: uuid.UUID) -> PatientSummarySheet:
        """Everything the one-page summary shows, as the actor may see it; the printing is audited."""
        actor.require(Capability.SEE_PATIENTS, action="print patient summaries")
        with self._db.unit_of_work(actor) as uow:
            patient = self._load(uow.session, actor, patient_id)
            record = patient_record_query.record(uow.session, patient, actor, self._local_now(uow.session, actor.clinic_id))
            sheet = patient_summary.build_sheet(uow.session, actor, patient, record, self._backend,
                                                now=self._clock.now())
            uow.audit("print_summary", "patient", patient.id, patient_id=patient.id,
                      changes={"summary": [None, "clinical" if sheet.clinical else "demographics only"]})
            return sheet

    def list_doctors(self, actor: Actor) -> list[DoctorOption]:
        """Active doctors of the clinic, for filters and the care team."""
        actor.require(Capability.SEE_PATIENTS, action="list doctors")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            rows = uow.session.execute(
                select(DoctorProfile.id, DoctorProfile.display_name)
                .where(DoctorProfile.clinic_id == actor.clinic_id, DoctorProfile.active.is_(True))
                .order_by(DoctorProfile.display_name)
            )
            return [DoctorOption(r.id, r.display_name) for r in rows]

    def clinic_locale(self, actor: Actor) -> str:
        """How the clinic writes dates and phones ("de_DE"), for forms and search hints."""
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return self._locale(uow.session, actor.clinic_id)

    # --- writing -----------------------------------------------------------------------------

    def create(self, actor: Actor, *, data: Mapping[str, Any], request_id: uuid.UUID | None = None) -> PatientRecord:
        """Register a patient. A retry with the same `request_id` returns the first result."""
        actor.require(Capability.REGISTER_PATIENTS, action="register patients")
        self._check_field_rights(actor, data)
        with self._db.unit_of_work(actor) as uow:
            now = self._local_now(uow.session, actor.clinic_id)
            ctx = self._context(uow.session, actor.clinic_id, now)
            cleaned, problems = patient_rules.clean_patient_fields(data, ctx)
            if problems:
                raise ValidationError(problems)
            earlier = uow.claim_request(request_id, "patient")
            if earlier is not None:
                return patient_record_query.record(uow.session, self._load(uow.session, actor, earlier), actor, now)
            self._check_mrn_free(uow.session, actor.clinic_id, cleaned["mrn"], None)
            patient = Patient(clinic_id=actor.clinic_id, **{_COLUMN.get(k, k): v for k, v in cleaned.items()})
            uow.session.add(patient)
            uow.session.flush()
            uow.complete_request(request_id, patient.id)
            uow.audit("create", "patient", patient.id, patient_id=patient.id,
                      changes={k: [None, v] for k, v in cleaned.items() if v is not None})
            uow.changed(ChangeKind.PATIENT, patient.id)
            uow.session.refresh(patient)
            return patient_record_query.record(uow.session, patient, actor, now)

    def update(
        self, actor: Actor, patient_id: uuid.UUID, *, data: Mapping[str, Any], expected_version: int
    ) -> PatientRecord:
        """Save edited fields; StaleRecord (with both versions) if someone saved meanwhile."""
        actor.require(Capability.REGISTER_PATIENTS, action="edit patients")
        self._check_field_rights(actor, data)
        with self._db.unit_of_work(actor) as uow:
            now = self._local_now(uow.session, actor.clinic_id)
            ctx = self._context(uow.session, actor.clinic_id, now)
            patient = self._load(uow.session, actor, patient_id, for_update=True)
            if patient.version != expected_version:
                theirs = patient_record_query.record(uow.session, patient, actor, now)
                raise StaleRecord("patient", mine=dict(data), theirs=theirs)
            existing = {name: getattr(patient, _COLUMN.get(name, name)) for name in patient_rules.ALL_FIELDS}
            cleaned, problems = patient_rules.clean_patient_fields(data, ctx, existing=existing)
            if problems:
                raise ValidationError(problems)
            diff = {k: [existing[k], v] for k, v in cleaned.items() if existing[k] != v}
            if "mrn" in diff:
                self._check_mrn_free(uow.session, actor.clinic_id, cleaned["mrn"], patient.id)
            if diff:
                for name, (_, after) in diff.items():
                    setattr(patient, _COLUMN.get(name, name), after)
                uow.session.flush()
                uow.audit("update", "patient", patient.id, patient_id=patient.id, changes=diff)
                uow.changed(ChangeKind.PATIENT, patient.id)
                uow.session.refresh(patient)
            return patient_record_query.record(uow.session, patient, actor, now)

    def archive(self, actor: Actor, patient_id: uuid.UUID) -> PatientRecord:
        """Soft-delete: the record leaves the active list but nothing is removed."""
        actor.require(Capability.REGISTER_PATIENTS, action="archive patients")
        return self._set_archived(actor, patient_id, archived=True)

    def restore(self, actor: Actor, patient_id: uuid.UUID) -> PatientRecord:
        """Bring an archived record back to the active list (admins only)."""
        actor.require(Capability.RESTORE_PATIENTS)
        return self._set_archived(actor, patient_id, archived=False)

    def find_duplicates(
        self, actor: Actor, *, given_name: str, family_name: str, date_of_birth: date | str | None,
        phone: str | None = None,
    ) -> list[PatientSummary]:
        """Likely duplicates of a patient about to be registered (same birth date and similar
        name, or the same phone), archived ones included."""
        actor.require(Capability.REGISTER_PATIENTS, action="register patients")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            ctx = self._context(uow.session, actor.clinic_id, self._local_now(uow.session, actor.clinic_id))
            return patient_merge.find_duplicates(
                uow.session, actor.clinic_id, ctx, given_name=given_name, family_name=family_name,
                date_of_birth=date_of_birth, phone=phone,
            )

    def merge_preview(self, actor: Actor, *, keep_id: uuid.UUID, merge_id: uuid.UUID) -> MergePreview:
        """Both records and what each holds, for the admin to compare before merging (audited views)."""
        actor.require(Capability.MERGE_PATIENTS)
        if keep_id == merge_id:
            raise ConflictError("Choose two different patients to merge.")
        with self._db.unit_of_work(actor) as uow:
            now = self._local_now(uow.session, actor.clinic_id)
            sides = []
            for pid in (keep_id, merge_id):
                patient = self._load(uow.session, actor, pid)
                uow.audit("view", "patient", patient.id, patient_id=patient.id,
                          changes={"purpose": [None, "merge preview"]})
                sides.append((patient_record_query.record(uow.session, patient, actor, now),
                              patient_merge.record_counts(uow.session, patient.id)))
            return MergePreview(sides[0][0], sides[1][0], sides[0][1], sides[1][1])

    def merge(self, actor: Actor, *, keep_id: uuid.UUID, merge_id: uuid.UUID) -> MergeResult:
        """Move everything of `merge_id` to `keep_id` in one transaction; archive `merge_id`."""
        actor.require(Capability.MERGE_PATIENTS)
        if keep_id == merge_id:
            raise ConflictError("Choose two different patients to merge.")
        with self._db.unit_of_work(actor) as uow:
            first, second = sorted([keep_id, merge_id])  # lock in a fixed order: no deadlock
            locked = {p: self._load(uow.session, actor, p, for_update=True) for p in (first, second)}
            return patient_merge.merge(uow, locked[keep_id], locked[merge_id], now=self._clock.now())

    # --- care team ---------------------------------------------------------------------------

    def care_team(self, actor: Actor, patient_id: uuid.UUID) -> CareTeam:
        actor.require(Capability.SEE_PATIENTS, action="view care teams")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            patient = self._load(uow.session, actor, patient_id)
            return patient_care_team.load(uow.session, patient)

    def link_doctor(self, actor: Actor, patient_id: uuid.UUID, doctor_id: uuid.UUID) -> CareTeam:
        actor.require(Capability.EDIT_CARE_TEAM)
        with self._db.unit_of_work(actor) as uow:
            patient = self._load(uow.session, actor, patient_id)
            return patient_care_team.link_doctor(uow, patient, doctor_id)

    def unlink_doctor(self, actor: Actor, patient_id: uuid.UUID, doctor_id: uuid.UUID) -> CareTeam:
        actor.require(Capability.EDIT_CARE_TEAM)
        with self._db.unit_of_work(actor) as uow:
            patient = self._load(uow.session, actor, patient_id)
            return patient_care_team.unlink_doctor(uow, patient, doctor_id)

    def link_caregiver(
        self, actor: Actor, patient_id: uuid.UUID, *, given_name: str, family_name: str, phone: str | None = None,
        email: str | None = None, relationship: str | None = None, permissions: tuple[str, ...] = ("view",),
    ) -> CareTeam:
        """Add a caregiver (relative, carer) with what they may do for the patient."""
        actor.require(Capability.EDIT_CARE_TEAM)
        with self._db.unit_of_work(actor) as uow:
            patient = self._load(uow.session, actor, patient_id)
            ctx = self._context(uow.session, actor.clinic_id, self._local_now(uow.session, actor.clinic_id))
            return patient_care_team.link_caregiver(
                uow, patient, ctx, given_name=given_name, family_name=family_name, phone=phone, email=email,
                relationship=relationship, permissions=permissions,
            )

    def set_caregiver_permissions(
        self, actor: Actor, patient_id: uuid.UUID, caregiver_id: uuid.UUID, permissions: tuple[str, ...]
    ) -> CareTeam:
        actor.require(Capability.EDIT_CARE_TEAM)
        with self._db.unit_of_work(actor) as uow:
            patient = self._load(uow.session, actor, patient_id)
            return patient_care_team.set_permissions(uow, patient, caregiver_id, permissions)

    def unlink_caregiver(self, actor: Actor, patient_id: uuid.UUID, caregiver_id: uuid.UUID) -> CareTeam:
        actor.require(Capability.EDIT_CARE_TEAM)
        with self._db.unit_of_work(actor) as uow:
            patient = self._load(uow.session, actor, patient_id)
            return patient_care_team.unlink_caregiver(uow, patient, caregiver_id)

    # --- helpers -----------------------------------------------------------------------------

    def _set_archived(self, actor: Actor, patient_id: uuid.UUID, *, archived: bool) -> PatientRecord:
        with self._db.unit_of_work(actor) as uow:
            patient = self._load(uow.session, actor, patient_id, for_update=True)
            before = patient.deleted_at
            if (before is not None) != archived:
                patient.deleted_at = self._clock.now() if archived else None
                uow.session.flush()
                uow.audit("archive" if archived else "restore", "patient", patient.id, patient_id=patient.id,
                          changes={"deleted_at": [before, patient.deleted_at]})
                uow.changed(ChangeKind.PATIENT, patient.id)
                uow.session.refresh(patient)
            return patient_record_query.record(uow.session, patient, actor, self._local_now(uow.session, actor.clinic_id))

    @staticmethod
    def _check_field_rights(actor: Actor, data: Mapping[str, Any]) -> None:
        clinical = sorted(set(data) & set(patient_rules.CLINICAL_FIELDS))
        if clinical:
            names = ", ".join(f.replace("_", " ") for f in clinical)
            actor.require(Capability.EDIT_CLINICAL_FIELDS, action=f"change clinical fields ({names})")

    @staticmethod
    def _check_mrn_free(session: Session, clinic_id: uuid.UUID, mrn: str, own_id: uuid.UUID | None) -> None:
        holder = session.execute(
            select(Patient.id, Patient.family_name, Patient.given_name, Patient.deleted_at)
            .where(Patient.clinic_id == clinic_id, Patient.mrn == mrn)
        ).first()
        if holder is not None and holder.id != own_id:
            state = " (archived)" if holder.deleted_at is not None else ""
            raise ValidationError([FieldProblem(
                "mrn", f"MRN {mrn} already belongs to {holder.family_name}, {holder.given_name}{state}.")])

    @staticmethod
    def _load(session: Session, actor: Actor, patient_id: uuid.UUID, *, for_update: bool = False) -> Patient:
        stmt = select(Patient).where(Patient.id == patient_id, Patient.clinic_id == actor.clinic_id)
        if for_update:
            stmt = stmt.with_for_update()
        patient = session.scalars(stmt).first()
        if patient is None:
            raise NotFound("This patient does not exist or belongs to another clinic.")
        return patient

    def _locale(self, session: Session, clinic_id: uuid.UUID) -> str:
        if clinic_id not in self._locales:
            self._locales[clinic_id] = session.scalar(select(Clinic.locale).where(Clinic.id == clinic_id)) or "en_US"
        return self._locales[clinic_id]

    def _context(self, session: Session, clinic_id: uuid.UUID, now: datetime) -> patient_rules.FieldContext:
        """Validation's context: the clinic's today (from `now`, already in its zone) and its locale."""
        return patient_rules.FieldContext(today=now.date(), locale=self._locale(session, clinic_id))

    def _today(self, session: Session, clinic_id: uuid.UUID) -> date:
        """Today in the clinic's time zone (a birthday is local), by the app's clock."""
        return self._local_now(session, clinic_id).date()

    def _local_now(self, session: Session, clinic_id: uuid.UUID) -> datetime:
        """The app clock's instant in the clinic's time zone."""
        zone = session.scalar(select(Clinic.timezone).where(Clinic.id == clinic_id)) or "UTC"
        return local_now(self._clock, zone)
