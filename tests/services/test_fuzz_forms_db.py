"""The patient form through the service on the real server: rejected input stores nothing."""

from __future__ import annotations

from sqlalchemy import text

from tests.fuzz_targets import FORM_FIELDS, OUTCOMES, hostile_forms_db, patient_form_db
from tests.services.glucose_helpers import make_patient


def test_fuzzed_registrations_store_all_or_nothing(database, clinic):
    def count() -> int:
        with database.engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM patient WHERE clinic_id = :c"), {"c": clinic.clinic_id})

    patient_form_db(150, database, clinic.receptionist, count)()
    outcomes = {k[1]: v for k, v in OUTCOMES.items() if k[0] == "patient form (server)"}
    assert outcomes.get("rejected", 0) > 0


#: Rows any of the fuzzed forms could write.
STORED = ("SELECT (SELECT count(*) FROM patient) + (SELECT count(*) FROM staff_account) + "
          "(SELECT count(*) FROM medication) + (SELECT count(*) FROM appointment) + "
          "(SELECT count(*) FROM glucose_reading)")


def test_hostile_text_in_every_form_field_is_a_field_error_and_stores_nothing(database, clinic):
    patient_id = make_patient(database, clinic.doctor)

    def stored() -> int:
        with database.engine.connect() as conn:
            return conn.scalar(text(STORED))

    hostile_forms_db(150, database, clinic, patient_id, stored)()
    exercised = {k[1] for k, n in OUTCOMES.items() if k[0] == "hostile forms (server)" and n}
    assert exercised == set(FORM_FIELDS)
