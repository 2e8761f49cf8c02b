"""ORM models of the whole domain, one module per area, all on one metadata.

Importing this package registers every table on `clinic_desktop.db.base.metadata`.
"""

from .clinic import AuditEvent, Clinic, StaffAccount
from .patient import Caregiver, DoctorProfile, Patient, PatientCaregiver, PatientDoctor, PatientNameKey
from .appointment import Appointment, AppointmentSeries
from .appointment import AppointmentStatusChange
from .working_hours import ClinicClosedDay, DoctorWorkingHours
from .medication import Medication, MedicationDoseLog, MedicationPause
from .glucose import EmergencyEvent, GlucoseReading, PatientReview
from .security import ClientRequest

__all__ = [
    "Appointment",
    "AppointmentSeries",
    "AppointmentStatusChange",
    "ClinicClosedDay",
    "DoctorWorkingHours",
    "AuditEvent",
    "Caregiver",
    "ClientRequest",
    "Clinic",
    "DoctorProfile",
    "EmergencyEvent",
    "GlucoseReading",
    "Medication",
    "MedicationDoseLog",
    "MedicationPause",
    "Patient",
    "PatientCaregiver",
    "PatientDoctor",
    "PatientNameKey",
    "PatientReview",
    "StaffAccount",
]
