"""Two (or eight) workstations booking the same slot at the same moment: exactly one wins, the
others get a plain message with the next free slots, and no overlap exists afterwards."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from clinic_desktop.domain.enums import AppointmentReason
from clinic_desktop.domain.errors import ConflictError
from clinic_desktop.services.appointment_dto import SlotTaken
from clinic_desktop.services.appointment_service import AppointmentService

from .appointment_support import add_patient, at, future_monday

OVERLAPS_SQL = """
    SELECT count(*) FROM appointment a JOIN appointment b
      ON a.id < b.id AND (a.doctor_id = b.doctor_id OR a.patient_id = b.patient_id)
     AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')
    WHERE a.deleted_at IS NULL AND b.deleted_at IS NULL
      AND a.status IN ('requested','confirmed','checked_in','completed')
      AND b.status IN ('requested','confirmed','checked_in','completed')
      AND a.clinic_id = :c
"""


def _race(n, book_one):  # noqa: ANN001
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = book_one(i)
        except Exception as exc:  # noqa: BLE001 - collected and asserted
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("workers", [2, 6])
def test_racing_workstations_cannot_double_book_a_doctor(database, clinic, workers):
    service = AppointmentService(database)
    patients = [add_patient(database, clinic, given=f"P{i}") for i in range(workers)]
    start = at(future_monday(6), 10, 0)
    results = _race(workers, lambda i: service.book(
        (clinic.receptionist, clinic.nurse)[i % 2], patient_id=patients[i], doctor_id=clinic.doctor.doctor_id,
        starts_at=start, duration_minutes=30 + 5 * (i % 3), reason=AppointmentReason.ROUTINE))
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(e, SlotTaken) for e in losers), losers
    assert all(e.next_slots and e.next_slots[0].starts_at >= winners[0].ends_at for e in losers)
    with database.engine.connect() as conn:
        assert conn.execute(text(OVERLAPS_SQL), {"c": clinic.clinic_id}).scalar_one() == 0


def test_racing_bookings_of_one_patient_with_two_doctors(database, clinic):
    from .appointment_support import add_doctor

    service = AppointmentService(database)
    patient = add_patient(database, clinic)
    doctors = [clinic.doctor.doctor_id, add_doctor(database, clinic)]
    start = at(future_monday(6), 14, 0)
    results = _race(2, lambda i: service.book(clinic.receptionist, patient_id=patient, doctor_id=doctors[i],
                                              starts_at=start, duration_minutes=30, reason=AppointmentReason.ROUTINE))
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ConflictError) and "patient already" in errors[0].message
    with database.engine.connect() as conn:
        assert conn.execute(text(OVERLAPS_SQL), {"c": clinic.clinic_id}).scalar_one() == 0


def test_the_database_itself_refuses_an_overlap_written_behind_the_service(database, clinic):
    patient_a, patient_b = add_patient(database, clinic), add_patient(database, clinic)
    start = at(future_monday(7), 9)
    insert = text("INSERT INTO appointment (clinic_id, patient_id, doctor_id, starts_at, ends_at, reason, status) "
                  "VALUES (:c, :p, :d, :s, :s + interval '30 minutes', 'routine', :st)")
    args = {"c": clinic.clinic_id, "d": clinic.doctor.doctor_id, "s": start}
    with database.engine.begin() as conn:
        conn.execute(insert, {**args, "p": patient_a, "st": "confirmed"})
        conn.execute(insert, {**args, "p": patient_b, "st": "cancelled"})  # cancelled rows do not hold the slot
    with pytest.raises(Exception, match="ex_appointment_doctor_slot"):
        with database.engine.begin() as conn:
            conn.execute(insert, {**args, "p": patient_b, "st": "checked_in"})
