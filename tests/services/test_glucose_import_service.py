"""CGM import on a real PostgreSQL: preview, COPY load, idempotency, cancel and failure leave nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy import text as text_sql

from clinic_desktop.domain.enums import Role
from clinic_desktop.domain.errors import ConnectionLost, NotFound, PermissionDenied
from clinic_desktop.imports import ImportFormatError
from clinic_desktop.services.emergency_service import EmergencyService
from clinic_desktop.services.glucose_import_service import GlucoseImportService
from clinic_desktop.services.glucose_service import GlucoseService

from ..conftest import create_clinic_with_staff
from .glucose_helpers import RecordingState, make_patient

DATA = Path(__file__).resolve().parents[1] / "data" / "cgm"
HEADER = ("Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,"
          "Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams),Duration (hh:mm:ss),"
          "Glucose Rate of Change (mg/dL/min),Transmitter Time (Long Integer),Transmitter ID")


def clarity_file(path: Path, start_local: datetime, values, *, bad_every: int = 0) -> Path:
    lines = [HEADER, "1,,FirstName,,Pat,,,,,,,,,", "2,,Device,,,Dexcom G7,G7,,,,,,,"]
    for i, v in enumerate(values):
        ts = start_local + timedelta(minutes=5 * i)
        shown = "abc" if bad_every and i % bad_every == bad_every - 1 else str(int(v))
        lines.append(f"{i + 3},{ts:%Y-%m-%dT%H:%M:%S},EGV,,,,G7,{shown},,,,,{i * 300},XYZ789")
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def importer(database):
    return GlucoseImportService(database)


@pytest.fixture
def patient(database, clinic):
    return make_patient(database, clinic.doctor)


def count(database, patient_id) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM glucose_reading WHERE patient_id = :p"), {"p": patient_id}).scalar()


def hourly_total(database, clinic_id, patient_id) -> int:
    with database.engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.clinic_id', :c, true)"), {"c": str(clinic_id)})
        return int(conn.execute(text("SELECT coalesce(sum(n), 0) FROM glucose_hourly WHERE patient_id = :p"),
                                {"p": patient_id}).scalar())


def test_preview_shows_device_period_and_rejected_lines(importer, clinic, patient):
    state = RecordingState()
    p = importer.preview(clinic.nurse, patient, str(DATA / "dexcom_clarity_mgdl.csv"), kind="dexcom", state=state)
    assert (p.accepted, p.rejected_count, p.device_serial, p.device_name) == (49, 4, "8ABC12", "Dexcom G6 Mobile App")
    assert [r.line for r in p.rejected] == [62, 63, 64, 65] and p.ambiguous_times == 24
    assert p.first_at == datetime(2024, 10, 26, 23, 0, tzinfo=timezone.utc)
    assert p.last_at == datetime(2024, 10, 27, 2, 55, tzinfo=timezone.utc)
    assert len(p.sample) == 49 and p.unit == "mg/dL"


def test_import_is_idempotent_and_feeds_the_aggregate(database, importer, clinic, patient):
    result = importer.import_file(clinic.doctor, patient, str(DATA / "libreview_us_mgdl.csv"), kind="libre")
    assert (result.stored, result.duplicates, result.rejected_count) == (41, 0, 1)
    again = importer.import_file(clinic.doctor, patient, str(DATA / "libreview_us_mgdl.csv"), kind="libre")
    assert (again.stored, again.duplicates) == (0, 41)
    assert count(database, patient) == 41
    if not database.features.timescale_active:  # plain: rollup kept current in the same transaction
        assert hourly_total(database, clinic.clinic_id, patient) == 41
    dexcom = importer.import_file(clinic.doctor, patient, str(DATA / "dexcom_clarity_mgdl.csv"), kind="dexcom")
    assert (dexcom.stored, dexcom.duplicates) == (48, 1)  # the duplicated line is stored once
    with database.engine.connect() as conn:
        audits = conn.execute(text("SELECT changes FROM audit_event WHERE patient_id = :p AND action = 'import' "
                                   "ORDER BY occurred_at"), {"p": patient}).scalars().all()
    assert [a["stored"][1] for a in audits] == [41, 0, 48]


def test_cancelled_import_leaves_nothing(database, importer, clinic, patient, tmp_path):
    path = clarity_file(tmp_path / "long.csv", datetime(2025, 1, 1), [120 + (i % 50) for i in range(30000)])
    state = RecordingState(cancel_after=3)
    with pytest.raises(RecordingState.Cancelled):
        importer.import_file(clinic.doctor, patient, str(path), kind="dexcom", state=state)
    assert state.reports and count(database, patient) == 0
    assert hourly_total(database, clinic.clinic_id, patient) == 0


def test_failed_import_leaves_nothing(database, importer, clinic, patient, tmp_path):
    path = clarity_file(tmp_path / "ok.csv", datetime(2025, 1, 1), [120] * 100)

    class Failing(RecordingState):
        def report(self, done, total, text=""):  # noqa: ANN001
            if text.startswith("Storing"):
                raise OSError("disk vanished")

    with pytest.raises(OSError):
        importer.import_file(clinic.doctor, patient, str(path), kind="dexcom", state=Failing())
    assert count(database, patient) == 0


def test_connection_killed_mid_copy_is_connection_lost_and_stores_nothing(database, importer, clinic, patient,
                                                                         tmp_path):
    """The importing backend is terminated (as by a server restart) once the COPY has reported progress."""
    path = clarity_file(tmp_path / "long.csv", datetime(2025, 1, 1), [120 + (i % 50) for i in range(30000)])
    killed: list[int] = []

    class Terminating(RecordingState):
        def report(self, done, total, text=""):  # noqa: ANN001
            super().report(done, total, text)
            if text.startswith("Loaded") and not killed:
                with database.engine.connect() as conn:
                    killed.extend(conn.execute(text_sql(
                        "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() "
                        "AND query LIKE 'COPY glucose_import_staging%' AND pg_terminate_backend(pid)")).scalars())

    with pytest.raises(ConnectionLost) as caught:
        importer.import_file(clinic.doctor, patient, str(path), kind="dexcom", state=Terminating())
    assert len(killed) == 1
    message = caught.value.message
    assert "your file is kept" in message and "try the import again" in message and "Nothing was stored" in message
    assert count(database, patient) == 0
    # The pool dropped the dead connection: the next import on the same service works.
    result = importer.import_file(clinic.doctor, patient, str(path), kind="dexcom")
    assert result.stored > 29000 and count(database, patient) == result.stored


def test_wrong_kind_and_permissions(database, importer, clinic, patient):
    with pytest.raises(ImportFormatError, match="not a Dexcom"):
        importer.preview(clinic.doctor, patient, str(DATA / "libreview_us_mgdl.csv"), kind="dexcom")
    for role in (Role.RECEPTIONIST, Role.ADMIN):
        with pytest.raises(PermissionDenied):
            importer.import_file(clinic.as_role(role), patient, str(DATA / "libreview_us_mgdl.csv"), kind="libre")
    other = create_clinic_with_staff(database, name="Elsewhere")
    with pytest.raises(NotFound):
        importer.import_file(other.doctor, patient, str(DATA / "libreview_us_mgdl.csv"), kind="libre")
    assert count(database, patient) == 0


def test_recent_import_opens_one_event_per_episode(database, importer, clinic, patient, tmp_path):
    berlin_now = datetime.now(timezone.utc).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    start = (berlin_now - timedelta(hours=6)).replace(tzinfo=None, second=0, microsecond=0)
    values = [120] * 12 + [50, 48, 52, 60, 47] + [110] * 6 + [300, 320] + [150] * 6 + [45, 44]
    path = clarity_file(tmp_path / "recent.csv", start, values)
    importer.import_file(clinic.nurse, patient, str(path), kind="dexcom")
    events = EmergencyService(database).active_events(clinic.nurse, patient_id=patient)
    kinds = sorted((e.kind.value, e.extreme_mgdl, e.ended_at is None) for e in events)
    assert kinds == [("hyper", 320.0, False), ("hypo", 44.0, True), ("hypo", 47.0, False)]
    importer.import_file(clinic.nurse, patient, str(path), kind="dexcom")  # same file: no new events
    assert len(EmergencyService(database).active_events(clinic.nurse, patient_id=patient)) == 3
    markers = GlucoseService(database).chart_markers(clinic.doctor, patient, start=datetime.now(timezone.utc) - timedelta(days=1),
                                                     end=datetime.now(timezone.utc))
    assert sorted(m.kind for m in markers) == ["hyper", "hypo", "hypo"]


def test_old_history_does_not_raise_alerts(database, importer, clinic, patient):
    importer.import_file(clinic.doctor, patient, str(DATA / "dexcom_clarity_mgdl.csv"), kind="dexcom")
    assert EmergencyService(database).active_events(clinic.doctor, patient_id=patient) == []


def test_one_import_holds_one_connection_even_on_a_one_connection_pool(pg_server, template_database):
    """The server's features are learnt before any unit of work, never on a second connection inside one."""
    from clinic_desktop.config.settings import PoolSettings
    from tests.conftest import _open_databases, make_database

    small, name = make_database(pg_server, template_database, pool_settings=PoolSettings(size=1, max_overflow=0,
                                                                                        timeout_s=3))
    try:
        staff = create_clinic_with_staff(small)
        patient_id = make_patient(small, staff.doctor)
        service = GlucoseImportService(small)  # a fresh Database: its features are not known yet
        result = service.import_file(staff.doctor, patient_id, str(DATA / "libreview_us_mgdl.csv"), kind="libre")
        assert result.stored == 41 and count(small, patient_id) == 41
        assert small.engine.pool.checkedout() == 0
    finally:
        small.dispose()
        _open_databases.remove(small)
        pg_server.drop_database(name)


