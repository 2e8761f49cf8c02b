"""The app's handle on one database: engine, session factory, server features, units of work."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ..domain.actor import Actor
from ..domain.changes import ChangeSet
from .unit_of_work import UnitOfWork, unit_of_work


@dataclass(frozen=True)
class ServerFeatures:
    """What the connected server offers, detected at connect time."""

    server_version: str
    timescaledb_version: str | None
    readings_are_hypertable: bool

    @property
    def timescale_active(self) -> bool:
        """TimescaleDB features (hypertable, compression, continuous aggregates) are in use."""
        return self.timescaledb_version is not None and self.readings_are_hypertable

    def describe(self) -> str:
        tsdb = f"TimescaleDB {self.timescaledb_version}" if self.timescale_active else "plain PostgreSQL time series"
        return f"PostgreSQL {self.server_version}, {tsdb}"


def detect_features(engine: Engine) -> ServerFeatures:
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        tsdb = conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).scalar()
        hyper = False
        if tsdb:
            hyper = bool(
                conn.execute(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables "
                        "WHERE hypertable_name = 'glucose_reading')"
                    )
                ).scalar()
            )
    return ServerFeatures(str(version).split(" ")[0], tsdb, hyper)


class Database:
    """Composition point for the db layer; services receive one of these."""

    def __init__(self, engine: Engine, *, workstation: str | None = None) -> None:
        self.engine = engine
        # Unique per process, so a workstation recognises (and skips) its own NOTIFYs.
        self.workstation = workstation or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.session_factory: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
        self._features: ServerFeatures | None = None
        self._change_listeners: list[Callable[[ChangeSet], None]] = []

    def add_change_listener(self, listener: Callable[[ChangeSet], None]) -> None:
        """Called (on the committing thread) with the ChangeSet of every committed unit of work."""
        self._change_listeners.append(listener)

    @property
    def features(self) -> ServerFeatures:
        if self._features is None:
            self._features = detect_features(self.engine)
        return self._features

    def refresh_features(self) -> ServerFeatures:
        self._features = None
        return self.features

    @contextmanager
    def unit_of_work(self, actor: Actor | None, *, read_only: bool = False) -> Iterator[UnitOfWork]:
        """One transaction for one user action (see `unit_of_work`); listeners hear its changes."""
        with unit_of_work(self.session_factory, actor, workstation=self.workstation, read_only=read_only) as uow:
            yield uow
        if uow.changes:
            for listener in list(self._change_listeners):
                listener(uow.changes)

    def dispose(self) -> None:
        self.engine.dispose()
