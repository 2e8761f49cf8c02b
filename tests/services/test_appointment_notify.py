"""Cross-workstation delivery: a booking is announced with NOTIFY on commit (and only then), so
the other workstations' change bus refreshes their calendars within a second."""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from clinic_desktop.db.unit_of_work import CHANGE_CHANNEL
from clinic_desktop.domain.enums import AppointmentReason
from clinic_desktop.domain.errors import ValidationError
from clinic_desktop.services.appointment_service import AppointmentService

from .appointment_support import add_patient, at, future_monday


def test_booking_is_announced_to_other_workstations_within_a_second(database, clinic):
    url = database.engine.url.set(drivername="postgresql")
    listener = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    try:
        listener.execute(f"LISTEN {CHANGE_CHANNEL}")
        service = AppointmentService(database)
        patient = add_patient(database, clinic)
        with pytest.raises(ValidationError):  # refused: nothing is announced
            service.book(clinic.receptionist, patient_id=patient, doctor_id=clinic.doctor.doctor_id,
                         starts_at=at(future_monday(), 9), duration_minutes=0, reason=AppointmentReason.ROUTINE)
        booked_at = time.monotonic()
        appt = service.book(clinic.receptionist, patient_id=patient, doctor_id=clinic.doctor.doctor_id,
                            starts_at=at(future_monday(), 9), duration_minutes=30, reason=AppointmentReason.ROUTINE)
        payloads = []
        for note in listener.notifies(timeout=1.0):
            payloads.append(json.loads(note.payload))
            if any("appointment" in p["changed"] for p in payloads):
                break
        assert time.monotonic() - booked_at < 1.5
        mine = [p for p in payloads if "appointment" in p["changed"]]
        assert len(mine) == 1 and mine[0]["changed"]["appointment"] == [str(appt.id)]
        assert mine[0]["clinic"] == str(clinic.clinic_id)
    finally:
        listener.close()
