"""Property-based fuzzing of every form and file reader: no crash, no half-written data, every
rejection explained (a field or line, and a message).

`targets(examples, db=None)` builds the hypothesis properties with the number of examples wanted:
the CI test (`tests/unit/test_fuzz_inputs.py`, `tests/services/test_fuzz_forms_db.py`) runs a few
hundred, the script `tests/benchmarks/fuzz_inputs.py` at least 10,000 each. `OUTCOMES` counts
accepted and rejected inputs per target, so a run shows it exercised both paths.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic_desktop.config.settings import SettingsStore, validate_profile_name
from clinic_desktop.domain import patient_rules
from clinic_desktop.domain.appointment_rules import booking_problems
from clinic_desktop.domain.errors import DomainError, FieldProblem, ValidationError
from clinic_desktop.domain.text_rules import BIDI_CONTROLS, INVISIBLE, forbidden_character, text_problem
from clinic_desktop.imports import ImportFormatError, ParsedReading, RejectedLine, open_export
from clinic_desktop.services.passwords import check_password_policy

OUTCOMES: Counter = Counter()
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
FIELDS = sorted(patient_rules._CLEANERS) + ["nickname", ""]  # two that do not exist
NASTY = st.sampled_from(["", " ", "%", "_", "\\", "'; DROP TABLE patient; --", "\x00", "🙂", "O'Brien", "Ñúñez",
                         "1e9", "-1", "13/13/2020", "2099-01-01", "+00000", "NaN", "a" * 5000,
                         "\u202eevil", "Zo\u200bë", "\ufeffAnn", "A\u2066B\u2069", "Ann\x7f", "Ann\x85", "\x1c"])
#: Characters no text field may hold: controls (C0 but tab/newline/return, DEL, C1), bidi overrides
#: and isolates, zero-width characters, word joiner, BOM.
REFUSED_CHAR = (st.sampled_from(sorted(chr(c) for c in BIDI_CONTROLS | INVISIBLE))
                | st.characters(min_codepoint=0, max_codepoint=0x1F).filter(lambda c: c not in "\t\n\r")
                | st.characters(min_codepoint=0x7F, max_codepoint=0x9F))
#: Text (in any script) with at least one refused character somewhere in it.
HOSTILE = st.builds(lambda a, ch, b: a + ch + b, st.text(max_size=15), REFUSED_CHAR, st.text(max_size=15))
PATIENT_TEXT_FIELDS = ("mrn", "given_name", "family_name", "phone", "email", "address", "notes")
VALID_PATIENT = {"mrn": "H-100", "given_name": "Ana", "family_name": "Lopez", "date_of_birth": "1980-04-23",
                 "phone": "+49 30 1234567", "email": "ana@example.org", "address": "Hauptstr. 1", "notes": "well"}
VALUES = st.one_of(st.none(), st.text(max_size=60), NASTY, st.integers(-10**6, 10**6),
                   st.floats(allow_nan=True, allow_infinity=True), st.dates(), st.booleans())
DATA = Path(__file__).resolve().parent / "data" / "cgm"
# Plausible values mixed with hostile ones, so both the accepting and the refusing paths run.
MRNS = st.from_regex(r"\A[A-Z]{1,3}-?[0-9]{3,8}\Z") | st.text(max_size=20) | NASTY
NAMES = st.sampled_from(["Zoë", "O'Brien", "Ñúñez", "Smith-Jones", "李", "Anne Marie"]) | st.text(max_size=30) | NASTY
BIRTHS = st.dates(min_value=datetime(1900, 1, 1).date(), max_value=NOW.date())


def _explained(problems) -> bool:  # noqa: ANN001
    return all(isinstance(p, FieldProblem) and p.message and isinstance(p.message, str) for p in problems)


def _settings(examples: int):  # noqa: ANN202
    return settings(max_examples=examples, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


def patient_form(examples: int) -> Callable[[], None]:
    @_settings(examples)
    @given(st.fixed_dictionaries({"mrn": MRNS, "given_name": NAMES, "family_name": NAMES, "date_of_birth": BIRTHS | VALUES})
           | st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8), st.sampled_from(["en_US", "de_DE", "en_GB"]))
    def check(raw, locale):  # noqa: ANN001
        cleaned, problems = patient_rules.clean_patient_fields(raw, patient_rules.FieldContext(NOW.date(), locale))
        assert _explained(problems)
        assert set(cleaned) <= set(raw)
        assert all(p.field in raw or p.field in patient_rules.REQUIRED_FIELDS or p.field == "diagnosed_on"
                   for p in problems)
        assert all(forbidden_character(v, multiline=k in patient_rules.MULTILINE_FIELDS) is None
                   for k, v in cleaned.items() if isinstance(v, str))
        OUTCOMES[("patient form", "rejected" if problems else "accepted")] += 1

    return check


def booking_form(examples: int) -> Callable[[], None]:
    @_settings(examples)
    @given(st.one_of(st.none(), st.datetimes(timezones=st.sampled_from([timezone.utc, None]))),
           st.one_of(st.none(), st.integers(-10**5, 10**5)))
    def check(starts_at, minutes):  # noqa: ANN001
        problems = booking_problems(starts_at, minutes, now=NOW)
        assert _explained(problems) and all(p.field for p in problems)
        OUTCOMES[("booking form", "rejected" if problems else "accepted")] += 1

    return check


def password_policy(examples: int) -> Callable[[], None]:
    @_settings(examples)
    @given(st.text(max_size=40) | NASTY, st.text(max_size=20))
    def check(password, username):  # noqa: ANN001
        try:
            check_password_policy(password, username=username)
            OUTCOMES[("password policy", "accepted")] += 1
        except ValidationError as exc:
            assert _explained(exc.problems) and all(p.field == "password" for p in exc.problems)
            OUTCOMES[("password policy", "rejected")] += 1

    return check


def settings_file(examples: int) -> Callable[[], None]:
    """The profiles file as a person or a crash might leave it: read, or refused naming the file."""

    @_settings(examples)
    @given(st.one_of(st.binary(max_size=300), st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=12).map(lambda v: json.dumps({"profiles": v}).encode())), st.text(max_size=30))
    def check(content, name):  # noqa: ANN001
        with tempfile.TemporaryDirectory() as folder:
            store = SettingsStore(config_dir=Path(folder), data_dir=Path(folder))
            store.profiles_file.write_bytes(content)
            try:
                store.load_profiles()
                OUTCOMES[("settings file", "accepted")] += 1
            except ValueError as exc:
                assert str(store.profiles_file) in str(exc) or "profile" in str(exc).lower()
                OUTCOMES[("settings file", "rejected")] += 1
        try:
            validate_profile_name(name)
        except ValueError as exc:
            assert "Profile name" in str(exc)

    return check


def cgm_files(examples: int) -> Callable[[], None]:
    from tests.unit.test_cgm_imports_fuzz import MAPPING, mutated

    @_settings(examples)
    @given(mutated() | st.binary(max_size=400), st.sampled_from(["dexcom", "libre", "csv"]))
    def check(content, kind):  # noqa: ANN001
        with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
            handle.write(content)
            handle.flush()
            try:
                reader = open_export(handle.name, kind, "Europe/Berlin", MAPPING)
                for rec in reader.records():
                    if isinstance(rec, RejectedLine):
                        assert rec.line >= 1 and rec.reason
                    else:
                        assert isinstance(rec, ParsedReading) and rec.recorded_at.tzinfo is not None
                OUTCOMES[("CGM file", "read")] += 1
            except ImportFormatError as exc:
                assert str(exc)
                OUTCOMES[("CGM file", "refused")] += 1

    return check


def cgm_bad_files(examples: int) -> Callable[[], None]:
    """#12 items 7–11: extreme dates, UTF-16/32 with and without BOM, invalid UTF-8, over-wide and endless rows."""
    from tests.unit.test_cgm_imports_fuzz import check_hostile_file, hostile_files

    @_settings(examples)
    @given(hostile_files())
    def check(case):  # noqa: ANN001
        outcome = check_hostile_file(*case)
        OUTCOMES[("CGM bad files", outcome)] += 1
        OUTCOMES[("CGM bad files family", f"{case[1]} {outcome}")] += 1

    return check


