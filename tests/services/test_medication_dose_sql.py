"""The SQL expansion of dose schedules gives exactly the Python ledger's doses (the ledger is the definition).

Prescriptions of every frequency, start and end on the days looked at, a mid-day dose change, pauses
(closed and open), a discontinued and a deleted prescription, as-needed doses, logs inside and outside
the active windows; both DST change days of Europe/Berlin (and of Lord Howe Island, whose clock moves
by 30 minutes) and the days around them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic_desktop.db.models import Medication, MedicationDoseLog, MedicationPause
from clinic_desktop.domain.enums import DoseStatus, MedicationState
from clinic_desktop.domain.medication_schedule import clock_changes, dose_instant
from clinic_desktop.services import medication_dose_sql as dose_sql
from clinic_desktop.services import medication_queries as q
from clinic_desktop.services.medication_ledger import adherence
from clinic_desktop.services.medication_service import MedicationService
from tests.conftest import create_clinic_with_staff

from .medication_support import add_patient

YEAR = 2025
GRACE = timedelta(minutes=60)  # the test clinic's grace window

# (drug, frequency, times, every_n_hours, start, end)
SCHEDULES = [
    ("Atorvastatin", "once_daily", ["08:00"], None, date(YEAR, 1, 1), None),
    ("Metformin", "twice_daily", ["20:00", "08:00"], None, None, None),  # start and end: the change days
    ("Gliclazide", "three_times_daily", ["02:30", "13:00", "21:00"], None, date(YEAR, 1, 1), None),
    ("Amoxicillin", "every_n_hours", ["00:00"], 1, date(YEAR, 1, 1), None),  # hourly: a gap time meets 03:00
    ("Doxycycline", "every_n_hours", ["06:00"], 8, date(YEAR, 1, 1), None),
    ("Ciprofloxacin", "every_n_hours", ["02:30"], 12, date(YEAR, 1, 1), None),
    ("Levothyroxine", "custom", ["00:30", "01:45", "02:00", "02:15", "02:45", "02:59", "03:00", "23:59"], None,
     date(YEAR, 1, 1), None),
]


def _add(session, clinic_id, patient_id, drug, frequency, times, every_n, start, end, **extra) -> Medication:  # noqa: ANN001
    med = Medication(clinic_id=clinic_id, patient_id=patient_id, drug_name=drug, strength="10 mg", dose="1 tablet",
                     frequency=frequency, scheduled_times=[time.fromisoformat(t) for t in times], every_n_hours=every_n,
                     start_date=start, end_date=end, **extra)
    session.add(med)
    session.flush()
    return med


def _log(session, med: Medication, at: datetime, status: DoseStatus) -> None:  # noqa: ANN001
    session.add(MedicationDoseLog(clinic_id=med.clinic_id, medication_id=med.id, patient_id=med.patient_id,
                                  scheduled_at=at, status=status,
                                  taken_at=at + timedelta(minutes=5) if status is DoseStatus.TAKEN else None))


def _seed(database, clinic, zone: ZoneInfo) -> tuple[list[date], list[uuid.UUID]]:  # noqa: ANN001
    """Prescriptions around the year's clock changes; returns the days to compare and the patients."""
    changes = clock_changes(zone, date(YEAR, 1, 1), date(YEAR, 12, 31))
    spring, autumn = sorted(c.starts.date() for c in changes)
    days = sorted({d + timedelta(days=k) for d in (spring, autumn) for k in (-1, 0, 1)})
    ada = add_patient(database, clinic.admin, given="Ada", family="Lovelace")
    bob = add_patient(database, clinic.admin, given="Bob", family="Builder")
    local = lambda day, hh, mm=0: dose_instant(day, time(hh, mm), zone)  # noqa: E731
    cid = clinic.clinic_id
    with database.unit_of_work(clinic.admin) as uow:
        s = uow.session
        meds = []
        for drug, freq, times, every_n, start, end in SCHEDULES:
            start, end = (spring, autumn) if start is None else (start, end)
            meds.append(_add(s, cid, ada, drug, freq, times, every_n, start, end))
        prn = _add(s, cid, ada, "Glucose gel", "as_needed", [], None, date(YEAR, 1, 1), None)
        # a dose change at 12:00 on the autumn day: the old prescription counts until, the new from then
        old = _add(s, cid, bob, "Insulin glargine", "twice_daily", ["08:00", "20:00"], None, date(YEAR, 1, 1), None,
                   state=MedicationState.DISCONTINUED, ended_at=local(autumn, 12))
        new = _add(s, cid, bob, "Insulin glargine", "twice_daily", ["09:00", "21:00"], None, autumn, None,
                   replaces_id=old.id, effective_at=local(autumn, 12))
        _add(s, cid, bob, "Ramipril", "once_daily", ["07:00"], None, date(YEAR, 1, 1), spring + timedelta(days=1))
        stopped = _add(s, cid, bob, "Sitagliptin", "three_times_daily", ["07:00", "12:00", "18:00"], None,
                       date(YEAR, 1, 1), None, state=MedicationState.DISCONTINUED, ended_at=local(autumn - timedelta(days=1), 13))
        _add(s, cid, bob, "Deleted drug", "once_daily", ["08:00"], None, date(YEAR, 1, 1), None,
             deleted_at=datetime(YEAR, 1, 2, tzinfo=UTC))
        paused = _add(s, cid, bob, "Empagliflozin", "every_n_hours", ["01:00"], 4, date(YEAR, 1, 1), None)
        s.add(MedicationPause(clinic_id=cid, medication_id=paused.id, paused_at=local(spring, 10),
                              resumed_at=local(spring + timedelta(days=1), 9)))
        s.add(MedicationPause(clinic_id=cid, medication_id=paused.id, paused_at=local(autumn, 15), resumed_at=None))
        for day in days:  # logs: taken, missed, skipped; some outside any active window
            for med, hh, mm, status in ((meds[0], 8, 0, DoseStatus.TAKEN), (meds[2], 2, 30, DoseStatus.MISSED),
                                        (meds[3], 3, 0, DoseStatus.TAKEN), (meds[3], 2, 0, DoseStatus.SKIPPED),
                                        (old, 20, 0, DoseStatus.TAKEN), (new, 9, 0, DoseStatus.TAKEN_LATE),
                                        (paused, 13, 0, DoseStatus.TAKEN), (stopped, 18, 0, DoseStatus.MISSED)):
                at = local(day, hh, mm)
                if not any(isinstance(o, MedicationDoseLog) and o.medication_id == med.id and o.scheduled_at == at
                           for o in s.new):
                    _log(s, med, at, status)
            _log(s, prn, local(day, 16, 17), DoseStatus.TAKEN)
        _log(s, prn, local(days[-1] + timedelta(days=3), 10), DoseStatus.TAKEN)  # outside every range compared
        s.flush()
    return days, [ada, bob]


