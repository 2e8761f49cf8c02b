"""Staff accounts: the first clinic and admin (setup), and accounts created by an admin."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, text

from ..db.database import Database
from ..db.models import Clinic, DoctorProfile, StaffAccount
from ..db.unit_of_work import set_transaction_clinic
from ..domain.actor import Actor
from ..domain.enums import Role
from ..domain.errors import ConflictError, FieldProblem, NotFound, StaleRecord, ValidationError
from ..domain.permissions import Capability
from ..domain.text_rules import text_field_problems, text_problem
from . import passwords
from ..domain.changes import ChangeKind


@dataclass(frozen=True)
class StaffDTO:
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    active: bool
    doctor_id: uuid.UUID | None
    version: int = 1
    must_change_password: bool = False


@dataclass(frozen=True)
class ClinicDTO:
    id: uuid.UUID
    name: str
    timezone: str


class StaffService:
    """Creating clinics and accounts. Only admins create accounts once a clinic exists."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def has_any_clinic(self) -> bool:
        with self._db.unit_of_work(None, read_only=True) as uow:
            # A SECURITY DEFINER function: row-level security hides clinics until one is chosen.
            return bool(uow.session.scalar(text("SELECT app_has_any_clinic()")))

    def create_first_clinic(
        self, *, clinic_name: str, timezone: str, admin_username: str, admin_full_name: str, admin_password: str
    ) -> tuple[ClinicDTO, StaffDTO]:
        """The setup wizard's last step; refused once any clinic exists (it never wipes data)."""
        problems = _clinic_problems(clinic_name, timezone) + _account_problems(admin_username, admin_full_name)
        if problems:
            raise ValidationError(problems)
        passwords.check_password_policy(admin_password, username=admin_username)
        with self._db.unit_of_work(None) as uow:
            uow.session.execute(select(func.pg_advisory_xact_lock(0x5E7A9)))
            if uow.session.scalar(text("SELECT app_has_any_clinic()")):
                raise ConflictError("This database already has a clinic; sign in with an existing account instead.")
            clinic = Clinic(id=uuid.uuid4(), name=unicodedata.normalize("NFC", clinic_name.strip()), timezone=timezone)
            set_transaction_clinic(uow.session, clinic.id)
            uow.session.add(clinic)
            uow.session.flush()
            admin = _new_account(clinic.id, admin_username, admin_full_name, Role.ADMIN, admin_password)
            uow.session.add(admin)
            uow.session.flush()
            uow.actor = Actor(staff_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN, username=admin.username)
            uow.audit("create", "clinic", clinic.id, changes={"name": clinic.name})
            uow.audit("create", "staff_account", admin.id, changes={"username": admin.username, "role": "admin"})
            return ClinicDTO(clinic.id, clinic.name, clinic.timezone), _dto(admin, None)

    def create_account(
        self, actor: Actor, *, username: str, full_name: str, role: Role, password: str, specialty: str | None = None
    ) -> StaffDTO:
        """An admin adds a staff member; doctors also get a doctor profile."""
        actor.require(Capability.MANAGE_STAFF, action="create staff accounts")
        problems = _account_problems(username, full_name) + text_field_problems(
            [("specialty", "specialty", specialty, False)])
        if problems:
            raise ValidationError(problems)
        passwords.check_password_policy(password, username=username)
        with self._db.unit_of_work(actor) as uow:
            account = _new_account(actor.clinic_id, username, full_name, role, password)
            uow.session.add(account)
            uow.session.flush()
            doctor_id = None
            if role == Role.DOCTOR:
                profile = DoctorProfile(
                    clinic_id=actor.clinic_id, staff_id=account.id, display_name=_person_name(full_name), specialty=(specialty or "").strip() or None
                )
                uow.session.add(profile)
                uow.session.flush()
                doctor_id = profile.id
            uow.audit("create", "staff_account", account.id, changes={"username": username, "role": role.value})
            uow.changed(ChangeKind.STAFF, account.id)
            return _dto(account, doctor_id)

    def list_staff(self, actor: Actor) -> list[StaffDTO]:
        with self._db.unit_of_work(actor, read_only=True) as uow:
            rows = uow.session.execute(
                select(StaffAccount, DoctorProfile.id)
                .outerjoin(DoctorProfile, DoctorProfile.staff_id == StaffAccount.id)
                .where(StaffAccount.clinic_id == actor.clinic_id)
                .order_by(StaffAccount.full_name)
            ).all()
            return [_dto(account, doctor_id) for account, doctor_id in rows]


    def set_active(self, actor: Actor, *, staff_id: uuid.UUID, active: bool, expected_version: int) -> StaffDTO:
        """An admin disables or re-enables an account (never their own: someone must stay admin)."""
        actor.require(Capability.MANAGE_STAFF, action="disable or enable accounts")
        if staff_id == actor.staff_id and not active:
            raise ValidationError([FieldProblem("active", "You cannot disable your own account.")])
        with self._db.unit_of_work(actor) as uow:
            account = _load_for_update(uow, staff_id, expected_version)
            before = account.active
            account.active = active
            if active:
                account.failed_login_count = 0
                account.locked_until = None
            uow.audit("disable" if not active else "enable", "staff_account", account.id, changes={"active": [before, active]})
            uow.changed(ChangeKind.STAFF, account.id)
            uow.session.flush()
            return _dto(account, _doctor_id(uow, account))

    def force_password_change(self, actor: Actor, *, staff_id: uuid.UUID, expected_version: int) -> StaffDTO:
        """The account must choose a new password at its next sign-in."""
        actor.require(Capability.MANAGE_STAFF, action="force a password change")
        with self._db.unit_of_work(actor) as uow:
            account = _load_for_update(uow, staff_id, expected_version)
            account.must_change_password = True
            uow.audit("force_password_change", "staff_account", account.id)
            uow.changed(ChangeKind.STAFF, account.id)
            uow.session.flush()
            return _dto(account, _doctor_id(uow, account))

    def change_own_password(self, actor: Actor, *, current_password: str, new_password: str) -> None:
        """Every staff member changes their own password (the current one is checked first)."""
        passwords.check_password_policy(new_password, username=actor.username, field="new_password")
        if new_password == current_password:
            raise ValidationError([FieldProblem("new_password", "Choose a password different from the current one.")])
        with self._db.unit_of_work(actor) as uow:
            account = uow.session.get(StaffAccount, actor.staff_id, with_for_update=True)
            if account is None or not passwords.verify_password(account.password_hash, current_password):
                raise ValidationError([FieldProblem("current_password", "The current password is not correct.")])
            account.password_hash = passwords.hash_password(new_password)
            account.must_change_password = False
            uow.audit("change_password", "staff_account", account.id)


