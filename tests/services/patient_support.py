"""Helpers for the patient tests: register patients through the real service."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from clinic_desktop.services.patient_service import PatientService

_counter = itertools.count(1)


def patient_data(**overrides: Any) -> dict[str, Any]:
    """Valid registration data (a unique MRN each call) with `overrides` applied."""
    n = next(_counter)
    data: dict[str, Any] = {
        "mrn": f"T{n:06d}",
        "given_name": "Anna",
        "family_name": "Schmidt",
        "date_of_birth": date(1980, 4, 23),
        "sex": "female",
        "phone": "+49 30 1234567",
        "email": "anna@example.org",
    }
    data.update(overrides)
    return data


def register(service: PatientService, actor, **overrides: Any):  # noqa: ANN001, ANN201
    return service.create(actor, data=patient_data(**overrides))


def seed_summary_patient(database, service: PatientService, clinic, *, medications: int = 3,  # noqa: ANN001, ANN201
                         readings: bool = True, appointments: int = 2):
    """A doctor's patient with everything the one-page summary shows: care team, prescriptions,
    14 days of CGM readings and upcoming appointments."""
    from datetime import UTC, datetime, timedelta

    from clinic_desktop.db.models import Appointment
    from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus
    from clinic_desktop.services.medication_service import MedicationService

    from .glucose_helpers import daily_pattern, seed_trace
    from .medication_support import twice_daily

    doctor = clinic.doctor
    record = register(service, doctor, given_name="Greta", family_name="Lindqvist", mrn="SUM-0042",
                      diabetes_type="type_1", diagnosed_on=date(2001, 6, 1), last_hba1c="8.1",
                      last_hba1c_on=date(2026, 10, 2), target_hba1c="7.0",
                      responsible_doctor_id=doctor.doctor_id, address="Lindenallee 4\n10115 Berlin")
    service.link_caregiver(doctor, record.id, given_name="Lars", family_name="Lindqvist", phone="+49 30 7654321",
                           relationship="husband", permissions=("view", "record_doses"))
    meds = MedicationService(database)
    for i in range(medications):
        meds.prescribe(doctor, patient_id=record.id, data=twice_daily(f"Drug{chr(65 + i % 26)}{'x' * (i // 26)}"))
    if readings:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        seed_trace(database, clinic.clinic_id, record.id, now - timedelta(days=13, hours=23), daily_pattern(14)[:-12])
    with database.unit_of_work(doctor) as uow:
        for i in range(appointments):
            starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=7 * (i + 1))
            uow.session.add(Appointment(clinic_id=clinic.clinic_id, patient_id=record.id, doctor_id=doctor.doctor_id,
                                        starts_at=starts, ends_at=starts + timedelta(minutes=20),
                                        reason=AppointmentReason.FOLLOW_UP, status=AppointmentStatus.CONFIRMED))
    return record
