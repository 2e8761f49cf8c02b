"""The patient form through the service on the real server: rejected input stores nothing."""

from __future__ import annotations

from sqlalchemy import text

from tests.fuzz_targets import OUTCOMES, patient_form_db


def test_fuzzed_registrations_store_all_or_nothing(database, clinic):
    def count() -> int:
        with database.engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM patient WHERE clinic_id = :c"), {"c": clinic.clinic_id})

    patient_form_db(150, database, clinic.receptionist, count)()
    outcomes = {k[1]: v for k, v in OUTCOMES.items() if k[0] == "patient form (server)"}
    assert outcomes.get("rejected", 0) > 0
