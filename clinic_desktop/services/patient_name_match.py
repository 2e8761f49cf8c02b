"""Typo-tolerant name search at a million patients: correct the typed words against the
clinic's distinct names, then read the patients by exact name key.

A million patients share tens of thousands of surnames and a few thousand given names
(`patient_name_key`, revision 0008). Each way of reading the typed words ("family given",
"given family", one surname of several words, a given name alone) looks up its words among
those keys — trigram similarity for slips anywhere, bounded edit distance among the keys with the
same initial — and ranks them by typo distance (a swap of two letters is one slip). The best
(family, given) pairs are then read through the btree on `search_name` (= "family given"), a few
index probes however common the name. Cost grows with the number of distinct names, not patients.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from itertools import product

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..domain.name_distance import allowed_typos, prefix_typo_distance, typo_distance

MAX_WORDS = 4  # more words than any name: the prefix search has answered already
KEYS_PER_TERM = 8
MAX_PAIRS = 12
PREFIX_PENALTY = 0.5  # "jose" typed: José before Josefine
GIVEN_FIRST_PENALTY = 0.25  # the list shows "family, given", so people mostly type that order
GIVEN_ALONE_PENALTY = 0.5
SIMILARITY_WEIGHT = 0.1  # a tie-break within one slip count, never more
_END = chr(0x10FFFF)  # above every character: [p, p + _END) holds exactly the strings starting with p

# Keys within the allowed slips of each term, family and given names in one statement (a
# constant part in each half, so the planner knows which keys it reads). Levenshtein counts a
# swap of neighbours as two, so one more edit is let through when the lengths leave room for a
# swap; the exact typo distance is computed on the few keys returned. `prefix_edits` -1: the
# term must be a whole name. `%` uses pg_trgm's default similarity threshold (0.3): a wide net
# for slips in the first letter, which the per-initial scan cannot see.
_KEYS_HALF = """
    SELECT '{part}' AS part, t.ord, c.key, similarity(c.key, t.term) AS sim
    FROM unnest(CAST(:{p}_terms AS text[]), CAST(:{p}_lo AS text[]), CAST(:{p}_hi AS text[]),
                CAST(:{p}_full AS int[]), CAST(:{p}_prefix AS int[]), CAST(:{p}_trigram AS boolean[]))
         WITH ORDINALITY AS t(term, lo, hi, full_edits, prefix_edits, trigram, ord)
    CROSS JOIN LATERAL (
        SELECT k.key FROM (
            SELECT k.key FROM patient_name_key k
            WHERE t.trigram AND k.clinic_id = :clinic AND k.part = '{part}' AND k.key % t.term
            UNION ALL
            SELECT k.key FROM patient_name_key k
            WHERE k.clinic_id = :clinic AND k.part = '{part}' AND k.key >= t.lo AND k.key < t.hi
        ) AS k
        WHERE (abs(length(k.key) - length(t.term)) <= t.full_edits
               AND levenshtein_less_equal(k.key, t.term, t.full_edits + 1)
                   <= t.full_edits + CASE WHEN abs(length(k.key) - length(t.term)) < t.full_edits THEN 1 ELSE 0 END)
           OR (t.prefix_edits >= 0 AND length(k.key) > length(t.term)
               AND levenshtein_less_equal(left(k.key, length(t.term)), t.term, 2 * t.prefix_edits)
                   <= 2 * t.prefix_edits)
    ) AS c
