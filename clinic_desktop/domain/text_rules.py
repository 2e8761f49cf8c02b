"""One rule for every free-text field: which characters may be stored, and NFC normalisation.

A name, an MRN or a note must display as what it is. Bidirectional overrides and isolates
(U+202A–U+202E, U+2066–U+2069) can make "Smith" show as something else, zero-width characters
(U+200B–U+200D, U+2060, U+FEFF) hide inside a name so two records look identical, and control
characters (C0, DEL, C1) either break the display or — NUL — cannot be stored by PostgreSQL at
all. Tabs and line breaks are allowed only in multi-line fields (address, notes).

Plain Python: each check returns a sentence (or None) so callers can attach it to their field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from .errors import FieldProblem, ValidationError

#: Bidirectional embeddings, overrides and isolates (they reorder what is displayed).
BIDI_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
#: Characters that take no space: zero width space/non-joiner/joiner, word joiner, BOM.
INVISIBLE = frozenset({0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF})
#: Line breaks and tabs a multi-line field may hold.
MULTILINE_WHITESPACE = frozenset({0x09, 0x0A, 0x0D})


def forbidden_character(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """The first character `text` may not hold, as (position, description), or None."""
    for index, ch in enumerate(text):
        code = ord(ch)
        if multiline and code in MULTILINE_WHITESPACE:
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F:
            kind = "a control character"
        elif code in BIDI_CONTROLS:
            kind = "a text-direction control"
        elif code in INVISIBLE:
            kind = "an invisible character"
        elif 0xD800 <= code <= 0xDFFF:
            kind = "a broken character (lone surrogate)"
        else:
            continue
        return index, f"{kind} (U+{code:04X})"
    return None


def text_problem(text: str, label: str, *, multiline: bool = False) -> str | None:
    """A sentence saying why `text` cannot be stored in the field `label`, or None if it can."""
    found = forbidden_character(text, multiline=multiline)
    if found is None:
        return None
    index, what = found
    allowed = "" if multiline else " Line breaks and tabs are not allowed here."
    return f"The {label} contains {what} at position {index + 1}; remove it.{allowed}"


def checked_text(value: object, label: str, *, multiline: bool = False) -> str:
    """`value` as NFC text with surrounding space removed; ValueError (a sentence) if it is refused."""
    text = str(value)
    problem = text_problem(text, label, multiline=multiline)
    if problem is not None:
        raise ValueError(problem)
    return unicodedata.normalize("NFC", text.strip())


def optional_text(value: str | None, field: str, label: str, *, limit: int, multiline: bool = False,
                  problems: list[FieldProblem]) -> str | None:
    """A cleaned optional text (None when blank); a refusal is appended to `problems` for `field`."""
    if value is None or not str(value).strip():
        return None
    try:
        text = checked_text(value, label, multiline=multiline)
    except ValueError as exc:
        problems.append(FieldProblem(field, str(exc)))
        return None
    if len(text) > limit:
        problems.append(FieldProblem(field, f"The {label} is too long (at most {limit} characters)."))
        return None
    return text


def text_field_problems(fields: Iterable[tuple[str, str, str | None, bool]]) -> list[FieldProblem]:
    """Problems for (field, label, value, multiline) tuples; blank values pass."""
    problems: list[FieldProblem] = []
    for field, label, value, multiline in fields:
        if value:
            problem = text_problem(str(value), label, multiline=multiline)
            if problem is not None:
                problems.append(FieldProblem(field, problem))
    return problems


def refuse_bad_text(*fields: tuple[str, str, str | None, bool]) -> None:
    """Raise ValidationError naming every (field, label, value, multiline) whose value holds a refused character."""
    problems = text_field_problems(fields)
    if problems:
        raise ValidationError(problems)
