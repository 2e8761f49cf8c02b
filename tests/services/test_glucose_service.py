"""GlucoseService on a real PostgreSQL: permissions per role, manual entry, charts, AGP, metrics."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import text

from clinic_desktop.domain.enums import GlucoseUnit, ReadingContext, ReadingFlag, Role
from clinic_desktop.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from clinic_desktop.domain.glucose_metrics import compute_metrics
from clinic_desktop.services.glucose_service import GlucoseService, local_wall_seconds

from ..conftest import create_clinic_with_staff
from .glucose_helpers import daily_pattern, make_patient, seed_trace, utc_now_minute

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def service(database):
    return GlucoseService(database)


@pytest.fixture
def patient(database, clinic):
    return make_patient(database, clinic.doctor)


def window(days: float, end: datetime | None = None):
    end = end or utc_now_minute() + timedelta(minutes=1)
    return end - timedelta(days=days), end


@pytest.mark.parametrize("role", list(Role))
def test_who_may_see_and_record_readings(service, clinic, patient, role):
    actor = clinic.as_role(role)
    start, end = window(1)
    may_see = role != Role.RECEPTIONIST
    may_record = role in (Role.DOCTOR, Role.NURSE)
    for call in (lambda: service.chart_series(actor, patient, start=start, end=end, pixels=500),
                 lambda: service.metrics(actor, patient, start=start, end=end),
                 lambda: service.list_readings(actor, patient, start=start, end=end)):
        if may_see:
            call()
        else:
            with pytest.raises(PermissionDenied):
                call()
    add = lambda: service.add_manual_reading(actor, patient, recorded_at=end - timedelta(hours=2), value=110,  # noqa: E731
                                             unit=GlucoseUnit.MG_DL, context=ReadingContext.FASTING, note=None)
    if may_record:
        assert add().value_mgdl == 110
    else:
        with pytest.raises(PermissionDenied):
            add()
    if role == Role.ADMIN:
        assert service.storage_health(actor).timescale_active == (service.backend.name == "TimescaleDB")
    else:
        with pytest.raises(PermissionDenied):
            service.storage_health(actor)


def test_manual_entry_converts_validates_flags_and_audits(database, service, clinic, patient):
    at = utc_now_minute() - timedelta(hours=3)
    r = service.add_manual_reading(clinic.nurse, patient, recorded_at=at, value="5,5", unit=GlucoseUnit.MMOL_L,
                                   context=ReadingContext.BEFORE_LUNCH, note="  after walk ")
    assert r.value_mgdl == pytest.approx(99.0) and r.note == "after walk" and r.flag == ReadingFlag.NONE
    hi = service.add_manual_reading(clinic.nurse, patient, recorded_at=at + timedelta(minutes=1), value="HI",
                                    unit=GlucoseUnit.MG_DL, context=ReadingContext.RANDOM)
    assert (hi.value_mgdl, hi.flag) == (600.0, ReadingFlag.HIGH)
    bad_cases = [({"value": 19}, "value"), ({"value": 601}, "value"), ({"value": "abc"}, "value"),
                 ({"value": 40.0, "unit": GlucoseUnit.MMOL_L}, "value"),
                 ({"recorded_at": utc_now_minute() + timedelta(hours=1)}, "recorded_at"),
                 ({"context": ReadingContext.CGM}, "context")]
    for change, field in bad_cases:
        args = {"recorded_at": at + timedelta(minutes=30), "value": 100, "unit": GlucoseUnit.MG_DL,
                "context": ReadingContext.FASTING} | change
        with pytest.raises(ValidationError) as err:
            service.add_manual_reading(clinic.doctor, patient, **args)
        assert err.value.for_field(field), (change, err.value)
    with pytest.raises(ConflictError) as dup:
        service.add_manual_reading(clinic.doctor, patient, recorded_at=at, value=100, unit=GlucoseUnit.MG_DL,
                                   context=ReadingContext.FASTING)
    assert dup.value.field == "recorded_at"
    readings = service.list_readings(clinic.doctor, patient, start=at - timedelta(hours=1), end=at + timedelta(hours=1))
    assert len(readings) == 2
    with database.engine.connect() as conn:
        audited = conn.execute(text("SELECT count(*) FROM audit_event WHERE patient_id = :p AND entity = 'glucose_reading'"),
                               {"p": patient}).scalar()
    assert audited == 2


def test_another_clinics_patient_is_not_found(database, service, clinic, patient):
    other = create_clinic_with_staff(database, name="Other")
    start, end = window(1)
    with pytest.raises(NotFound):
        service.chart_series(other.doctor, patient, start=start, end=end, pixels=100)
    with pytest.raises(NotFound):
        service.add_manual_reading(other.doctor, patient, recorded_at=end - timedelta(hours=1), value=100,
                                   unit=GlucoseUnit.MG_DL, context=ReadingContext.FASTING)


def test_chart_series_is_raw_when_zoomed_and_bucketed_otherwise(database, service, clinic, patient):
    start, end = window(100)
    values = daily_pattern(100)
    values[5000] = 41.0  # a single spike low must survive any downsampling
    seed_trace(database, clinic.clinic_id, patient, start, values)
    day = service.chart_series(clinic.doctor, patient, start=end - timedelta(days=1), end=end, pixels=1000)
    assert day.raw and len(day.times) == 288 and day.flags.size == 288
    week = service.chart_series(clinic.doctor, patient, start=end - timedelta(days=7), end=end, pixels=1000)
    assert not week.raw and week.bucket_seconds == pytest.approx(604.8) and len(week.times) <= 1001
    assert week.mins.min() == pytest.approx(values[-7 * 288:].min(), abs=1e-3)
    for pixels in (1000, 300):
        wide = service.chart_series(clinic.doctor, patient, start=start, end=end, pixels=pixels)
        assert not wide.raw and wide.bucket_seconds % 3600 == 0 and len(wide.times) <= pixels + 1
        assert wide.mins.min() == pytest.approx(41.0) and wide.maxs.max() == pytest.approx(values.max(), abs=1e-3)
        assert np.all(np.diff(wide.times) > 0) and np.all(wide.mins <= wide.values) and np.all(wide.values <= wide.maxs)


def test_metrics_agp_and_overlays_match_the_readings_in_clinic_time(database, service, clinic, patient):
    start, end = window(14)
    values = daily_pattern(14, low_every_day=True)
    times = seed_trace(database, clinic.clinic_id, patient, start, values)
    m = service.metrics(clinic.doctor, patient, start=start, end=end)
    epoch = np.array([t.timestamp() for t in times])
    expected = compute_metrics(local_wall_seconds(epoch, BERLIN), values.astype(np.float32).astype(float),
                               window_seconds=14 * 86400)
    assert m.readings == 14 * 288 and m.sufficiency.met and m.sufficiency.active_percent == 100.0
    assert m.mean_mgdl == pytest.approx(expected.mean) and m.cv_percent == pytest.approx(expected.cv)
    assert m.ranges.very_low == pytest.approx(100 * 14 / (14 * 288)) and m.gri == pytest.approx(expected.gri)
    assert m.modd_mgdl == pytest.approx(expected.modd) and m.mage_mgdl == pytest.approx(expected.mage)
    agp = service.agp(clinic.doctor, patient, start=start, end=end)
    local_minutes = np.array([(t.astimezone(BERLIN).hour * 60 + t.astimezone(BERLIN).minute) for t in times])
    in_bin = values.astype(np.float32)[(local_minutes >= 8 * 60) & (local_minutes < 8 * 60 + 15)]
    i = 8 * 4
    assert agp.minutes[i] == 8 * 60 + 7.5
    assert agp.p50[i] == pytest.approx(np.percentile(in_bin, 50), rel=1e-5)
    assert agp.p5[i] <= agp.p25[i] <= agp.p50[i] <= agp.p75[i] <= agp.p95[i]
    overlays = service.daily_overlays(clinic.doctor, patient, start=start, end=end)
    assert sum(o.values.size for o in overlays) == values.size
    assert overlays[0].day == start.astimezone(BERLIN).date() and len(overlays) in (14, 15)
    assert all(0 <= o.minutes.min() and o.minutes.max() < 1440 for o in overlays)


def test_metrics_on_empty_window(service, clinic, patient):
    start, end = window(14)
    m = service.metrics(clinic.doctor, patient, start=start, end=end)
    assert m.readings == 0 and m.mean_mgdl is None and not m.sufficiency.met
    assert service.agp(clinic.doctor, patient, start=start, end=end) is None
    assert service.daily_overlays(clinic.doctor, patient, start=start, end=end) == []


def test_bad_windows_are_refused(service, clinic, patient):
    end = datetime.now(timezone.utc)
    with pytest.raises(ValidationError):
        service.chart_series(clinic.doctor, patient, start=end, end=end - timedelta(days=1), pixels=100)
    with pytest.raises(ValidationError):
        service.metrics(clinic.doctor, patient, start=datetime(2024, 1, 1), end=datetime(2024, 1, 2))
