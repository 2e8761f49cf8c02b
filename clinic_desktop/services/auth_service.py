"""Sign-in of staff accounts: argon2id verification, lockout after repeated failures, audit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, text

from ..db.database import Database
from ..db.models import Clinic, DoctorProfile, StaffAccount
from ..db.unit_of_work import set_transaction_clinic
from ..domain.actor import Actor
from ..domain.clock import SYSTEM_CLOCK, Clock
from ..domain.enums import Role
from ..domain.errors import AuthenticationFailed
from . import passwords

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class StaffSession:
    """The signed-in staff member, their clinic and what the UI needs to show about them."""

    actor: Actor
    clinic_name: str
    clinic_timezone: str
    must_change_password: bool
    clinic_locale: str = "en_US"  # how the clinic writes dates (see domain.patient_rules)


class AuthService:
    """Checks credentials; failures are counted and audited, never explained beyond 'wrong'."""

    def __init__(self, database: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = database
        self._clock = clock

    def login(self, username: str, password: str) -> StaffSession:
        """Return the session of a valid, active, unlocked account or raise AuthenticationFailed."""
        now = self._clock.now()
        with self._db.unit_of_work(None) as uow:
            # Row-level security hides every clinic's rows until the clinic is known: a
            # SECURITY DEFINER function reveals only the account's id and clinic.
            found = uow.session.execute(
                text("SELECT staff_id, clinic_id FROM auth_find_staff(:u)"), {"u": username.strip()}
            ).first()
            if found is None:
                passwords.verify_password(_DUMMY_HASH, password)  # same time as a real check
                raise AuthenticationFailed("Wrong user name or password.")
            set_transaction_clinic(uow.session, found.clinic_id)
            account = uow.session.get(StaffAccount, found.staff_id)
            actor = _actor_of(uow.session, account)
            uow.actor = actor
            if account.locked_until and account.locked_until > now:
                minutes = max(1, int((account.locked_until - now).total_seconds() // 60) + 1)
                uow.audit("login_refused_locked", "staff_account", account.id)
                _commit_then_raise(uow, f"This account is locked after repeated failed sign-ins. Try again in {minutes} minutes or ask an administrator.")
            if not passwords.verify_password(account.password_hash, password):
                account.failed_login_count += 1
                message = "Wrong user name or password."
                if account.failed_login_count >= MAX_FAILED_LOGINS:
                    account.locked_until = now + LOCKOUT
                    account.failed_login_count = 0
                    message = "Too many failed sign-ins: this account is locked for 15 minutes."
                uow.audit("login_failed", "staff_account", account.id)
                _commit_then_raise(uow, message)
            if not account.active:
                uow.audit("login_refused_disabled", "staff_account", account.id)
                _commit_then_raise(uow, "This account is disabled. Ask an administrator.")
            account.failed_login_count = 0
            account.locked_until = None
            account.last_login_at = now
            if passwords.needs_rehash(account.password_hash):
                account.password_hash = passwords.hash_password(password)
            clinic = uow.session.get(Clinic, account.clinic_id)
            uow.audit("login", "staff_account", account.id)
            result = StaffSession(actor, clinic.name, clinic.timezone, account.must_change_password, clinic.locale)
        return result

    def verify(self, actor: Actor, password: str) -> bool:
        """Re-check the password of the signed-in user (unlocking after idle auto-lock)."""
        try:
            session = self.login(actor.username, password)
        except AuthenticationFailed:
            return False
        return session.actor.staff_id == actor.staff_id


def _commit_then_raise(uow, message: str) -> None:  # noqa: ANN001
    """Failed attempts must be stored (counter, audit) even though the login fails."""
    uow.session.commit()
    raise AuthenticationFailed(message)


def _actor_of(session, account: StaffAccount) -> Actor:  # noqa: ANN001
    doctor_id = None
    if account.role == Role.DOCTOR:
        doctor_id = session.scalar(select(DoctorProfile.id).where(DoctorProfile.staff_id == account.id))
    return Actor(
        staff_id=account.id,
        clinic_id=account.clinic_id,
        role=Role(account.role),
        username=account.username,
        full_name=account.full_name,
        doctor_id=doctor_id,
    )


_DUMMY_HASH = passwords.hash_password(uuid.uuid4().hex)
