"""Every figure of the metrics panel against the reference implementation `iglu-python` (port of R iglu).

Data: iglu's own `example_data_5_subject` is not shipped in the iglu-python wheel (it lives in
the R package and in iglu-python's source tests only), so the closest shipped data is used: five
subjects from our demo generator (`domain.cgm_simulation`), shaped like iglu's example — Dexcom
times with seconds that drift, missed readings, gaps over 45 minutes and over 3 hours, one
subject with a 6.7-day gap, 6 to 17 days of wear. Each figure must match iglu within 0.1 %.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from clinic_desktop.domain.cgm_simulation import PROFILES, simulate_cgm
from clinic_desktop.domain.glucose_metrics import CgmMetrics, compute_metrics

pd = pytest.importorskip("pandas")
iglu = pytest.importorskip("iglu_python", reason="iglu-python is in the 'test' extra")

DAY = 86400.0
#: (profile, days of wear, sensor gaps as (day of the trace, hours)) per subject.
SUBJECTS = (
    ("typical", 13, ((3.4, 6.8), (6.1, 3.3), (8.7, 4.0), (11.2, 3.2))),
    ("variable", 17, ((4.9, 160.3),)),  # a 6.7-day gap, as iglu's Subject 2 has
    ("high", 6, ((2.5, 3.5),)),
    ("well_controlled", 13, ((7.0, 2.3),)),
    ("variable", 11, ((3.0, 3.5),)),
)
TOLERANCE = 1e-3  # 0.1 %, relative


def subject_start(index: int) -> datetime:
    """When a subject's window starts (wall clock); it lasts their days of wear."""
    return datetime(2015, 3, 1 + index, 16, 50, 27)


