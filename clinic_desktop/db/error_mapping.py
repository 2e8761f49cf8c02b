"""Map database errors to domain errors with a sentence a person can act on."""

from __future__ import annotations

import re

from psycopg import errors as pg
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError

from ..domain.errors import ConflictError, ConnectionLost, DomainError, StaleRecord

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


def is_retryable(error: BaseException) -> bool:
    """Serialization failures and deadlocks: the whole unit of work may simply be run again."""
    orig = getattr(error, "orig", error)
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def is_connection_error(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    orig = getattr(error, "orig", error)
    return isinstance(orig, (pg.OperationalError,)) and not isinstance(orig, pg.QueryCanceled) and getattr(
        orig, "sqlstate", None
    ) in (None, "08000", "08003", "08006", "08001", "08004", "57P01", "57P02", "57P03")


def map_db_error(error: BaseException) -> DomainError | None:
    """The domain error for a database exception, or None if it is a programming error."""
    if isinstance(error, DomainError):
        return error
    if isinstance(error, StaleDataError):
        return StaleRecord("record")
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)) and is_connection_error(error):
        return ConnectionLost(
            "The connection to the database server was lost. Your input is kept; try again when it is back."
        )
    if isinstance(error, sa_exc.TimeoutError):
        return ConnectionLost("All database connections are busy or the server does not answer. Try again shortly.")
    orig = getattr(error, "orig", None)
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
    if isinstance(orig, pg.QueryCanceled):
        return ConnectionLost("The database took too long to answer and the request was cancelled. Try again.")
    if isinstance(orig, pg.InsufficientPrivilege):
        return DomainError("The database account of this workstation is not allowed to do this.")
    if isinstance(orig, pg.WithCheckOptionViolation):  # a write through a clinic-isolating view (readings)
        return DomainError("This record belongs to another clinic; it cannot be written from this one.")
    return None
