"""The text rule on every service input that is not a whole form: reasons, notes, names, relationships.

Each refusal is a ValidationError naming the field, and nothing changes on the server.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from clinic_desktop.db.models import Appointment, DoctorProfile, Medication, MedicationDoseLog, Patient, StaffAccount
from clinic_desktop.domain.enums import AppointmentReason, AppointmentStatus, DoseStatus, Role
from clinic_desktop.domain.errors import UnstorableValue, ValidationError
from clinic_desktop.services.appointment_service import AppointmentService
from clinic_desktop.services.medication_service import MedicationService
from clinic_desktop.services.patient_service import PatientService
from clinic_desktop.services.staff_service import StaffService
from tests.services.appointment_support import add_patient, at, future_monday
from tests.services.medication_support import at_local, today, twice_daily
from tests.services.patient_support import register


def refused_field(call) -> str:  # noqa: ANN001
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.problems[0].field


def stored(database, column, where):  # noqa: ANN001, ANN201
    with database.engine.connect() as conn:
        return conn.scalar(select(column).where(where))


def test_appointment_cancel_reasons_and_status_notes(database, clinic):
    service = AppointmentService(database)
    appt = service.book(clinic.receptionist, patient_id=add_patient(database, clinic), doctor_id=clinic.doctor.doctor_id,
                        starts_at=at(future_monday(), 10), duration_minutes=30, reason=AppointmentReason.ROUTINE)
    assert refused_field(lambda: service.cancel(clinic.receptionist, appt.id, expected_version=appt.version,
                                                reason="no\u202e show")) == "cancel_reason"
    assert refused_field(lambda: service.change_status(clinic.receptionist, appt.id, expected_version=appt.version,
                                                       status=AppointmentStatus.CONFIRMED, note="ok\x00")) == "note"
    assert refused_field(lambda: service.book(
        clinic.receptionist, patient_id=appt.patient_id, doctor_id=clinic.doctor.doctor_id,
        starts_at=at(future_monday(), 11), duration_minutes=30, reason=AppointmentReason.ROUTINE,
        notes="fasting\u200b")) == "notes"
    assert stored(database, Appointment.status, Appointment.id == appt.id) == AppointmentStatus.REQUESTED


def test_closed_day_labels(database, clinic):
    service = AppointmentService(database)  # closed days are among its schedule settings
    assert refused_field(lambda: service.set_closed_day(clinic.admin, day=future_monday(), label="Holi\u200bday")) == "label"
    assert service.closed_days(clinic.admin, first=future_monday(), last=future_monday()) == ()


def test_prescription_and_dose_reasons(database, clinic):
    service = MedicationService(database)
    patient = add_patient(database, clinic)
    med = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily())
    for call in (lambda: service.pause(clinic.doctor, medication_id=med.id, expected_version=med.version, reason="\u2066x"),
                 lambda: service.discontinue(clinic.doctor, medication_id=med.id, expected_version=med.version,
                                             reason="side effects\x1b"),
                 lambda: service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=at_local(today() - timedelta(days=1), 8),
                                             status=DoseStatus.SKIPPED, reason="\ufeffasleep")):
        assert refused_field(call) == "reason"
    assert refused_field(lambda: service.prescribe(clinic.doctor, patient_id=patient, confirm_duplicate=True,
                                                   data=twice_daily(drug="Insu\u202elin"))) == "drug_name"
    assert stored(database, Medication.state, Medication.id == med.id).value == "active"
    assert stored(database, MedicationDoseLog.id, MedicationDoseLog.medication_id == med.id) is None


def test_staff_names_are_refused_or_stored_nfc(database, clinic):
    service = StaffService(database)
    assert refused_field(lambda: service.create_account(clinic.admin, username="evil1", full_name="Dr \u202eevil",
                                                        role=Role.NURSE, password="a-long-Passphrase-9")) == "full_name"
    assert refused_field(lambda: service.create_account(clinic.admin, username="evil2", full_name="Dr Ok",
                                                        role=Role.DOCTOR, password="a-long-Passphrase-9",
                                                        specialty="Endo\x00")) == "specialty"
    created = service.create_account(clinic.admin, username=f"z{uuid.uuid4().hex[:6]}", full_name=" Zoe\u0308   Roth ",
                                     role=Role.DOCTOR, password="a-long-Passphrase-9")
    assert created.full_name == "Zoë Roth"
    with database.engine.connect() as conn:
        assert conn.scalar(select(DoctorProfile.display_name).where(DoctorProfile.id == created.doctor_id)) == "Zoë Roth"
        assert conn.scalar(select(StaffAccount.id).where(StaffAccount.username.in_(["evil1", "evil2"]))) is None


def test_patient_updates_and_caregivers(database, clinic):
    service = PatientService(database)
    record = register(service, clinic.doctor)
    assert refused_field(lambda: service.update(clinic.doctor, record.id, data={"address": "Weg 1\x00"},
                                                expected_version=record.version)) == "address"
    assert refused_field(lambda: service.link_caregiver(clinic.doctor, record.id, given_name="Lars",
                                                        family_name="Lind", relationship="mo\u200bther")) == "relationship"
    assert refused_field(lambda: service.link_caregiver(clinic.doctor, record.id, given_name="La\u2067rs",
                                                        family_name="Lind")) == "given_name"
    assert stored(database, Patient.version, Patient.id == record.id) == record.version


def test_a_value_the_server_refuses_is_an_unstorable_value(database, clinic):
    """Whatever slips past validation: the driver's DataError becomes a sentence, inside any unit of work."""
    with pytest.raises(UnstorableValue) as caught:
        with database.unit_of_work(clinic.doctor) as uow:
            uow.session.execute(text("SELECT CAST(:v AS text)"), {"v": "a\x00b"})
    assert "could not be stored" in caught.value.message