def patient_form_db(examples: int, db, actor, count: Callable[[], int]) -> Callable[[], None]:  # noqa: ANN001
    """Through the service and the real server: a rejection stores nothing, an acceptance one row."""
    from clinic_desktop.services.patient_service import PatientService

    service = PatientService(db)

    @_settings(examples)
    @given(st.fixed_dictionaries({"mrn": MRNS, "given_name": NAMES, "family_name": NAMES,
                                  "date_of_birth": st.one_of(BIRTHS, NASTY, st.text(max_size=12))},
                                 optional={"phone": st.text(max_size=20) | NASTY, "email": st.text(max_size=30) | NASTY,
                                           "notes": NASTY, "last_hba1c": VALUES}))
    def check(data):  # noqa: ANN001
        before = count()
        try:
            service.create(actor, data=data, request_id=uuid.uuid4())
            assert count() == before + 1
            OUTCOMES[("patient form (server)", "accepted")] += 1
        except DomainError as exc:
            assert str(exc) and count() == before
            if isinstance(exc, ValidationError):
                assert _explained(exc.problems) and all(p.field for p in exc.problems)
            OUTCOMES[("patient form (server)", "rejected")] += 1

    return check


def hostile_patient_text(examples: int) -> Callable[[], None]:
    """Bidi, zero-width or control characters in any patient text field: an error for that field, nothing kept."""

    @_settings(examples)
    @given(st.sampled_from(PATIENT_TEXT_FIELDS), HOSTILE, st.sampled_from(["en_US", "de_DE"]))
    def check(field, value, locale):  # noqa: ANN001
        cleaned, problems = patient_rules.clean_patient_fields(
            {**VALID_PATIENT, field: value}, patient_rules.FieldContext(NOW.date(), locale))
        assert [p.field for p in problems] == [field] and _explained(problems)
        assert field not in cleaned
        OUTCOMES[("hostile patient text", "rejected")] += 1

    return check


