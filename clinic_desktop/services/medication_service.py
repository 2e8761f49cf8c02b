"""Prescriptions (doctors) and the dose log (nurses, doctors); receptionists see nothing of either.

One unit of work per user action; every write is audited in the same transaction and announced
as `uow.changed(ChangeKind.MEDICATION, id)`. Pending doses are generated from schedules (medication_ledger).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from ..db.database import Database
from ..db.models import Medication, MedicationDoseLog, MedicationPause, Patient
from ..domain.actor import Actor
from ..domain.clock import SYSTEM_CLOCK, Clock
from ..domain.enums import DoseStatus, MedicationState
from ..domain.errors import ConflictError, DomainError, FieldProblem, NotFound, StaleRecord, ValidationError
from ..domain.medication_schedule import (
    EARLY_WINDOW,
    Frequency,
    daily_times,
    dose_instant,
    local_day,
    local_midnight,
    parse_dose_times,
    validate_schedule,
)
from ..domain.permissions import Capability
from . import medication_queries as q
from .medication_dto import DoseDTO, PrescriptionDTO, PrescriptionInput
from .medication_ledger import LedgerEntry, LogRow, PlanRow, active_window, build_ledger
from .medication_reads import MedicationReads
from ..domain.changes import ChangeKind
from ..domain.text_rules import refuse_bad_text, text_field_problems

CLOCK_SKEW = timedelta(minutes=2)  # workstation clocks differ a little from the server's


class DuplicatePrescription(ConflictError):
    """The patient already has this drug active or paused; prescribe again with confirm_duplicate=True."""

    def __init__(self, drug_name: str, existing_ids: tuple[uuid.UUID, ...]) -> None:
        super().__init__(
            f"{drug_name} is already prescribed to this patient. Confirm to add a second prescription.",
            field="drug_name",
        )
        self.existing_ids = existing_ids


class MedicationService(MedicationReads):
    """Use cases of the medications area (reads are in MedicationReads)."""

    def __init__(self, database: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        self._clock = clock

    # ----- prescriptions (doctors) -----
    def prescribe(
        self, actor: Actor, *, patient_id: uuid.UUID, data: PrescriptionInput, confirm_duplicate: bool = False
    ) -> PrescriptionDTO:
        """Start a prescription; a duplicate active drug raises DuplicatePrescription unless confirmed."""
        actor.require(Capability.PRESCRIBE, action="prescribe medications")
        times = _validated(data)
        with self._db.unit_of_work(actor) as uow:
            _patient(uow.session, actor, patient_id)
            _check_duplicate(uow.session, patient_id, data.drug_name, None, confirm_duplicate)
            med = _new_medication(actor, patient_id, data, times)
            uow.session.add(med)
            uow.session.flush()
            uow.audit("prescribe", "medication", med.id, patient_id=patient_id, changes=_audit_fields(med))
            uow.changed(ChangeKind.MEDICATION, med.id)
            return self._dto(uow.session, med)

    def change_dose(
        self, actor: Actor, *, medication_id: uuid.UUID, expected_version: int, data: PrescriptionInput,
        confirm_duplicate: bool = False,
    ) -> PrescriptionDTO:
        """End the prescription now and start its replacement now, so past doses keep the old terms."""
        actor.require(Capability.PRESCRIBE, action="change prescriptions")
        times = _validated(data)
        with self._db.unit_of_work(actor) as uow:
            old = _editable(uow.session, actor, medication_id, expected_version, self._dto)
            _check_duplicate(uow.session, old.patient_id, data.drug_name, old.id, confirm_duplicate)
            now = self._clock.now()
            _end(old, actor, now, "Replaced by a changed prescription", uow)
            new = _new_medication(actor, old.patient_id, data, times)
            new.replaces_id, new.effective_at = old.id, now
            if new.start_date < local_day(now, q.clinic_settings(uow.session, actor.clinic_id)[0]):
                raise ValidationError([FieldProblem("start_date", "A changed prescription cannot start in the past.")])
            uow.session.add(new)
            uow.session.flush()
            uow.audit("change", "medication", new.id, patient_id=new.patient_id,
                      changes={"replaces": [None, old.id], **_audit_fields(new)})
            uow.changed(ChangeKind.MEDICATION, old.id, new.id)
            return self._dto(uow.session, new)

    def pause(self, actor: Actor, *, medication_id: uuid.UUID, expected_version: int, reason: str | None = None) -> PrescriptionDTO:
        """Pause an active prescription: doses from now on do not count until it is resumed."""
        actor.require(Capability.PRESCRIBE, action="pause prescriptions")
        refuse_bad_text(("reason", "reason", reason, False))
        with self._db.unit_of_work(actor) as uow:
            med = _editable(uow.session, actor, medication_id, expected_version, self._dto)
            if med.state is not MedicationState.ACTIVE:
                raise DomainError(f"Only an active prescription can be paused; this one is {med.state.value}.")
            now = self._clock.now()
            uow.session.add(MedicationPause(clinic_id=actor.clinic_id, medication_id=med.id, paused_at=now,
                                            reason=_clean(reason), paused_by=actor.staff_id))
            med.state = MedicationState.PAUSED
            uow.session.flush()
            uow.audit("pause", "medication", med.id, patient_id=med.patient_id,
                      changes={"state": ["active", "paused"], "reason": _clean(reason)})
            uow.changed(ChangeKind.MEDICATION, med.id)
            return self._dto(uow.session, med)

    def resume(self, actor: Actor, *, medication_id: uuid.UUID, expected_version: int) -> PrescriptionDTO:
        """Resume a paused prescription from now."""
        actor.require(Capability.PRESCRIBE, action="resume prescriptions")
        with self._db.unit_of_work(actor) as uow:
            med = _editable(uow.session, actor, medication_id, expected_version, self._dto)
            if med.state is not MedicationState.PAUSED:
                raise DomainError(f"Only a paused prescription can be resumed; this one is {med.state.value}.")
            _close_pause(uow.session, med.id, self._clock.now())
            med.state = MedicationState.ACTIVE
            uow.session.flush()
            uow.audit("resume", "medication", med.id, patient_id=med.patient_id, changes={"state": ["paused", "active"]})
            uow.changed(ChangeKind.MEDICATION, med.id)
            return self._dto(uow.session, med)

    def discontinue(self, actor: Actor, *, medication_id: uuid.UUID, expected_version: int, reason: str) -> PrescriptionDTO:
        """Stop a prescription now, with the reason (required)."""
        actor.require(Capability.PRESCRIBE, action="discontinue prescriptions")
        refuse_bad_text(("reason", "reason", reason, False))
        if not _clean(reason):
            raise ValidationError([FieldProblem("reason", "Enter why the prescription is discontinued.")])
        with self._db.unit_of_work(actor) as uow:
            med = _editable(uow.session, actor, medication_id, expected_version, self._dto)
            before = med.state.value
            _end(med, actor, self._clock.now(), _clean(reason), uow)
            uow.session.flush()
            uow.audit("discontinue", "medication", med.id, patient_id=med.patient_id,
                      changes={"state": [before, "discontinued"], "reason": _clean(reason)})
            uow.changed(ChangeKind.MEDICATION, med.id)
            return self._dto(uow.session, med)

    # ----- dose log (nurses, doctors) -----
    def record_dose(
        self, actor: Actor, *, medication_id: uuid.UUID, scheduled_at: datetime | None, status: DoseStatus,
        taken_at: datetime | None = None, reason: str | None = None,
    ) -> DoseDTO:
        """Record what happened to one dose; a dose already recorded (another workstation) is a ConflictError."""
        actor.require(Capability.RECORD_DOSES, action="record doses")
        with self._db.unit_of_work(actor) as uow:
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            med = _medication(uow.session, actor, medication_id)
            now = self._clock.now()
            log = _new_log(uow.session, actor, med, zone, grace, now,
                           scheduled_at=scheduled_at, status=status, taken_at=taken_at, reason=reason)
            uow.session.add(log)
            uow.session.flush()  # the unique (medication, scheduled_at) key decides a race here
            uow.audit("record_dose", "medication_dose_log", log.id, patient_id=med.patient_id,
                      changes={"medication_id": med.id, "scheduled_at": log.scheduled_at, "status": log.status.value})
            uow.changed(ChangeKind.MEDICATION, med.id)
            return _dose_dto(med, log, actor.full_name)

    def correct_dose(
        self, actor: Actor, *, log_id: uuid.UUID, expected_version: int, status: DoseStatus,
        taken_at: datetime | None = None, reason: str | None = None,
    ) -> DoseDTO:
        """Correct a recorded dose (wrong status or time); stale versions are refused."""
        actor.require(Capability.RECORD_DOSES, action="correct doses")
        with self._db.unit_of_work(actor) as uow:
            log = uow.session.get(MedicationDoseLog, log_id)
            if log is None or log.clinic_id != actor.clinic_id:
                raise NotFound("This dose record no longer exists.")
            if log.version != expected_version:
                raise StaleRecord("dose record", mine=expected_version, theirs=log.version)
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            med = _medication(uow.session, actor, log.medication_id)
            before = log.status.value
            status, taken_at, reason = _checked_outcome(status, taken_at, reason, log.scheduled_at, grace, self._clock.now())
            log.status, log.taken_at, log.reason, log.recorded_by = status, taken_at, reason, actor.staff_id
            uow.session.flush()
            uow.audit("correct_dose", "medication_dose_log", log.id, patient_id=log.patient_id,
                      changes={"status": [before, status.value]})
            uow.changed(ChangeKind.MEDICATION, med.id)
            return _dose_dto(med, log, actor.full_name)

    def mark_morning_taken(self, actor: Actor, *, patient_id: uuid.UUID) -> list[DoseDTO]:
        """Record every still-pending dose of this morning (before 12:00 clinic time, already due) as taken now."""
        actor.require(Capability.RECORD_DOSES, action="record doses")
        with self._db.unit_of_work(actor) as uow:
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            _patient(uow.session, actor, patient_id)
            now = self._clock.now()
            today = local_day(now, zone)
            noon = dose_instant(today, time(12, 0), zone)
            entries = self._ledger(uow.session, actor, zone, today, today, patient_ids=[patient_id])
            pending = [e for e in entries if e.log is None and e.scheduled_at < noon and e.scheduled_at <= now + EARLY_WINDOW]
            recorded: list[DoseDTO] = []
            for entry in pending:
                med = uow.session.get(Medication, entry.plan.id)
                log = _new_log(uow.session, actor, med, zone, grace, now,
                               scheduled_at=entry.scheduled_at, status=DoseStatus.TAKEN, taken_at=now, reason=None)
                uow.session.add(log)
                uow.session.flush()
                uow.audit("record_dose", "medication_dose_log", log.id, patient_id=patient_id,
                          changes={"medication_id": med.id, "scheduled_at": log.scheduled_at,
                                   "status": log.status.value, "bulk": "morning"})
                uow.changed(ChangeKind.MEDICATION, med.id)
                recorded.append(_dose_dto(med, log, actor.full_name))
            return recorded

    # ----- helpers shared with MedicationReads -----
    def _ledger(self, session, actor: Actor, zone, first_day: date, last_day: date, *, patient_ids=None) -> list[LedgerEntry]:  # noqa: ANN001
        first_start = local_midnight(first_day, zone)
        last_end = local_midnight(last_day + timedelta(days=1), zone)
        plans = q.plans_overlapping(session, actor.clinic_id, first_start=first_start, last_end=last_end,
                                    first_day=first_day, last_day=last_day, patient_ids=patient_ids)
        pauses = q.pauses_for(session, [p.id for p in plans], first_start, last_end)
        logs = q.logs_between(session, actor.clinic_id, first_start, last_end, patient_ids=patient_ids)
        return build_ledger(plans, logs, pauses, first_day=first_day, last_day=last_day, zone=zone)

    def _dto(self, session, med: Medication) -> PrescriptionDTO:  # noqa: ANN001
        return prescription_dto(session, med)


def prescription_dto(session, med: Medication) -> PrescriptionDTO:  # noqa: ANN001
    from ..db.models import DoctorProfile

    prescriber = session.scalar(select(DoctorProfile.display_name).where(DoctorProfile.id == med.prescriber_id)) if med.prescriber_id else None
    return PrescriptionDTO(
        id=med.id, patient_id=med.patient_id, drug_name=med.drug_name, strength=med.strength, dose=med.dose,
        form=med.form, route=med.route, frequency=Frequency(med.frequency), times=tuple(med.scheduled_times),
        every_n_hours=med.every_n_hours, start_date=med.start_date, end_date=med.end_date, prescriber_name=prescriber,
        instructions=med.instructions, state=med.state, discontinued_reason=med.discontinued_reason,
        replaces_id=med.replaces_id, effective_at=med.effective_at, ended_at=med.ended_at, version=med.version,
    )


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def _validated(data: PrescriptionInput) -> list[time]:
    times, problems = parse_dose_times(data.times)
    problems += text_field_problems([
        ("drug_name", "drug name", data.drug_name, False), ("strength", "strength", data.strength, False),
        ("dose", "dose", data.dose, False), ("form", "form", data.form, False), ("route", "route", data.route, False),
        ("instructions", "instructions", data.instructions, True)])
    if not data.drug_name or not data.drug_name.strip():
        problems.insert(0, FieldProblem("drug_name", "Enter the drug name."))
    elif len(data.drug_name.strip()) > 200:
        problems.insert(0, FieldProblem("drug_name", "The drug name is longer than 200 characters."))
    if not problems:
        problems = validate_schedule(frequency=Frequency(data.frequency), times=times, every_n_hours=data.every_n_hours,
                                     start_date=data.start_date, end_date=data.end_date)
    if problems:
        raise ValidationError(problems)
    return times


def _patient(session, actor: Actor, patient_id: uuid.UUID) -> None:  # noqa: ANN001
    found = session.scalar(select(Patient.id).where(Patient.id == patient_id, Patient.clinic_id == actor.clinic_id,
                                                    Patient.deleted_at.is_(None)))
    if found is None:
        raise NotFound("The patient was not found.")


def _medication(session, actor: Actor, medication_id: uuid.UUID) -> Medication:  # noqa: ANN001
    med = session.get(Medication, medication_id)
    if med is None or med.clinic_id != actor.clinic_id or med.deleted_at is not None:
        raise NotFound("The prescription was not found.")
    return med


def _editable(session, actor: Actor, medication_id: uuid.UUID, expected_version: int, to_dto) -> Medication:  # noqa: ANN001
    med = session.get(Medication, medication_id, with_for_update=True)
    if med is None or med.clinic_id != actor.clinic_id or med.deleted_at is not None:
        raise NotFound("The prescription was not found.")
    if med.version != expected_version:
        raise StaleRecord("prescription", mine=expected_version, theirs=to_dto(session, med))
    if med.state is MedicationState.DISCONTINUED:
        raise DomainError("This prescription is discontinued and can no longer be changed.")
    return med


def _check_duplicate(session, patient_id, drug_name: str, ignore_id, confirmed: bool) -> None:  # noqa: ANN001
    if confirmed:
        return
    query = select(Medication.id).where(
        Medication.patient_id == patient_id, Medication.deleted_at.is_(None),
        Medication.state != MedicationState.DISCONTINUED,
        func.lower(Medication.drug_name) == drug_name.strip().lower(),
    )
    if ignore_id is not None:
        query = query.where(Medication.id != ignore_id)
    existing = tuple(session.scalars(query))
    if existing:
        raise DuplicatePrescription(drug_name.strip(), existing)


def _new_medication(actor: Actor, patient_id: uuid.UUID, data: PrescriptionInput, times: list[time]) -> Medication:
    return Medication(
        id=uuid.uuid4(), clinic_id=actor.clinic_id, patient_id=patient_id, drug_name=data.drug_name.strip(),
        strength=_clean(data.strength), dose=_clean(data.dose), form=_clean(data.form), route=_clean(data.route),
        frequency=Frequency(data.frequency).value, every_n_hours=data.every_n_hours, scheduled_times=sorted(times),
        start_date=data.start_date, end_date=data.end_date, prescriber_id=actor.doctor_id,
        instructions=_clean(data.instructions), state=MedicationState.ACTIVE,
    )


def _audit_fields(med: Medication) -> dict:
    return {"drug_name": [None, med.drug_name], "strength": [None, med.strength], "dose": [None, med.dose],
            "frequency": [None, med.frequency], "times": [None, [t.strftime("%H:%M") for t in med.scheduled_times]],
            "start_date": [None, med.start_date], "end_date": [None, med.end_date]}


def _close_pause(session, medication_id: uuid.UUID, now: datetime) -> None:  # noqa: ANN001
    for pause in session.scalars(select(MedicationPause).where(MedicationPause.medication_id == medication_id,
                                                                MedicationPause.resumed_at.is_(None))):
        pause.resumed_at = now


def _end(med: Medication, actor: Actor, now: datetime, reason: str | None, uow) -> None:  # noqa: ANN001
    if med.state is MedicationState.PAUSED:
        _close_pause(uow.session, med.id, now)
    med.state = MedicationState.DISCONTINUED
    med.discontinued_reason = (reason or "")[:200] or None
    med.ended_at, med.ended_by = now, actor.staff_id
    zone = q.clinic_settings(uow.session, actor.clinic_id)[0]
    today = local_day(now, zone)
    if med.end_date is None or med.end_date > today:
        med.end_date = max(today, med.start_date)


def _plan_of(med: Medication) -> PlanRow:
    return PlanRow(med.id, med.patient_id, Frequency(med.frequency), tuple(med.scheduled_times), med.every_n_hours,
                   med.start_date, med.end_date, med.effective_at, med.ended_at)


def _checked_outcome(status: DoseStatus, taken_at, reason, scheduled_at: datetime, grace: timedelta, now: datetime):  # noqa: ANN001, ANN202
    """Validate an outcome; a taken dose after the grace window becomes TAKEN_LATE."""
    status = DoseStatus(status)
    refuse_bad_text(("reason", "reason", reason, False))
    if status is DoseStatus.PENDING:
        raise ValidationError([FieldProblem("status", "Choose taken, missed or skipped.")])
    if status in (DoseStatus.TAKEN, DoseStatus.TAKEN_LATE):
        taken_at = (taken_at or now).astimezone(UTC)
        if taken_at > now + CLOCK_SKEW:
            raise ValidationError([FieldProblem("taken_at", "The time taken is in the future.")])
        late = taken_at > scheduled_at + grace
        return (DoseStatus.TAKEN_LATE if late else DoseStatus.TAKEN), taken_at, _clean(reason)
    if scheduled_at > now + CLOCK_SKEW:
        raise ValidationError([FieldProblem("status", "A dose that is not due yet cannot be missed or skipped.")])
    if status is DoseStatus.SKIPPED and not _clean(reason):
        raise ValidationError([FieldProblem("reason", "Enter why the dose was skipped.")])
    return status, None, _clean(reason)


def _new_log(session, actor: Actor, med: Medication, zone, grace: timedelta, now: datetime, *,  # noqa: ANN001
             scheduled_at: datetime | None, status: DoseStatus, taken_at, reason) -> MedicationDoseLog:
    """A validated log row for one dose of `med` (not yet added to the session)."""
    plan = _plan_of(med)
    if plan.frequency is Frequency.AS_NEEDED:
        if DoseStatus(status) not in (DoseStatus.TAKEN, DoseStatus.TAKEN_LATE):
            raise ValidationError([FieldProblem("status", "An as-needed dose can only be recorded as taken.")])
        scheduled_at = (taken_at or now).astimezone(UTC)
    if scheduled_at is None:
        raise ValidationError([FieldProblem("scheduled_at", "Choose the scheduled dose.")])
    scheduled_at = scheduled_at.astimezone(UTC)
    if scheduled_at > now + EARLY_WINDOW:
        raise ValidationError([FieldProblem("scheduled_at", "This dose is in the future; it can be recorded from 2 hours before it is due.")])
    pauses = q.pauses_for(session, [med.id], scheduled_at, scheduled_at + timedelta(seconds=1))
    window = active_window(plan, zone, pauses.get(med.id, ()))
    if not window.covers(scheduled_at):
        if med.state is MedicationState.DISCONTINUED and window.ends is not None and scheduled_at >= window.ends:
            raise ValidationError([FieldProblem("scheduled_at", "The prescription was discontinued before this dose.")])
        raise ValidationError([FieldProblem("scheduled_at", "The prescription was not active (not started or paused) at this time.")])
    if plan.frequency is not Frequency.AS_NEEDED:
        day_times = daily_times(plan.frequency, plan.times, plan.every_n_hours)
        day = local_day(scheduled_at, zone)
        if scheduled_at not in {dose_instant(day, t, zone) for t in day_times}:
            raise ValidationError([FieldProblem("scheduled_at", "This is not a scheduled dose time of the prescription.")])
    status, taken_at, reason = _checked_outcome(status, taken_at, reason, scheduled_at, grace, now)
    return MedicationDoseLog(id=uuid.uuid4(), clinic_id=actor.clinic_id, medication_id=med.id, patient_id=med.patient_id,
                             scheduled_at=scheduled_at, status=status, taken_at=taken_at, reason=reason,
                             recorded_by=actor.staff_id)


def _dose_dto(med: Medication, log: MedicationDoseLog, recorder: str) -> DoseDTO:
    return DoseDTO(
        medication_id=med.id, patient_id=med.patient_id, patient_name="", drug_summary=q.drug_summary(med.drug_name, med.strength, med.dose),
        scheduled_at=log.scheduled_at, status=log.status, taken_at=log.taken_at, reason=log.reason,
        recorded_by_name=recorder, log_id=log.id, log_version=log.version,
    )


__all__ = ["DuplicatePrescription", "LogRow", "MedicationService", "prescription_dto"]
