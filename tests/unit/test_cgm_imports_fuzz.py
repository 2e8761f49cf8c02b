"""Fuzzing the readers: whatever the bytes, they either read the file or refuse it with ImportFormatError.

`hostile_files()` aims at the rules of #12 items 7–11: dates from year 1 to 9999 in zones either side
of UTC (with and without a patient's window), UTF-16/32 with and without a byte-order mark, invalid
UTF-8, rows far wider than the header and lines longer than the reader accepts.
"""

from __future__ import annotations

import codecs
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic_desktop.imports import ImportFormatError, ParsedReading, ReadingWindow, RejectedLine, open_export
from clinic_desktop.imports.export_reader import EXTRA_FIELDS_ALLOWED
from clinic_desktop.imports.text_source import MAX_LINE_CHARS

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


CLARITY = SEEDS[0].decode("utf-8-sig")
CLARITY_FIELDS = CLARITY.splitlines()[0].count(",") + 1
ZONES = st.sampled_from(["America/New_York", "Pacific/Pago_Pago", "Asia/Tokyo", "Pacific/Kiritimati", "UTC"])
WINDOWS = st.none() | st.builds(ReadingWindow, st.just(datetime(1975, 3, 4)), st.just(datetime(2026, 6, 2, 9, 0)))
ENCODINGS = {"utf-16": lambda t: t.encode("utf-16"), "utf-16-le": lambda t: t.encode("utf-16-le"),
             "utf-16-be": lambda t: t.encode("utf-16-be"), "utf-16-be-bom": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
             "utf-32": lambda t: t.encode("utf-32"), "utf-8-sig": lambda t: t.encode("utf-8-sig")}


def _egv(stamp: datetime, extra: int = 0) -> str:
    return f"99,{stamp.isoformat(timespec='seconds')},EGV,,,,G6,123,,,,,1,8ABC12" + "," * extra


@st.composite
def hostile_files(draw) -> tuple[bytes, str, str, ReadingWindow | None]:
    """(file bytes, what was done to it, zone, window): one of the bad-file families, on the Clarity sample."""
    zone, window = draw(ZONES), draw(WINDOWS)
    family = draw(st.sampled_from(["dates", "encoding", "invalid utf-8", "wide"]))
    lines = CLARITY.splitlines()
    at = draw(st.integers(1, len(lines)))
    if family == "dates":
        stamps = draw(st.lists(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
                               | st.sampled_from([datetime(9999, 12, 31, 23, 0), datetime(1, 1, 1, 0, 30)]),
                               min_size=1, max_size=5))
        lines[at:at] = [_egv(s.replace(microsecond=0)) for s in stamps]
        return ("\n".join(lines) + "\n").encode("utf-8"), family, zone, window
    if family == "encoding":
        codec = draw(st.sampled_from(sorted(ENCODINGS)))
        return ENCODINGS[codec](CLARITY), codec, zone, window
    if family == "invalid utf-8":
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe2\x82", b"\x80\x80"]))
        data = "\n".join(lines).encode("utf-8")
        pos = draw(st.integers(0, len(data)))
        return data[:pos] + bad + data[pos:], family, zone, window
    extra = draw(st.integers(0, 40) | st.integers(0, MAX_LINE_CHARS + 10))
    lines[at:at] = [_egv(datetime(2024, 10, 27, 1, 2), extra)]
    return ("\n".join(lines) + "\n").encode("utf-8"), family, zone, window


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=hostile_files())
def test_bad_files_get_a_per_line_or_per_file_message(case):
    check_hostile_file(*case)


def check_hostile_file(content: bytes, family: str, zone: str, window: ReadingWindow | None) -> str:
    """Read `content` as a Dexcom file; assert every outcome is explained. Returns 'read' or 'refused'."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
        handle.write(content)
        handle.flush()
        try:
            recs = list(open_export(handle.name, "dexcom", zone, window=window).records())
        except ImportFormatError as exc:
            message = str(exc)
            if family in ("utf-16-le", "utf-16-be"):
                assert f"{family.upper().replace('-LE', ' LE').replace('-BE', ' BE')} text without a byte-order mark" in message
            elif family == "wide":
                assert "characters long" in message and "Line " in message
            elif family == "invalid utf-8":
                assert "UTF-8" in message
            else:
                raise AssertionError(f"{family} file refused: {message}") from None
            return "refused"
    assert family not in ("utf-16-le", "utf-16-be")  # never read without its byte-order mark
    for rec in recs:
        if isinstance(rec, RejectedLine):
            assert rec.line >= 1 and rec.reason
            if "fields" in rec.reason:
                assert f"{CLARITY_FIELDS} (at most {CLARITY_FIELDS + EXTRA_FIELDS_ALLOWED} accepted)" in rec.reason
        else:
            assert isinstance(rec, ParsedReading) and rec.recorded_at.tzinfo is not None
            if window is not None:  # a wild year never becomes a reading of the patient (offsets are < 1 day)
                naive_utc = rec.recorded_at.replace(tzinfo=None)
                assert window.earliest - timedelta(days=1) < naive_utc < window.latest + timedelta(days=1)
    if family in ENCODINGS and family not in ("utf-16-le", "utf-16-be"):
        assert sum(isinstance(r, ParsedReading) for r in recs) >= 1
    return "read"
