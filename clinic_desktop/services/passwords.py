"""Staff password hashing with argon2id (argon2-cffi) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..domain.errors import FieldProblem, ValidationError

_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults

#: A short list of the most common passwords; the policy refuses them whatever their case.
COMMON_PASSWORDS = frozenset(
    """123456 123456789 12345678 password qwerty123 qwerty 1234567890 111111 1234567 password1
    12345 123123 000000 iloveyou abc123 qwertyuiop 654321 welcome admin admin123 letmein monkey
    dragon passw0rd password123 sunshine princess football baseball master shadow superman
    welcome1 changeme secret trustno1 clinic clinic123 doctor nurse hospital health""".split()
)
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def check_password_policy(password: str, *, username: str, field: str = "password") -> None:
    """Length, not the user name, not a common password; raises ValidationError naming the field."""
    problems: list[FieldProblem] = []
    if len(password) < MIN_LENGTH:
        problems.append(FieldProblem(field, f"Use at least {MIN_LENGTH} characters."))
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append(FieldProblem(field, "The password must not contain the user name."))
    if lowered in COMMON_PASSWORDS or lowered.rstrip("0123456789!") in COMMON_PASSWORDS:
        problems.append(FieldProblem(field, "This password is too common; choose another."))
    if problems:
        raise ValidationError(problems)