@pytest.fixture(params=["Europe/Berlin", "Australia/Lord_Howe"])
def seeded(request, database):  # noqa: ANN001
    clinic = create_clinic_with_staff(database, timezone=request.param)
    zone = ZoneInfo(request.param)
    days, patients = _seed(database, clinic, zone)
    return clinic, zone, days, patients


def _ledger_doses(service, database, actor, zone, first, last, patient_ids=None):  # noqa: ANN001, ANN202
    with database.unit_of_work(actor, read_only=True) as uow:
        entries = service._ledger(uow.session, actor, zone, first, last, patient_ids=patient_ids)
    return entries, sorted((e.plan.id, e.scheduled_at, e.log.id if e.log else None) for e in entries)


def _sql_doses(database, actor, zone, first, last, patient_ids=None):  # noqa: ANN001, ANN202
    with database.unit_of_work(actor, read_only=True) as uow:
        rows = dose_sql.scheduled_doses(uow.session, actor.clinic_id, zone, first, last, patient_ids=patient_ids)
    return sorted(rows)


def test_each_day_clinic_wide_matches_the_ledger(database, seeded):
    clinic, zone, days, _patients = seeded
    service = MedicationService(database)
    for day in days:
        entries, expected = _ledger_doses(service, database, clinic.nurse, zone, day, day)
        assert _sql_doses(database, clinic.nurse, zone, day, day) == expected, day
        assert len(expected) > 20
    # the cases the data is built for are really there: a dose counted once in the gap, the first
    # occurrence of a doubled time, both halves of the dose change
    spring, autumn = days[1], days[4]
    spring_entries, _ = _ledger_doses(service, database, clinic.nurse, zone, spring, spring)
    hourly = [e for e in spring_entries if e.plan.summary.startswith("Amoxicillin")]
    assert len(hourly) == 23 if zone.key == "Europe/Berlin" else len(hourly) == 24
    autumn_entries, _ = _ledger_doses(service, database, clinic.nurse, zone, autumn, autumn)
    insulin = sorted(e.scheduled_at.astimezone(zone).strftime("%H:%M") for e in autumn_entries
                     if e.plan.summary.startswith("Insulin"))
    assert insulin == ["08:00", "21:00"]


def test_ranges_per_patient_match_the_ledger(database, seeded):
    clinic, zone, days, patients = seeded
    service = MedicationService(database)
    for first, last in ((days[0], days[2]), (days[3], days[5]), (date(YEAR, 1, 1), days[-1] + timedelta(days=5))):
        for ids in ([patients[0]], [patients[1]], patients):
            _, expected = _ledger_doses(service, database, clinic.doctor, zone, first, last, patient_ids=ids)
            assert _sql_doses(database, clinic.doctor, zone, first, last, patient_ids=ids) == expected, (first, ids)


