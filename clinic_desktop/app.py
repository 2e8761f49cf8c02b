"""Composition root: settings → profile → runtime (cluster, migrations, pool) → services → sign-in → MainWindow.

Everything is built here and passed down; nothing below reaches back for a global. The steps
that touch the database run on worker threads behind a progress dialog, so the window never
freezes, even on a slow server or a first launch that creates the local database.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from .config.settings import LOCAL_KIND, ConnectionProfile, SettingsStore

if TYPE_CHECKING:  # the heavy layers are imported on a worker thread, after the login window shows
    from .db.change_listener import ChangeListener
    from .domain.clock import Clock
    from .runtime import Runtime
    from .services.auth_service import StaffSession

log = logging.getLogger(__name__)

DEMO_PROFILE = "demo"


def build_services(runtime: Runtime, clock: Clock):  # noqa: ANN201 - qt.app_context.Services
    """One instance of each service over the runtime's Database, all reading time from `clock`."""
    from .qt.app_context import Services
    from .services.auth_service import AuthService
    from .services.backup_service import BackupService
    from .services.staff_service import StaffService

    db = runtime.database
    services = Services(auth=AuthService(db, clock=clock), staff=StaffService(db))
    services.admin = BackupService(db, runtime.owner_target or runtime.app_target)
    _add_optional_services(services, db, clock)
    if services.glucose is not None:
        from .services.glucose_import_service import GlucoseImportService

        services.extra["glucose_import"] = GlucoseImportService(db, clock=clock)
    return services


def _add_optional_services(services, db, clock: Clock) -> None:  # noqa: ANN001
    """Services of the feature areas (each module is optional while an area is being built)."""
    import importlib

    for attr, module, cls in (
        ("patients", "clinic_desktop.services.patient_service", "PatientService"),
        ("audit", "clinic_desktop.services.audit_service", "AuditService"),
        ("glucose", "clinic_desktop.services.glucose_service", "GlucoseService"),
        ("appointments", "clinic_desktop.services.appointment_service", "AppointmentService"),
        ("medications", "clinic_desktop.services.medication_service", "MedicationService"),
    ):
        try:
            service_class = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):
            continue
        setattr(services, attr, service_class(db, clock=clock))


def choose_profile(args: argparse.Namespace, settings: SettingsStore) -> ConnectionProfile | None:
    """The profile asked for; the demo profile is created on demand; None means "run the wizard"."""
    if args.demo:
        profile = settings.load_profile(DEMO_PROFILE) or ConnectionProfile(name=DEMO_PROFILE, kind=LOCAL_KIND)
        settings.save_profile(profile)
        return profile
    if args.profile:
        profile = settings.load_profile(args.profile)
        if profile is None:
            raise SystemExit(f"clinic-desktop: no connection profile named “{args.profile}”. "
                             "Start without --profile to run the setup wizard.")
        return profile
    profiles = settings.load_profiles()
    return profiles.get("default") or (next(iter(profiles.values())) if len(profiles) == 1 else None)


def run_gui(args: argparse.Namespace) -> int:
    """Start the application; returns the exit status."""
    from PySide6.QtWidgets import QApplication

    from .qt.startup import Startup

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Clinic Desktop")
    app.setOrganizationName("Clinic Desktop")
    icon = resources_dir() / "icons" / "clinic-desktop.svg"
    if icon.exists():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    settings = SettingsStore()
    startup = Startup(app, settings, args)
    status = startup.run()
    startup.shutdown()
    return status


def resources_dir():  # noqa: ANN201 - Path
    """Icons and templates: beside the package in a build, or the repository's resources/ folder."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    for candidate in (here / "resources", here.parent / "resources"):
        if candidate.is_dir():
            return candidate
    return here.parent / "resources"


def start_listener(runtime: Runtime, session: StaffSession, relay) -> ChangeListener:  # noqa: ANN001
    """LISTEN for other workstations' changes of this clinic; report connection state."""
    from .db.change_listener import ChangeListener

    listener = ChangeListener(runtime.app_target, clinic_id=session.actor.clinic_id,
                              own_origin=runtime.database.workstation,
                              on_changes=relay.deliver_changes, on_state=relay.deliver_state)
    listener.start()
    return listener


def stored_password(profile: ConnectionProfile) -> str | None:
    if profile.is_local:
        return None  # peer authentication: a local profile has no password at all
    from .config import secrets  # keyring's backends are slow to import: only when needed

    return None if profile.is_local else secrets.get_password(profile.name)
