"""Bad files (#12 items 7–11): impossible years, readings outside the patient's life, UTF-16, endless lines, wide rows.

Each case is a real file in tmp_path read by the real reader; a bad line is a rejected line with its
number and reason, a bad file an ImportFormatError saying what and where.
"""

from __future__ import annotations

import codecs
from datetime import datetime, timezone
from pathlib import Path

import pytest

from clinic_desktop.imports import ImportFormatError, ParsedReading, ReadingWindow, RejectedLine, open_export
from clinic_desktop.imports.export_reader import EXTRA_FIELDS_ALLOWED
from clinic_desktop.imports.text_source import MAX_LINE_CHARS

DATA = Path(__file__).resolve().parents[1] / "data" / "cgm"
HEADER = ("Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,"
          "Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams),Duration (hh:mm:ss),"
          "Glucose Rate of Change (mg/dL/min),Transmitter Time (Long Integer),Transmitter ID")
HEADER_FIELDS = HEADER.count(",") + 1


def egv(index: int, stamp: str, value: int = 120, extra_fields: int = 0) -> str:
    """One Dexcom Clarity glucose line (line `index + 1` of the file), optionally with extra empty fields."""
    return f"{index},{stamp},EGV,,,,G7,{value},,,,,{index * 300},XYZ789" + "," * extra_fields


def clarity(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode(encoding))
    return path


def split(path: Path, zone: str = "Europe/Berlin", window: ReadingWindow | None = None):
    reader = open_export(str(path), "dexcom", zone, window=window)
    recs = list(reader.records())
    return [r for r in recs if isinstance(r, ParsedReading)], {r.line: r.reason for r in recs if isinstance(r, RejectedLine)}


@pytest.mark.parametrize("zone,stamp", [("America/New_York", "9999-12-31T22:00:00"),
                                        ("Asia/Tokyo", "0001-01-01T03:00:00")])
def test_a_year_the_zone_cannot_convert_is_a_rejected_line_not_a_crash(tmp_path, zone, stamp):
    path = clarity(tmp_path / "years.csv", [egv(1, "2025-01-01T08:00:00"), egv(2, stamp), egv(3, "2025-01-01T08:10:00")])
    ok, bad = split(path, zone)
    assert [r.line for r in ok] == [2, 4]
    assert bad == {3: f"{stamp.replace('T', ' ')[:16]} in {zone} falls outside the years 1–9999 when converted to UTC"}


def test_readings_before_birth_or_over_a_day_ahead_are_rejected_per_line(tmp_path):
    window = ReadingWindow(datetime(1975, 3, 4), datetime(2026, 6, 2, 9, 0))
    lines = [egv(1, "1975-03-03T23:55:00"), egv(2, "1975-03-04T00:00:00"), egv(3, "2026-06-02T09:00:00"),
             egv(4, "2026-06-02T09:05:00"), egv(5, "9999-12-31T23:55:00")]
    ok, bad = split(clarity(tmp_path / "window.csv", lines), "America/New_York", window)
    assert [r.line for r in ok] == [3, 4]
    assert ok[0].recorded_at == datetime(1975, 3, 4, 4, 0, tzinfo=timezone.utc)  # EDT: winter DST of 1975
    assert bad == {2: "date 1975-03-03 23:55 is before the patient's date of birth",
                   5: "date 2026-06-02 09:05 is more than a day in the future",
                   6: "date 9999-12-31 23:55 is more than a day in the future"}


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be-bom", "utf-16-le-bom"])
def test_utf16_with_a_byte_order_mark_reads_like_the_utf8_file(tmp_path, codec):
    text = (DATA / "dexcom_clarity_mgdl.csv").read_text(encoding="utf-8-sig")
    if codec == "utf-16":
        data = text.encode("utf-16")  # the platform's order with its BOM
    else:
        order = codec.split("-")[2]
        bom = codecs.BOM_UTF16_BE if order == "be" else codecs.BOM_UTF16_LE
        data = bom + text.encode(f"utf-16-{order}")
    (tmp_path / "u16.csv").write_bytes(data)
    ok, bad = split(tmp_path / "u16.csv")
    ok8, bad8 = split(DATA / "dexcom_clarity_mgdl.csv")
    assert [(r.line, r.recorded_at, r.value_mgdl) for r in ok] == [(r.line, r.recorded_at, r.value_mgdl) for r in ok8]
    assert bad == bad8 and len(ok) == 49


