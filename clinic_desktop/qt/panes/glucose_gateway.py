"""The glucose panes' view of the services: one place that knows the service calls.

Every method here runs on a worker thread (through a pane's TaskRunner), never on the GUI
thread. It bundles the calls one screen needs (the overview of a window) and adapts the
patients service, when present, into simple patient choices.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...domain.enums import GlucoseUnit, ReadingContext
from ...domain.permissions import Capability
from ...services.glucose_dto import (
    AgpProfile,
    ChartMarker,
    DailyOverlay,
    EmergencyEventDTO,
    GlucoseMetrics,
    GlucoseSeries,
    ReadingDTO,
    WorklistRow,
)
from ..workers import TaskState


@dataclass(frozen=True)
class PatientChoice:
    """A patient the glucose pane can show."""

    id: uuid.UUID
    name: str
    mrn: str
    unit: GlucoseUnit

    @property
    def label(self) -> str:
        return f"{self.name} · MRN {self.mrn}"


@dataclass(frozen=True)
class GlucoseOverview:
    """Everything the pane shows for one patient and window, fetched in one background task."""

    series: GlucoseSeries
    agp: AgpProfile | None
    overlays: list[DailyOverlay]
    metrics: GlucoseMetrics | None
    markers: list[ChartMarker]


class GlucoseGateway:
    """Thin adapter over `services.glucose` (and `services.patients`) for one signed-in actor."""

    def __init__(self, services: Any, actor: Any) -> None:
        self._services = services
        self._actor = actor

    @property
    def glucose(self) -> Any:
        return self._services.glucose

    def can(self, capability: Capability) -> bool:
        """Whether the signed-in actor has `capability` (views hide what the services would refuse)."""
        return bool(self._actor.can(capability))

    # -- patients -----------------------------------------------------------------------------
    def search_patients(self, text: str, limit: int = 30) -> list[PatientChoice]:
        """By name or MRN, through the patients service if present, else among the worklist."""
        text = text.strip()
        patients = getattr(self._services, "patients", None)
        if patients is not None and hasattr(patients, "search"):
            found = patients.search(self._actor, text=text, limit=limit)
            rows = getattr(found, "rows", found)
            return [self._choice_from_patient(p) for p in rows][:limit]
        needle = text.casefold()
        rows = [r for r in self.worklist() if needle in r.patient_name.casefold() or needle in r.mrn.casefold()]
        return [PatientChoice(r.patient_id, r.patient_name, r.mrn, r.glucose_unit) for r in rows[:limit]]

    @staticmethod
    def _choice_from_patient(p: Any) -> PatientChoice:
        name = getattr(p, "display_name", None) or getattr(p, "full_name", None) or \
            f"{getattr(p, 'family_name', '')}, {getattr(p, 'given_name', '')}".strip(", ")
        unit = getattr(p, "glucose_unit", GlucoseUnit.MG_DL) or GlucoseUnit.MG_DL
        return PatientChoice(p.id, name, getattr(p, "mrn", ""), GlucoseUnit(unit))

    # -- charts and metrics -------------------------------------------------------------------
    def overview(self, state: TaskState, patient_id: uuid.UUID, start: datetime, end: datetime, pixels: int) -> GlucoseOverview:
        """Series at `pixels` width, AGP, daily overlays, metrics and markers for the window."""
        g = self.glucose
        series = g.chart_series(self._actor, patient_id, start=start, end=end, pixels=pixels)
        state.check_cancelled()
        metrics = g.metrics(self._actor, patient_id, start=start, end=end)
        state.check_cancelled()
        agp = g.agp(self._actor, patient_id, start=start, end=end)
        state.check_cancelled()
        overlays = list(g.daily_overlays(self._actor, patient_id, start=start, end=end))
        state.check_cancelled()
        return GlucoseOverview(series, agp, overlays, metrics, self.markers(patient_id, start, end))

    def series(self, patient_id: uuid.UUID, start: datetime, end: datetime, pixels: int) -> GlucoseSeries:
        return self.glucose.chart_series(self._actor, patient_id, start=start, end=end, pixels=pixels)

    def markers(self, patient_id: uuid.UUID, start: datetime, end: datetime) -> list[ChartMarker]:
        """Events from the glucose service plus dose markers from the medications service, if any."""
        found: list[ChartMarker] = []
        g = self.glucose
        if hasattr(g, "chart_markers"):
            found.extend(g.chart_markers(self._actor, patient_id, start=start, end=end))
        meds = getattr(self._services, "medications", None)
        if meds is not None and hasattr(meds, "dose_markers"):
            found.extend(meds.dose_markers(self._actor, patient_id, start=start, end=end))
        return sorted(found, key=lambda m: m.at)

    # -- readings and events ------------------------------------------------------------------
    def readings(self, patient_id: uuid.UUID, start: datetime, end: datetime) -> list[ReadingDTO]:
        return list(self.glucose.list_readings(self._actor, patient_id, start=start, end=end))

    def add_reading(self, patient_id: uuid.UUID, *, recorded_at: datetime, value: float, unit: GlucoseUnit,
                    context: ReadingContext | None, note: str | None) -> ReadingDTO:
        return self.glucose.add_manual_reading(
            self._actor, patient_id, recorded_at=recorded_at, value=value, unit=unit, context=context, note=note
        )

    def active_events(self, patient_id: uuid.UUID | None = None) -> list[EmergencyEventDTO]:
        return list(self.glucose.active_events(self._actor, patient_id=patient_id))

    def resolve_event(self, event: EmergencyEventDTO, note: str | None) -> EmergencyEventDTO:
        return self.glucose.resolve_event(self._actor, event.id, expected_version=event.version, note=note)

    def escalate_event(self, event: EmergencyEventDTO, note: str | None) -> EmergencyEventDTO:
        return self.glucose.escalate_event(self._actor, event.id, expected_version=event.version, note=note)

    # -- review worklist ----------------------------------------------------------------------
    def worklist(self) -> list[WorklistRow]:
        return list(self.glucose.review_worklist(self._actor))

    def mark_reviewed(self, patient_id: uuid.UUID) -> None:
        self.glucose.mark_reviewed(self._actor, patient_id)
