"""Sign-in: right and wrong passwords, lockout after five failures, disabled accounts, audit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from clinic_desktop.db.models import AuditEvent, StaffAccount
from clinic_desktop.domain.enums import Role
from clinic_desktop.domain.errors import AuthenticationFailed, ValidationError
from clinic_desktop.services.auth_service import AuthService
from clinic_desktop.services.staff_service import StaffService


def _audit_actions(database, staff_id):
    with database.unit_of_work(None) as uow:
        return [a for (a,) in uow.session.execute(select(AuditEvent.action).where(AuditEvent.entity_id == staff_id).order_by(AuditEvent.occurred_at))]


def test_login_returns_the_actor_and_audits(database, clinic):
    session = AuthService(database).login(clinic.doctor.username.upper(), clinic.password)
    assert session.actor.staff_id == clinic.doctor.staff_id
    assert session.actor.role is Role.DOCTOR and session.actor.doctor_id == clinic.doctor.doctor_id
    assert "login" in _audit_actions(database, clinic.doctor.staff_id)


def test_wrong_password_and_unknown_user_say_the_same(database, clinic):
    auth = AuthService(database)
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        auth.login(clinic.nurse.username, "not-the-password")
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        auth.login("nobody-here", clinic.password)
    assert "login_failed" in _audit_actions(database, clinic.nurse.staff_id)


def test_five_failures_lock_the_account_for_fifteen_minutes(database, clinic):
    auth = AuthService(database)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match="Wrong"):
            auth.login(clinic.receptionist.username, "bad password")
    with pytest.raises(AuthenticationFailed, match="locked for 15 minutes"):
        auth.login(clinic.receptionist.username, "bad password")
    with pytest.raises(AuthenticationFailed, match="locked"):
        auth.login(clinic.receptionist.username, clinic.password)
    with database.unit_of_work(None) as uow:
        uow.session.execute(
            update(StaffAccount)
            .where(StaffAccount.id == clinic.receptionist.staff_id)
            .values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
        )
    assert auth.login(clinic.receptionist.username, clinic.password).actor.role is Role.RECEPTIONIST


def test_disabled_account_cannot_sign_in(database, clinic):
    with database.unit_of_work(None) as uow:
        uow.session.execute(update(StaffAccount).where(StaffAccount.id == clinic.nurse.staff_id).values(active=False))
    with pytest.raises(AuthenticationFailed, match="disabled"):
        AuthService(database).login(clinic.nurse.username, clinic.password)


def test_admin_creates_doctor_with_profile_and_policy_is_enforced(database, clinic):
    staff = StaffService(database)
    with pytest.raises(ValidationError) as err:
        staff.create_account(clinic.admin, username="drwho", full_name="Dr Who", role=Role.DOCTOR, password="drwho12345678")
    assert "user name" in err.value.for_field("password")
    with pytest.raises(ValidationError, match="too common"):
        staff.create_account(clinic.admin, username="drwho", full_name="Dr Who", role=Role.DOCTOR, password="password123")
    created = staff.create_account(
        clinic.admin, username="drwho", full_name="Dr Who", role=Role.DOCTOR, password="Tardis-Blue-Box-1963"
    )
    assert created.doctor_id is not None
    assert AuthService(database).login("drwho", "Tardis-Blue-Box-1963").actor.doctor_id == created.doctor_id


def test_only_admins_create_accounts(database, clinic):
    from clinic_desktop.domain.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="Only admins"):
        StaffService(database).create_account(
            clinic.doctor, username="x1", full_name="X", role=Role.NURSE, password="Long-enough-pass-1"
        )