@pytest.mark.parametrize("hour", [1, 14])
def test_adherence_matches_the_ledger(database, seeded, hour):
    clinic, zone, days, patients = seeded
    service = MedicationService(database)
    now = dose_instant(days[4], time(hour, 30), zone)  # mid-way through the autumn change day
    first, last = days[0] - timedelta(days=200), days[4]
    with database.unit_of_work(clinic.doctor, read_only=True) as uow:
        _zone, grace = q.clinic_settings(uow.session, clinic.clinic_id)
        entries = service._ledger(uow.session, clinic.doctor, zone, first, last, patient_ids=patients)
        figures = dose_sql.adherence_by_patient(uow.session, clinic.clinic_id, patients, zone=zone, grace=grace,
                                                now=now, first_day=first, last_day=last)
    for pid in patients:
        expected = adherence([e for e in entries if e.plan.patient_id == pid], now, grace)
        assert figures[pid] == expected
        assert expected.scheduled > 100 and expected.taken > 0 and expected.not_recorded > 0


def test_due_page_gives_the_ledgers_doses_page_by_page(database, seeded):
    clinic, zone, days, _patients = seeded
    service = MedicationService(database)
    for day in days:
        expected = service.doses_due(clinic.nurse, day=day)
        pages, cursor = [], None
        while True:
            page = service.doses_due_page(clinic.nurse, day=day, after=cursor, limit=7)
            pages.append(page)
            cursor = page.next_cursor
            if cursor is None:
                break
        got = [d for p in pages for d in p.doses]
        assert sorted(got, key=_key) == sorted(expected, key=_key), day
        assert [d.scheduled_at for d in got] == sorted(d.scheduled_at for d in got)  # time order across pages
        assert len(pages) == -(-len(expected) // 7) and all(p.counts is None for p in pages[1:])
        counts = pages[0].counts
        assert counts.total == counts.matching == len(expected)
        assert counts.not_recorded == sum(1 for d in expected if d.log_id is None)


def _key(dose):  # noqa: ANN001, ANN202
    return dose.scheduled_at, dose.medication_id


def test_due_page_filters_match_the_same_filters_on_the_ledgers_list(database, clinic, clock):
    from clinic_desktop.domain.enums import Role
    from clinic_desktop.domain.errors import PermissionDenied
    from clinic_desktop.domain.medication_schedule import Frequency
    from clinic_desktop.services.medication_dto import DoseFilter, DueWindow, PrescriptionInput

    from .medication_support import BERLIN, twice_daily

    # 00:00–02:00 of the clinic's today are past whatever the hour the suite runs at: the clock is fixed.
    clock.set(datetime.combine(clock.now().astimezone(BERLIN).date(), time(12), BERLIN))
    today = lambda: clock.now().astimezone(BERLIN).date()  # noqa: E731
    service = MedicationService(database, clock=clock)
    ada = add_patient(database, clinic.admin, given="Ada", family="Lovelace")
    bob = add_patient(database, clinic.admin, given="Bob", family="Builder")
    start = today() - timedelta(days=2)
    hourly = service.prescribe(clinic.doctor, patient_id=ada, data=PrescriptionInput(
        drug_name="Amoxicillin", strength="500 mg", dose="1 capsule", frequency=Frequency.EVERY_N_HOURS, times=("00:00",),
        every_n_hours=1, start_date=start))
    service.prescribe(clinic.doctor, patient_id=bob, data=twice_daily("Metformin", start=start))
    for hour in (0, 1, 2):
        service.record_dose(clinic.nurse, medication_id=hourly.id, status=DoseStatus.MISSED,
                            scheduled_at=dose_instant(today(), time(hour), BERLIN))
    local = lambda d: d.scheduled_at.astimezone(BERLIN).time()  # noqa: E731
    checks = {
        DoseFilter(): lambda d, now: True,
        DoseFilter(not_recorded_only=True): lambda d, now: d.log_id is None,
        DoseFilter(text="BUILD"): lambda d, now: d.patient_name.startswith("Builder"),
        DoseFilter(text="capsule"): lambda d, now: d.drug_summary.startswith("Amoxicillin"),
        DoseFilter(text="50%"): lambda d, now: False,  # % is a character here, not a wildcard
        DoseFilter(window=DueWindow.MORNING): lambda d, now: local(d) < time(12),
        DoseFilter(window=DueWindow.AFTERNOON): lambda d, now: time(12) <= local(d) < time(18),
        DoseFilter(window=DueWindow.EVENING, not_recorded_only=True): lambda d, now: local(d) >= time(18) and d.log_id is None,
        DoseFilter(window=DueWindow.OVERDUE): lambda d, now: d.log_id is None and d.scheduled_at + GRACE <= now,
        DoseFilter(window=DueWindow.DUE_NOW): lambda d, now: now - GRACE < d.scheduled_at <= now + timedelta(hours=2),
    }
    everything = service.doses_due(clinic.nurse)
    assert len(everything) > 20
    now = clock.now()
    for where, keep in checks.items():
        page = service.doses_due_page(clinic.nurse, where=where, limit=1000)
        got = sorted(page.doses, key=_key)
        assert got == sorted((d for d in everything if keep(d, now)), key=_key), where
        assert page.counts.matching == len(got) and page.counts.total == len(everything)
    with pytest.raises(PermissionDenied):
        service.doses_due_page(clinic.as_role(Role.RECEPTIONIST))
