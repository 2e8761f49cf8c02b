"""Appointments through a workstation's login role (subject to row-level security): the new
tables are isolated per clinic and writable with the daily-work grants."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import text

from clinic_desktop.domain.enums import AppointmentReason
from clinic_desktop.services.appointment_dto import WorkingBlock
from clinic_desktop.services.appointment_service import AppointmentService
from tests.conftest import create_clinic_with_staff

from .appointment_support import add_patient, at, future_monday


def test_booking_and_views_under_row_level_security(database, app_role_database, clinic):
    service = AppointmentService(app_role_database)
    patient = add_patient(database, clinic)
    day = future_monday(2)
    service.set_working_hours(clinic.admin, clinic.doctor.doctor_id, [WorkingBlock(1, time(8), time(12))])
    service.set_closed_day(clinic.admin, day=day + timedelta(days=1), label="Inventory")
    appt = service.book(clinic.receptionist, patient_id=patient, doctor_id=clinic.doctor.doctor_id,
                        starts_at=at(day, 9), duration_minutes=30, reason=AppointmentReason.ROUTINE)
    assert [a.id for a in service.day_view(clinic.nurse, day).appointments] == [appt.id]
    other = create_clinic_with_staff(database, name="Elsewhere")
    view = service.day_view(other.receptionist, day)
    assert view.appointments == () and [d.id for d in view.doctors] == [other.doctor.doctor_id]
    assert len(service.working_hours(clinic.nurse, clinic.doctor.doctor_id)) == 1
    assert len(service.working_hours(other.admin, clinic.doctor.doctor_id)) == 5  # hidden: only the default week
    with app_role_database.unit_of_work(other.admin, read_only=True) as uow:
        for table in ("doctor_working_hours", "clinic_closed_day", "appointment_status_change", "appointment"):
            assert uow.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
