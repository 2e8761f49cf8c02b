"""Errors a person can act on: each carries the field or file line it concerns."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error shown to a user; `message` is a plain sentence."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field of a form, with the sentence to show beside it."""

    field: str
    message: str


class ValidationError(DomainError):
    """One or more fields are invalid; nothing was written."""

    def __init__(self, problems: list[FieldProblem] | tuple[FieldProblem, ...]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else FieldProblem("", "Invalid input.")
        text = "; ".join(f"{p.field}: {p.message}" for p in self.problems) or first.message
        super().__init__(text, field=first.field)

    def for_field(self, name: str) -> str | None:
        for problem in self.problems:
            if problem.field == name:
                return problem.message
        return None


class PermissionDenied(DomainError):
    """The signed-in role may not do this."""


class NotFound(DomainError):
    """The record does not exist (or is not visible to this clinic)."""


class ConflictError(DomainError):
    """A uniqueness or exclusion rule was broken (duplicate MRN, slot taken)."""


class StaleRecord(DomainError):
    """Another user saved the record since it was loaded; both versions are carried."""

    def __init__(self, entity: str, *, mine: object = None, theirs: object = None) -> None:
        super().__init__(f"This {entity} was changed by another user since you opened it.")
        self.entity = entity
        self.mine = mine
        self.theirs = theirs


class TryAgain(DomainError):
    """The action failed for a reason that may pass (server gone, busy, a clash with another
    workstation): nothing was written, and the same action may succeed when tried again."""


class ConnectionLost(TryAgain):
    """The database server could not be reached, or did not answer in time; the action may be retried."""


class ConcurrentUpdate(TryAgain):
    """The server aborted the action because another workstation touched the same rows at the same moment."""


class UnstorableValue(DomainError):
    """The server refused a value as it is (wrong form, too long, a forbidden character): retrying cannot help."""


class SchemaTooNew(DomainError):
    """The database was migrated by a newer version of the app; this workstation must not write."""


class AuthenticationFailed(DomainError):
    """Wrong user name or password, or the account is locked or disabled."""