"""
_KEYS = text(_KEYS_HALF.format(part="family", p="f") + "UNION ALL" + _KEYS_HALF.format(part="given", p="g"))

_COLUMNS = "p.id, p.mrn, p.family_name, p.given_name, p.date_of_birth, p.deleted_at, p.phone_e164, p.glucose_unit"

# By (family, given) pair or by family alone: a range on the "family given" btree; the filter
# keeps a family "de" from matching "de luca maria".
_BY_FAMILY = text(
    f"""
    SELECT hit.*, pair.cost
    FROM unnest(CAST(:family_space AS text[]), CAST(:given_prefix AS text[]), CAST(:cost AS float8[]))
         WITH ORDINALITY AS pair(family_space, given_prefix, cost, ord)
    CROSS JOIN LATERAL (
        SELECT {_COLUMNS}, p.search_name FROM patient p
        WHERE p.clinic_id = :clinic AND (:archived OR p.deleted_at IS NULL)
          AND p.search_name >= pair.family_space || pair.given_prefix
          AND p.search_name < pair.family_space || pair.given_prefix || :end
          AND p.search_name = pair.family_space || p.given_key
        ORDER BY p.search_name, p.id LIMIT :limit
    ) AS hit
    ORDER BY pair.ord, hit.search_name, hit.id LIMIT :limit
    """
)

_BY_GIVEN = text(
    f"""
    SELECT hit.*, g.cost
    FROM unnest(CAST(:given AS text[]), CAST(:cost AS float8[])) WITH ORDINALITY AS g(given, cost, ord)
    CROSS JOIN LATERAL (
        SELECT {_COLUMNS}, p.search_name FROM patient p
        WHERE p.clinic_id = :clinic AND (:archived OR p.deleted_at IS NULL) AND p.given_key = g.given
        ORDER BY p.search_name, p.id LIMIT :limit
    ) AS hit
    ORDER BY g.ord, hit.search_name, hit.id LIMIT :limit
    """
)


@dataclass(frozen=True)
class _Reading:
    """One way to read the typed words: which are the family name, which the given name."""

    family: str | None
    given: str | None
    penalty: float


def readings(words: list[str], min_family_letters: int) -> list[_Reading]:
    """Every split of the words into family and given name (in both orders), or one part alone."""
    out = [_Reading(" ".join(words), None, 0.0)]
    for cut in range(1, len(words)):
        out.append(_Reading(" ".join(words[:cut]), " ".join(words[cut:]), 0.0))
        out.append(_Reading(" ".join(words[cut:]), " ".join(words[:cut]), GIVEN_FIRST_PENALTY))
    if len(words) == 1:
        out.append(_Reading(None, words[0], GIVEN_ALONE_PENALTY))
    return [r for r in out if r.family is None or len(r.family.replace(" ", "")) >= min_family_letters]


def similar_names(
    session: Session, clinic_id: uuid.UUID, normalized: str, *, limit: int, include_archived: bool,
    min_family_letters: int,
) -> list[tuple]:
    """(row, score) for patients whose name is a few slips from what was typed, best first."""
    words = normalized.split()
    if not words or len(words) > MAX_WORDS:
        return []
    plans = readings(words, min_family_letters)
    last = {r.given if r.given is not None and normalized.endswith(r.given) else r.family for r in plans}
    family_terms = {r.family for r in plans if r.family is not None}
    given_terms = {r.given for r in plans if r.given is not None}
    keys = _matching_keys(session, clinic_id, {"family": family_terms, "given": given_terms}, last)
    family_keys, given_keys = keys["family"], keys["given"]
    pairs: dict[tuple[str | None, str | None], float] = {}
    for plan in plans:
        families = family_keys.get(plan.family, []) if plan.family is not None else [(None, 0.0)]
        givens = given_keys.get(plan.given, []) if plan.given is not None else [(None, 0.0)]
        for (family, f_cost), (given, g_cost) in product(families, givens):
            cost = f_cost + g_cost + plan.penalty
            pairs[(family, given)] = min(cost, pairs.get((family, given), cost))
    best = sorted(pairs.items(), key=lambda item: (item[1], item[0][0] or "", item[0][1] or ""))[:MAX_PAIRS]
    params = {"clinic": clinic_id, "archived": include_archived, "limit": limit, "end": _END}
    by_family = [(f, g, c) for (f, g), c in best if f is not None]
    by_given = [(g, c) for (f, g), c in best if f is None]
    rows = []
    if by_family:
        rows += session.execute(_BY_FAMILY, {
            **params, "family_space": [f + " " for f, _, _ in by_family],
            "given_prefix": [g or "" for _, g, _ in by_family], "cost": [c for _, _, c in by_family],
        }).all()
    if by_given:
        rows += session.execute(_BY_GIVEN, {
            **params, "given": [g for g, _ in by_given], "cost": [c for _, c in by_given],
        }).all()
    rows.sort(key=lambda row: (row.cost, row.search_name, row.id))
    return [(row, score_of(row.cost)) for row in rows[:limit]]


def score_of(cost: float) -> float:
    """A rank below every exact prefix hit (1.0), falling with the slips needed (cost >= -0.2)."""
    return 0.9 / (1.2 + cost)


def _matching_keys(
    session: Session, clinic_id: uuid.UUID, terms: dict[str, set[str]], last: set[str | None]
) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """Per part and typed term, the stored keys within its allowed slips, by cost."""
    ordered = {part: sorted(t) for part, t in terms.items()}
    prefix = {part: [_prefix_typos(t) if part == "given" or t in last else -1 for t in ts]
              for part, ts in ordered.items()}
    params: dict = {"clinic": clinic_id}
    for part, ts in ordered.items():
        # One word: every key with its initial is checked for slips. Several words (a surname
        # like "de luca"): their many trigrams find slips well enough, so only keys starting so.
        bounds = [_initial_range(t) if (allowed_typos(t) or p > 0) and " " not in t else (t, t + _END)
                  for t, p in zip(ts, prefix[part])]
        p = part[0]
        params.update({f"{p}_terms": ts, f"{p}_lo": [lo for lo, _ in bounds], f"{p}_hi": [hi for _, hi in bounds],
                       f"{p}_full": [allowed_typos(t) for t in ts], f"{p}_prefix": prefix[part],
                       f"{p}_trigram": [len(t) >= 4 for t in ts]})
    found: dict[str, dict[str, dict[str, float]]] = {"family": {}, "given": {}}
    for row in session.execute(_KEYS, params):
        term = ordered[row.part][row.ord - 1]
        cost = _cost(term, row.key, prefix_edits=prefix[row.part][row.ord - 1])
        if cost is not None:
            # Between equal slips, the key sharing more trigrams ("beker": Becker before Baker).
            found[row.part].setdefault(term, {})[row.key] = cost - SIMILARITY_WEIGHT * float(row.sim)
    return {part: {term: sorted(keys.items(), key=lambda kv: (kv[1], kv[0]))[:KEYS_PER_TERM]
                   for term, keys in by_term.items()} for part, by_term in found.items()}


def _cost(term: str, key: str, *, prefix_edits: int) -> float | None:
    """Slips from `term` to `key` (or to its beginning, for a word still being typed), or None."""
    allowed = allowed_typos(term)
    best = None
    if abs(len(key) - len(term)) <= allowed:
        full = typo_distance(term, key, allowed)
        best = float(full) if full <= allowed else None
    if prefix_edits >= 0 and len(key) > len(term) and (best is None or best > PREFIX_PENALTY):
        partial = prefix_typo_distance(term, key, prefix_edits)
        if partial <= prefix_edits and (best is None or partial + PREFIX_PENALTY < best):
            best = partial + PREFIX_PENALTY
    return best


def _prefix_typos(term: str) -> int:
    """Slips tolerated in a word still being typed: none in its first four letters."""
    return 0 if len(term.replace(" ", "")) < 5 else 1


def _initial_range(term: str) -> tuple[str, str]:
    """Keys with the term's first letter (typos rarely hit the first letter; trigrams catch those)."""
    return term[0], chr(min(ord(term[0]) + 1, 0x10FFFF))
