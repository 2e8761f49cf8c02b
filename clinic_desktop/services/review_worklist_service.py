"""The doctor's review worklist: CGM patients needing attention first, and "mark reviewed".

Figures come from the daily aggregate (`glucose_daily`, UTC days: the 14 whole days before today
plus today so far), so the list stays fast for thousands of CGM patients. Priority follows the
consensus targets for most adults (Battelino 2019): TBR <54 over 1 %, TBR <70 over 4 %, TIR under
70 %, CV over 36 %; plus open alerts and time since the last review. Beside the glucose figures,
each patient's overall medication adherence over 30 days (all listed patients in one query;
clinicians only).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select

from ..db.database import Database
from ..db.models import EmergencyEvent, Patient, PatientDoctor, PatientReview
from ..db.timeseries import BandStats, TimeSeriesBackend, backend_for
from ..domain.actor import Actor
from ..domain.clock import SYSTEM_CLOCK, Clock
from ..domain.enums import GlucoseUnit, Role
from ..domain.permissions import Capability
from .emergency_service import OPEN_STATES
from .glucose_access import checked_patient
from .glucose_dto import WORKLIST_ADHERENCE_DAYS, WorklistRow
from .medication_dose_sql import recent_adherence
from .medication_dto import AdherenceFigure
from ..domain.changes import ChangeKind

WINDOW = timedelta(days=14)
NEVER_REVIEWED_DAYS = 90.0


class ReviewWorklistService:
    def __init__(self, database: Database, *, backend: TimeSeriesBackend | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        self.backend: TimeSeriesBackend = backend or backend_for(database)  # resolved outside any unit of work
        self._clock = clock

    def review_worklist(self, actor: Actor, *, now: datetime | None = None) -> list[WorklistRow]:
        """Patients with CGM data in the last 14 days or open alerts, highest priority first.

        A doctor sees their own patients and those with no doctor assigned (nobody is missed);
        a nurse sees the whole clinic.
        """
        actor.require(Capability.VIEW_REVIEW_WORKLIST)
        now = (now or self._clock.now()).astimezone(timezone.utc)
        with self._db.unit_of_work(actor, read_only=True) as uow:
            s = uow.session
            patients = {p.id: p for p in s.execute(self._patients_query(actor)).all()}
            ids = list(patients)
            first_day = (now - WINDOW).replace(hour=0, minute=0, second=0, microsecond=0)
            stats = self.backend.band_stats(s, ids, first_day, now + timedelta(days=1), level="daily")
            last_at = self.backend.last_reading_times(s, list(stats))
            events = dict(s.execute(select(EmergencyEvent.patient_id, func.count()).where(
                EmergencyEvent.patient_id.in_(ids), EmergencyEvent.state.in_(OPEN_STATES))
                .group_by(EmergencyEvent.patient_id)).all()) if ids else {}
            reviews = dict(s.execute(select(PatientReview.patient_id, func.max(PatientReview.reviewed_at)).where(
                PatientReview.patient_id.in_(ids)).group_by(PatientReview.patient_id)).all()) if ids else {}
            shown = [pid for pid in ids if pid in stats or events.get(pid)]
            # One query for every patient listed, not one per row; medication data is clinical.
            adherence = (recent_adherence(s, actor.clinic_id, shown, days=WORKLIST_ADHERENCE_DAYS, now=now)
                         if actor.sees_clinical else {})
        rows = [_row(patients[pid], stats.get(pid), events.get(pid, 0), reviews.get(pid), last_at.get(pid), now,
                     adherence.get(pid)) for pid in shown]
        return sorted(rows, key=lambda r: (-r.priority, r.patient_name))

    @staticmethod
    def _patients_query(actor: Actor):  # noqa: ANN205 - a Select
        q = select(Patient.id, Patient.family_name, Patient.given_name, Patient.mrn, Patient.glucose_unit).where(
            Patient.clinic_id == actor.clinic_id, Patient.deleted_at.is_(None))
        if actor.role == Role.DOCTOR:
            linked = select(PatientDoctor.patient_id).where(PatientDoctor.doctor_id == actor.doctor_id)
            any_link = select(PatientDoctor.patient_id)
            q = q.where(or_(Patient.responsible_doctor_id == actor.doctor_id, Patient.id.in_(linked),
                            (Patient.responsible_doctor_id.is_(None) & Patient.id.not_in(any_link))))
        return q

    def mark_reviewed(self, actor: Actor, patient_id: uuid.UUID) -> None:
        """Record that this doctor reviewed the patient's glucose now (who and when, audited)."""
        actor.require(Capability.MARK_REVIEWED)
        with self._db.unit_of_work(actor) as uow:
            checked_patient(uow.session, actor, patient_id)
            review = PatientReview(clinic_id=actor.clinic_id, patient_id=patient_id, reviewed_by=actor.staff_id,
                                   reviewed_at=self._clock.now())
            uow.session.add(review)
            uow.session.flush()
            uow.audit("review", "patient_review", review.id, patient_id=patient_id)
            uow.changed(ChangeKind.PATIENT_REVIEW, patient_id)


def _row(p, st: BandStats | None, events: int, reviewed: datetime | None, last_at: datetime | None,  # noqa: ANN001
         now: datetime, adherence: AdherenceFigure | None) -> WorklistRow:
    tir = st.percent(st.in_range) if st else None
    tbr70 = st.percent(st.very_low + st.low) if st else None
    tbr54 = st.percent(st.very_low) if st else None
    cv = 100.0 * st.sd / st.mean if st and st.sd is not None and st.mean else None
    reasons: list[str] = []
    priority = 0.0
    for bad, weight, text in ((events > 0, 100.0, f"{events} open alert(s)"),
                              (tbr54 is not None and tbr54 > 1.0, 40.0, "TBR <54 over 1 %"),
                              (tbr70 is not None and tbr70 > 4.0, 30.0, "TBR <70 over 4 %"),
                              (tir is not None and tir < 70.0, 20.0, "TIR under 70 %"),
                              (cv is not None and cv > 36.0, 10.0, "CV over 36 %")):
        if bad:
            reasons.append(text)
            priority += weight
    if tir is not None and tir < 70.0:
        priority += (70.0 - tir) / 2.0  # the further from target, the higher
    days = (now - reviewed).total_seconds() / 86400.0 if reviewed else NEVER_REVIEWED_DAYS
    priority += min(days, NEVER_REVIEWED_DAYS) / 3.0
    return WorklistRow(p.id, f"{p.family_name}, {p.given_name}", p.mrn, GlucoseUnit(p.glucose_unit), tir, tbr70,
                       tbr54, cv, events, reviewed, last_at, priority, tuple(reasons), adherence)
