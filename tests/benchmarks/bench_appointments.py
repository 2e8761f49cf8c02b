"""Benchmark: calendar reads on a clinic of 30 doctors with two years of appointments (~500,000
at --scale 1.0, loaded with COPY): day view, week view, list view and "next free slot", p50/p95
service-side (one unit of work each, as the pane calls them).

Baselines measured in the same run: an empty read-only unit of work (the floor every call
pays), and the same views asked the naive way — overlap test without the lower bound on
starts_at that lets the (clinic|doctor, starts_at) indexes work, and a next-free search that
loads the doctor's whole future instead of two weeks at a time.
Run: `nice -n 10 .venv/bin/python tests/benchmarks/bench_appointments.py [--scale 1.0] [--runs 60]`.
Target: any calendar view under 100 ms service-side.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from appointment_bench_setup import copy_rows, fresh_database, seed_clinic, start_test_server, stop_test_server
from sqlalchemy import select, text

from clinic_desktop.db.models import Appointment
from clinic_desktop.domain.appointment_rules import DEFAULT_HOURS, Interval, find_free_slots, local_wall_time, working_windows
from clinic_desktop.services import appointment_queries as q
from clinic_desktop.services.appointment_dto import AppointmentFilter
from clinic_desktop.services.appointment_service import AppointmentService

TZ = ZoneInfo("Europe/Berlin")
DURATIONS = (10, 15, 15, 15, 15, 20, 30)


def generate(clinic, first: date, days: int, rng: random.Random):  # noqa: ANN001
    """A full working day per doctor (08:00–17:00, Mon–Fri), each doctor with their own patients."""
    per_doctor = max(1, len(clinic.patients) // len(clinic.doctors))
    for d_index, doctor in enumerate(clinic.doctors):
        pool = clinic.patients[d_index * per_doctor:(d_index + 1) * per_doctor]
        for offset in range(days):
            day = first + timedelta(days=offset)
            if day.isoweekday() > 5:
                continue
            start, end = local_wall_time(day, datetime.min.time().replace(hour=8), TZ), local_wall_time(
                day, datetime.min.time().replace(hour=17), TZ)
            t = start
            while t < end:
                if rng.random() < 0.04:  # a gap
                    t += timedelta(minutes=15)
                    continue
                dur = timedelta(minutes=rng.choice(DURATIONS))
                if t + dur > end:
                    break
                status = "completed" if t < NOW else "confirmed"
                if rng.random() < 0.04:
                    status = "cancelled" if rng.random() < 0.6 else "no_show"
                yield (uuid.uuid4(), clinic.clinic_id, rng.choice(pool), doctor, t.isoformat(), (t + dur).isoformat(),
                       rng.choice(("routine", "follow_up", "test_results")), status)
                t += dur


NOW = datetime.now(timezone.utc)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(fn, runs: int) -> list[float]:  # noqa: ANN001
    fn()  # warm the pool and the plan cache
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 30 doctors x 2 years (about 500,000)")
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    rng = random.Random(7)
    server = start_test_server()
    try:
        run(server, args, rng)
    finally:
        stop_test_server(server)


def run(server, args, rng) -> None:  # noqa: ANN001
    doctors = max(2, round(30 * min(1.0, args.scale)))
    days = max(14, round(730 * args.scale / (doctors / 30)))
    database, _ = fresh_database(server)
    clinic = seed_clinic(database, doctors=doctors, patients=doctors * 250)
    first = (NOW - timedelta(days=days // 2)).astimezone(TZ).date()
    t0 = time.perf_counter()
    raw = database.engine.raw_connection()
    try:
        n = copy_rows(raw.driver_connection, "appointment",
                      ["id", "clinic_id", "patient_id", "doctor_id", "starts_at", "ends_at", "reason", "status"],
                      generate(clinic, first, days, rng))
        raw.driver_connection.commit()
        raw.driver_connection.autocommit = True
        raw.driver_connection.execute("ANALYZE")
    finally:
        raw.close()
    print(f"loaded {n:,} appointments ({doctors} doctors x {days} days) with COPY in {time.perf_counter() - t0:.1f} s "
          "(exclusion constraints checked on every row)")
    service = AppointmentService(database)
    actor = clinic.receptionist
    span = [first + timedelta(days=i) for i in range(days) if (first + timedelta(days=i)).isoweekday() <= 5]
    pick_day = lambda: rng.choice(span)  # noqa: E731
    pick_doc = lambda: rng.choice(clinic.doctors)  # noqa: E731
    rows = [
        ("empty unit of work (floor)", lambda: _empty(database, actor), None),
        (f"day view, {doctors} doctors", lambda: service.day_view(actor, pick_day()), lambda: _naive_day(database, actor, pick_day())),
        ("week view, one doctor", lambda: service.week_view(actor, doctor_id=pick_doc(), week_start=pick_day()),
         lambda: _naive_week(database, actor, pick_doc(), pick_day())),
        ("list view, doctor + 4 weeks", lambda: service.list_appointments(actor, AppointmentFilter(
            doctor_id=pick_doc(), first_day=(d := pick_day()), last_day=d + timedelta(days=27))), None),
        ("reception today", lambda: service.reception_today(actor, day=pick_day()), None),
        ("next free slot (30 min)", lambda: service.next_free_slots(actor, doctor_id=pick_doc(), duration_minutes=30,
                                                                    count=5),
         lambda: _naive_next_free(database, actor, pick_doc())),
    ]
    print(f"\n{'operation':<30} {'p50 ms':>8} {'p95 ms':>8} {'naive p50':>10} {'naive p95':>10} {'p95 ratio':>10}")
    for name, fn, naive in rows:
        times = measure(fn, args.runs)
        line = f"{name:<30} {statistics.median(times):>8.1f} {pct(times, 95):>8.1f}"
        if naive is not None:
            base = measure(naive, args.runs)
            line += f" {statistics.median(base):>10.1f} {pct(base, 95):>10.1f} {pct(base, 95) / pct(times, 95):>9.1f}x"
        print(line)
    print("\nnext-free search when the doctor is fully booked for weeks (slots keep shifting later):")
    full = clinic.doctors[0]
    times = measure(lambda: service.next_free_slots(actor, doctor_id=full, duration_minutes=60, count=5), args.runs // 2)
    print(f"{'next free 60 min':<30} {statistics.median(times):>8.1f} {pct(times, 95):>8.1f}")
    database.dispose()


def _empty(database, actor) -> None:  # noqa: ANN001
    with database.unit_of_work(actor, read_only=True) as uow:
        uow.session.execute(text("SELECT 1"))


def _naive_day(database, actor, day: date):  # noqa: ANN001
    """Overlap test without the lower bound on starts_at: the index can only bound one side."""
    start, end = q.local_day_span(day, 1, TZ)
    with database.unit_of_work(actor, read_only=True) as uow:
        rows = uow.session.execute(q.appointment_rows().where(
            Appointment.clinic_id == actor.clinic_id, Appointment.ends_at > start, Appointment.starts_at < end))
        return [q.to_dto(r) for r in rows]


def _naive_week(database, actor, doctor, day: date):  # noqa: ANN001
    start, end = q.local_day_span(day, 7, TZ)
    with database.unit_of_work(actor, read_only=True) as uow:
        rows = uow.session.execute(q.appointment_rows().where(
            Appointment.doctor_id == doctor, Appointment.ends_at > start, Appointment.starts_at < end))
        return [q.to_dto(r) for r in rows]


def _naive_next_free(database, actor, doctor):  # noqa: ANN001
    """Load the doctor's whole future, then search (what a first version would do)."""
    with database.unit_of_work(actor, read_only=True) as uow:
        busy = [Interval(a, b) for a, b in uow.session.execute(
            select(Appointment.starts_at, Appointment.ends_at).where(
                Appointment.doctor_id == doctor, Appointment.ends_at > NOW,
                Appointment.status.in_(q.OCCUPYING)).order_by(Appointment.starts_at))]
    first = NOW.astimezone(TZ).date()
    windows = working_windows(DEFAULT_HOURS, (), first, first + timedelta(days=q.SEARCH_HORIZON_DAYS), TZ)
    return find_free_slots(windows, busy, duration=timedelta(minutes=30), earliest=NOW, count=5, tz=TZ)


if __name__ == "__main__":
    main()
