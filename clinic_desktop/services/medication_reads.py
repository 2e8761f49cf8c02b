"""Read use cases of MedicationService: prescriptions, doses due, adherence, glucose beside adherence.

Doctors, nurses and admins read; receptionists see nothing of medications.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..db.models import Medication
from ..domain.actor import Actor
from ..domain.enums import DoseStatus
from ..domain.medication_schedule import local_day, local_midnight
from ..domain.permissions import Capability
from . import medication_dose_sql as dose_sql
from . import medication_queries as q
from .glucose_dto import ChartMarker
from .medication_dto import (
    AdherenceFigure,
    AdherenceReport,
    DoseCursor,
    DoseDTO,
    DoseFilter,
    DosePage,
    GlucoseAdherenceComparison,
    MedicationAdherence,
    PrescriptionDTO,
)
from .medication_ledger import (
    TAKEN,
    LedgerEntry,
    adherence,
    day_marks,
    full_adherence_days,
)

WINDOWS = (7, 30, 90)
STRIP_DAYS = 14
#: Rows per page of the clinic's due list (a screenful or two; the pane fetches more as it scrolls).
PAGE_SIZE = 200


class MedicationReads:
    """Mixed into MedicationService; needs `self._db`, `self._clock`, `self._ledger`, `self._dto`."""

    def list_prescriptions(self, actor: Actor, patient_id: uuid.UUID) -> list[PrescriptionDTO]:
        """All prescriptions of a patient, current first, with their history (replaced, discontinued)."""
        actor.require(Capability.VIEW_MEDICATIONS, action="see medications")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            meds = uow.session.scalars(
                select(Medication).where(Medication.patient_id == patient_id, Medication.clinic_id == actor.clinic_id,
                                         Medication.deleted_at.is_(None))
                .order_by(Medication.state == "discontinued", Medication.start_date.desc(), Medication.created_at.desc())
            ).all()
            return [self._dto(uow.session, m) for m in meds]

    def drug_name_suggestions(self, actor: Actor, text: str, *, limit: int = 20) -> list[str]:
        """Drug names already used in this clinic that contain `text` (for the prescription dialog's completer)."""
        actor.require(Capability.PRESCRIBE)
        if not text.strip():
            return []
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return q.drug_names(uow.session, actor.clinic_id, text, limit)

    def doses_due(self, actor: Actor, *, day: date | None = None, patient_id: uuid.UUID | None = None) -> list[DoseDTO]:
        """Every dose of a clinic-local day (default today), across the clinic or for one patient.

        Built in Python by the ledger: right for one patient; the clinic's list (30,000 doses a day
        in a large clinic) is `doses_due_page`, which pages on the server."""
        actor.require(Capability.VIEW_MEDICATIONS, action="see doses")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            now = self._clock.now()
            day = day or local_day(now, zone)
            ids = [patient_id] if patient_id is not None else None
            entries = self._ledger(uow.session, actor, zone, day, day, patient_ids=ids)
            return [_dose(e, now, grace) for e in entries]

    def doses_due_page(
        self, actor: Actor, *, day: date | None = None, where: DoseFilter = DoseFilter(),
        after: DoseCursor | None = None, limit: int = PAGE_SIZE,
    ) -> DosePage:
        """One page of the clinic's doses of a local day (default today), in time then patient order.

        PostgreSQL expands the day's schedules, joins the log, filters, counts and pages
        (medication_dose_sql); `after` is the previous page's `next_cursor`."""
        actor.require(Capability.VIEW_MEDICATIONS, action="see doses")
        if limit < 1:
            raise ValueError("limit must be at least 1")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            now = self._clock.now()
            return dose_sql.due_page(uow.session, actor.clinic_id, zone=zone, grace=grace, now=now,
                                     day=day or local_day(now, zone), where=where, after=after, limit=limit)

    def dose_log(self, actor: Actor, patient_id: uuid.UUID, *, days: int = 14) -> list[DoseDTO]:
        """A patient's doses of the last `days` clinic-local days (today included), newest first."""
        actor.require(Capability.VIEW_MEDICATIONS, action="see doses")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            now = self._clock.now()
            today = local_day(now, zone)
            entries = self._ledger(uow.session, actor, zone, today - timedelta(days=days - 1), today, patient_ids=[patient_id])
            return [_dose(e, now, grace) for e in reversed(entries)]

    def adherence(self, actor: Actor, patient_id: uuid.UUID) -> AdherenceReport:
        """Adherence per medication and overall over 7/30/90 days, and a 14-day calendar strip."""
        actor.require(Capability.VIEW_MEDICATIONS, action="see adherence")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            now = self._clock.now()
            today = local_day(now, zone)
            entries = self._ledger(uow.session, actor, zone, today - timedelta(days=max(WINDOWS) - 1), today,
                                   patient_ids=[patient_id])
        by_med: dict[uuid.UUID, list[LedgerEntry]] = defaultdict(list)
        for entry in entries:
            by_med[entry.plan.id].append(entry)
        strip_days = tuple(today - timedelta(days=k) for k in range(STRIP_DAYS - 1, -1, -1))

        def windows(items: list[LedgerEntry]) -> dict[int, AdherenceFigure]:
            return {n: adherence(_since(items, today - timedelta(days=n - 1), zone), now, grace) for n in WINDOWS}

        meds = tuple(
            MedicationAdherence(mid, items[0].plan.summary, windows(items)) for mid, items in by_med.items()
        )
        strip = {mid: tuple(day_marks(items, list(strip_days), zone, now, grace).values()) for mid, items in by_med.items()}
        return AdherenceReport(patient_id, windows(entries), meds, strip_days, strip)

    def adherence_for_patients(self, actor: Actor, patient_ids: Iterable[uuid.UUID], days: int) -> dict[uuid.UUID, AdherenceFigure]:
        """Overall adherence over the last `days` for each patient, in one query (the review worklist)."""
        actor.require(Capability.VIEW_MEDICATIONS, action="see adherence")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            return dose_sql.recent_adherence(uow.session, actor.clinic_id, patient_ids, days=days,
                                             now=self._clock.now())

    def dose_markers(self, actor: Actor, patient_id: uuid.UUID, start: datetime, end: datetime) -> list[ChartMarker]:
        """Taken doses in [start, end) as markers for the glucose trend chart."""
        actor.require(Capability.VIEW_MEDICATIONS, action="see doses")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            entries = self._ledger(uow.session, actor, zone, local_day(start, zone), local_day(end, zone),
                                   patient_ids=[patient_id])
        markers = []
        for e in entries:
            if e.log is not None and e.status in TAKEN and start <= (e.log.taken_at or e.scheduled_at) < end:
                late = " (late)" if e.status.value == "taken_late" else ""
                markers.append(ChartMarker(at=e.log.taken_at or e.scheduled_at, kind="dose", label=e.plan.summary + late))
        return sorted(markers, key=lambda m: m.at)

    def glucose_vs_adherence(self, actor: Actor, patient_id: uuid.UUID, *, days: int = 30) -> GlucoseAdherenceComparison:
        """Mean glucose on days with every dose taken vs days with a dose not taken (last `days`)."""
        actor.require(Capability.VIEW_MEDICATIONS, action="see adherence")
        with self._db.unit_of_work(actor, read_only=True) as uow:
            zone, grace = q.clinic_settings(uow.session, actor.clinic_id)
            now = self._clock.now()
            today = local_day(now, zone)
            first = today - timedelta(days=days - 1)
            entries = self._ledger(uow.session, actor, zone, first, today, patient_ids=[patient_id])
            means = q.daily_glucose_means(uow.session, patient_id, zone, local_midnight(first, zone),
                                          local_midnight(today + timedelta(days=1), zone))
        full, missed = full_adherence_days(entries, zone, now, grace)
        full_means = [means[d] for d in full if d in means]
        missed_means = [means[d] for d in missed if d in means]
        return GlucoseAdherenceComparison(
            days=days, full_adherence_days=len(full_means), missed_days=len(missed_means),
            full_adherence_mean_mgdl=sum(full_means) / len(full_means) if full_means else None,
            missed_mean_mgdl=sum(missed_means) / len(missed_means) if missed_means else None,
        )


def _since(entries: list[LedgerEntry], first_day: date, zone) -> list[LedgerEntry]:  # noqa: ANN001
    start = local_midnight(first_day, zone)
    return [e for e in entries if e.scheduled_at >= start]


def _dose(entry: LedgerEntry, now: datetime, grace: timedelta) -> DoseDTO:
    plan, log = entry.plan, entry.log
    if log is None:  # positional: this runs ~30,000 times for the clinic-wide list
        return DoseDTO(plan.id, plan.patient_id, plan.patient_name, plan.summary, entry.scheduled_at, DoseStatus.PENDING,
                       None, None, None, None, None, entry.scheduled_at + grace <= now)
    return DoseDTO(plan.id, plan.patient_id, plan.patient_name, plan.summary, entry.scheduled_at, log.status,
                   log.taken_at, log.reason, log.recorded_by_name, log.id, log.version, False)
