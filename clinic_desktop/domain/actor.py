"""Who is acting: the signed-in staff member, their clinic and role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from .enums import Role
from .errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """The identity every service call runs as; set on the transaction for RLS and audit."""

    staff_id: uuid.UUID | None
    clinic_id: uuid.UUID
    role: Role
    username: str = ""
    full_name: str = ""
    doctor_id: uuid.UUID | None = None

    def require(self, *roles: Role, action: str) -> None:
        """Raise PermissionDenied unless the actor has one of `roles`."""
        if self.role not in roles:
            allowed = ", ".join(r.label.lower() + "s" for r in roles)
            raise PermissionDenied(f"Only {allowed} may {action}; you are signed in as {self.role.label.lower()}.")

    @property
    def sees_clinical(self) -> bool:
        return self.role in (Role.DOCTOR, Role.NURSE, Role.ADMIN)
