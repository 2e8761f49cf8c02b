"""One event per episode; an episode ends after 15 minutes back in range."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from clinic_desktop.domain.enums import EmergencyKind
from clinic_desktop.domain.glucose_episodes import find_episodes

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def trace(values):
    return [(T0 + timedelta(minutes=5 * i), float(v)) for i, v in enumerate(values)]


def test_one_event_per_episode_with_brief_recovery_inside():
    # low, 10 min back in range (not enough), low again, then 15 min in range: one episode
    eps = find_episodes(trace([100, 50, 48, 60, 60, 49, 60, 60, 60, 60, 100]), hypo_mgdl=54, hyper_mgdl=250)
    assert len(eps) == 1
    ep = eps[0]
    assert ep.kind == EmergencyKind.HYPO and ep.extreme_mgdl == 48
    assert ep.started_at == T0 + timedelta(minutes=5) and ep.ended_at == T0 + timedelta(minutes=30)


def test_two_episodes_when_recovery_lasts_15_minutes_and_open_episode_at_the_end():
    eps = find_episodes(trace([300, 120, 120, 120, 120, 320, 330]), hypo_mgdl=54, hyper_mgdl=250)
    assert [(e.kind, e.ended_at is None) for e in eps] == [(EmergencyKind.HYPER, False), (EmergencyKind.HYPER, True)]
    assert eps[1].extreme_mgdl == 330


def test_thresholds_are_the_clinics():
    assert find_episodes(trace([60, 60]), hypo_mgdl=54, hyper_mgdl=250) == []
    assert len(find_episodes(trace([60, 60]), hypo_mgdl=70, hyper_mgdl=250)) == 1
