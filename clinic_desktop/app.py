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
    """One instance of each service over the runtime's Database, all reading time from `clock`.

    Every service is built here or the start fails: a missing one is a bug, never a hidden pane."""
    from .qt.app_context import Services
    from .services.appointment_service import AppointmentService
    from .services.audit_service import AuditService
    from .services.auth_service import AuthService
    from .services.backup_service import BackupService
    from .services.glucose_import_service import GlucoseImportService
    from .services.glucose_service import GlucoseService
    from .services.medication_service import MedicationService
    from .services.patient_service import PatientService
    from .services.staff_service import StaffService

    from .db.timeseries import backend_for

    db = runtime.database
    backend = backend_for(db)  # from the features detected when the profile opened: no SQL here
    return Services(
        auth=AuthService(db, clock=clock), staff=StaffService(db),
        patients=PatientService(db, backend=backend, clock=clock), audit=AuditService(db),
        glucose=GlucoseService(db, backend=backend, clock=clock), appointments=AppointmentService(db, clock=clock),
        medications=MedicationService(db, clock=clock),
        admin=BackupService(db, runtime.owner_target or runtime.app_target),
        extra={"glucose_import": GlucoseImportService(db, backend=backend, clock=clock)},
    )


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
    from .qt.termination_signals import TerminationSignals

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Clinic Desktop")
    app.setOrganizationName("Clinic Desktop")
    icon = resources_dir() / "icons" / "clinic-desktop.svg"
    if icon.exists():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    settings = SettingsStore()
    startup = Startup(app, settings, args)
    # Ctrl+C and SIGTERM quit as File → Quit does (status 0): installed before anything can
    # start the local database, and kept until shutdown has stopped it.
    signals = TerminationSignals()
    signals.received.connect(startup.request_quit)
    signals.install()
    try:
        return startup.run()
    finally:
        startup.shutdown()
        signals.uninstall()


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
