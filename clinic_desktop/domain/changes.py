"""ChangeSet: which entities a write touched, broadcast so panes refresh only what is relevant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChangeSet:
    """Entities changed by one unit of work (by kind → ids), and who started it."""

    changed: dict[str, frozenset[uuid.UUID]] = field(default_factory=dict)
    origin: str | None = None
    remote: bool = False

    def touches(self, kind: str) -> bool:
        return kind in self.changed

    def ids(self, kind: str) -> frozenset[uuid.UUID]:
        return self.changed.get(kind, frozenset())

    def __bool__(self) -> bool:
        return bool(self.changed)

    def merged(self, other: "ChangeSet") -> "ChangeSet":
        kinds = set(self.changed) | set(other.changed)
        return ChangeSet(
            {k: self.ids(k) | other.ids(k) for k in kinds}, origin=self.origin or other.origin, remote=self.remote
        )


class ChangeCollector:
    """Mutable builder a unit of work fills while it runs."""

    def __init__(self) -> None:
        self._changed: dict[str, set[uuid.UUID]] = {}

    def add(self, kind: str, *ids: uuid.UUID) -> None:
        self._changed.setdefault(kind, set()).update(ids)

    def freeze(self, origin: str | None = None) -> ChangeSet:
        return ChangeSet({k: frozenset(v) for k, v in self._changed.items()}, origin=origin)
