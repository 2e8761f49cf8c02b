"""Helpers for the appointment tests: patients, extra doctors and clinic-local times."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic_desktop.db.models import DoctorProfile, Patient, StaffAccount
from clinic_desktop.domain.enums import Role

BERLIN = ZoneInfo("Europe/Berlin")


def add_patient(database, clinic, *, given="Ada", family="Lovelace", archived=False) -> uuid.UUID:  # noqa: ANN001
    with database.unit_of_work(clinic.admin) as uow:
        p = Patient(clinic_id=clinic.clinic_id, mrn=f"A{uuid.uuid4().hex[:8]}", given_name=given, family_name=family,
                    date_of_birth=date(1970, 1, 1))
        if archived:
            p.deleted_at = datetime.now(BERLIN)
        uow.session.add(p)
        uow.session.flush()
        return p.id


def add_doctor(database, clinic, *, name="Dr Second", active=True) -> uuid.UUID:  # noqa: ANN001
    from tests.conftest import cached_password_hash

    with database.unit_of_work(clinic.admin) as uow:
        account = StaffAccount(clinic_id=clinic.clinic_id, username=f"doc_{uuid.uuid4().hex[:8]}", full_name=name,
                               role=Role.DOCTOR, password_hash=cached_password_hash())
        uow.session.add(account)
        uow.session.flush()
        profile = DoctorProfile(clinic_id=clinic.clinic_id, staff_id=account.id, display_name=name, active=active)
        uow.session.add(profile)
        uow.session.flush()
        return profile.id


def future_monday(weeks_ahead: int = 2) -> date:
    """A Monday at least `weeks_ahead` weeks from today (inside the default working week)."""
    today = datetime.now(BERLIN).date()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7) + timedelta(weeks=weeks_ahead)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """Clinic-local wall-clock time as an aware datetime."""
    return datetime.combine(day, time(hh, mm), BERLIN)
