"""How far a typed name is from a stored one, counted in the slips people make when typing.

Optimal string alignment distance: one insertion, deletion, substitution or swap of two
neighbouring letters costs 1 (plain Levenshtein counts a swap as 2, which would rank "Wganer"
as far from "Wagner" as from "Wagener"). Both strings are already normalised (lower-case,
accent-free) by the caller.
"""

from __future__ import annotations


def typo_distance(typed: str, stored: str, limit: int | None = None) -> int:
    """Edits (insert, delete, substitute, swap neighbours) that turn `typed` into `stored`.

    With `limit`, any distance above it is reported as `limit + 1` (and found much sooner).
    """
    if typed == stored:
        return 0
    if limit is not None and abs(len(typed) - len(stored)) > limit:
        return limit + 1
    last = _last_row(typed, stored, limit)
    return last[len(stored)] if limit is None else min(last[len(stored)], limit + 1)


def prefix_typo_distance(typed: str, stored: str, limit: int | None = None) -> int:
    """Distance of `typed` from the best-matching beginning of `stored` (a name still being typed)."""
    if stored.startswith(typed):
        return 0
    n = len(typed)
    head = stored[: n + 1]
    last = _last_row(typed, head, limit)  # distances of `typed` to every beginning of `head`
    ends = [k for k in (n - 1, n, n + 1) if 0 < k <= len(head)] or [len(head)]
    best = min(last[k] for k in ends)
    return best if limit is None else min(best, limit + 1)


def _last_row(typed: str, stored: str, limit: int | None) -> list[int]:
    """The last row of the optimal-string-alignment table: distances of `typed` to each
    beginning of `stored`. With `limit`, stops (all cells > limit) once no path can come back."""
    m = len(stored)
    before: list[int] | None = None
    previous = list(range(m + 1))
    for i in range(1, len(typed) + 1):
        t = typed[i - 1]
        current = [i] + [0] * m
        for j in range(1, m + 1):
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (t != stored[j - 1]))
            if before is not None and j > 1 and t == stored[j - 2] and typed[i - 2] == stored[j - 1]:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if limit is not None and min(current) > limit and min(previous) > limit:
            return [limit + 1] * (m + 1)  # a swap looks back one row only: no path gets cheaper again
        before, previous = previous, current
    return previous


def allowed_typos(typed: str) -> int:
    """Slips tolerated in a word of this length: none below 3 letters, 1 up to 4, then 2."""
    letters = len(typed.replace(" ", ""))
    if letters < 3:
        return 0
    return 1 if letters <= 4 else 2
