"""Search-as-you-type over the registry: name (accent/case-insensitive, typo-tolerant), MRN
prefix, phone digits in any formatting, and date of birth typed the clinic's way.

Each kind is one indexed query (see migration 0003):
- name prefix: btree on `search_name` (collation "C", so LIKE 'abc%' is an index range);
- misspelt name: only when the prefixes found (almost) nothing, the typed words are corrected
  against the clinic's distinct names and patients read by exact key (patient_name_match.py);
- MRN prefix: btree with text_pattern_ops; phone: GIN trigram on the digits; DOB: btree.
Everything typed is a bound parameter; LIKE wildcards typed by a user are escaped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from ..db.models import Patient
from ..domain import patient_rules
from . import patient_name_match
from .patient_dto import PatientSummary

MAX_QUERY_CHARS = 100  # longer input is cut: no name, MRN or phone is longer
MIN_FUZZY_CHARS = 3  # below three letters a trigram search matches nearly everything
FUZZY_ONLY_BELOW = 3  # exact prefix hits that make a typo search unnecessary
_PHONE_CHARS = re.compile(r"^[\d\s+()\-./]+$")
_MRN_CHARS = re.compile(r"^[A-Za-z0-9_\-/.]+$")


def escape_like(value: str) -> str:
    """Make `%`, `_` and the escape character itself literal in a LIKE pattern (ESCAPE '\\')."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_patients(
    session: Session,
    clinic_id: uuid.UUID,
    raw_text: str,
    *,
    locale: str,
    limit: int,
    include_archived: bool,
    today: date,
) -> list[PatientSummary]:
    """Hits for every key the text could be, exact keys first, then names by rank."""
    printable = "".join(ch for ch in raw_text if ch.isprintable())  # NUL and control bytes are noise
    query = " ".join(printable.split())[:MAX_QUERY_CHARS]
    if not query or limit <= 0:
        return []
    limit = min(limit, 500)
    hits: dict[uuid.UUID, PatientSummary] = {}

    def take(rows: Iterable, kind: str, score_of=lambda row: 1.0) -> None:  # noqa: ANN001
        for row in rows:
            if len(hits) >= limit:
                return
            hits.setdefault(row.id, _summary(row, kind, score_of(row)))

    base = _base(clinic_id, include_archived)
    dob = patient_rules.parse_typed_date(query, locale, today=today)
    if dob is not None:
        by_dob = base.where(Patient.date_of_birth == dob).order_by(Patient.search_name)
        take(session.execute(by_dob.limit(limit)), "dob")
    if _MRN_CHARS.match(query) and any(ch.isdigit() for ch in query):
        pattern = escape_like(patient_rules.normalize_mrn(query)) + "%"
        rows = session.execute(base.where(Patient.mrn.like(pattern, escape="\\")).order_by(Patient.mrn).limit(limit))
        take(rows, "mrn")
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and _PHONE_CHARS.match(query):
        take(session.execute(_phone_query(base, query, digits, locale).limit(limit)), "phone")
    if any(ch.isalpha() for ch in query) and len(hits) < limit:
        _search_names(session, base, query, limit, hits, take, clinic_id=clinic_id, include_archived=include_archived)
    return list(hits.values())


def _base(clinic_id: uuid.UUID, include_archived: bool) -> Select:
    stmt = select(
        Patient.id, Patient.mrn, Patient.family_name, Patient.given_name, Patient.date_of_birth,
        Patient.deleted_at, Patient.phone_e164, Patient.glucose_unit,
    ).where(Patient.clinic_id == clinic_id)
    if not include_archived:
        stmt = stmt.where(Patient.deleted_at.is_(None))
    return stmt


def _phone_query(base: Select, query: str, digits: str, locale: str) -> Select:
    candidates = {digits.lstrip("0") or digits}
    try:  # typed nationally ("0151 …"): also look for its international digits
        candidates.add(patient_rules.normalize_phone(query, patient_rules.region_of(locale)).lstrip("+"))
    except ValueError:
        pass
    conditions = [Patient.phone_digits.like(f"%{c}%") for c in sorted(candidates) if len(c) >= 4]
    return base.where(or_(*conditions)).order_by(Patient.search_name)


def _search_names(  # noqa: ANN001
    session: Session, base: Select, query: str, limit: int, hits: dict, take, *, clinic_id: uuid.UUID,
    include_archived: bool,
) -> None:
    """Prefix matches in name order first, then typo-tolerant matches ranked by slips needed.

    The typo search runs only when the exact prefixes found (almost) nothing — the typo case.
    """
    normalized = session.scalar(select(func.lower(func.f_unaccent(query)))) or ""
    before = len(hits)
    prefix = escape_like(normalized) + "%"
    stages = [base.where(Patient.search_name.like(prefix, escape="\\"))]
    words = normalized.split()
    if len(words) > 1:
        # Given name first ("anna schmidt"): each word must start a word of the stored name.
        cond = [Patient.search_name.like(escape_like(words[0]) + "%", escape="\\")]
        cond += [Patient.search_name.like("% " + escape_like(w) + "%", escape="\\") for w in words[1:]]
        alt = [Patient.search_name.like("% " + escape_like(words[0]) + "%", escape="\\")]
        alt += [Patient.search_name.like(escape_like(w) + "%", escape="\\") for w in words[1:]]
        stages.append(base.where(or_(and_(*cond), and_(*alt))))
    # Both stages in one round trip: whole-name prefix hits first, then word-start hits.
    parts = [stage.add_columns(literal(i).label("stage"), Patient.search_name.label("sort_name"))
             .order_by(Patient.search_name).limit(limit).subquery() for i, stage in enumerate(stages)]
    union = union_all(*(select(part) for part in parts)).subquery()
    take(session.execute(select(union).order_by(union.c.stage, union.c.sort_name)), "name")
    found = len(hits) - before
    if len(normalized.replace(" ", "")) < MIN_FUZZY_CHARS or found >= FUZZY_ONLY_BELOW or len(hits) >= limit:
        return
    if any(ch.isdigit() for ch in normalized):
        return  # names never hold digits (patient_rules): an MRN or phone, answered above
    similar = patient_name_match.similar_names(
        session, clinic_id, normalized, limit=limit, include_archived=include_archived,
        min_family_letters=MIN_FUZZY_CHARS,
    )
    scores = {row.id: score for row, score in similar}
    take((row for row, _ in similar), "name", lambda row: scores[row.id])


def _summary(row, kind: str, score: float) -> PatientSummary:  # noqa: ANN001
    return PatientSummary(
        id=row.id,
        mrn=row.mrn,
        display_name=f"{row.family_name}, {row.given_name}",
        date_of_birth=row.date_of_birth,
        archived=row.deleted_at is not None,
        phone_e164=row.phone_e164,
        glucose_unit=row.glucose_unit,
        match=kind,
        score=score,
    )
