"""Hypo- and hyperglycaemia episodes in a reading trace: one event per episode, not per reading.

An episode starts at the first reading beyond the threshold (below `hypo_mgdl` or above
`hyper_mgdl`) and ends at the first reading back in range that is followed by at least
`recovery` of readings all back in range (15 minutes by default, as in the consensus event
definition of Battelino 2019 for CGM episodes). Readings beyond the threshold within the
recovery time belong to the same episode. An episode without that much in-range data after it
is still open (end None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .enums import EmergencyKind

RECOVERY = timedelta(minutes=15)


@dataclass(frozen=True)
class Episode:
    kind: EmergencyKind
    started_at: datetime
    ended_at: datetime | None
    extreme_mgdl: float


def _beyond(kind: EmergencyKind, value: float, hypo: float, hyper: float) -> bool:
    return value < hypo if kind == EmergencyKind.HYPO else value > hyper


def find_episodes(readings: list[tuple[datetime, float]], *, hypo_mgdl: float, hyper_mgdl: float,
                  recovery: timedelta = RECOVERY) -> list[Episode]:
    """Episodes of both kinds in time-sorted (time, mg/dL) readings."""
    found: list[Episode] = []
    for kind in (EmergencyKind.HYPO, EmergencyKind.HYPER):
        found.extend(_episodes_of(kind, readings, hypo_mgdl, hyper_mgdl, recovery))
    return sorted(found, key=lambda e: e.started_at)


def _episodes_of(kind: EmergencyKind, readings: list[tuple[datetime, float]], hypo: float, hyper: float,
                 recovery: timedelta) -> list[Episode]:
    episodes: list[Episode] = []
    start: datetime | None = None
    extreme = 0.0
    back_since: datetime | None = None  # first in-range reading after the last beyond one
    pick = min if kind == EmergencyKind.HYPO else max
    for at, value in readings:
        if _beyond(kind, value, hypo, hyper):
            if start is None:
                start, extreme = at, value
            extreme = pick(extreme, value)
            back_since = None
        elif start is not None:
            back_since = back_since or at
            if at - back_since >= recovery:
                episodes.append(Episode(kind, start, back_since, extreme))
                start, back_since = None, None
    if start is not None:
        episodes.append(Episode(kind, start, None, extreme))
    return episodes