def text_rule(examples: int) -> Callable[[], None]:
    """The rule itself: refused characters are always found; what passes is NFC and free of them."""

    @_settings(examples)
    @given(st.text(max_size=40) | HOSTILE, st.booleans())
    def check(value, multiline):  # noqa: ANN001
        from clinic_desktop.domain.text_rules import checked_text

        problem = text_problem(value, "field", multiline=multiline)
        try:
            cleaned = checked_text(value, "field", multiline=multiline)
        except ValueError as exc:
            assert problem is not None and str(exc) == problem and "U+" in problem
            OUTCOMES[("text rule", "rejected")] += 1
            return
        assert problem is None and forbidden_character(cleaned, multiline=multiline) is None
        OUTCOMES[("text rule", "accepted")] += 1

    return check


#: Every service form with free text: form → (its text fields, how to submit one hostile value).
FORM_FIELDS = {
    "patient": PATIENT_TEXT_FIELDS,
    "staff": ("full_name", "specialty"),
    "prescription": ("drug_name", "strength", "dose", "form", "route", "instructions"),
    "appointment": ("notes", "checklist"),
    "glucose reading": ("note",),
}


def _submitters(db, clinic, patient_id) -> dict[str, Callable[[str, str], object]]:  # noqa: ANN001
    """One call per form, with `field` set to `value` and everything else valid."""
    from dataclasses import replace

    from clinic_desktop.domain.enums import AppointmentReason, GlucoseUnit, Role
    from clinic_desktop.services.appointment_service import AppointmentService
    from clinic_desktop.services.glucose_service import GlucoseService
    from clinic_desktop.services.medication_service import MedicationService
    from clinic_desktop.services.patient_service import PatientService
    from clinic_desktop.services.staff_service import StaffService
    from tests.services.medication_support import twice_daily

    patients, staff, meds = PatientService(db), StaffService(db), MedicationService(db)
    appointments, glucose = AppointmentService(db), GlucoseService(db)
    soon = (datetime.now(timezone.utc) + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)

    def patient(field: str, value: str) -> object:
        return patients.create(clinic.doctor, data={**VALID_PATIENT, "mrn": f"H-{uuid.uuid4().hex[:8].upper()}",
                                                          field: value}, request_id=uuid.uuid4())

    def staff_account(field: str, value: str) -> object:
        values = {"full_name": "Dr Ana Lopez", "specialty": "Endocrinology", field: value}
        return staff.create_account(clinic.admin, username=f"u{uuid.uuid4().hex[:10]}", role=Role.DOCTOR,
                                    password="a-long-Passphrase-9", **values)

    def prescription(field: str, value: str) -> object:
        return meds.prescribe(clinic.doctor, patient_id=patient_id, data=replace(twice_daily(), **{field: value}),
                              confirm_duplicate=True)

    def appointment(field: str, value: str) -> object:
        extra = {"notes": value} if field == "notes" else {"checklist": ("Bring meter", value)}
        return appointments.book(clinic.receptionist, patient_id=patient_id, doctor_id=clinic.doctor.doctor_id,
                                 starts_at=soon, duration_minutes=30, reason=AppointmentReason.ROUTINE,
                                 request_id=uuid.uuid4(), **extra)

    def reading(field: str, value: str) -> object:
        return glucose.add_manual_reading(clinic.nurse, patient_id, recorded_at=datetime.now(timezone.utc)
                                          - timedelta(hours=1), value=120, unit=GlucoseUnit.MG_DL, context=None,
                                          note=value)

    return {"patient": patient, "staff": staff_account, "prescription": prescription, "appointment": appointment,
            "glucose reading": reading}


def hostile_forms_db(examples: int, db, clinic, patient_id, stored: Callable[[], int]) -> Callable[[], None]:  # noqa: ANN001
    """Bidi, zero-width or control characters in any text field of any form, through the service on the
    real server: a ValidationError naming that field, never another exception, and nothing stored."""
    submit = _submitters(db, clinic, patient_id)
    pairs = sorted((form, field) for form, fields in FORM_FIELDS.items() for field in fields)

    @_settings(examples)
    @given(st.sampled_from(pairs), HOSTILE)
    def check(pair, value):  # noqa: ANN001
        form, field = pair
        before = stored()
        try:
            submit[form](field, value)
        except ValidationError as exc:
            assert field in [p.field for p in exc.problems] and _explained(exc.problems)
        else:
            raise AssertionError(f"{form}: {field} accepted {value!r}")
        assert stored() == before
        OUTCOMES[("hostile forms (server)", form)] += 1

    return check


def offline_targets(examples: int) -> dict[str, Callable[[], None]]:
    return {"patient form": patient_form(examples), "booking form": booking_form(examples),
            "password policy": password_policy(examples), "settings file": settings_file(examples),
            "CGM file": cgm_files(examples), "CGM bad files": cgm_bad_files(examples),
            "hostile patient text": hostile_patient_text(examples), "text rule": text_rule(examples)}


__all__ = ["NOW", "OUTCOMES", "hostile_forms_db", "offline_targets", "patient_form_db", "timedelta"]
