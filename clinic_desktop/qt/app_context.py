"""What every pane and dialog receives from the composition root (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..domain.clock import SYSTEM_CLOCK, Clock, clinic_today
from .bus import ChangeBus
from .formats import Formats

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
    """Handed to panes: the services, the change bus, the signed-in staff session and the app's clock.

    The clock is the one the services were built with (the composition root passes the same object to
    both), so a pane's "today" and a service's "today" never disagree.
    """

    services: Services
    bus: ChangeBus
    session: StaffSession
    profile_name: str = "default"
    clock: Clock = SYSTEM_CLOCK

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone."""
        return ZoneInfo(self.session.clinic_timezone)

    def now(self) -> datetime:
        """The clock's instant (aware, UTC)."""
        return self.clock.now()

    @property
    def formats(self) -> Formats:
        """How dates and times read on every screen (the clinic's locale)."""
        return Formats(self.session.clinic_locale)

    def today(self) -> date:
        """The clinic's today, in the clinic's zone (never the workstation's date)."""
        return clinic_today(self.clock, self.session.clinic_timezone)

    @property
    def actor(self):  # noqa: ANN201 - Actor
        return self.session.actor
