"""Adherence: 7/30/90-day figures counting only doses due while active, calendar strip, worklist batch,
dose markers for the glucose chart, and mean glucose on full-adherence vs missed-dose days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clinic_desktop.db.models import GlucoseReading
from clinic_desktop.domain.enums import DoseStatus, ReadingSource, Role
from clinic_desktop.domain.errors import PermissionDenied
from clinic_desktop.services.medication_dto import DayMark
from clinic_desktop.services.medication_service import MedicationService

from .medication_support import add_patient, at_local, today, twice_daily

GRACE = timedelta(minutes=60)


@pytest.fixture
def service(database):
    return MedicationService(database)


def _due_today() -> int:
    now = datetime.now(UTC)
    return sum(1 for h in (8, 20) if at_local(today(), h) + GRACE <= now)


def _record_week(service, nurse, med_id):
    """Days -6..-4 all taken; -3 evening missed; -2 nothing recorded; -1 morning late, evening skipped."""
    def rec(days_ago, hour, status, **kw):
        at = at_local(today() - timedelta(days=days_ago), hour)
        if status is DoseStatus.TAKEN:
            kw.setdefault("taken_at", at + timedelta(minutes=5))
        service.record_dose(nurse, medication_id=med_id, scheduled_at=at, status=status, **kw)

    for d in (6, 5, 4):
        rec(d, 8, DoseStatus.TAKEN)
        rec(d, 20, DoseStatus.TAKEN)
    rec(3, 8, DoseStatus.TAKEN)
    rec(3, 20, DoseStatus.MISSED)
    rec(1, 8, DoseStatus.TAKEN, taken_at=at_local(today() - timedelta(days=1), 10))
    rec(1, 20, DoseStatus.SKIPPED, reason="vomiting")


def test_adherence_windows_and_strip(service, database, clinic):
    patient = add_patient(database, clinic.admin)
    med = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily(start=today() - timedelta(days=10)))
    _record_week(service, clinic.nurse, med.id)
    report = service.adherence(clinic.doctor, patient)
    week, month = report.overall[7], report.overall[30]
    assert (week.scheduled, week.taken, week.taken_late, week.missed, week.skipped, week.not_recorded) == (
        12 + _due_today(), 7, 1, 1, 1, 2 + _due_today())
    assert week.percent == pytest.approx(100 * 8 / (12 + _due_today()))
    assert month.scheduled == 20 + _due_today()  # started 10 days ago (days -10..-1): nothing before counts
    assert report.overall[90] == month
    assert report.medications[0].by_days[7] == week
    marks = dict(zip(report.strip_days, report.strip[med.id]))
    d = lambda n: today() - timedelta(days=n)  # noqa: E731
    assert marks[d(6)] is DayMark.ALL_TAKEN and marks[d(3)] is DayMark.SOME_MISSED
    assert marks[d(2)] is DayMark.NONE_TAKEN and marks[d(1)] is DayMark.SOME_MISSED
    assert marks[d(13)] is DayMark.NOT_SCHEDULED


def test_dose_change_keeps_each_dose_on_one_prescription(service, database, clinic):
    patient = add_patient(database, clinic.admin)
    old = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily(start=today() - timedelta(days=3)))
    new = service.change_dose(clinic.doctor, medication_id=old.id, expected_version=old.version,
                              data=twice_daily(start=today(), dose="2 tablets"))
    doses = service.doses_due(clinic.nurse, patient_id=patient)
    assert sorted(d.scheduled_at for d in doses) == [at_local(today(), 8), at_local(today(), 20)]
    now = datetime.now(UTC)
    assert all((d.medication_id == old.id) == (d.scheduled_at < now) for d in doses)
    report = service.adherence(clinic.doctor, patient)
    by_med = {m.medication_id: m.by_days[7] for m in report.medications}
    assert by_med[old.id].scheduled == 6 + _due_today()  # days -3..-1 plus today's due before the change
    assert new.id not in by_med or by_med[new.id].scheduled == 0


def test_adherence_for_patients_batch(service, database, clinic):
    a = add_patient(database, clinic.admin)
    b = add_patient(database, clinic.admin, given="Bob")
    c = add_patient(database, clinic.admin, given="Cy")  # no prescriptions
    med = service.prescribe(clinic.doctor, patient_id=a, data=twice_daily(start=today() - timedelta(days=10)))
    service.prescribe(clinic.doctor, patient_id=b, data=twice_daily(start=today() - timedelta(days=1)))
    _record_week(service, clinic.nurse, med.id)
    figures = service.adherence_for_patients(clinic.doctor, [a, b, c], 7)
    assert figures[a] == service.adherence(clinic.doctor, a).overall[7]
    assert figures[b].scheduled == 2 + _due_today() and figures[b].percent == 0.0
    assert figures[c].scheduled == 0 and figures[c].percent is None
    with pytest.raises(PermissionDenied):
        service.adherence_for_patients(clinic.as_role(Role.RECEPTIONIST), [a], 7)


def test_dose_markers_for_the_glucose_chart(service, database, clinic):
    patient = add_patient(database, clinic.admin)
    med = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily(start=today() - timedelta(days=10)))
    _record_week(service, clinic.nurse, med.id)
    markers = service.dose_markers(clinic.doctor, patient, at_local(today() - timedelta(days=7), 0), datetime.now(UTC))
    assert len(markers) == 8 and all(m.kind == "dose" for m in markers)
    assert markers[0].at == at_local(today() - timedelta(days=6), 8) + timedelta(minutes=5)
    assert markers[-1].label == "Metformin 500 mg, 1 tablet (late)"


def test_mean_glucose_on_full_vs_missed_days(service, database, clinic):
    patient = add_patient(database, clinic.admin)
    med = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily(start=today() - timedelta(days=10)))
    _record_week(service, clinic.nurse, med.id)
    values = {6: (120.0, 140.0), 3: (200.0,), 2: (180.0,)}
    with database.unit_of_work(clinic.admin) as uow:
        for days_ago, vals in values.items():
            for i, v in enumerate(vals):
                uow.session.add(GlucoseReading(clinic_id=clinic.clinic_id, patient_id=patient, value_mgdl=v,
                                               source=ReadingSource.MANUAL,
                                               recorded_at=at_local(today() - timedelta(days=days_ago), 12 + i)))
    result = service.glucose_vs_adherence(clinic.doctor, patient, days=30)
    assert (result.full_adherence_days, result.missed_days) == (1, 2)
    assert result.full_adherence_mean_mgdl == pytest.approx(130.0)
    assert result.missed_mean_mgdl == pytest.approx(190.0)


def test_patient_header_shows_30_day_adherence_to_clinicians_only(service, database, clinic):
    from clinic_desktop.services.patient_service import PatientService

    records = PatientService(database)
    patient = add_patient(database, clinic.admin)
    without = add_patient(database, clinic.admin, given="Cy")
    med = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily(start=today() - timedelta(days=10)))
    _record_week(service, clinic.nurse, med.id)
    expected = service.adherence(clinic.doctor, patient).overall[30]
    assert expected.scheduled > 0 and expected.needs_attention  # 8 of 20+ taken
    for role in (Role.DOCTOR, Role.NURSE, Role.ADMIN):
        assert records.get(clinic.as_role(role), patient).header.adherence_30d == expected
    assert records.get(clinic.receptionist, patient).header.adherence_30d is None  # not computed for reception
    none_due = records.get(clinic.doctor, without).header.adherence_30d
    assert none_due.scheduled == 0 and none_due.percent is None and not none_due.needs_attention
