"""ChangeSet: which entities a write touched, broadcast so panes refresh only what is relevant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class ChangeKind(StrEnum):
    """What a unit of work changed; the value travels in NOTIFY payloads between workstations."""

    PATIENT = "patient"
    APPOINTMENT = "appointment"
    WORKING_HOURS = "working_hours"
    MEDICATION = "medication"
    GLUCOSE_READING = "glucose_reading"
    EMERGENCY_EVENT = "emergency_event"
    PATIENT_REVIEW = "patient_review"
    STAFF = "staff"

    @classmethod
    def parse(cls, value: str) -> ChangeKind | None:
        """The kind named by `value`, or None for one this version does not know (a newer workstation's)."""
        try:
            return cls(value)
        except ValueError:
            return None


@dataclass(frozen=True)
class ChangeSet:
    """Entities changed by one unit of work (by kind → ids), and who started it."""

    changed: dict[ChangeKind, frozenset[uuid.UUID]] = field(default_factory=dict)
    origin: str | None = None
    remote: bool = False

    def touches(self, kind: ChangeKind) -> bool:
        return kind in self.changed

    def touches_any(self, kinds: frozenset[ChangeKind]) -> bool:
        return not kinds.isdisjoint(self.changed)

    def ids(self, kind: ChangeKind) -> frozenset[uuid.UUID]:
        return self.changed.get(kind, frozenset())

    def __bool__(self) -> bool:
        return bool(self.changed)

    def merged(self, other: ChangeSet) -> ChangeSet:
        kinds = set(self.changed) | set(other.changed)
        return ChangeSet(
            {k: self.ids(k) | other.ids(k) for k in kinds}, origin=self.origin or other.origin, remote=self.remote
        )


def change_set(kind: ChangeKind, *ids: uuid.UUID) -> ChangeSet:
    """A ChangeSet of one kind (for a pane announcing what it just saved)."""
    return ChangeSet({kind: frozenset(ids)})


class ChangeCollector:
    """Mutable builder a unit of work fills while it runs."""

    def __init__(self) -> None:
        self._changed: dict[ChangeKind, set[uuid.UUID]] = {}

    def add(self, kind: ChangeKind, *ids: uuid.UUID) -> None:
        if not isinstance(kind, ChangeKind):
            raise TypeError(f"a change kind must be a ChangeKind, not {kind!r}")
        self._changed.setdefault(kind, set()).update(ids)

    def freeze(self, origin: str | None = None) -> ChangeSet:
        return ChangeSet({k: frozenset(v) for k, v in self._changed.items()}, origin=origin)