def test_readings_before_birth_or_in_the_future_are_rejected_and_never_stored(database, clinic, patient, tmp_path):
    """#12 item 8: the patient (born 1975-03-04) and the app's clock, not the workstation's, bound the dates."""
    from clinic_desktop.domain.clock import FixedClock

    clock = FixedClock(datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc))  # 12:00 in Berlin
    importer = GlucoseImportService(database, clock=clock)
    stamps = ["1975-03-03T23:55:00", "1975-03-04T00:00:00", "2026-06-02T12:00:00", "2026-06-02T12:05:00",
              "9999-12-31T23:55:00", "0001-01-01T00:10:00"]
    lines = [HEADER] + [f"{i},{s},EGV,,,,G7,120,,,,,{i},XYZ789" for i, s in enumerate(stamps, start=1)]
    path = tmp_path / "dates.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    preview = importer.preview(clinic.doctor, patient, str(path), kind="dexcom")
    assert preview.accepted == 2 and preview.last_at == datetime(2026, 6, 2, 10, 0, tzinfo=timezone.utc)
    assert {r.line: r.reason for r in preview.rejected} == {
        2: "date 1975-03-03 23:55 is before the patient's date of birth",
        5: "date 2026-06-02 12:05 is more than a day in the future",
        6: "date 9999-12-31 23:55 is more than a day in the future",
        7: "date 0001-01-01 00:10 is before the patient's date of birth"}
    result = importer.import_file(clinic.doctor, patient, str(path), kind="dexcom")
    assert (result.stored, result.rejected_count) == (2, 4)
    with database.engine.connect() as conn:
        stored = conn.execute(text("SELECT min(recorded_at), max(recorded_at) FROM glucose_reading WHERE patient_id = :p"),
                              {"p": patient}).one()
    assert tuple(stored) == (datetime(1975, 3, 3, 23, 0, tzinfo=timezone.utc), datetime(2026, 6, 2, 10, 0, tzinfo=timezone.utc))


