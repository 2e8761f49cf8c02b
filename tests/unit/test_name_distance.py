"""Typo distance between a typed and a stored name (both already normalised)."""

from __future__ import annotations

import pytest

from clinic_desktop.domain.name_distance import allowed_typos, prefix_typo_distance, typo_distance


@pytest.mark.parametrize(
    ("typed", "stored", "slips"),
    [
        ("schmidt", "schmidt", 0),
        ("schmdit", "schmidt", 1),  # neighbours swapped: one slip, not two
        ("wganer", "wagner", 1),
        ("schmdt", "schmidt", 1),  # missing
        ("schmiddt", "schmidt", 1),  # doubled
        ("schmudt", "schmidt", 1),  # wrong letter
        ("abc", "cba", 2),
        ("", "ab", 2),
        ("kyaa", "kara", 2),
    ],
)
def test_typo_distance_counts_slips(typed, stored, slips):
    assert typo_distance(typed, stored) == slips
    assert typo_distance(stored, typed) == slips


def test_prefix_distance_is_for_a_name_still_being_typed():
    assert prefix_typo_distance("sch", "schmidt") == 0
    assert prefix_typo_distance("schmd", "schmidtbauer") == 1
    assert prefix_typo_distance("wagner", "wag") == 3


@pytest.mark.parametrize(("typed", "allowed"), [("ab", 0), ("abc", 1), ("abcd", 1), ("abcde", 2), ("de luca", 2)])
def test_longer_words_tolerate_more_slips(typed, allowed):
    assert allowed_typos(typed) == allowed


@pytest.mark.parametrize(("typed", "stored"), [("schmdit", "schmidt"), ("wagner", "wgnerstein"), ("abcdef", "uvwxyz"),
                                               ("kyaa", "kaya"), ("mulelr", "mueller"), ("a", "bcd")])
@pytest.mark.parametrize("limit", [0, 1, 2])
def test_a_limit_only_caps_the_distance(typed, stored, limit):
    exact = typo_distance(typed, stored)
    assert typo_distance(typed, stored, limit) == min(exact, limit + 1)
    assert prefix_typo_distance(typed, stored, limit) == min(prefix_typo_distance(typed, stored), limit + 1)
