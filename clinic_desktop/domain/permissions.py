"""Who may do what: the one table of role → capabilities.

The services check it (`actor.require(Capability.X)`) and the screens read it (the pane registry
names the capability each pane and menu action needs), so a pane is shown exactly to the roles
whose service calls it makes are allowed. Change a rule here, nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType

from .enums import Role


class Capability(Enum):
    """Something a role may do; the value is the phrase a refusal uses ("Only … may <value>")."""

    SEE_PATIENTS = "see patients"
    REGISTER_PATIENTS = "register and edit patients"
    READ_CLINICAL_FIELDS = "see clinical fields"
    EDIT_CLINICAL_FIELDS = "change clinical fields"
    EDIT_CARE_TEAM = "change care teams"
    RESTORE_PATIENTS = "restore archived patients"
    MERGE_PATIENTS = "merge duplicate patients"
    VIEW_CALENDAR = "see the calendar"
    BOOK_APPOINTMENTS = "book appointments"
    CHECK_IN_PATIENTS = "check patients in"
    COMPLETE_VISITS = "mark visits completed"
    EDIT_SCHEDULE = "change working hours and closed days"
    VIEW_GLUCOSE = "see glucose readings"
    RECORD_GLUCOSE = "record glucose readings"
    VIEW_REVIEW_WORKLIST = "see the review worklist"
    MARK_REVIEWED = "mark a patient's glucose as reviewed"
    VIEW_STORAGE_HEALTH = "see the storage health"
    VIEW_MEDICATIONS = "see medications"
    PRESCRIBE = "prescribe medications"
    RECORD_DOSES = "record doses"
    READ_AUDIT_TRAIL = "read the audit trail"
    MANAGE_STAFF = "manage staff accounts"
    BACK_UP = "back up the database"
    RESTORE_BACKUP = "restore a backup"
    SET_UP_DATABASE = "set up and upgrade the database"


C = Capability
_FRONT_DESK = frozenset({C.SEE_PATIENTS, C.REGISTER_PATIENTS, C.VIEW_CALENDAR})
_CARE = frozenset({
    C.READ_CLINICAL_FIELDS, C.EDIT_CLINICAL_FIELDS, C.EDIT_CARE_TEAM, C.BOOK_APPOINTMENTS, C.CHECK_IN_PATIENTS,
    C.COMPLETE_VISITS, C.VIEW_GLUCOSE, C.RECORD_GLUCOSE, C.VIEW_REVIEW_WORKLIST, C.VIEW_MEDICATIONS, C.RECORD_DOSES,
})

#: The table. Admins read clinical data (for audit) but record, prescribe and review nothing;
#: reception books and checks in but sees no clinical data.
ROLE_CAPABILITIES: Mapping[Role, frozenset[Capability]] = MappingProxyType({
    Role.DOCTOR: _FRONT_DESK | _CARE | {C.MARK_REVIEWED, C.PRESCRIBE},
    Role.NURSE: _FRONT_DESK | _CARE,
    Role.RECEPTIONIST: _FRONT_DESK | {C.BOOK_APPOINTMENTS, C.CHECK_IN_PATIENTS, C.EDIT_SCHEDULE},
    Role.ADMIN: _FRONT_DESK | {
        C.READ_CLINICAL_FIELDS, C.EDIT_CARE_TEAM, C.RESTORE_PATIENTS, C.MERGE_PATIENTS, C.EDIT_SCHEDULE,
        C.VIEW_GLUCOSE, C.VIEW_STORAGE_HEALTH, C.VIEW_MEDICATIONS, C.READ_AUDIT_TRAIL, C.MANAGE_STAFF, C.BACK_UP,
        C.RESTORE_BACKUP, C.SET_UP_DATABASE,
    },
})

#: The order roles are named in a refusal ("Only doctors, nurses and admins may …").
_NAMING_ORDER = (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN)


def allows(role: Role, capability: Capability) -> bool:
    """Whether `role` has `capability`."""
    return capability in ROLE_CAPABILITIES[role]


def roles_with(capability: Capability) -> tuple[Role, ...]:
    """The roles that have `capability`, in naming order."""
    return tuple(role for role in _NAMING_ORDER if allows(role, capability))


def refusal(role: Role, capability: Capability, action: str | None = None) -> str:
    """The sentence shown when `role` tries `action` (default: the capability's phrase) without `capability`."""
    names = [r.label.lower() + "s" for r in roles_with(capability)]
    who = " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else (names[0] if names else "")
    what = action or capability.value
    if not who:
        return f"Nobody may {what}."
    return f"Only {who} may {what}; you are signed in as {role.label.lower()}."
