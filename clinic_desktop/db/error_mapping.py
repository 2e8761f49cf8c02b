"""Map database errors to domain errors with a sentence a person can act on.

Both SQLAlchemy's wrapped exceptions (raised through a session) and psycopg's own (raised by a raw
driver cursor, e.g. the CGM import's COPY) are mapped, by the driver error's class and SQLSTATE.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import errors as pg
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError

from ..domain.errors import (
    ConcurrentUpdate,
    ConflictError,
    ConnectionLost,
    DomainError,
    StaleRecord,
    UnstorableValue,
)

#: Friendly sentences for named constraints; services may add their own, more specific ones.
CONSTRAINT_MESSAGES: dict[str, tuple[str, str | None]] = {
    "uq_patient_clinic_id_mrn": ("Another patient of this clinic already has this MRN.", "mrn"),
    "uq_staff_account_username_lower": ("This user name is already taken.", "username"),
    "ex_appointment_doctor_slot": ("That time is no longer free for this doctor.", "starts_at"),
    "ex_appointment_patient_slot": ("The patient already has an appointment at that time.", "starts_at"),
    "uq_glucose_reading_patient_id_source_recorded_at": (
        "A reading from this source at this time is already stored for the patient.",
        "recorded_at",
    ),
    "uq_medication_dose_log_medication_id_scheduled_at": (
        "This dose was already recorded (perhaps on another workstation).",
        None,
    ),
}

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
#: Connection exceptions (class 08) and operator intervention (57P01 admin shutdown, 57P02 crash
#: shutdown, 57P03 cannot connect now); None: libpq lost the socket without a server message.
CONNECTION_SQLSTATES = {None, "08000", "08003", "08006", "08001", "08004", "57P01", "57P02", "57P03"}

CONNECTION_LOST_MESSAGE = "The connection to the database server was lost. Your input is kept; try again when it is back."


def driver_error(error: BaseException) -> BaseException:
    """The psycopg exception behind `error` (SQLAlchemy keeps it in `.orig`), or `error` itself."""
    orig = getattr(error, "orig", None)
    return orig if isinstance(orig, BaseException) else error


def is_retryable(error: BaseException) -> bool:
    """Serialization failures and deadlocks: the whole unit of work may simply be run again."""
    return getattr(driver_error(error), "sqlstate", None) in RETRYABLE_SQLSTATES


def is_connection_error(error: BaseException) -> bool:
    """Whether `error` means the connection is gone (not a cancelled query: that is a timeout)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    orig = driver_error(error)
    if isinstance(orig, psycopg.InterfaceError) and "closed" in str(orig).lower():
        return True  # the driver refuses to use a connection it already knows is closed
    return (isinstance(orig, psycopg.OperationalError) and not isinstance(orig, pg.QueryCanceled)
            and getattr(orig, "sqlstate", None) in CONNECTION_SQLSTATES)


def map_db_error(error: BaseException) -> DomainError | None:
    """The domain error for a database exception, or None if it is a programming error."""
    if isinstance(error, DomainError):
        return error
    if isinstance(error, StaleDataError):
        return StaleRecord("record")
    if is_connection_error(error):
        return ConnectionLost(CONNECTION_LOST_MESSAGE)
    if isinstance(error, sa_exc.TimeoutError):
        return ConnectionLost("All database connections are busy or the server does not answer. Try again shortly.")
    orig = driver_error(error)
    if not isinstance(orig, psycopg.Error):
        return None
    return _map_driver_error(orig)


def _map_driver_error(orig: psycopg.Error) -> DomainError | None:
    """A psycopg error (raised directly or wrapped by SQLAlchemy) by class and SQLSTATE."""
    if isinstance(orig, (pg.UniqueViolation, pg.ExclusionViolation)):
        name = getattr(getattr(orig, "diag", None), "constraint_name", None) or ""
        name = re.sub(r"^\d+_", "", name)  # a TimescaleDB chunk's copy of the constraint: "<n>_<name>"
        message, field = CONSTRAINT_MESSAGES.get(name, ("This record conflicts with an existing one.", None))
        err = ConflictError(message, field=field)
        err.constraint = name  # type: ignore[attr-defined]
        return err
    if isinstance(orig, pg.ForeignKeyViolation):
        return ConflictError("This record is still referenced by, or refers to, a record that does not exist.")
    if isinstance(orig, pg.CheckViolation):
        name = getattr(getattr(orig, "diag", None), "constraint_name", None) or "a rule"
        return ConflictError(f"The values break the rule {name}.")
    if isinstance(orig, pg.QueryCanceled):  # statement_timeout, lock_timeout or a cancel request
        return ConnectionLost("The database took too long to answer and the request was cancelled. Try again.")
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return ConcurrentUpdate("Another workstation changed the same records at the same moment; nothing was "
                                "saved. Try again.")
    if isinstance(orig, pg.InsufficientPrivilege):
        return DomainError("The database account of this workstation is not allowed to do this.")
    if isinstance(orig, pg.WithCheckOptionViolation):  # a write through a clinic-isolating view (readings)
        return DomainError("This record belongs to another clinic; it cannot be written from this one.")
    if isinstance(orig, psycopg.DataError):
        return _unstorable(orig)
    return None


def _unstorable(orig: psycopg.DataError) -> UnstorableValue:
    """A value the server (or the driver) refused; the message names the column, never the value."""
    column = getattr(getattr(orig, "diag", None), "column_name", None)
    where = f" in the field “{column}”" if column else ""
    return UnstorableValue(f"A value{where} could not be stored as it is (wrong form, too long or a character the "
                           "database does not accept). Nothing was saved; correct the value and save again.",
                           field=column)
