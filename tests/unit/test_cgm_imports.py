"""Export readers on realistic sample files (tests/data/cgm) and on bad input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from clinic_desktop.domain.enums import GlucoseUnit, ReadingContext, ReadingFlag, ReadingSource
from clinic_desktop.imports import ImportFormatError, ParsedReading, RejectedLine, open_export
from clinic_desktop.imports.export_reader import MAX_FILE_BYTES

DATA = Path(__file__).resolve().parents[1] / "data" / "cgm"
BERLIN = "Europe/Berlin"


def read(name: str, kind: str, mapping=None, zone: str = BERLIN):
    reader = open_export(str(DATA / name), kind, zone, mapping)
    recs = list(reader.records())
    return reader, [r for r in recs if isinstance(r, ParsedReading)], [r for r in recs if isinstance(r, RejectedLine)]


def test_dexcom_clarity_mgdl_with_bom_metadata_high_low_and_the_autumn_dst_change():
    reader, ok, bad = read("dexcom_clarity_mgdl.csv", "dexcom")
    assert reader.device.source == ReadingSource.DEXCOM
    assert (reader.device.name, reader.device.serial) == ("Dexcom G6 Mobile App", "8ABC12")
    assert reader.unit == GlucoseUnit.MG_DL
    # 01:00–03:55 local on 27 Oct 2024 with 02:00–02:55 twice = 48 readings (+1 duplicated line)
    assert len(ok) == 49 and len({r.recorded_at for r in ok}) == 48
    utc = sorted({r.recorded_at for r in ok})
    assert utc[0] == datetime(2024, 10, 26, 23, 0, tzinfo=timezone.utc)  # 01:00 CEST
    assert utc[-1] == datetime(2024, 10, 27, 2, 55, tzinfo=timezone.utc)  # 03:55 CET
    assert all(b - a == timedelta(minutes=5) for a, b in zip(utc, utc[1:]))  # no hole, no overlap
    assert reader.clock.ambiguous == 24
    assert {(r.value_mgdl, r.flag) for r in ok if r.flag != ReadingFlag.NONE} == {(400.0, ReadingFlag.HIGH), (40.0, ReadingFlag.LOW)}
    reasons = {r.line: r.reason for r in bad}
    assert "impossible" in reasons[62] and "truncated" in reasons[63]
    assert "not a number" in reasons[64] and "plausible range" in reasons[65]


def test_dexcom_older_export_in_mmol_with_unpadded_hours():
    reader, ok, bad = read("dexcom_clarity_mmol_old.csv", "dexcom")
    assert reader.unit == GlucoseUnit.MMOL_L and bad == []
    assert len(ok) == 24
    assert ok[0].recorded_at == datetime(2025, 4, 30, 22, 1, 47, tzinfo=timezone.utc)  # 0:01:47 CEST
    assert ok[0].value_mgdl == pytest.approx(7.8 * 18.0)
    assert ok[3].flag == ReadingFlag.LOW


def test_libreview_us_format_record_types_and_hi_lo():
    reader, ok, bad = read("libreview_us_mgdl.csv", "libre")
    assert reader.timestamp_format == "%m-%d-%Y %I:%M %p"
    assert (reader.device.name, reader.device.serial) == ("FreeStyle LibreLink", "ABCD1234-5678")
    historic = [r for r in ok if r.context == ReadingContext.CGM]
    strips = [r for r in ok if r.context == ReadingContext.RANDOM]
    assert len(historic) == 40 and [s.value_mgdl for s in strips] == [112.0]  # scans, insulin, notes skipped
    assert historic[0].recorded_at == datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)  # 11:00 AM CET
    assert {r.flag for r in historic} == {ReadingFlag.NONE, ReadingFlag.HIGH, ReadingFlag.LOW}
    assert [r.line for r in bad] == [max(r.line for r in bad)] and "impossible" in bad[0].reason


def test_libreview_eu_mmol_two_preamble_lines_and_a_time_that_does_not_exist():
    reader, ok, bad = read("libreview_eu_mmol.csv", "libre")
    assert reader.unit == GlucoseUnit.MMOL_L and reader.timestamp_format == "%d-%m-%Y %H:%M"
    assert len(bad) == 1 and "does not exist" in bad[0].reason and "02:15" in bad[0].reason
    times = [r.recorded_at for r in ok]
    assert datetime(2025, 3, 30, 0, 45, tzinfo=timezone.utc) in times  # 01:45 CET
    assert datetime(2025, 3, 30, 1, 0, tzinfo=timezone.utc) in times  # 03:00 CEST, straight after
    assert ok[-1].value_mgdl == pytest.approx(1.9 * 18.0)  # low values down to 1.9 mmol/L are kept


def test_generic_csv_with_mapping_unit_column_and_decimal_comma():
    mapping = {"timestamp_column": "Zeit", "value_column": "Wert", "unit_column": "Einheit", "delimiter": ";"}
    reader, ok, bad = read("generic_mixed_units.csv", "csv", mapping)
    assert [round(r.value_mgdl, 1) for r in ok] == [100.8, 142.0, 129.6]
    assert {r.line: r.reason for r in bad}.keys() == {5, 6}
    assert "unknown unit" in bad[0].reason and "impossible" in bad[1].reason


def test_generic_csv_mapping_problems_are_explained():
    with pytest.raises(ImportFormatError, match="time"):
        open_export(str(DATA / "generic_mixed_units.csv"), "csv", BERLIN, {"value_column": "Wert", "unit": "mg/dL"})
    with pytest.raises(ImportFormatError, match="Unknown unit"):
        open_export(str(DATA / "generic_mixed_units.csv"), "csv", BERLIN,
                    {"timestamp_column": "Zeit", "value_column": "Wert", "unit": "mg%", "delimiter": ";"})
    with pytest.raises(ImportFormatError, match="delimiter"):
        open_export(str(DATA / "generic_mixed_units.csv"), "csv", BERLIN,
                    {"timestamp_column": "Zeit", "value_column": "Wert", "unit": "mg/dL", "delimiter": ","})


def test_mmol_file_with_mgdl_values_is_reported_as_mixed_units(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("time,value\n2024-01-01 08:00,6.5\n2024-01-01 08:05,140\n", encoding="utf-8")
    _, ok, bad = read(str(path), "csv", {"timestamp_column": "time", "value_column": "value", "unit": "mmol/L"})
    assert len(ok) == 1 and bad[0].line == 3 and "mixed units" in bad[0].reason


def test_mixed_units_in_libreview_header_are_refused(tmp_path):
    header = (DATA / "libreview_us_mgdl.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    path = tmp_path / "mixed.csv"
    path.write_text(header.replace("Strip Glucose mg/dL", "Strip Glucose mmol/L") + "\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="mixes units"):
        open_export(str(path), "libre", BERLIN)


@pytest.mark.parametrize("name,kind", [("libreview_us_mgdl.csv", "dexcom"), ("dexcom_clarity_mgdl.csv", "libre")])
def test_wrong_kind_of_file(name, kind):
    with pytest.raises(ImportFormatError, match="not a (Dexcom|LibreView)"):
        open_export(str(DATA / name), kind, BERLIN)


def test_empty_binary_spreadsheet_and_huge_files(tmp_path):
    cases = {"empty.csv": b"", "data.xlsx": b"PK\x03\x04" + b"\x00" * 100, "blob.csv": b"ab\x00cd" * 10,
             "latin1.csv": "Zeit;Wert\n01.06.2024 07:00;5,6 \xe4\xe4\xe4\n".encode("latin-1") * 3}
    expected = {"empty.csv": "empty", "data.xlsx": "Excel", "blob.csv": "binary", "latin1.csv": "UTF-8"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ImportFormatError, match=expected[name]):
            open_export(str(tmp_path / name), "dexcom", BERLIN)
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as handle:  # sparse: 200 MB without writing them
        handle.truncate(200 * 1024 * 1024)
    assert huge.stat().st_size > MAX_FILE_BYTES
    with pytest.raises(ImportFormatError, match="200 MB"):
        open_export(str(huge), "dexcom", BERLIN)


def test_missing_file():
    with pytest.raises(ImportFormatError, match="does not exist"):
        open_export(str(DATA / "nope.csv"), "dexcom", BERLIN)
