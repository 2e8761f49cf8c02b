"""Our metrics against the published reference implementation `iglu-python` (port of R iglu).

Dataset: a realistic 14-day 5-minute CGM trace built with a fixed seed (daily rhythm, meal peaks,
sensor noise, two sensor gaps, a nocturnal hypo and a hyper episode, values clipped to the
sensor's 40–400 mg/dL). iglu-python ships no example data, so it is generated here.
Tolerance: 1e-9 relative for the closed-form metrics (mean, CV, GMI, ranges, GRI, LBGI, HBGI);
0.1 % for MODD, whose interpolation grid differs by a point at the ends; MAGE (iglu's default,
the moving-average algorithm of Fernandes 2022) on a demo trace with a 6.7-day sensor gap.
"""

from __future__ import annotations

import numpy as np
import pytest

from clinic_desktop.domain.glucose_metrics import compute_metrics

pd = pytest.importorskip("pandas")
iglu = pytest.importorskip("iglu_python", reason="iglu-python is in the 'test' extra")


def realistic_trace(seed: int = 7):
    rng = np.random.default_rng(seed)
    n = 14 * 288
    minute = np.arange(n) * 5 % 1440
    g = 135 + 35 * np.sin(2 * np.pi * (minute - 420) / 1440)
    for meal in (480, 780, 1140):  # breakfast, lunch, dinner peaks
        g += 70 * np.exp(-(((minute - meal - 60) / 50.0) ** 2))
    g += 20 * np.sin(np.arange(n) / 17.0) + rng.normal(0, 8, n)
    g[500:520] = 50  # a nocturnal hypo
    g[2000:2012] = 290  # a hyper episode
    keep = np.ones(n, bool)
    keep[1000:1030] = False  # 2.5 h sensor gap
    keep[3000:3005] = False
    times = pd.Timestamp("2024-03-01 00:00") + pd.to_timedelta(np.arange(n)[keep] * 5, unit="min")
    return times, np.clip(np.round(g[keep]), 40, 400)


def one(frame, column):
    return float(frame[column].iloc[0])


def test_metrics_match_iglu():
    times, g = realistic_trace()
    df = pd.DataFrame({"id": "s1", "time": times, "gl": g})
    secs = (times - pd.Timestamp("1970-01-01")).total_seconds().to_numpy()
    m = compute_metrics(secs, g, window_seconds=14 * 86400)
    close = {"rel": 1e-9}
    assert m.mean == pytest.approx(one(iglu.mean_glu(df.copy()), "mean"), **close)
    assert m.cv == pytest.approx(one(iglu.cv_glu(df.copy()), "CV"), **close)
    assert m.gmi == pytest.approx(one(iglu.gmi(df.copy()), "GMI"), **close)
    assert m.gri == pytest.approx(one(iglu.gri(df.copy()), "GRI"), **close)
    assert m.lbgi == pytest.approx(one(iglu.lbgi(df.copy()), "LBGI"), **close)
    assert m.hbgi == pytest.approx(one(iglu.hbgi(df.copy()), "HBGI"), **close)
    assert m.ranges.in_range == pytest.approx(one(iglu.in_range_percent(df.copy(), target_ranges=[[70, 180]]), "in_range_70_180"), **close)
    below = iglu.below_percent(df.copy(), targets_below=[54, 70])
    above = iglu.above_percent(df.copy(), targets_above=[180, 250])
    assert m.ranges.very_low == pytest.approx(one(below, "below_54"), **close)
    assert m.ranges.below_70 == pytest.approx(one(below, "below_70"), **close)
    assert m.ranges.above_180 == pytest.approx(one(above, "above_180"), **close)
    assert m.ranges.very_high == pytest.approx(one(above, "above_250"), **close)
    assert m.modd == pytest.approx(one(iglu.modd(df.copy()), "MODD"), rel=1e-3)
    assert m.ranges.very_low > 0 and m.ranges.very_high > 0  # the comparison covers every band


def demo_trace_with_a_long_gap():
    """A demo patient's 17 days of CGM (our demo generator) with 6.7 days missing in the middle."""
    from datetime import datetime

    from clinic_desktop.domain.cgm_simulation import PROFILES, simulate_cgm

    stamps, g = simulate_cgm(datetime(2026, 3, 2, 16, 50), 17, profile=PROFILES["variable"], seed=3)
    secs = stamps.astype("datetime64[s]").astype(np.int64).astype(float)
    gap = (secs > secs[0] + 5.2 * 86400) & (secs < secs[0] + 11.9 * 86400)
    return secs[~gap], g[~gap]


def test_mage_is_computed_per_segment_across_a_long_gap_like_iglu():
    secs, g = demo_trace_with_a_long_gap()
    assert np.diff(secs).max() / 86400 == pytest.approx(6.7, abs=0.01)
    df = pd.DataFrame({"id": "demo", "time": pd.to_datetime(secs, unit="s"), "gl": g})
    ours = compute_metrics(secs, g, window_seconds=17 * 86400).mage
    assert ours == pytest.approx(one(iglu.mage(df), "MAGE"), rel=1e-9)
    # Per segment: the duration-weighted mean of each side's own MAGE, nothing across the gap.
    sides = [secs < secs[0] + 6 * 86400, secs > secs[0] + 11 * 86400]
    parts = [compute_metrics(secs[s], g[s], window_seconds=17 * 86400).mage for s in sides]
    spans = [np.ptp(secs[s]) for s in sides]
    assert ours == pytest.approx(np.average(parts, weights=spans), rel=1e-9)


def test_modd_matches_iglu_on_15_minute_readings_from_midnight():
    """A Libre-like trace (every 15 min) whose first reading is at midnight: iglu's grid exactly."""
    rng = np.random.default_rng(5)
    secs = pd.Timestamp("2024-03-01").timestamp() + np.arange(4 * 96) * 900.0
    g = np.round(140 + 50 * np.sin(np.arange(secs.size) / 9.0) + rng.normal(0, 15, secs.size))
    df = pd.DataFrame({"id": "libre", "time": pd.to_datetime(secs, unit="s"), "gl": g})
    ours = compute_metrics(secs, g, window_seconds=4 * 86400).modd
    assert ours == pytest.approx(one(iglu.modd(df), "MODD"), rel=1e-9)
