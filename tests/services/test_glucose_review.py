"""Alerts (resolve/escalate, audited, versioned) and the doctor's review worklist on a real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from clinic_desktop.db.models import DoctorProfile, StaffAccount
from clinic_desktop.domain.actor import Actor
from clinic_desktop.domain.enums import DoseStatus, EmergencyKind, EmergencyState, GlucoseUnit, ReadingContext, Role
from clinic_desktop.domain.errors import DomainError, PermissionDenied, StaleRecord
from clinic_desktop.services.glucose_service import GlucoseService

from ..conftest import cached_password_hash
from .glucose_helpers import daily_pattern, make_patient, seed_trace, utc_now_minute


@pytest.fixture
def service(database):
    return GlucoseService(database)


def second_doctor(database, clinic) -> Actor:
    with database.unit_of_work(clinic.admin) as uow:
        account = StaffAccount(clinic_id=clinic.clinic_id, username=f"dr2_{clinic.clinic_id.hex[:6]}", full_name="Dr Two",
                               role=Role.DOCTOR, password_hash=cached_password_hash())
        uow.session.add(account)
        uow.session.flush()
        profile = DoctorProfile(clinic_id=clinic.clinic_id, staff_id=account.id, display_name="Dr Two")
        uow.session.add(profile)
        uow.session.flush()
        return Actor(account.id, clinic.clinic_id, Role.DOCTOR, account.username, "Dr Two", profile.id)


def test_manual_lows_open_one_event_then_resolve_and_escalate_audited(database, service, clinic):
    patient = make_patient(database, clinic.doctor)
    now = utc_now_minute()
    for minutes, value in ((30, 50), (25, 46), (20, 52)):  # one episode, three readings
        service.add_manual_reading(clinic.nurse, patient, recorded_at=now - timedelta(minutes=minutes), value=value,
                                   unit=GlucoseUnit.MG_DL, context=ReadingContext.RANDOM)
    events = service.active_events(clinic.doctor, patient)
    assert len(events) == 1 and events[0].kind == EmergencyKind.HYPO and events[0].extreme_mgdl == 46.0
    event = events[0]
    with pytest.raises(PermissionDenied):
        service.active_events(clinic.receptionist)
    with pytest.raises(PermissionDenied):
        service.resolve_event(clinic.admin, event.id, expected_version=event.version, note=None)
    escalated = service.escalate_event(clinic.nurse, event.id, expected_version=event.version, note="called GP")
    assert escalated.state == EmergencyState.ESCALATED and escalated.version == event.version + 1
    with pytest.raises(StaleRecord) as stale:
        service.resolve_event(clinic.doctor, event.id, expected_version=event.version, note=None)
    assert stale.value.theirs.state == EmergencyState.ESCALATED
    resolved = service.resolve_event(clinic.doctor, event.id, expected_version=escalated.version, note="eaten, 110 now")
    assert resolved.state == EmergencyState.RESOLVED
    with pytest.raises(DomainError, match="already resolved"):
        service.escalate_event(clinic.doctor, event.id, expected_version=resolved.version, note=None)
    assert service.active_events(clinic.doctor, patient) == []
    with database.engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_event WHERE entity = 'emergency_event' AND entity_id = :e "
                                    "ORDER BY occurred_at"), {"e": event.id}).scalars().all()
    assert actions == ["open", "escalate", "resolve"]


def test_thresholds_are_configurable_per_clinic(database, service, clinic):
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE clinic SET hyper_threshold_mgdl = 300 WHERE id = :c"), {"c": clinic.clinic_id})
    patient = make_patient(database, clinic.doctor)
    service.add_manual_reading(clinic.nurse, patient, recorded_at=utc_now_minute() - timedelta(minutes=5), value=280,
                               unit=GlucoseUnit.MG_DL, context=ReadingContext.AFTER_LUNCH)
    assert service.active_events(clinic.doctor, patient) == []
    service.add_manual_reading(clinic.nurse, patient, recorded_at=utc_now_minute() - timedelta(minutes=1), value=320,
                               unit=GlucoseUnit.MG_DL, context=ReadingContext.AFTER_LUNCH)
    assert [e.kind for e in service.active_events(clinic.doctor, patient)] == [EmergencyKind.HYPER]


def test_worklist_ranks_patients_needing_attention_and_marks_reviewed(database, service, clinic):
    other_doctor = second_doctor(database, clinic)
    start = utc_now_minute() - timedelta(days=14)
    steady = make_patient(database, clinic.doctor, family="Steady", doctor_id=clinic.doctor.doctor_id)
    lows = make_patient(database, clinic.doctor, family="Lows", doctor_id=clinic.doctor.doctor_id)
    unassigned = make_patient(database, clinic.doctor, family="Nobody")
    theirs = make_patient(database, clinic.doctor, family="Theirs", doctor_id=other_doctor.doctor_id)
    fingersticks_only = make_patient(database, clinic.doctor, family="Sticks", doctor_id=clinic.doctor.doctor_id)
    flat = daily_pattern(14) * 0 + 120.0
    seed_trace(database, clinic.clinic_id, steady, start, flat)
    low_trace = daily_pattern(14)
    low_trace[::20] = 50.0  # 5 % below 54
    seed_trace(database, clinic.clinic_id, lows, start, low_trace)
    seed_trace(database, clinic.clinic_id, unassigned, start, flat)
    seed_trace(database, clinic.clinic_id, theirs, start, low_trace)
    rows = service.review_worklist(clinic.doctor)
    names = [r.patient_name for r in rows]
    assert names[0] == "Lows, Sam" and set(names) == {"Lows, Sam", "Steady, Sam", "Nobody, Sam"}
    top = rows[0]
    assert top.tbr54_percent == pytest.approx(5.0, abs=0.05) and "TBR <54 over 1 %" in top.reasons
    assert rows[-1].reasons == () and rows[-1].tir_percent == 100.0 and rows[-1].cv_percent == pytest.approx(0, abs=1e-3)
    assert top.last_reading_at is not None and top.last_reviewed_at is None
    assert fingersticks_only not in {r.patient_id for r in rows}
    assert {r.patient_name for r in service.review_worklist(other_doctor)} == {"Theirs, Sam", "Nobody, Sam"}
    assert len(service.review_worklist(clinic.nurse)) == 4
    with pytest.raises(PermissionDenied):
        service.review_worklist(clinic.receptionist)
    with pytest.raises(PermissionDenied):
        service.mark_reviewed(clinic.nurse, lows)
    before = {r.patient_id: r.priority for r in rows}
    service.mark_reviewed(clinic.doctor, lows)
    after = {r.patient_id: r for r in service.review_worklist(clinic.doctor)}
    assert after[lows].last_reviewed_at is not None and after[lows].priority < before[lows]


def test_worklist_shows_30_day_adherence_for_all_rows_in_one_query(database, service, clinic):
    from sqlalchemy import event

    from clinic_desktop.services.medication_service import MedicationService

    from .medication_support import at_local, today, twice_daily

    meds = MedicationService(database)
    start = utc_now_minute() - timedelta(days=3)
    names = ("Keeps", "Forgets", "Nomeds")
    ids = {n: make_patient(database, clinic.doctor, family=n, doctor_id=clinic.doctor.doctor_id) for n in names}
    for pid in ids.values():
        seed_trace(database, clinic.clinic_id, pid, start, daily_pattern(3) * 0 + 120.0)
    for family in ("Keeps", "Forgets"):
        med = meds.prescribe(clinic.doctor, patient_id=ids[family], data=twice_daily(start=today() - timedelta(days=5)))
        for days_ago in range(1, 6):
            for hour in (8, 20):
                taken = family == "Keeps" or (days_ago, hour) == (1, 8)
                meds.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=at_local(today() - timedelta(days=days_ago), hour),
                                 status=DoseStatus.TAKEN if taken else DoseStatus.MISSED)
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(database.engine, "before_cursor_execute", listen)
    try:
        rows = {r.patient_name.split(",")[0]: r for r in service.review_worklist(clinic.doctor)}
    finally:
        event.remove(database.engine, "before_cursor_execute", listen)
    assert rows["Keeps"].adherence_30d == meds.adherence(clinic.doctor, ids["Keeps"]).overall[30]
    assert rows["Forgets"].adherence_30d == meds.adherence(clinic.doctor, ids["Forgets"]).overall[30]
    assert rows["Keeps"].adherence_30d.needs_attention is False and rows["Forgets"].adherence_30d.needs_attention
    assert rows["Forgets"].adherence_30d.missed == 9
    assert rows["Nomeds"].adherence_30d.scheduled == 0 and rows["Nomeds"].adherence_30d.percent is None
    assert sum("sched AS" in s for s in statements) == 1  # every listed patient in one query, not one per row
    nurse_rows = {r.patient_id: r for r in service.review_worklist(clinic.nurse)}
    assert nurse_rows[ids["Forgets"]].adherence_30d == rows["Forgets"].adherence_30d
    with pytest.raises(PermissionDenied):  # reception sees neither the worklist nor adherence
        service.review_worklist(clinic.receptionist)
