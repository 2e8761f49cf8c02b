"""From an exception to a sentence a person can act on — the one place panes and dialogs use.

Domain errors already carry such a sentence. Anything else is unexpected: it is logged once,
centrally (by `qt.workers` for background tasks, or by `report_unexpected` here), with its type
and stack frames only — never its message, which may quote health data or SQL parameters — under
a short reference the user can quote to an administrator. Raw exception text never reaches the
screen.
"""

from __future__ import annotations

import logging
import traceback
import uuid

from ..domain.errors import DomainError

log = logging.getLogger("clinic_desktop.unexpected")

_REFERENCE = "__clinic_reference__"


def report_unexpected(exc: BaseException) -> str:
    """Log `exc` once (type and stack frames, no message) and return its reference."""
    existing = getattr(exc, _REFERENCE, None)
    if isinstance(existing, str):
        return existing
    reference = uuid.uuid4().hex[:8].upper()
    # File, line and function only: no message, no source text, no local values.
    frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__))
    log.error("Unexpected %s (reference %s); stack:\n%s", type(exc).__name__, reference, frames)
    try:
        setattr(exc, _REFERENCE, reference)
    except AttributeError:  # an exception type without a __dict__: it is logged again if seen again
        pass
    return reference


def is_expected(exc: BaseException) -> bool:
    """Errors the services raise on purpose, each with its own sentence."""
    return isinstance(exc, DomainError)


def describe_error(exc: BaseException, doing: str = "") -> str:
    """A sentence for the screen: the domain error's own, or a plain one with the log's reference.

    `doing` names the action in the words of the screen ("save the reading"); it completes the
    sentence "Could not … ." for errors that are not the user's to fix.
    """
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, FileNotFoundError):
        return "The file was not found. Check that it still exists and choose it again."
    if isinstance(exc, PermissionError):
        return "Clinic Desktop may not read or write that file. Choose another place, or ask your administrator."
    if isinstance(exc, IsADirectoryError):
        return "That is a folder, not a file. Choose a file."
    if isinstance(exc, OSError) and exc.strerror:
        return f"The file could not be used ({exc.strerror}). Check it and try again."
    reference = report_unexpected(exc)
    action = f"Could not {doing}" if doing else "Something went wrong"
    return (f"{action}: an unexpected error occurred (reference {reference}). Try again; if it happens again, "
            "give the reference to your administrator — the details are in the application log.")