def _load_for_update(uow, staff_id: uuid.UUID, expected_version: int) -> StaffAccount:  # noqa: ANN001
    account = uow.session.get(StaffAccount, staff_id, with_for_update=True)
    if account is None:
        raise NotFound("That staff account does not exist.")
    if account.version != expected_version:
        raise StaleRecord("staff account", mine=expected_version, theirs=account.version)
    return account


def _doctor_id(uow, account: StaffAccount) -> uuid.UUID | None:  # noqa: ANN001
    return uow.session.scalar(select(DoctorProfile.id).where(DoctorProfile.staff_id == account.id))


def _new_account(clinic_id: uuid.UUID, username: str, full_name: str, role: Role, password: str) -> StaffAccount:
    return StaffAccount(
        clinic_id=clinic_id,
        username=username.strip(),
        full_name=_person_name(full_name),
        role=role,
        password_hash=passwords.hash_password(password),
    )


def _dto(account: StaffAccount, doctor_id: uuid.UUID | None) -> StaffDTO:
    return StaffDTO(
        account.id, account.username, account.full_name, Role(account.role), account.active, doctor_id,
        account.version, account.must_change_password,
    )


def _clinic_problems(name: str, timezone: str) -> list[FieldProblem]:
    problems = []
    bad = text_problem(name or "", "clinic's name")
    if bad is not None:
        problems.append(FieldProblem("clinic_name", bad))
    elif not name or not name.strip():
        problems.append(FieldProblem("clinic_name", "Enter the clinic's name."))
    elif len(name.strip()) > 200:
        problems.append(FieldProblem("clinic_name", "Use at most 200 characters."))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(FieldProblem("timezone", f"{timezone!r} is not a known time zone (e.g. Europe/Berlin)."))
    return problems


def _account_problems(username: str, full_name: str) -> list[FieldProblem]:
    problems = []
    name = (username or "").strip()
    if not name:
        problems.append(FieldProblem("username", "Enter a user name."))
    elif len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        problems.append(FieldProblem("username", "Use up to 64 letters, digits, '.', '_', '-' or '@'."))
    bad = text_problem(full_name or "", "full name")
    if bad is not None:
        problems.append(FieldProblem("full_name", bad))
    elif not full_name or not full_name.strip():
        problems.append(FieldProblem("full_name", "Enter the person's full name."))
    elif len(_person_name(full_name)) > 200:
        problems.append(FieldProblem("full_name", "The full name is too long (at most 200 characters)."))
    return problems


def _person_name(text: str) -> str:
    """A name as stored: NFC, single spaces (checked by `_account_problems` first)."""
    return unicodedata.normalize("NFC", " ".join(text.split()))