def subject_trace(index: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(wall-clock seconds, mg/dL, days of the window) of one subject."""
    profile, days, gaps = SUBJECTS[index]
    stamps, g = simulate_cgm(subject_start(index), days, profile=PROFILES[profile], seed=20 + index)
    secs = stamps.astype("datetime64[s]").astype(np.int64).astype(float)
    rng = np.random.default_rng(index)
    secs += np.cumsum(rng.random(secs.size) < 0.02)  # the receiver's clock gains a second now and then
    keep = rng.random(secs.size) > 0.02  # a missed reading here and there
    for day, hours in gaps:
        start = secs[0] + day * DAY
        keep &= ~((secs >= start) & (secs < start + hours * 3600))
    return secs[keep], g[keep], days


def frame(secs: np.ndarray, g: np.ndarray, name: str = "subject") -> pd.DataFrame:
    return pd.DataFrame({"id": name, "time": pd.to_datetime(secs, unit="s"), "gl": g})


def one(result: pd.DataFrame, column: str) -> float:
    return float(result[column].iloc[0])


def iglu_figures(df: pd.DataFrame, *, window_end: pd.Timestamp, window_days: int) -> dict[str, float]:
    """What iglu says for each figure the panel shows (iglu's defaults unless the panel needs otherwise)."""
    below = iglu.below_percent(df.copy(), targets_below=[54, 70])
    above = iglu.above_percent(df.copy(), targets_above=[180, 250])
    active = iglu.active_percent(df.copy(), range_type="manual", ndays=window_days, consistent_end_date=window_end)
    return {
        "days with data": one(iglu.active_percent(df.copy()), "ndays"),
        "CGM active": one(active, "active_percent"),
        "mean": one(iglu.mean_glu(df.copy()), "mean"),
        "SD": one(iglu.sd_glu(df.copy()), "SD"),
        "CV": one(iglu.cv_glu(df.copy()), "CV"),
        "GMI": one(iglu.gmi(df.copy()), "GMI"),
        "TIR 70-180": one(iglu.in_range_percent(df.copy(), target_ranges=[[70, 180]]), "in_range_70_180"),
        "TBR <70": one(below, "below_70"),
        "TBR <54": one(below, "below_54"),
        "TAR >180": one(above, "above_180"),
        "TAR >250": one(above, "above_250"),
        "GRI": one(iglu.gri(df.copy()), "GRI"),
        "MAGE": one(iglu.mage(df.copy()), "MAGE"),
        "MODD": one(iglu.modd(df.copy()), "MODD"),
        "LBGI": one(iglu.lbgi(df.copy()), "LBGI"),
        "HBGI": one(iglu.hbgi(df.copy()), "HBGI"),
    }


def our_figures(m: CgmMetrics) -> dict[str, float | None]:
    """The same figures from our metrics, as the panel shows them (days and active % rounded)."""
    r = m.ranges
    assert r is not None
    return {
        "days with data": m.sufficiency.days, "CGM active": m.sufficiency.active_percent,
        "mean": m.mean, "SD": m.sd, "CV": m.cv, "GMI": m.gmi,
        "TIR 70-180": r.in_range, "TBR <70": r.below_70, "TBR <54": r.very_low,
        "TAR >180": r.above_180, "TAR >250": r.very_high,
        "GRI": m.gri, "MAGE": m.mage, "MODD": m.modd, "LBGI": m.lbgi, "HBGI": m.hbgi,
    }


def compare(index: int) -> dict[str, tuple[float | None, float]]:
    secs, g, days = subject_trace(index)
    ours = our_figures(compute_metrics(secs, g, window_seconds=days * DAY))
    window_end = pd.Timestamp(subject_start(index)) + pd.Timedelta(days=days)
    theirs = iglu_figures(frame(secs, g), window_end=window_end, window_days=days)
    return {name: (ours[name], theirs[name]) for name in theirs}


@pytest.mark.parametrize("index", range(len(SUBJECTS)), ids=[f"subject {i + 1}" for i in range(len(SUBJECTS))])
def test_every_panel_figure_matches_iglu(index: int) -> None:
    for name, (ours, theirs) in compare(index).items():
        assert ours == pytest.approx(theirs, rel=TOLERANCE), name


def test_the_subjects_exercise_every_band_and_gap_rule() -> None:
    """The comparison means something: lows, highs, segments split at 3 h, a long gap, drifting clocks."""
    traces = [subject_trace(i) for i in range(len(SUBJECTS))]
    g = np.concatenate([t[1] for t in traces])
    assert np.any(g < 54) and np.any((g >= 54) & (g < 70)) and np.any(g > 250)
    gaps = np.concatenate([np.diff(t[0]) for t in traces])
    assert np.any((gaps > 45 * 60) & (gaps <= 3 * 3600)) and np.any(gaps > 3 * 3600) and gaps.max() > 6.5 * DAY
    assert np.any(np.mod(gaps, 60) != 0)


def demo_trace_with_a_long_gap() -> tuple[np.ndarray, np.ndarray]:
    """A demo patient's 17 days of CGM (our demo generator) with 6.7 days missing in the middle."""
    stamps, g = simulate_cgm(datetime(2026, 3, 2, 16, 50), 17, profile=PROFILES["variable"], seed=3)
    secs = stamps.astype("datetime64[s]").astype(np.int64).astype(float)
    gap = (secs > secs[0] + 5.2 * DAY) & (secs < secs[0] + 11.9 * DAY)
    return secs[~gap], g[~gap]


def test_mage_is_computed_per_segment_across_a_long_gap_like_iglu() -> None:
    secs, g = demo_trace_with_a_long_gap()
    assert np.diff(secs).max() / DAY == pytest.approx(6.7, abs=0.01)
    ours = compute_metrics(secs, g, window_seconds=17 * DAY).mage
    assert ours == pytest.approx(one(iglu.mage(frame(secs, g)), "MAGE"), rel=1e-9)
    # Per segment: the duration-weighted mean of each side's own MAGE, nothing across the gap.
    sides = [secs < secs[0] + 6 * DAY, secs > secs[0] + 11 * DAY]
    parts = [compute_metrics(secs[s], g[s], window_seconds=17 * DAY).mage for s in sides]
    spans = [np.ptp(secs[s]) for s in sides]
    assert ours == pytest.approx(np.average(parts, weights=spans), rel=1e-9)


def test_modd_matches_iglu_on_15_minute_readings_from_midnight() -> None:
    """A Libre-like trace (every 15 min) whose first reading is at midnight: iglu's grid exactly."""
    rng = np.random.default_rng(5)
    secs = pd.Timestamp("2024-03-01").timestamp() + np.arange(4 * 96) * 900.0
    g = np.round(140 + 50 * np.sin(np.arange(secs.size) / 9.0) + rng.normal(0, 15, secs.size))
    ours = compute_metrics(secs, g, window_seconds=4 * DAY).modd
    assert ours == pytest.approx(one(iglu.modd(frame(secs, g, "libre")), "MODD"), rel=1e-9)
