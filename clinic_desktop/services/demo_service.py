"""The demo clinic: invented staff, patients and glucose data, so a new user can try the app at once.

Made only in an empty database (the `--demo` profile's private cluster); it never touches a
database that already has a clinic. Staff accounts go through the normal services (password
policy, audit); the bulk of the readings is loaded with COPY inside one transaction per patient
batch. Every name is invented; no real person's data is in here.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine

from ..db.bulk import copy_via_staging
from ..db.database import Database
from ..db.models import Patient
from ..domain.cgm_simulation import (
    PROFILES,
    fingerstick_times,
    hba1c_from_mean,
    simulate_cgm,
)
from ..domain.clock import SYSTEM_CLOCK, Clock
from ..domain.demo_accounts import DEMO_PASSWORD, DEMO_STAFF, DEMO_USERS
from ..domain.enums import (
    AppointmentReason,
    AppointmentStatus,
    DiabetesType,
    GlucoseUnit,
    ManagementMode,
    ReadingSource,
    Role,
    Sex,
)
from .staff_service import StaffDTO, StaffService
from ..domain.changes import ChangeKind

_STAFF = tuple((username, name, Role(role)) for username, name, role in DEMO_STAFF)
_GIVEN = ("Amelia", "Jonas", "Leila", "Mateo", "Noor", "Oskar", "Priya", "Rafael", "Sanna", "Tomás", "Yara", "Zoë",
          "Björn", "Chloé", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Idris", "Jürgen", "Kaito", "Lucía", "Malik")
_FAMILY = ("Andersson", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann", "Ivanova", "Jansen",
           "Kowalski", "Lambert", "Müller", "Nakamura", "Olsen", "Petrov", "Quintero", "Rossi", "Schäfer", "Takahashi",
           "Ueda", "Vogel", "Wagner", "Yilmaz", "Zimmermann", "Öztürk", "Nguyen", "O'Brien")
Progress = Callable[[int, int, str], None]


class DemoService:
    """Fills an empty database with the demo clinic."""

    def __init__(self, database: Database, *, owner_engine: Engine | None = None, patients: int = 200,
                 cgm_patients: int = 40, cgm_days: int = 90, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        self._clock = clock
        # Setup runs with the owner's connection where there is one (the local cluster): plain COPY
        # is then allowed, ten times faster than the staging path that the workstation role needs.
        self._owner_engine = owner_engine
        self._deferred: tuple | None = None
        self._patients, self._cgm_patients, self._cgm_days = patients, cgm_patients, cgm_days

    def ensure_demo_clinic(self, *, progress: Progress | None = None, today: date | None = None,
                           defer_cgm: bool = False) -> bool:
        """Create the demo clinic unless a clinic exists; True when it was created now.

        With `defer_cgm`, the CGM traces (the bulk of the data) are left for `load_deferred_cgm`, so
        the app can let people sign in after a few seconds and fill the charts in the background.
        """
        staff = StaffService(self._db)
        if staff.has_any_clinic():
            self._resume_unfinished_cgm()
            return False
        report = progress or (lambda d, t, s: None)
        total = 4 + (0 if defer_cgm else self._cgm_patients)
        report(0, total, "Creating the demo clinic and its staff…")
        clinic, admin_dto = staff.create_first_clinic(clinic_name="Riverside Diabetes Centre (demo)",
                                                      timezone="Europe/Berlin", admin_username="admin",
                                                      admin_full_name="Alex Admin", admin_password=DEMO_PASSWORD)
        from ..domain.actor import Actor

        admin = Actor(staff_id=admin_dto.id, clinic_id=clinic.id, role=Role.ADMIN, username="admin",
                      full_name="Alex Admin")
        accounts = [staff.create_account(admin, username=u, full_name=n, role=r, password=DEMO_PASSWORD)
                    for u, n, r in _STAFF]
        doctors = [a for a in accounts if a.role == Role.DOCTOR]
        report(1, total, "Registering demo patients…")
        now = self._clock.now().replace(second=0, microsecond=0)
        patient_ids = self._add_patients(admin, doctors, today or now.astimezone(ZoneInfo(clinic.timezone)).date())
        report(2, total, "Booking the demo calendar and prescriptions…")
        self._add_fingersticks(admin, patient_ids[self._cgm_patients:], now)
        self._refresh_aggregates(admin, patient_ids[self._cgm_patients:], now - timedelta(days=31), now + timedelta(hours=1))
        self._add_appointments(admin, doctors, patient_ids, ZoneInfo(clinic.timezone), now)
        nurse = next(a for a in accounts if a.role == Role.NURSE)
        self._add_medications(admin, doctors, nurse, patient_ids[:80], ZoneInfo(clinic.timezone), now)
        self._deferred = (admin, patient_ids[: self._cgm_patients], now)
        if not defer_cgm:
            self.load_deferred_cgm(progress=lambda d, t, text: report(3 + d, total, text))
        report(total, total, "The demo clinic is ready.")
        return True

    @property
    def has_deferred_cgm(self) -> bool:
        return self._deferred is not None

    def _resume_unfinished_cgm(self) -> None:
        """A demo clinic whose CGM loading was interrupted (the app closed early) gets the rest later."""
        from sqlalchemy import text

        from ..db.unit_of_work import set_transaction_clinic
        from ..domain.actor import Actor

        with self._db.unit_of_work(None, read_only=True) as uow:
            found = uow.session.execute(text("SELECT staff_id, clinic_id FROM auth_find_staff('admin')")).first()
            if found is None:
                return
            set_transaction_clinic(uow.session, found.clinic_id)
            if not uow.session.scalar(text("SELECT name LIKE '%(demo)' FROM clinic WHERE id = :c"), {"c": found.clinic_id}):
                return
            rows = uow.session.execute(text(
                "SELECT p.id FROM patient p WHERE p.mrn <= :last AND NOT EXISTS "
                "(SELECT 1 FROM glucose_reading g WHERE g.patient_id = p.id) ORDER BY p.mrn"),
                {"last": f"D{self._cgm_patients:05d}"}).scalars().all()
        if rows:
            admin = Actor(staff_id=found.staff_id, clinic_id=found.clinic_id, role=Role.ADMIN, username="admin")
            self._deferred = (admin, list(rows), self._clock.now().replace(second=0, microsecond=0))

    def load_deferred_cgm(self, *, progress: Progress | None = None, stop: Callable[[], bool] | None = None) -> int:
        """Load the CGM traces left by `ensure_demo_clinic(defer_cgm=True)`; returns patients loaded."""
        if self._deferred is None:
            return 0
        admin, patient_ids, now = self._deferred
        self._deferred = None
        for index, patient_id in enumerate(patient_ids):
            if stop is not None and stop():
                break
            self._add_cgm(admin, patient_id, index, now)
            self._refresh_aggregates(admin, [patient_id], now - timedelta(days=self._cgm_days + 1), now + timedelta(hours=1))
            if progress:
                progress(index + 1, len(patient_ids), f"Loading demo CGM data ({index + 1} of {len(patient_ids)})…")
        else:
            return len(patient_ids)
        return index

    def _add_patients(self, admin, doctors: list[StaffDTO], today: date) -> list[uuid.UUID]:  # noqa: ANN001
        rng = random.Random(2026)
        ids = []
        with self._db.unit_of_work(admin) as uow:
            for number in range(self._patients):
                kind = rng.choices([DiabetesType.TYPE_1, DiabetesType.TYPE_2, DiabetesType.LADA, DiabetesType.GESTATIONAL],
                                   [35, 55, 5, 5])[0]
                age = rng.randint(8, 85) if kind != DiabetesType.GESTATIONAL else rng.randint(22, 42)
                born = today - timedelta(days=age * 365 + rng.randint(0, 364))
                diagnosed = born + timedelta(days=rng.randint(365 * max(1, age // 3), max(365 * max(1, age // 3) + 1, age * 365 - 30)))
                sex = Sex.FEMALE if kind == DiabetesType.GESTATIONAL else rng.choice([Sex.FEMALE, Sex.MALE])
                doctor = doctors[number % len(doctors)]
                hba1c = round(rng.uniform(5.8, 10.5), 1)
                patient = Patient(
                    id=uuid.uuid4(), clinic_id=admin.clinic_id, mrn=f"D{number + 1:05d}",
                    given_name=rng.choice(_GIVEN), family_name=rng.choice(_FAMILY), date_of_birth=born, sex=sex,
                    phone_e164=f"+4930{rng.randint(1000000, 9999999)}", diabetes_type=kind,
                    diagnosed_on=min(diagnosed, today), last_hba1c=hba1c,
                    last_hba1c_on=today - timedelta(days=rng.randint(10, 120)), target_hba1c=7.0 if age < 70 else 8.0,
                    glucose_unit=GlucoseUnit.MMOL_L if number % 3 == 0 else GlucoseUnit.MG_DL,
                    management_mode=ManagementMode.MDI if kind == DiabetesType.TYPE_1 else ManagementMode.ORAL,
                    responsible_doctor_id=doctor.doctor_id,
                )
                uow.session.add(patient)
                ids.append(patient.id)
            uow.session.flush()
            uow.audit("create", "demo_data", None, changes={"patients": len(ids)})
            uow.changed(ChangeKind.PATIENT, *ids)
        return ids

    def _add_appointments(self, admin, doctors: list[StaffDTO], patient_ids: list[uuid.UUID], zone: ZoneInfo,  # noqa: ANN001
                          now: datetime) -> None:
        """Weekday hours for each doctor, 30 days of past visits and 14 days ahead (disjoint patients per doctor)."""
        from ..db.models import Appointment
        from .appointment_dto import WorkingBlock
        from .appointment_service import AppointmentService

        calendar = AppointmentService(self._db, clock=self._clock)
        for doctor in doctors:
            calendar.set_working_hours(admin, doctor.doctor_id, [WorkingBlock(day, time(8, 0), time(16, 0))
                                                                 for day in range(1, 6)])
        rng = random.Random(11)
        today = now.astimezone(zone).date()
        with self._db.unit_of_work(admin) as uow:
            for number, doctor in enumerate(doctors):
                pool = patient_ids[number::len(doctors)]
                for offset in range(-30, 15):
                    day = today + timedelta(days=offset)
                    if day.isoweekday() > 5:
                        continue
                    for slot in range(14):  # 09:00–15:30 every 30 minutes
                        if rng.random() > 0.55:
                            continue
                        start = datetime.combine(day, time(9, 0), zone) + timedelta(minutes=30 * slot)
                        uow.session.add(Appointment(
                            clinic_id=admin.clinic_id, patient_id=rng.choice(pool), doctor_id=doctor.doctor_id,
                            starts_at=start, ends_at=start + timedelta(minutes=30),
                            reason=rng.choices(list(AppointmentReason), [55, 30, 12, 3])[0],
                            status=_demo_status(rng, start, now), checklist=["bring meter"] if rng.random() < 0.3 else None,
                        ))
                    uow.session.flush()
            uow.audit("create", "demo_data", None, changes={"appointments": "past 30 and next 14 days"})
            uow.changed(ChangeKind.APPOINTMENT)

    def _add_medications(self, admin, doctors: list[StaffDTO], nurse: StaffDTO, patient_ids: list[uuid.UUID],  # noqa: ANN001
                         zone: ZoneInfo, now: datetime) -> None:
        """Prescriptions started 45 days ago and their dose log (mostly taken, some late, missed or skipped)."""
        from ..db.models import Medication, MedicationDoseLog
        from ..domain.enums import DoseStatus, MedicationState

        rng = random.Random(5)
        plans = [("Metformin", "500 mg", "1 tablet", "tablet", "oral", "twice_daily", (time(8, 0), time(20, 0))),
                 ("Insulin glargine", "100 units/mL", "20 units", "injection", "subcutaneous", "once_daily", (time(22, 0),)),
                 ("Empagliflozin", "10 mg", "1 tablet", "tablet", "oral", "once_daily", (time(8, 0),)),
                 ("Atorvastatin", "20 mg", "1 tablet", "tablet", "oral", "once_daily", (time(21, 0),))]
        first_day = now.astimezone(zone).date() - timedelta(days=45)
        with self._db.unit_of_work(admin) as uow:
            for number, patient_id in enumerate(patient_ids):
                doctor = doctors[number % len(doctors)]
                for plan in rng.sample(plans, rng.choice([1, 1, 2, 3])):
                    drug, strength, dose, form, route, frequency, times = plan
                    med = Medication(id=uuid.uuid4(), clinic_id=admin.clinic_id, patient_id=patient_id, drug_name=drug,
                                     strength=strength, dose=dose, form=form, route=route, frequency=frequency,
                                     scheduled_times=list(times), start_date=first_day, prescriber_id=doctor.doctor_id,
                                     state=MedicationState.ACTIVE, effective_at=datetime.combine(first_day, time(0, 0), zone))
                    uow.session.add(med)
                    reliability = rng.uniform(0.75, 0.99)
                    for offset in range(46):
                        for at in times:
                            scheduled = datetime.combine(first_day + timedelta(days=offset), at, zone)
                            if scheduled > now - timedelta(hours=2) or rng.random() < 0.04:
                                continue  # not yet due, or never recorded (counts as missed once overdue)
                            roll = rng.random()
                            status = (DoseStatus.TAKEN if roll < reliability else DoseStatus.TAKEN_LATE if roll < reliability + 0.04
                                      else DoseStatus.SKIPPED if roll < reliability + 0.06 else DoseStatus.MISSED)
                            taken = scheduled + timedelta(minutes=rng.randint(0, 40) if status == DoseStatus.TAKEN else 95)
                            uow.session.add(MedicationDoseLog(
                                clinic_id=admin.clinic_id, medication_id=med.id, patient_id=patient_id, scheduled_at=scheduled,
                                status=status, taken_at=taken if status in (DoseStatus.TAKEN, DoseStatus.TAKEN_LATE) else None,
                                reason="felt unwell" if status == DoseStatus.SKIPPED else None, recorded_by=nurse.id))
                uow.session.flush()
            uow.audit("create", "demo_data", None, changes={"medications": len(patient_ids)})
            uow.changed(ChangeKind.MEDICATION)

    def _refresh_aggregates(self, admin, patient_ids: list[uuid.UUID], start: datetime, end: datetime) -> None:  # noqa: ANN001
        """Readings were bulk-loaded: bring the hourly/daily aggregates the charts read up to date."""
        from ..db.timeseries import backend_for

        backend = backend_for(self._db)
        with self._db.unit_of_work(admin) as uow:
            for patient_id in patient_ids:
                backend.after_write(uow.session, patient_id, start, end)
            uow.changed(ChangeKind.GLUCOSE_READING, *patient_ids)  # open charts and worklists refresh
        backend.after_commit(self._owner_engine or self._db.engine, start, end)

    def _copy_readings(self, admin, rows: list[tuple]) -> None:  # noqa: ANN001
        if self._owner_engine is not None:
            with self._owner_engine.begin() as conn:
                raw = conn.connection.driver_connection
                with raw.cursor() as cur, cur.copy(
                    "COPY glucose_internal.glucose_reading (id, clinic_id, patient_id, recorded_at, value_mgdl, source, flag) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        with self._db.unit_of_work(admin) as uow:
            copy_via_staging(uow.session, "glucose_reading",
                             ("id", "clinic_id", "patient_id", "recorded_at", "value_mgdl", "source", "flag"), rows)
            uow.changed(ChangeKind.GLUCOSE_READING, *{row[2] for row in rows})

    def _add_cgm(self, admin, patient_id: uuid.UUID, index: int, now: datetime) -> None:  # noqa: ANN001
        profile = list(PROFILES.values())[index % len(PROFILES)]
        start = now - timedelta(days=self._cgm_days)
        stamps, values = simulate_cgm(start, self._cgm_days, profile=profile, seed=index)
        if self._owner_engine is not None:
            self._copy_cgm_text(admin, patient_id, stamps, values)
            self._set_hba1c(admin, patient_id, float(np.mean(values)))
            return
        utc_stamps = stamps.astype("datetime64[us]").astype(datetime)
        rows = [
            (uuid.uuid4(), admin.clinic_id, patient_id, ts.replace(tzinfo=timezone.utc), float(v), ReadingSource.DEMO.value,
             "low" if v <= 40 else "high" if v >= 400 else "none")
            for ts, v in zip(utc_stamps, values)
        ]
        self._copy_readings(admin, rows)
        self._set_hba1c(admin, patient_id, float(np.mean(values)))

    def _copy_cgm_text(self, admin, patient_id: uuid.UUID, stamps: np.ndarray, values: np.ndarray) -> None:  # noqa: ANN001
        """One patient's trace as a single COPY text block (the owner's setup path; ids from the server)."""
        flags = np.where(values <= 40, "low", np.where(values >= 400, "high", "none"))
        prefix = f"{admin.clinic_id}\t{patient_id}\t"
        times = np.datetime_as_string(stamps, unit="s")
        block = "".join(f"{prefix}{t}+00\t{v:.0f}\tdemo\t{f}\n" for t, v, f in zip(times, values, flags))
        with self._owner_engine.begin() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(
                "COPY glucose_internal.glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source, flag) FROM STDIN"
            ) as copy:
                copy.write(block)

    def _set_hba1c(self, admin, patient_id: uuid.UUID, mean: float) -> None:  # noqa: ANN001
        with self._db.unit_of_work(admin) as uow:
            patient = uow.session.get(Patient, patient_id)
            patient.last_hba1c = hba1c_from_mean(mean)

    def _add_fingersticks(self, admin, patient_ids: list[uuid.UUID], now: datetime) -> None:  # noqa: ANN001
        rng = np.random.default_rng(7)
        rows = []
        for number, patient_id in enumerate(patient_ids):
            for when in fingerstick_times(now - timedelta(days=30), 30, per_day=2 + number % 3, seed=number):
                value = float(np.clip(round(rng.normal(150, 45)), 40, 400))
                rows.append((uuid.uuid4(), admin.clinic_id, patient_id, when, value, ReadingSource.DEMO.value, "none"))
        if rows:
            self._copy_readings(admin, rows)


def _demo_status(rng: random.Random, start: datetime, now: datetime) -> AppointmentStatus:
    if start + timedelta(minutes=30) <= now:
        return rng.choices([AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED],
                           [85, 8, 7])[0]
    if start <= now:
        return AppointmentStatus.CHECKED_IN
    if start.date() == now.date():
        return rng.choice([AppointmentStatus.CONFIRMED, AppointmentStatus.CHECKED_IN]) if start - now < timedelta(hours=1) \
            else AppointmentStatus.CONFIRMED
    return rng.choices([AppointmentStatus.CONFIRMED, AppointmentStatus.REQUESTED], [70, 30])[0]
