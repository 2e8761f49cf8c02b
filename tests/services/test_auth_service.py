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


def _staff(database, clinic, staff_id):
    return next(s for s in StaffService(database).list_staff(clinic.admin) if s.id == staff_id)


def test_admin_disables_and_reenables_an_account_audited(database, clinic):
    from clinic_desktop.domain.errors import StaleRecord

    staff = StaffService(database)
    nurse = _staff(database, clinic, clinic.nurse.staff_id)
    disabled = staff.set_active(clinic.admin, staff_id=nurse.id, active=False, expected_version=nurse.version)
    assert disabled.active is False and disabled.version == nurse.version + 1
    with pytest.raises(AuthenticationFailed, match="disabled"):
        AuthService(database).login(clinic.nurse.username, clinic.password)
    with pytest.raises(StaleRecord):
        staff.set_active(clinic.admin, staff_id=nurse.id, active=True, expected_version=nurse.version)
    staff.set_active(clinic.admin, staff_id=nurse.id, active=True, expected_version=disabled.version)
    assert AuthService(database).login(clinic.nurse.username, clinic.password).actor.role is Role.NURSE
    assert {"disable", "enable"} <= set(_audit_actions(database, nurse.id))


def test_admin_cannot_disable_self_and_others_cannot_disable(database, clinic):
    from clinic_desktop.domain.errors import PermissionDenied

    staff = StaffService(database)
    me = _staff(database, clinic, clinic.admin.staff_id)
    with pytest.raises(ValidationError, match="your own account"):
        staff.set_active(clinic.admin, staff_id=me.id, active=False, expected_version=me.version)
    with pytest.raises(PermissionDenied):
        staff.set_active(clinic.doctor, staff_id=clinic.nurse.staff_id, active=False, expected_version=1)


def test_forced_password_change_then_own_change(database, clinic):
    staff = StaffService(database)
    target = _staff(database, clinic, clinic.receptionist.staff_id)
    staff.force_password_change(clinic.admin, staff_id=target.id, expected_version=target.version)
    session = AuthService(database).login(clinic.receptionist.username, clinic.password)
    assert session.must_change_password is True
    with pytest.raises(ValidationError) as err:
        staff.change_own_password(clinic.receptionist, current_password="wrong", new_password="Fresh-Meadow-Path-77")
    assert err.value.for_field("current_password")
    with pytest.raises(ValidationError) as err:
        staff.change_own_password(clinic.receptionist, current_password=clinic.password, new_password="short")
    assert err.value.for_field("new_password")
    staff.change_own_password(clinic.receptionist, current_password=clinic.password, new_password="Fresh-Meadow-Path-77")
    again = AuthService(database).login(clinic.receptionist.username, "Fresh-Meadow-Path-77")
    assert again.must_change_password is False
    assert {"force_password_change", "change_password"} <= set(_audit_actions(database, target.id))
