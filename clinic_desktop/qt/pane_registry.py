"""Which panes and menu actions exist, and the capability each needs — read by the composition root.

Who holds a capability is decided once, in `domain.permissions`, which the services check too:
a pane is shown exactly to the roles whose calls it makes are allowed. Factories import their
pane lazily so the first window appears quickly; a pane whose service is not configured is left
out rather than shown broken.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import NamedTuple

from PySide6.QtWidgets import QWidget

from ..domain.permissions import Capability
from .app_context import AppContext
from .main_window import MenuAction, PaneSpec


class _Pane(NamedTuple):
    key: str
    title: str
    module: str
    cls: str
    capability: Capability
    service: str | None  # the `Services` attribute it needs, or None
    tooltip: str


C = Capability
_PANES: tuple[_Pane, ...] = (
    _Pane("patients", "Patients", "patient_list_pane", "PatientListPane", C.SEE_PATIENTS, "patients",
          "Find, register and edit patients"),
    _Pane("calendar", "Appointments", "calendar_pane", "CalendarPane", C.VIEW_CALENDAR, "appointments",
          "Day and week calendars; booking and check-in"),
    _Pane("worklist", "Review worklist", "review_worklist_pane", "ReviewWorklistPane", C.VIEW_REVIEW_WORKLIST,
          "glucose", "Patients whose glucose needs attention first"),
    _Pane("glucose", "Glucose", "glucose_pane", "GlucosePane", C.VIEW_GLUCOSE, "glucose",
          "Trend, AGP and consensus metrics of one patient"),
    _Pane("medications", "Medications", "medications_pane", "MedicationsPane", C.VIEW_MEDICATIONS, "medications",
          "Prescriptions and adherence of one patient"),
    # The clinic's due list is where doses are recorded: shown to those who record them.
    _Pane("doses", "Doses due", "doses_due_pane", "DosesDuePane", C.RECORD_DOSES, "medications",
          "Today's doses across the clinic"),
    _Pane("audit", "Audit trail", "audit_viewer_pane", "AuditViewerPane", C.READ_AUDIT_TRAIL, "audit",
          "Who viewed or changed what, and when"),
    _Pane("storage", "Storage health", "storage_health_pane", "StorageHealthPane", C.VIEW_STORAGE_HEALTH, "glucose",
          "Glucose time-series storage and its background jobs"),
    _Pane("staff", "Staff accounts", "staff_admin_pane", "StaffAdminPane", C.MANAGE_STAFF, "staff",
          "Add, disable and enable staff accounts"),
)


def _factory(module: str, cls: str) -> Callable[[AppContext], QWidget]:
    def build(context: AppContext) -> QWidget:
        pane_class = getattr(importlib.import_module(f"clinic_desktop.qt.panes.{module}"), cls)
        return pane_class(context)

    return build


def _pane_exists(module: str) -> bool:
    return importlib.util.find_spec(f"clinic_desktop.qt.panes.{module}") is not None


def default_panes(services: object | None = None) -> list[PaneSpec]:
    """The navigation, in order; panes whose module or service is missing are left out."""
    specs = []
    for pane in _PANES:
        if not _pane_exists(pane.module):
            continue
        if services is not None and pane.service and getattr(services, pane.service, None) is None:
            continue
        specs.append(PaneSpec(pane.key, pane.title, _factory(pane.module, pane.cls), pane.capability, pane.tooltip))
    return specs


def default_actions(context: AppContext) -> list[MenuAction]:
    """The Tools menu: back up, and set up or upgrade the database (each for the roles with its capability)."""
    def backup(parent: QWidget) -> None:
        from .dialogs.backup_dialog import run_backup_dialog

        run_backup_dialog(parent, context)

    def setup(parent: QWidget) -> None:
        # Running the wizard again upgrades an existing database (migrations only add) and
        # skips the first-clinic page; it never wipes data.
        from ..config.settings import SettingsStore
        from .wizard.setup_wizard import SetupWizard

        wizard = SetupWizard(SettingsStore(), parent)
        wizard.exec()
        if wizard.runtime is not None:
            # The app's own runtime still claims its cluster, so that one keeps running; a
            # cluster the wizard opened for another local profile stops with its last user.
            wizard.runtime.close()

    return [MenuAction("Back up the database…", backup, Capability.BACK_UP),
            MenuAction("Database setup and upgrade…", setup, Capability.SET_UP_DATABASE)]
