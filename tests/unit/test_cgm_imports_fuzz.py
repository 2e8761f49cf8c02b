"""Fuzzing the readers: whatever the bytes, they either read the file or refuse it with ImportFormatError."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic_desktop.imports import ImportFormatError, ParsedReading, RejectedLine, open_export

DATA = Path(__file__).resolve().parents[1] / "data" / "cgm"
SEEDS = [(DATA / n).read_bytes() for n in ("dexcom_clarity_mgdl.csv", "libreview_us_mgdl.csv", "libreview_eu_mmol.csv")]
MAPPING = {"timestamp_column": "Timestamp (YYYY-MM-DDThh:mm:ss)", "value_column": "Glucose Value (mg/dL)", "unit": "mg/dL"}


def mutated():
    def mutate(seed_index: int, cuts: list[tuple[int, int, bytes]]) -> bytes:
        data = bytearray(SEEDS[seed_index])
        for pos, length, insert in cuts:
            pos %= max(len(data), 1)
            data[pos:pos + length] = insert
        return bytes(data)

    return st.builds(mutate, st.integers(0, len(SEEDS) - 1),
                     st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 40),
                                        st.binary(max_size=12) | st.sampled_from([b",", b"\n", b'"', b"High", b"\r\n"])),
                              max_size=6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=mutated() | st.binary(max_size=400) | st.text(max_size=400).map(lambda s: s.encode("utf-8")),
       kind=st.sampled_from(["dexcom", "libre", "csv"]))
def test_no_input_crashes_a_reader(content, kind):
    with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
        handle.write(content)
        handle.flush()
        try:
            reader = open_export(handle.name, kind, "Europe/Berlin", MAPPING)
            for rec in reader.records():
                assert isinstance(rec, (ParsedReading, RejectedLine))
                if isinstance(rec, ParsedReading):
                    assert 20 <= rec.value_mgdl <= 600 and rec.recorded_at.tzinfo is not None
                else:
                    assert rec.line >= 1 and rec.reason
        except ImportFormatError as exc:
            assert str(exc)