@pytest.mark.parametrize("order", ["le", "be"])
def test_utf16_without_a_byte_order_mark_is_named_with_how_to_export_again(tmp_path, order):
    text = (DATA / "libreview_us_mgdl.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "u16.csv").write_bytes(text.encode(f"utf-16-{order}"))
    with pytest.raises(ImportFormatError, match=f"UTF-16 {order.upper()} text without a byte-order mark") as caught:
        open_export(str(tmp_path / "u16.csv"), "libre", "Europe/Berlin")
    assert "CSV UTF-8" in str(caught.value)


def test_invalid_utf8_past_the_first_block_names_the_line(tmp_path):
    lines = [egv(i, f"2025-01-01T{i // 12:02d}:{i % 12 * 5:02d}:00") for i in range(1, 200)]
    lines[150] = lines[150].replace("XYZ789", "XYZ\xff789")
    path = tmp_path / "bad.csv"
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode("utf-8").replace("\xff".encode(), b"\xff"))
    with pytest.raises(ImportFormatError, match=r"not valid UTF-8 text: line 152 has bytes that are not UTF-8\. .*CSV UTF-8"):
        list(open_export(str(path), "dexcom", "Europe/Berlin").records())


def test_an_endless_line_is_refused_with_its_number_and_size(tmp_path):
    long_line = egv(2, "2025-01-01T08:05:00") + "9" * (3 * MAX_LINE_CHARS)
    path = clarity(tmp_path / "long.csv", [egv(1, "2025-01-01T08:00:00"), long_line, egv(3, "2025-01-01T08:10:00")])
    with pytest.raises(ImportFormatError, match=f"Line 3 is {len(long_line) + 1:,} characters long"):
        list(open_export(str(path), "dexcom", "Europe/Berlin").records())


def test_a_line_of_the_maximum_length_is_still_read(tmp_path):
    first = egv(1, "2025-01-01T08:00:00")
    padded = first[: -len("XYZ789")] + "X" * (MAX_LINE_CHARS - len(first) + len("XYZ789"))
    assert len(padded) == MAX_LINE_CHARS
    path = tmp_path / "max.csv"
    path.write_text(HEADER + "\r\n" + padded + "\r\n" + egv(2, "2025-01-01T08:05:00") + "\r\n", encoding="utf-8")
    ok, bad = split(path)
    assert [r.line for r in ok] == [2, 3] and bad == {}


def test_a_quote_left_open_stops_at_the_field_limit_naming_the_line(tmp_path):
    lines = [egv(1, "2025-01-01T08:00:00"), '2,"2025-01-01T08:05:00,EGV'] + ["x" * 1000] * 100
    with pytest.raises(ImportFormatError, match=r"not a readable CSV file after line \d+ \(field larger"):
        list(open_export(str(clarity(tmp_path / "quote.csv", lines)), "dexcom", "Europe/Berlin").records())


def test_rows_far_wider_than_the_header_are_rejected_with_their_width(tmp_path):
    lines = [egv(1, "2025-01-01T08:00:00", extra_fields=EXTRA_FIELDS_ALLOWED),
             egv(2, "2025-01-01T08:05:00", extra_fields=EXTRA_FIELDS_ALLOWED + 1),
             egv(3, "2025-01-01T08:10:00", extra_fields=20_000)]
    ok, bad = split(clarity(tmp_path / "wide.csv", lines))
    assert [r.line for r in ok] == [2]
    allowed = HEADER_FIELDS + EXTRA_FIELDS_ALLOWED
    assert bad == {3: f"line has {allowed + 1} fields; this file's header has {HEADER_FIELDS} (at most {allowed} accepted)",
                   4: f"line has {HEADER_FIELDS + 20_000:,} fields; this file's header has {HEADER_FIELDS} "
                      f"(at most {allowed} accepted)"}


def test_a_utf16_file_broken_past_the_first_block_is_refused_naming_utf16(tmp_path):
    text = "\n".join([HEADER] + [egv(i, f"2025-01-01T{i // 12:02d}:{i % 12 * 5:02d}:00") for i in range(1, 200)]) + "\n"
    data = text.encode("utf-16")
    (tmp_path / "cut.csv").write_bytes(data[:9000] + b"\x00\xd8" + data[9000:])  # a lone high surrogate
    with pytest.raises(ImportFormatError, match=r"not valid UTF-16 text: a line after line \d+ has bytes that are not"):
        list(open_export(str(tmp_path / "cut.csv"), "dexcom", "Europe/Berlin").records())
