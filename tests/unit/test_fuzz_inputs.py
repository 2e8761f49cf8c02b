"""Every form and file reader under property-based fuzzing (a few hundred cases each in CI;
`tests/benchmarks/fuzz_inputs.py` runs 10,000 or more)."""

from __future__ import annotations

import pytest

from tests.fuzz_targets import OUTCOMES, offline_targets

TARGETS = offline_targets(200)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_input_crashes_or_goes_unexplained(name):
    TARGETS[name]()
    assert sum(n for (target, _outcome), n in OUTCOMES.items() if target == name) >= 50
