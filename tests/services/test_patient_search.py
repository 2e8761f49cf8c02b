"""Search as you type and the keyset list, on a real PostgreSQL with pg_trgm and unaccent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from clinic_desktop.db.models import Clinic
from clinic_desktop.domain.enums import Role
from clinic_desktop.services.patient_dto import PatientFilters, PatientSort
from clinic_desktop.services.patient_service import PatientService

from .patient_support import register


@pytest.fixture(scope="module")
def service(database):
    return PatientService(database)


@pytest.fixture
def people(service, clinic):
    r = clinic.receptionist
    return {
        "muller": register(service, r, given_name="José", family_name="Müller", mrn="MRN-1001",
                           date_of_birth=date(1975, 3, 4), phone="+49 151 23456789"),
        "schmidt": register(service, r, given_name="Anna", family_name="Schmidt", mrn="MRN-1002",
                            date_of_birth=date(1980, 4, 23), phone="+1 212 555 0187"),
        "schneider": register(service, r, given_name="Paul", family_name="Schneider", mrn="MRN-2001",
                              date_of_birth=date(1990, 12, 1), phone="+44 20 7946 0958"),
        "oconnor": register(service, r, given_name="Siobhán", family_name="O'Connor", mrn="X_9",
                            date_of_birth=date(2001, 1, 2), phone=None),
    }


def names(hits):
    return [h.display_name for h in hits]


@pytest.mark.parametrize("role", list(Role))
def test_name_search_ignores_accents_and_case(service, clinic, people, role):
    actor = clinic.as_role(role)
    assert names(service.search(actor, text="MULLER")) == ["Müller, José"]
    assert names(service.search(actor, text="müll")) == ["Müller, José"]
    assert names(service.search(actor, text="siobhan")) == ["O'Connor, Siobhán"]


def test_misspelt_name_is_found_and_ranked(service, clinic, people):
    hits = service.search(clinic.nurse, text="Schmdit")
    assert names(hits)[0] == "Schmidt, Anna"
    assert hits[0].score < 1.0  # found by similarity, not prefix
    assert names(service.search(clinic.nurse, text="anna schmidt"))[0] == "Schmidt, Anna"


LOOK_ALIKES = [("Anna", "Schmidt"), ("Anna", "Schmitt"), ("Anna", "Schmid"), ("Paul", "Schneider"),
               ("Paul", "Schreiner"), ("Tim", "Schreiber"), ("Tim", "Schreier"), ("Felix", "Wagner"),
               ("Felix", "Wegner"), ("Mia", "Wagener"), ("Jürgen", "Möller"), ("Jürgen", "Müller"),
               ("Emma", "Müller"), ("Emma", "Mueller"), ("Lisa", "Miller"), ("Pavel", "Dvořák"),
               ("Pavel", "Dvorsky"), ("Ana", "Kaya"), ("Ana", "Kara")]


@pytest.mark.parametrize(
    ("typed", "wanted", "also_plausible"),
    [
        ("Schmdit", "Schmidt, Anna", "Schmitt, Anna"),  # two letters swapped
        ("Wganer", "Wagner, Felix", "Wegner, Felix"),
        ("Kyaa", "Kaya, Ana", None),  # swapped in a short name (Kara is two slips away)
        ("Felix Wganer", "Wagner, Felix", "Wegner, Felix"),  # given name first
        ("Schmdt", "Schmidt, Anna", "Schmid, Anna"),  # a letter missing
        ("Schnider", "Schneider, Paul", None),
        ("Wagnr Felix", "Wagner, Felix", "Wegner, Felix"),
        ("Schmudt", "Schmidt, Anna", "Schmitt, Anna"),  # a wrong letter
        ("Schreuber Tim", "Schreiber, Tim", "Schreier, Tim"),
        ("Moller", "Möller, Jürgen", "Müller, Jürgen"),  # accents left out
        ("Dvorak", "Dvořák, Pavel", "Dvorsky, Pavel"),
        ("jurgen moller", "Möller, Jürgen", "Müller, Jürgen"),
        ("Mulelr Emma", "Müller, Emma", "Mueller, Emma"),  # a slip and a missing accent at once
    ],
)
def test_typical_typos_rank_the_patient_first_among_look_alikes(service, clinic, typed, wanted, also_plausible):
    for given, family in LOOK_ALIKES:
        register(service, clinic.receptionist, given_name=given, family_name=family)
    hits = service.search(clinic.receptionist, text=typed)
    assert names(hits)[0] == wanted, names(hits)
    assert all(h.score < hits[0].score for h in hits[1:]), hits
    if also_plausible:
        assert also_plausible in names(hits[1:])
    assert "Kara, Ana" not in names(hits)  # two slips from "Kyaa", and unrelated to the others


def test_typo_search_finds_a_name_shared_by_many(service, clinic):
    """A common surname must not crowd out the right given name (the pair is looked up as a key)."""
    for given in ["Anna", "Ben", "Clara", "David", "Elena", "Finn", "Greta", "Hugo", "Ida", "Jonas", "Karl",
                  "Lena", "Moritz", "Nina", "Otto", "Paula", "Quirin", "Rosa", "Sven", "Tilda"] * 3:
        register(service, clinic.receptionist, given_name=given, family_name="Müller")
    register(service, clinic.receptionist, given_name="Zoë", family_name="Müller")
    hits = service.search(clinic.receptionist, text="Mülelr Zoe")
    assert names(hits)[0] == "Müller, Zoë" and hits[0].score < 1.0
    assert len(service.search(clinic.receptionist, text="Mülelr", limit=100)) == 61


def test_typo_search_respects_archive_and_does_not_match_everybody(service, clinic):
    kept = register(service, clinic.receptionist, given_name="Anna", family_name="Schmidt")
    gone = register(service, clinic.receptionist, given_name="Anna", family_name="Schmidt")
    service.archive(clinic.receptionist, gone.id)
    assert [h.id for h in service.search(clinic.receptionist, text="Schmdit")] == [kept.id]
    assert {h.id for h in service.search(clinic.admin, text="Schmdit", include_archived=True)} == {kept.id, gone.id}
    assert service.search(clinic.receptionist, text="Xqzvw") == []


def test_prefix_hits_come_before_similar_names(service, clinic, people):
    hits = names(service.search(clinic.nurse, text="schn"))
    assert hits[0] == "Schneider, Paul"


def test_mrn_prefix_search(service, clinic, people):
    assert names(service.search(clinic.receptionist, text="mrn-10")) == ["Müller, José", "Schmidt, Anna"]
    assert service.search(clinic.receptionist, text="MRN-2001")[0].match == "mrn"


@pytest.mark.parametrize("typed", ["0151 23456789", "+49 (151) 234-56789", "151/234 56789", "23456789"])
def test_phone_in_any_formatting(service, clinic, people, typed, database):
    with database.engine.begin() as conn:
        conn.execute(update(Clinic).where(Clinic.id == clinic.clinic_id).values(locale="de_DE"))
    hits = service.search(clinic.receptionist, text=typed)
    assert names(hits) == ["Müller, José"] and hits[0].match == "phone"


@pytest.mark.parametrize(("locale", "typed"), [("en_US", "04/23/1980"), ("de_DE", "23.04.1980"),
                                               ("en_GB", "23/04/1980"), ("en_US", "1980-04-23")])
def test_date_of_birth_typed_the_clinics_way(database, clinic, people, locale, typed):
    with database.engine.begin() as conn:
        conn.execute(update(Clinic).where(Clinic.id == clinic.clinic_id).values(locale=locale))
    service = PatientService(database)  # a fresh service: the locale is cached per clinic
    hits = service.search(clinic.receptionist, text=typed)
    assert names(hits) == ["Schmidt, Anna"] and hits[0].match == "dob"


@pytest.mark.parametrize("typed", ["%", "_", "\\", "'", '"', "%'; DROP TABLE patient; --", "' OR '1'='1",
                                   "x_9%", "Sch%dt", "a" * 5000, "\x00"])
def test_wildcards_quotes_and_sql_are_plain_text(service, clinic, people, typed):
    hits = service.search(clinic.receptionist, text=typed)
    assert all("%" not in h.display_name for h in hits)
    assert len(hits) <= 1  # none of these may match everybody
    assert len(service.search(clinic.receptionist, text="schmidt")) == 1  # the table is still there


def test_like_wildcards_match_only_themselves(service, clinic, people):
    register(service, clinic.receptionist, mrn="AB12", given_name="Wild", family_name="Card")
    assert names(service.search(clinic.receptionist, text="AB12")) == ["Card, Wild"]
    assert service.search(clinic.receptionist, text="A_12") == []
    assert service.search(clinic.receptionist, text="%") == []
    # A prefix search would score 1.0; "_" must not stand for the "m" of Schmidt.
    assert all(h.score < 1.0 for h in service.search(clinic.receptionist, text="Sch_idt"))
    assert all(h.score < 1.0 for h in service.search(clinic.receptionist, text="Sch%"))
    assert names(service.search(clinic.receptionist, text="Schm\x00idt")) == ["Schmidt, Anna"]


def test_underscore_in_mrn_is_literal(service, clinic, people):
    assert names(service.search(clinic.receptionist, text="X_9")) == ["O'Connor, Siobhán"]
    assert service.search(clinic.receptionist, text="X99") == []


def test_search_is_scoped_to_the_clinic(service, database, clinic, people):
    from tests.conftest import create_clinic_with_staff

    other = create_clinic_with_staff(database, name="Other")
    assert service.search(other.receptionist, text="schmidt") == []


def test_keyset_pages_cover_every_patient_once_in_each_sort(service, clinic):
    births = [date(1950, 1, 1) + timedelta(days=400 * i) for i in range(23)]
    for i, born in enumerate(births):
        register(service, clinic.receptionist, given_name=f"Gen{chr(65 + i)}", family_name="Keyset",
                 date_of_birth=born)
    for sort in PatientSort:
        seen, after = [], None
        while True:
            page = service.list_page(clinic.doctor, after=after, limit=5, sort=sort)
            seen += list(page.rows)
            if not page.has_more:
                break
            after = page.rows[-1].sort_key
        assert len(seen) == 23 and len({r.id for r in seen}) == 23
        if sort == PatientSort.NAME:
            assert [r.display_name for r in seen] == sorted(r.display_name for r in seen)
        if sort == PatientSort.AGE_DESC:
            assert [r.date_of_birth for r in seen] == births


def test_list_filters_by_doctor_and_type(service, clinic):
    mine = register(service, clinic.doctor, responsible_doctor_id=clinic.doctor.doctor_id, diabetes_type="type_1")
    register(service, clinic.doctor, diabetes_type="type_2")
    by_doctor = service.list_page(clinic.nurse, filters=PatientFilters(doctor_id=clinic.doctor.doctor_id))
    assert [r.id for r in by_doctor.rows] == [mine.id] and by_doctor.rows[0].doctor_name.startswith("Dr ")
    by_type = service.list_page(clinic.nurse, filters=PatientFilters(diabetes_type="type_1"))
    assert [r.id for r in by_type.rows] == [mine.id]


def test_typo_in_a_surname_of_several_words(service, clinic):
    luca = register(service, clinic.receptionist, given_name="Maria", family_name="De Luca")
    register(service, clinic.receptionist, given_name="Maria", family_name="Lucas")
    hits = service.search(clinic.receptionist, text="de lcua maria")
    assert hits[0].id == luca.id and hits[0].score < 1.0
