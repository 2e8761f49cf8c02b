"""How far a typed name is from a stored one, counted in the slips people make when typing.

Optimal string alignment distance: one insertion, deletion, substitution or swap of two
neighbouring letters costs 1 (plain Levenshtein counts a swap as 2, which would rank "Wganer"
as far from "Wagner" as from "Wagener"). Both strings are already normalised (lower-case,
accent-free) by the caller.
"""

from __future__ import annotations


def typo_distance(typed: str, stored: str) -> int:
    """Edits (insert, delete, substitute, swap neighbours) that turn `typed` into `stored`."""
    if typed == stored:
        return 0
    n, m = len(typed), len(stored)
    if not n or not m:
        return n or m
    before: list[int] | None = None
    previous = list(range(m + 1))
    for i in range(1, n + 1):
        current = [i] + [0] * m
        for j in range(1, m + 1):
            cost = typed[i - 1] != stored[j - 1]
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (before is not None and i > 1 and j > 1 and typed[i - 1] == stored[j - 2]
                    and typed[i - 2] == stored[j - 1]):
                best = min(best, before[j - 2] + 1)
            current[j] = best
        before, previous = previous, current
    return previous[m]


def prefix_typo_distance(typed: str, stored: str) -> int:
    """Distance of `typed` from the best-matching beginning of `stored` (a name still being typed)."""
    if stored.startswith(typed):
        return 0
    lengths = [k for k in (len(typed) - 1, len(typed), len(typed) + 1) if 0 < k <= len(stored)] or [len(stored)]
    return min(typo_distance(typed, stored[:k]) for k in lengths)


def allowed_typos(typed: str) -> int:
    """Slips tolerated in a word of this length: none below 3 letters, 1 up to 4, then 2."""
    letters = len(typed.replace(" ", ""))
    if letters < 3:
        return 0
    return 1 if letters <= 4 else 2
