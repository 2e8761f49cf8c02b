"""Every kind of change the services emit reaches a pane that listens for it.

The emitted kinds are read from the services' source (`uow.changed(ChangeKind.X, …)`); the listened
kinds from the bus after every pane of every role has been built over the real services.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

import clinic_desktop
from clinic_desktop.domain.changes import ChangeCollector, ChangeKind
from clinic_desktop.domain.enums import Role
from clinic_desktop.domain.permissions import allows
from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.pane_registry import default_panes
from clinic_desktop.services.appointment_service import AppointmentService
from clinic_desktop.services.audit_service import AuditService
from clinic_desktop.services.auth_service import AuthService, StaffSession
from clinic_desktop.services.glucose_import_service import GlucoseImportService
from clinic_desktop.services.glucose_service import GlucoseService
from clinic_desktop.services.medication_service import MedicationService
from clinic_desktop.services.patient_service import PatientService
from clinic_desktop.services.staff_service import StaffService

PACKAGE = Path(clinic_desktop.__file__).parent
EMITTED = re.compile(r"\.changed\(\s*ChangeKind\.([A-Z_]+)")


def emitted_kinds() -> set[ChangeKind]:
    """The kinds written by units of work anywhere below the Qt layer."""
    found: set[ChangeKind] = set()
    for path in PACKAGE.rglob("*.py"):
        if "qt" in path.relative_to(PACKAGE).parts:
            continue
        found |= {ChangeKind[name] for name in EMITTED.findall(path.read_text(encoding="utf-8"))}
    return found


def test_every_declared_kind_is_emitted_somewhere() -> None:
    assert emitted_kinds() == set(ChangeKind)


def test_a_unit_of_work_refuses_a_string_kind() -> None:
    with pytest.raises(TypeError, match="ChangeKind"):
        ChangeCollector().add("glucose")  # type: ignore[arg-type] - the old spelling that nobody heard


def test_every_emitted_kind_has_a_listening_pane(qtbot, database, clinic, clock) -> None:  # noqa: ANN001
    services = Services(
        auth=AuthService(database, clock=clock), staff=StaffService(database),
        patients=PatientService(database, clock=clock), audit=AuditService(database),
        glucose=GlucoseService(database, clock=clock), appointments=AppointmentService(database, clock=clock),
        medications=MedicationService(database, clock=clock),
        extra={"glucose_import": GlucoseImportService(database, clock=clock)},
    )
    bus = ChangeBus()
    for role in Role:
        context = AppContext(services, bus, StaffSession(clinic.as_role(role), "Test Clinic", "Europe/Berlin", False),
                             clock=clock)
        for spec in default_panes(services):
            if allows(role, spec.capability):
                pane = spec.factory(context)
                qtbot.addWidget(pane)
    missing = emitted_kinds() - bus.listened_kinds
    assert not missing, f"no pane listens for {sorted(missing)}"
    pool = QThreadPool.globalInstance()

    def settled() -> bool:  # the panes' loads (and the loads their results start) have all finished
        QApplication.processEvents()
        return pool.activeThreadCount() == 0 and database.engine.pool.checkedout() == 0

    qtbot.waitUntil(settled, timeout=20000)
