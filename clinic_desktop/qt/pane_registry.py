"""Which panes and menu actions exist, for whom — read by the composition root.

Factories import their pane lazily so the first window appears quickly; a pane whose service is
not configured is left out rather than shown broken.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from ..domain.enums import Role
from .app_context import AppContext
from .main_window import MenuAction, PaneSpec

CLINICAL = frozenset({Role.DOCTOR, Role.NURSE, Role.ADMIN})
EVERYONE = frozenset(Role)

# key, title, module, class, roles, service attribute needed (or None), tooltip
_PANES: tuple[tuple[str, str, str, str, frozenset[Role], str | None, str], ...] = (
    ("patients", "Patients", "patient_list_pane", "PatientListPane", EVERYONE, "patients",
     "Find, register and edit patients"),
    ("calendar", "Appointments", "calendar_pane", "CalendarPane", EVERYONE, "appointments",
     "Day and week calendars; booking and check-in"),
    ("worklist", "Review worklist", "review_worklist_pane", "ReviewWorklistPane", frozenset({Role.DOCTOR, Role.ADMIN}),
     "glucose", "Patients whose glucose needs attention first"),
    ("glucose", "Glucose", "glucose_pane", "GlucosePane", CLINICAL, "glucose",
     "Trend, AGP and consensus metrics of one patient"),
    ("medications", "Medications", "medications_pane", "MedicationsPane", CLINICAL, "medications",
     "Prescriptions and adherence of one patient"),
    ("doses", "Doses due", "doses_due_pane", "DosesDuePane", frozenset({Role.NURSE, Role.DOCTOR}), "medications",
     "Today's doses across the clinic"),
    ("audit", "Audit trail", "audit_viewer_pane", "AuditViewerPane", frozenset({Role.ADMIN}), "audit",
     "Who viewed or changed what, and when"),
    ("storage", "Storage health", "storage_health_pane", "StorageHealthPane", frozenset({Role.ADMIN}), "glucose",
     "Glucose time-series storage and its background jobs"),
    ("staff", "Staff accounts", "staff_admin_pane", "StaffAdminPane", frozenset({Role.ADMIN}), "staff",
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
    for key, title, module, cls, roles, needs, tooltip in _PANES:
        if not _pane_exists(module):
            continue
        if services is not None and needs and getattr(services, needs, None) is None:
            continue
        specs.append(PaneSpec(key, title, _factory(module, cls), roles, tooltip))
    return specs


def default_actions(context: AppContext) -> list[MenuAction]:
    """The Tools menu: backup for administrators."""
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

    admin = frozenset({Role.ADMIN})
    return [MenuAction("Back up the database…", backup, admin),
            MenuAction("Database setup and upgrade…", setup, admin)]
