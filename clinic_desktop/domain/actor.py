"""Who is acting: the signed-in staff member, their clinic and role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from .enums import Role
from .errors import PermissionDenied
from .permissions import Capability, allows, refusal


@dataclass(frozen=True)
class Actor:
    """The identity every service call runs as; set on the transaction for RLS and audit."""

    staff_id: uuid.UUID | None
    clinic_id: uuid.UUID
    role: Role
    username: str = ""
    full_name: str = ""
    doctor_id: uuid.UUID | None = None

    def can(self, capability: Capability) -> bool:
        """Whether the actor's role has `capability` (see `domain.permissions`)."""
        return allows(self.role, capability)

    def require(self, capability: Capability, *, action: str | None = None) -> None:
        """Raise PermissionDenied unless the actor's role has `capability`; `action` words the refusal."""
        if not self.can(capability):
            raise PermissionDenied(refusal(self.role, capability, action))

    @property
    def sees_clinical(self) -> bool:
        """Whether clinical fields are shown to this actor (doctors, nurses; admins for audit)."""
        return self.can(Capability.READ_CLINICAL_FIELDS)
