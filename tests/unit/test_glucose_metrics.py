"""Consensus metric definitions on traces whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from clinic_desktop.domain.data_sufficiency import assess_sufficiency
from clinic_desktop.domain.glucose_metrics import (compute_metrics, gmi_percent, gri, lbgi_hbgi, modd,
                                                   range_percents)

DAY = 86400.0


def grid(days: float, step: float = 300.0) -> np.ndarray:
    return np.arange(0, days * DAY, step)


def test_range_bounds_follow_the_consensus_and_iglu():
    g = np.array([53.9, 54, 69.9, 70, 180, 180.1, 250, 250.1, 100, 100])
    r = range_percents(g)
    assert (r.very_low, r.low, r.in_range, r.high, r.very_high) == (10.0, 20.0, 40.0, 20.0, 10.0)
    assert r.below_70 == 30.0 and r.above_180 == 30.0


def test_gmi_cv_and_sample_sd():
    t = grid(1)
    g = np.where(np.arange(t.size) % 2 == 0, 100.0, 200.0)
    m = compute_metrics(t, g, window_seconds=DAY)
    assert m.mean == 150.0
    assert m.sd == pytest.approx(np.std(g, ddof=1)) and m.sd > np.std(g)  # sample, not population
    assert m.cv == pytest.approx(100 * m.sd / 150.0)
    assert m.gmi == pytest.approx(3.31 + 0.02392 * 150.0) == gmi_percent(150.0)


def test_gri_weights_and_cap():
    r = range_percents(np.array([50.0] * 10 + [60.0] * 10 + [300.0] * 10 + [200.0] * 10 + [100.0] * 60))
    assert gri(r) == pytest.approx(3.0 * 10 + 2.4 * 10 + 1.6 * 10 + 0.8 * 10)
    assert gri(range_percents(np.full(10, 40.0))) == 100.0


def test_lbgi_hbgi_against_the_kovatchev_formula():
    g = np.array([40.0, 70.0, 112.5, 200.0, 400.0])
    f = 1.509 * (np.log(g) ** 1.084 - 5.381)
    lbgi, hbgi = lbgi_hbgi(g)
    assert lbgi == pytest.approx(np.sum(10 * f[g < 112.5] ** 2) / g.size)
    assert hbgi == pytest.approx(np.sum(10 * f[g >= 112.5] ** 2) / g.size)


def test_lbgi_hbgi_split_at_112_5_mgdl_as_iglu_does():
    """iglu counts g < 112.5 as low risk and g >= 112.5 as high (the risk curve's zero is 112.517)."""
    at_split = np.full(4, 112.5)  # 6.25 mmol/L
    assert lbgi_hbgi(at_split) == (0.0, 0.0)
    assert lbgi_hbgi(np.full(4, 112.49))[0] > 0 and lbgi_hbgi(np.full(4, 112.6))[1] > 0


def test_modd_is_zero_for_a_repeating_day_and_the_shift_otherwise():
    t = grid(3)
    daily = 120 + 40 * np.sin(2 * np.pi * t / DAY)
    assert modd(t, daily) == pytest.approx(0.0, abs=1e-9)
    step = daily + 10.0 * np.floor(t / DAY)  # each day 10 mg/dL higher than the one before
    assert modd(t, step) == pytest.approx(10.0)


def test_modd_does_not_interpolate_across_a_sensor_gap():
    t = grid(2)
    g = np.full(t.size, 100.0)
    g[t >= DAY] = 150.0
    keep = ~((t > 0.25 * DAY) & (t < 0.75 * DAY))  # 12 h without readings on day 1
    assert modd(t[keep], g[keep]) == pytest.approx(50.0)


def test_mage_of_a_regular_swing_is_its_peak_to_nadir_amplitude():
    t = grid(2)
    g = 150 - 60 * np.cos(2 * np.pi * t / (DAY / 4))  # from a nadir: 4 swings a day, 120 mg/dL each
    assert compute_metrics(t, g, window_seconds=2 * DAY).mage == pytest.approx(120.0, rel=0.01)
    noisy = g + np.where(np.arange(t.size) % 2 == 0, 3.0, -3.0)  # small wiggles are not excursions
    assert compute_metrics(t, noisy, window_seconds=2 * DAY).mage == pytest.approx(126.0, rel=0.02)


def swing(t: np.ndarray) -> np.ndarray:
    """±20 mg/dL, four times a day."""
    return 20 * np.sin(2 * np.pi * t / (DAY / 4))


def test_mage_does_not_count_the_jump_across_a_sensor_gap():
    """Swings of 40 mg/dL around 100, a week without readings, then the same swings around 250."""
    before = grid(3)
    after = before + 10 * DAY
    t = np.concatenate([before, after])
    g = np.concatenate([100.0 + swing(before), 250.0 + swing(after)])
    m = compute_metrics(t, g, window_seconds=13 * DAY)
    assert m.mage == pytest.approx(40.0, rel=0.05)  # not the 150 mg/dL step between the two weeks


def test_sufficiency_needs_14_days_and_70_percent():
    t = grid(14)
    g = np.full(t.size, 120.0)
    assert compute_metrics(t, g, window_seconds=14 * DAY).sufficiency.met
    half = compute_metrics(t[: t.size // 2], g[: t.size // 2], window_seconds=14 * DAY).sufficiency
    assert not half.met and not half.days_met and half.days == 7.0
    sparse = compute_metrics(t[::2], g[::2], window_seconds=14 * DAY).sufficiency
    assert sparse.active_percent == 50.0 and sparse.days_met and not sparse.active_met and not sparse.met


def test_no_readings_gives_no_figures():
    m = compute_metrics(np.array([]), np.array([]), window_seconds=DAY)
    assert m.readings == 0 and m.mean is None and m.ranges is None and not m.sufficiency.met
    assert (m.sufficiency.days, m.sufficiency.active_percent) == (0.0, 0.0)


def test_days_of_data_is_the_worn_span_within_the_window():
    t = grid(14) + 3600.0 * 7  # not aligned on midnight: touches 15 calendar days
    m = compute_metrics(t, np.full(t.size, 120.0), window_seconds=14 * DAY)
    assert m.sufficiency.days == 14.0 and m.sufficiency.met
    short = compute_metrics(t[:288], np.full(288, 120.0), window_seconds=14 * DAY)
    assert short.sufficiency.days == 1.0


@pytest.mark.parametrize("days", [13.94, 13.95, 13.96, 13.999, 14.0, 14.04])
def test_the_verdict_is_taken_on_the_days_as_shown(days):
    s = assess_sufficiency(days=days, active_percent=99.0)
    assert s.days_met == (float(s.days_text) >= 14.0)
    assert s.days_text == ("14.0" if days >= 13.96 else "13.9")


@pytest.mark.parametrize("percent", [69.94, 69.95, 69.96, 70.0])
def test_the_active_verdict_is_taken_on_the_percent_as_shown(percent):
    s = assess_sufficiency(days=14.0, active_percent=percent)
    assert s.active_met == (float(s.active_text.removesuffix(" %")) >= 70.0)
    assert s.active_text in ("69.9 %", "70.0 %")