def test_utf16_export_imports_like_its_utf8_original(database, importer, clinic, patient, tmp_path):
    """#12 item 9: a UTF-16 file with a byte-order mark stores exactly the readings of the UTF-8 file."""
    path = tmp_path / "u16.csv"
    path.write_bytes((DATA / "libreview_us_mgdl.csv").read_text(encoding="utf-8-sig").encode("utf-16"))
    result = importer.import_file(clinic.doctor, patient, str(path), kind="libre")
    assert (result.stored, result.rejected_count) == (41, 1) and count(database, patient) == 41


def test_a_bad_line_deep_in_the_file_stores_nothing(database, importer, clinic, patient, tmp_path):
    """#12 items 10 and 11: an endless line after 5,000 good ones refuses the file and leaves nothing behind;
    an over-wide row is one rejected line among stored readings."""
    from clinic_desktop.imports.text_source import MAX_LINE_CHARS

    good = clarity_file(tmp_path / "good.csv", datetime(2025, 1, 1), [120] * 5000)
    wide = tmp_path / "wide.csv"
    wide.write_text(good.read_text(encoding="utf-8") + "5004,2025-02-01T00:00:00,EGV,,,,G7,120" + "," * 5000 + "\n",
                    encoding="utf-8")
    result = importer.import_file(clinic.doctor, patient, str(wide), kind="dexcom")
    assert (result.stored, result.rejected_count) == (5000, 1)
    assert result.rejected[0].line == 5004 and "5,008 fields" in result.rejected[0].reason
    long = tmp_path / "long.csv"
    long.write_text(good.read_text(encoding="utf-8").replace("2025-01-01T00:00:00", "2024-12-01T00:00:00")
                    + "5004," + "9" * (2 * MAX_LINE_CHARS) + "\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="Line 5004 is 131,078 characters long"):
        importer.import_file(clinic.doctor, patient, str(long), kind="dexcom")
    assert count(database, patient) == 5000  # only the earlier import's readings
