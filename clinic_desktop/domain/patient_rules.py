"""Validation of patient fields and parsing of what staff type into search and forms.

Plain Python (no database): each rule returns the cleaned value or a FieldProblem naming the
field, so a form can show every message beside its field at once.

Phones go through `phonenumbers` (Google's libphonenumber data: national formats, lengths and
prefixes per country are far beyond a hand-written regex). Dates typed by people are parsed with
`datetime.strptime` and explicit per-locale formats: dateutil's guessing would silently read
"03/04/1980" as March in a clinic that means April.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from .enums import DiabetesType, GlucoseUnit, ManagementMode, Sex
from .errors import FieldProblem
from .text_rules import checked_text, text_problem

#: Fields anyone registering a patient may set (receptionists included).
DEMOGRAPHIC_FIELDS = ("mrn", "given_name", "family_name", "date_of_birth", "sex", "phone", "email", "address")
#: Fields only doctors, nurses (and admins) may see or change.
CLINICAL_FIELDS = (
    "diabetes_type", "diagnosed_on", "last_hba1c", "last_hba1c_on", "target_hba1c",
    "glucose_unit", "management_mode", "notes", "responsible_doctor_id",
)
ALL_FIELDS = DEMOGRAPHIC_FIELDS + CLINICAL_FIELDS
REQUIRED_FIELDS = ("mrn", "given_name", "family_name", "date_of_birth")

NAME_MAX = 100
MRN_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_\-/.]{0,31}$")
# Deliberately modest: one "@", no spaces, a dot in the domain. Deliverability is not checkable here.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
HBA1C_MIN, HBA1C_MAX = Decimal("3"), Decimal("20")

#: How each locale writes a date (first = the display format); ISO 8601 is always accepted.
LOCALE_DATE_FORMATS: dict[str, tuple[str, ...]] = {
    "en_US": ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"),
    "en_GB": ("%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y"),
    "de_DE": ("%d.%m.%Y", "%d.%m.%y"),
    "fr_FR": ("%d/%m/%Y", "%d/%m/%y"),
    "es_ES": ("%d/%m/%Y", "%d/%m/%y"),
    "it_IT": ("%d/%m/%Y", "%d/%m/%y"),
    "nl_NL": ("%d-%m-%Y", "%d-%m-%y"),
}
ISO_FORMAT = "%Y-%m-%d"


def date_formats(locale: str) -> tuple[str, ...]:
    """The explicit formats accepted for `locale` (language-only fallbacks, ISO last)."""
    formats = LOCALE_DATE_FORMATS.get(locale)
    if formats is None:
        lang = locale.split("_")[0]
        formats = next((f for k, f in LOCALE_DATE_FORMATS.items() if k.startswith(lang + "_")), ("%d/%m/%Y",))
    return formats + (ISO_FORMAT,)


def display_date_format(locale: str) -> str:
    return date_formats(locale)[0]


def format_date(value: date | None, locale: str) -> str:
    return "" if value is None else value.strftime(display_date_format(locale))


def parse_typed_date(text: str, locale: str, *, today: date) -> date | None:
    """A date typed the clinic's way, or None. Two-digit years are never after `today` (the clinic's)."""
    text = text.strip()
    if not text or len(text) > 10:
        return None
    for fmt in date_formats(locale):
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt.endswith("%y") and parsed > today:
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


def region_of(locale: str) -> str:
    """The country part of a locale ("de_DE" → "DE"), used for national phone formats."""
    parts = locale.split("_")
    return parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 else "US"


def normalize_phone(text: str, region: str) -> str:
    """E.164 form of a phone typed in any formatting; ValueError with a sentence if invalid."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Enter a phone number, e.g. +49 30 1234567.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("This is not a valid phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """International display format of a stored E.164 number."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def normalize_mrn(text: str) -> str:
    return text.strip().upper()


@dataclass(frozen=True)
class FieldContext:
    """What validation needs to know beyond the values: today (the clinic's) and its locale."""

    today: date
    locale: str = "en_US"

    @property
    def region(self) -> str:
        return region_of(self.locale)

    @property
    def day(self) -> date:
        return self.today


def clean_patient_fields(
    raw: Mapping[str, Any], ctx: FieldContext, *, existing: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Validate and convert the given fields (strings from a form or typed values).

    `existing` holds the stored values, so cross-field rules (diagnosis after birth) check the
    record as it will be after the change. Unknown field names are reported, not ignored.
    """
    cleaned: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, value in raw.items():
        cleaner = _CLEANERS.get(name)
        if cleaner is None:
            problems.append(FieldProblem(name, "This field does not exist on a patient record."))
            continue
        # Before any cleaner: a value of only (say) U+001C would otherwise be stripped away as blank.
        refused = text_problem(value, _LABELS.get(name, name), multiline=name in MULTILINE_FIELDS) \
            if isinstance(value, str) else None
        if refused is not None:
            problems.append(FieldProblem(name, refused))
            continue
        try:
            cleaned[name] = cleaner(value, ctx)
        except ValueError as exc:
            problems.append(FieldProblem(name, str(exc)))
    if existing is None:
        for name in REQUIRED_FIELDS:
            if name not in raw and not any(p.field == name for p in problems):
                problems.append(FieldProblem(name, _REQUIRED_MESSAGES[name]))
    merged = {**(existing or {}), **cleaned}
    dob, diagnosed = merged.get("date_of_birth"), merged.get("diagnosed_on")
    if dob and diagnosed and diagnosed < dob and not any(p.field == "diagnosed_on" for p in problems):
        problems.append(FieldProblem("diagnosed_on", "The diagnosis date cannot be before the date of birth."))
    return cleaned, problems


#: Free-text fields that may hold line breaks and tabs.
MULTILINE_FIELDS = ("address", "notes")
#: How a field is named in a sentence.
_LABELS = {"mrn": "MRN", "given_name": "given name", "family_name": "family name", "phone": "phone number",
           "email": "e-mail address", "date_of_birth": "date of birth", "diagnosed_on": "diagnosis date",
           "last_hba1c": "last HbA1c", "last_hba1c_on": "date of the last HbA1c", "target_hba1c": "target HbA1c"}

_REQUIRED_MESSAGES = {
    "mrn": "Enter the medical record number (MRN).",
    "given_name": "Enter the given name.",
    "family_name": "Enter the family name.",
    "date_of_birth": "Enter the date of birth.",
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _name(label: str, field: str) -> Any:
    def clean(value: Any, ctx: FieldContext) -> str:
        if _blank(value):
            raise ValueError(_REQUIRED_MESSAGES[field])
        # Refused before splitting: str.split() would silently eat some controls (U+001C–U+001F, U+0085).
        text = unicodedata.normalize("NFC", " ".join(checked_text(value, label).split()))
        if len(text) > NAME_MAX:
            raise ValueError(f"The {label} is too long (at most {NAME_MAX} characters).")
        if any(ch.isdigit() for ch in text):
            raise ValueError(f"The {label} may contain letters, spaces, hyphens and apostrophes only.")
        return text

    return clean


def _mrn(value: Any, ctx: FieldContext) -> str:
    if _blank(value):
        raise ValueError(_REQUIRED_MESSAGES["mrn"])
    mrn = normalize_mrn(checked_text(value, "MRN"))
    if not MRN_PATTERN.match(mrn):
        raise ValueError("The MRN may use letters, digits, '-', '_', '/' and '.', up to 32 characters.")
    return mrn


def _date(field: str, *, required: bool = False, not_future: bool = True) -> Any:
    def clean(value: Any, ctx: FieldContext) -> date | None:
        if _blank(value):
            if required:
                raise ValueError(_REQUIRED_MESSAGES[field])
            return None
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            parsed = parse_typed_date(str(value), ctx.locale, today=ctx.day)
            if parsed is None:
                example = format_date(date(1980, 4, 23), ctx.locale)
                raise ValueError(f"Enter a date like {example}.")
            value = parsed
        if not_future and value > ctx.day:
            raise ValueError("The date cannot be in the future.")
        if value.year < 1880:
            raise ValueError("The date is implausibly far in the past.")
        return value

    return clean


def _phone(value: Any, ctx: FieldContext) -> str | None:
    if _blank(value):
        return None
    text = checked_text(value, "phone number")
    if len(text) > 40:
        raise ValueError("The phone number is too long.")
    return normalize_phone(text, ctx.region)


def _email(value: Any, ctx: FieldContext) -> str | None:
    if _blank(value):
        return None
    text = checked_text(value, "e-mail address")
    if len(text) > 254 or not EMAIL_PATTERN.match(text):
        raise ValueError("Enter an e-mail address like name@example.org.")
    return text


def _hba1c(value: Any, ctx: FieldContext) -> Decimal | None:
    if _blank(value):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").rstrip("%").strip())
    except InvalidOperation as exc:
        raise ValueError("Enter HbA1c as a percentage, e.g. 7.2.") from exc
    if not number.is_finite() or not HBA1C_MIN <= number <= HBA1C_MAX:
        raise ValueError("HbA1c must be between 3 and 20 %.")
    return number.quantize(Decimal("0.1"))


def _enum(enum_cls: type, label: str) -> Any:
    def clean(value: Any, ctx: FieldContext) -> Any:
        if _blank(value):
            if enum_cls is Sex:
                return Sex.UNKNOWN
            if enum_cls is GlucoseUnit:
                return GlucoseUnit.MG_DL
            return None
        try:
            return enum_cls(value)
        except ValueError as exc:
            raise ValueError(f"Choose a valid {label}.") from exc

    return clean


def _text(limit: int, label: str) -> Any:
    """A multi-line free text (address, notes): line breaks and tabs allowed, other controls not."""

    def clean(value: Any, ctx: FieldContext) -> str | None:
        if _blank(value):
            return None
        text = checked_text(value, label, multiline=True)
        if len(text) > limit:
            raise ValueError(f"The text is too long (at most {limit} characters).")
        return text

    return clean


def _uuid(value: Any, ctx: FieldContext) -> uuid.UUID | None:
    if _blank(value):
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise ValueError("Choose a doctor from the list.") from exc


_CLEANERS = {
    "mrn": _mrn,
    "given_name": _name("given name", "given_name"),
    "family_name": _name("family name", "family_name"),
    "date_of_birth": _date("date_of_birth", required=True),
    "sex": _enum(Sex, "sex"),
    "phone": _phone,
    "email": _email,
    "address": _text(1000, "address"),
    "diabetes_type": _enum(DiabetesType, "diabetes type"),
    "diagnosed_on": _date("diagnosed_on"),
    "last_hba1c": _hba1c,
    "last_hba1c_on": _date("last_hba1c_on"),
    "target_hba1c": _hba1c,
    "glucose_unit": _enum(GlucoseUnit, "glucose unit"),
    "management_mode": _enum(ManagementMode, "management mode"),
    "notes": _text(10_000, "notes"),
    "responsible_doctor_id": _uuid,
}
