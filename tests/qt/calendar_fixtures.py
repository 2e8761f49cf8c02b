"""Shared pieces of the calendar Qt tests: a context on the real database and SQL-on-GUI-thread capture."""

from __future__ import annotations


import pytest

from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.services.appointment_service import AppointmentService
from clinic_desktop.services.auth_service import StaffSession

from .appointment_patient_search import PatientSearchStandIn
from clinic_desktop.domain.clock import SYSTEM_CLOCK, Clock


def make_context(database, actor, *, appointments=None, clock: Clock = SYSTEM_CLOCK) -> AppContext:  # noqa: ANN001
    services = Services(appointments=appointments or AppointmentService(database, clock=clock),
                        patients=PatientSearchStandIn(database))
    return AppContext(services, ChangeBus(), StaffSession(actor, "Test Clinic", "Europe/Berlin", False), clock=clock)


@pytest.fixture(autouse=True)
def drain_background_tasks(qtbot):  # noqa: ANN001
    """Let the pane's last background reads finish (and deliver) before the leak check runs."""
    from PySide6.QtCore import QThreadPool

    yield
    QThreadPool.globalInstance().waitForDone(10000)
    qtbot.wait(20)
