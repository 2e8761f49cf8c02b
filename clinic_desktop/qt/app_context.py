"""What every pane and dialog receives from the composition root (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .bus import ChangeBus

if TYPE_CHECKING:  # imported lazily: the login window must not wait for SQLAlchemy
    from ..services.auth_service import StaffSession


@dataclass
class Services:
    """The service objects, built once by app.py; panes call them only through a TaskRunner."""

    auth: Any = None
    staff: Any = None
    patients: Any = None
    glucose: Any = None
    appointments: Any = None
    medications: Any = None
    audit: Any = None
    admin: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AppContext:
    """Handed to panes: the services, the change bus and the signed-in staff session."""

    services: Services
    bus: ChangeBus
    session: StaffSession
    profile_name: str = "default"

    @property
    def actor(self):  # noqa: ANN201 - Actor
        return self.session.actor
