"""The role → capability table: the rules issue #11 settled, and the sentences a refusal reads."""

from __future__ import annotations

import uuid

import pytest

from clinic_desktop.domain.actor import Actor
from clinic_desktop.domain.appointment_rules import STATUS_CAPABILITY, TRANSITIONS
from clinic_desktop.domain.enums import Role
from clinic_desktop.domain.errors import PermissionDenied
from clinic_desktop.domain.permissions import ROLE_CAPABILITIES, Capability, allows, refusal, roles_with


def actor(role: Role) -> Actor:
    return Actor(uuid.uuid4(), uuid.uuid4(), role)


def test_every_role_has_a_row_and_every_capability_a_holder():
    assert set(ROLE_CAPABILITIES) == set(Role)
    assert {c for caps in ROLE_CAPABILITIES.values() for c in caps} == set(Capability)


@pytest.mark.parametrize("capability,roles", [
    (Capability.VIEW_REVIEW_WORKLIST, (Role.DOCTOR, Role.NURSE)),  # not admins: they review nothing
    (Capability.MARK_REVIEWED, (Role.DOCTOR,)),
    (Capability.VIEW_STORAGE_HEALTH, (Role.ADMIN,)),
    (Capability.RECORD_DOSES, (Role.DOCTOR, Role.NURSE)),
    (Capability.VIEW_MEDICATIONS, (Role.DOCTOR, Role.NURSE, Role.ADMIN)),
    (Capability.VIEW_GLUCOSE, (Role.DOCTOR, Role.NURSE, Role.ADMIN)),
    (Capability.PRESCRIBE, (Role.DOCTOR,)),
    (Capability.BOOK_APPOINTMENTS, (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST)),
    (Capability.EDIT_SCHEDULE, (Role.RECEPTIONIST, Role.ADMIN)),
    (Capability.READ_AUDIT_TRAIL, (Role.ADMIN,)),
    (Capability.MANAGE_STAFF, (Role.ADMIN,)),
    (Capability.BACK_UP, (Role.ADMIN,)),
    (Capability.MERGE_PATIENTS, (Role.ADMIN,)),
    (Capability.SEE_PATIENTS, (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN)),
])
def test_who_holds_what(capability, roles):
    assert roles_with(capability) == roles
    assert all(allows(role, capability) == (role in roles) for role in Role)


def test_refusals_name_the_roles_allowed_and_the_role_signed_in():
    assert refusal(Role.NURSE, Capability.READ_AUDIT_TRAIL) == (
        "Only admins may read the audit trail; you are signed in as nurse.")
    assert refusal(Role.ADMIN, Capability.EDIT_CLINICAL_FIELDS, "change clinical fields (diabetes type)") == (
        "Only doctors and nurses may change clinical fields (diabetes type); you are signed in as admin.")
    assert refusal(Role.RECEPTIONIST, Capability.VIEW_GLUCOSE) == (
        "Only doctors, nurses and admins may see glucose readings; you are signed in as receptionist.")


def test_actor_require_raises_permission_denied_and_can_answers():
    nurse = actor(Role.NURSE)
    nurse.require(Capability.VIEW_REVIEW_WORKLIST)
    assert nurse.can(Capability.RECORD_DOSES) and not nurse.can(Capability.MARK_REVIEWED)
    with pytest.raises(PermissionDenied, match="^Only doctors may mark a patient's glucose as reviewed; you are signed in as nurse.$"):
        nurse.require(Capability.MARK_REVIEWED)
    assert actor(Role.ADMIN).sees_clinical and not actor(Role.RECEPTIONIST).sees_clinical


def test_every_status_an_appointment_can_move_to_names_a_capability():
    targets = {status for following in TRANSITIONS.values() for status in following}
    assert targets == set(STATUS_CAPABILITY)
    assert roles_with(STATUS_CAPABILITY[next(s for s in targets if s.value == "completed")]) == (Role.DOCTOR, Role.NURSE)
