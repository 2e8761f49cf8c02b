"""One rule for the characters a text field may hold; names normalised to NFC."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from clinic_desktop.domain.patient_rules import FieldContext, clean_patient_fields
from clinic_desktop.domain.text_rules import checked_text, forbidden_character, text_problem

REFUSED = ([chr(c) for c in range(0x20) if c not in (9, 10, 13)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
           + [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
           + ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
CTX = FieldContext(date(2026, 11, 23), "en_US")
VALID = {"mrn": "A-100", "given_name": "Ana", "family_name": "Lopez", "date_of_birth": "1980-04-23"}


@pytest.mark.parametrize("ch", REFUSED, ids=lambda ch: f"U+{ord(ch):04X}")
def test_every_refused_character_is_named_in_single_and_multi_line_text(ch):
    assert forbidden_character(f"ab{ch}c") == (2, forbidden_character(ch)[1])
    assert f"U+{ord(ch):04X}" in text_problem(f"ab{ch}c", "notes", multiline=True)


@pytest.mark.parametrize("ch", ["\t", "\n", "\r"])
def test_tabs_and_line_breaks_only_in_multi_line_fields(ch):
    assert text_problem(f"a{ch}b", "address", multiline=True) is None
    assert "Line breaks and tabs are not allowed" in text_problem(f"a{ch}b", "reason")


def test_ordinary_text_in_any_script_passes_and_is_nfc():
    for text in ("O'Brien", "Ñúñez", "李小龙", "محمد", "שרה", "Zoë 🙂", "Hauptstr. 1\n10115 Berlin"):
        assert text_problem(text, "x", multiline=True) is None
    assert checked_text("Zoe\u0308", "name") == "Zoë" and unicodedata.is_normalized("NFC", checked_text("Zoe\u0308", "n"))


@pytest.mark.parametrize("field", ["mrn", "given_name", "family_name", "email", "phone", "address", "notes"])
@pytest.mark.parametrize("ch", ["\x00", "\u202e", "\u2067", "\u200b", "\ufeff", "\u2060", "\x7f", "\x85", "\x1c"])
def test_patient_fields_refuse_them_with_the_field_named(field, ch):
    value = {"mrn": "A-1", "given_name": "Ana", "family_name": "Lopez", "email": "a@example.org",
             "phone": "+49 30 1234567", "address": "Hauptstr. 1", "notes": "well"}[field]
    cleaned, problems = clean_patient_fields({**VALID, field: value[:2] + ch + value[2:]}, CTX)
    assert [p.field for p in problems] == [field] and field not in cleaned
    assert f"U+{ord(ch):04X}" in problems[0].message


def test_names_are_stored_nfc_and_look_like_what_they_are():
    cleaned, problems = clean_patient_fields({**VALID, "given_name": "Zoe\u0308", "family_name": "Mu\u0308ller"}, CTX)
    assert not problems and cleaned["given_name"] == "Zoë" and cleaned["family_name"] == "Müller"
    assert cleaned["given_name"] == unicodedata.normalize("NFC", cleaned["given_name"])
