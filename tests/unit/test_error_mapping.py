"""Database errors, wrapped by SQLAlchemy or raised by psycopg itself, become domain errors."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy import exc as sa_exc

from clinic_desktop.db.error_mapping import is_retryable, map_db_error
from clinic_desktop.domain.errors import ConcurrentUpdate, ConnectionLost, TryAgain, UnstorableValue


def wrapped(kind: type[sa_exc.DBAPIError], orig: Exception) -> sa_exc.DBAPIError:
    return kind("INSERT ...", {}, orig)


@pytest.mark.parametrize("raw", [
    pg.AdminShutdown("terminating connection due to administrator command"),
    pg.CrashShutdown("crash"),
    pg.CannotConnectNow("starting up"),
    pg.ConnectionFailure("connection failure"),
    psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
    psycopg.InterfaceError("the connection is closed"),
])
def test_lost_connections_raw_or_wrapped_are_connection_lost(raw):
    for error in (raw, wrapped(sa_exc.OperationalError, raw)):
        mapped = map_db_error(error)
        assert isinstance(mapped, ConnectionLost) and "try again" in mapped.message


def test_timeouts_are_connection_lost_and_may_be_retried():
    mapped = map_db_error(pg.QueryCanceled("canceling statement due to statement timeout"))
    assert isinstance(mapped, ConnectionLost) and isinstance(mapped, TryAgain)


@pytest.mark.parametrize("raw", [pg.SerializationFailure("could not serialize"), pg.DeadlockDetected("deadlock")])
def test_serialization_failures_and_deadlocks_are_concurrent_updates(raw):
    for error in (raw, wrapped(sa_exc.OperationalError, raw)):
        assert isinstance(map_db_error(error), ConcurrentUpdate) and is_retryable(error)


@pytest.mark.parametrize("raw", [
    psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
    pg.StringDataRightTruncation("value too long for type character varying(64)"),
    pg.CharacterNotInRepertoire("invalid byte sequence"),
])
def test_data_errors_are_unstorable_values_never_raw_and_never_retryable(raw):
    for error in (raw, wrapped(sa_exc.DataError, raw)):
        mapped = map_db_error(error)
        assert isinstance(mapped, UnstorableValue) and not isinstance(mapped, TryAgain)
        assert "could not be stored" in mapped.message and "NUL" not in mapped.message


def test_programming_errors_stay_unmapped():
    assert map_db_error(ValueError("bug")) is None
    assert map_db_error(pg.UndefinedColumn("no such column")) is None
