"""Helpers for the medication service tests: patients created directly (the patient service is another area)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic_desktop.db.database import Database
from clinic_desktop.db.models import Patient
from clinic_desktop.domain.actor import Actor
from clinic_desktop.domain.medication_schedule import Frequency
from clinic_desktop.services.medication_dto import PrescriptionInput

BERLIN = ZoneInfo("Europe/Berlin")  # the conftest clinic's zone


def add_patient(database: Database, actor: Actor, *, given: str = "Ada", family: str = "Lovelace") -> uuid.UUID:
    with database.unit_of_work(actor) as uow:
        patient = Patient(clinic_id=actor.clinic_id, mrn=uuid.uuid4().hex[:10], given_name=given, family_name=family,
                          date_of_birth=date(1970, 1, 1))
        uow.session.add(patient)
        uow.session.flush()
        return patient.id


def today() -> date:
    return datetime.now(BERLIN).date()


def at_local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=BERLIN).astimezone(UTC)


def twice_daily(drug: str = "Metformin", *, start: date | None = None, end: date | None = None, dose: str = "1 tablet") -> PrescriptionInput:
    return PrescriptionInput(drug_name=drug, strength="500 mg", dose=dose, form="tablet", route="oral",
                             frequency=Frequency.TWICE_DAILY, times=("08:00", "20:00"),
                             start_date=start or today() - timedelta(days=10), end_date=end)
