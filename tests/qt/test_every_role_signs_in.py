"""Every role signs in to the real main window (real pane registry, real services, real database),
opens every pane and every Tools action it is shown, and each loads without an error and without SQL
on the GUI thread. Each role sees exactly the panes the permissions table gives it.

Nothing asserted here depends on the hour or the workstation's time zone: the seeded data is
relative to now, and only "it loaded" (not how many doses are due today) is checked.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from clinic_desktop.app import build_services
from clinic_desktop.db.engine import ConnectTarget
from clinic_desktop.domain.actor import Actor
from clinic_desktop.domain.enums import GlucoseUnit, Role
from clinic_desktop.domain.permissions import allows
from clinic_desktop.qt.app_context import AppContext
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.main_window import MainWindow
from clinic_desktop.qt.models.glucose_table_model import ROW_ROLE
from clinic_desktop.qt.pane_registry import default_actions, default_panes
from clinic_desktop.qt.panes.glucose_gateway import PatientChoice
from clinic_desktop.runtime import Runtime
from clinic_desktop.services.auth_service import StaffSession
from clinic_desktop.services.patient_service import PatientService
from tests.services.patient_support import seed_summary_patient

from .window_watch import ModalCloser, TaskFailures, error_labels, runners_idle

WAIT_MS = 30_000
BACKUP = "Back up the database…"
SETUP = "Database setup and upgrade…"

#: The final answer of issue #11: what each role is shown.
EXPECTED_PANES = {
    Role.ADMIN: ["patients", "calendar", "glucose", "medications", "audit", "storage", "staff"],
    Role.DOCTOR: ["patients", "calendar", "worklist", "glucose", "medications", "doses"],
    Role.NURSE: ["patients", "calendar", "worklist", "glucose", "medications", "doses"],
    Role.RECEPTIONIST: ["patients", "calendar"],
}
EXPECTED_ACTIONS = {Role.ADMIN: [BACKUP, SETUP], Role.DOCTOR: [], Role.NURSE: [], Role.RECEPTIONIST: []}

#: When a pane has finished its first load (its own signs, not a timer).
LOADED: dict[str, Callable[[QWidget], bool]] = {
    "patients": lambda pane: pane.model.rowCount() >= 1,
    "calendar": lambda pane: pane.view is not None,
    "worklist": lambda pane: pane.model.rowCount() >= 1,
    "glucose": lambda pane: True,  # shows nothing until a patient is opened (below)
    "medications": lambda pane: True,
    "doses": lambda pane: pane.model.counts is not None,
    "audit": lambda pane: pane.staff.count() > 1,
    "storage": lambda pane: pane.summary.text() not in ("", "Checking the server…"),
    "staff": lambda pane: len(pane.model.rows) >= 4,
}


@pytest.fixture
def task_failures(monkeypatch: pytest.MonkeyPatch) -> TaskFailures:
    failures = TaskFailures()
    failures.watch(monkeypatch)
    return failures


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private folder for the backup file and for the settings store the setup wizard reads (never the
    real user's profiles); removed when the test ends."""
    with tempfile.TemporaryDirectory(prefix="clinic-roles-") as folder:
        monkeypatch.setenv("CLINIC_DESKTOP_CONFIG_DIR", str(Path(folder, "config")))
        monkeypatch.setenv("CLINIC_DESKTOP_DATA_DIR", str(Path(folder, "data")))
        yield Path(folder)


@pytest.fixture
def closer(scratch: Path) -> Iterator[ModalCloser]:
    """Answers modal windows while the test runs (a failing test must not leave one blocking)."""
    watcher = ModalCloser(scratch / "clinic.dump")
    yield watcher
    watcher.stop()


@pytest.fixture
def sign_in(qtbot, database, clock) -> Iterator[Callable[[Actor], MainWindow]]:  # noqa: ANN001
    """Builds the real main window for an actor, as the composition root does; closes it afterwards,
    once its background tasks have delivered (also when the test failed half-way)."""
    windows: list[MainWindow] = []

    def build(actor: Actor) -> MainWindow:
        runtime = Runtime(profile=None, app_target=ConnectTarget(database.engine.url), database=database)  # type: ignore[arg-type]
        services = build_services(runtime, clock)
        context = AppContext(services, ChangeBus(), StaffSession(actor, "Test Clinic", "Europe/Berlin", False),
                             clock=clock)
        window = MainWindow(context, default_panes(services), actions=default_actions(context))
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield build
    for window in windows:
        window.close()
        qtbot.waitUntil(lambda w=window: runners_idle(w), timeout=WAIT_MS)


def nav_keys(window: MainWindow) -> list[str]:
    return [window.nav.item(row).data(Qt.ItemDataRole.UserRole) for row in range(window.nav.count())]


def tools_actions(window: MainWindow) -> list[QAction]:
    menus = [a.menu() for a in window.menuBar().actions() if a.text() == "&Tools"]
    return [] if not menus else [a for a in menus[0].actions() if not a.isSeparator()]


def click_nav(qtbot, window: MainWindow, row: int) -> None:  # noqa: ANN001
    rect = window.nav.visualItemRect(window.nav.item(row))
    QTest.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())


def settle(qtbot, window: MainWindow, failures: TaskFailures, loaded: Callable[[], bool]) -> None:  # noqa: ANN001
    """Wait until `loaded()` holds and every background task has delivered (or a task failed)."""
    qtbot.waitUntil(lambda: bool(failures.lines) or (loaded() and runners_idle(window)), timeout=WAIT_MS)
    assert failures.lines == []


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_pane_and_action_of_a_role_loads_without_errors(
        qtbot, database, clinic, role, scratch, closer, sign_in, caplog, task_failures, gui_thread_statements):
    patient = seed_summary_patient(database, PatientService(database), clinic, medications=1)
    choice = PatientChoice(patient.id, patient.display_name, patient.mrn, GlucoseUnit.MG_DL)
    window = sign_in(clinic.as_role(role))
    window.show()
    qtbot.waitExposed(window)

    assert nav_keys(window) == EXPECTED_PANES[role]
    assert nav_keys(window) == [s.key for s in default_panes(window.context.services) if allows(role, s.capability)]
    assert [a.text() for a in tools_actions(window)] == EXPECTED_ACTIONS[role]
    assert EXPECTED_ACTIONS[role] == [a.title for a in default_actions(window.context) if allows(role, a.capability)]

    for row, key in enumerate(nav_keys(window)):
        click_nav(qtbot, window, row)
        pane = window.panes[key]
        assert window.stack.currentWidget() is pane
        settle(qtbot, window, task_failures, lambda: LOADED[key](pane))
        assert error_labels(window) == []  # only the current pane's labels are visible
        exercise(qtbot, window, key, pane, choice, task_failures)
        assert error_labels(window) == []

    for action in tools_actions(window):
        seen_before = len(closer.seen)
        action.trigger()
        qtbot.waitUntil(lambda: bool(task_failures.lines) or (runners_idle(window) and finished(closer, action.text(),
                                                                                                  seen_before)),
                        timeout=WAIT_MS)
        assert task_failures.lines == []

    assert task_failures.lines == []
    boxes = closer.message_boxes()
    assert all(b.icon == QMessageBox.Icon.Information and b.text.startswith("Backup written") for b in boxes), boxes
    if BACKUP in EXPECTED_ACTIONS[role]:
        assert (scratch / "clinic.dump").stat().st_size > 0
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert gui_thread_statements == []


def exercise(qtbot, window: MainWindow, key: str, pane: QWidget, choice: PatientChoice,  # noqa: ANN001
             failures: TaskFailures) -> None:
    """Do the first thing a person does in the pane, and wait for it to load."""
    role = window.context.actor.role
    if key == "worklist":
        assert pane.review_button.isEnabled() == (role is Role.DOCTOR)  # nurses only read it
        row = next(r for r in range(pane.proxy.rowCount())
                   if pane.proxy.index(r, 0).data(ROW_ROLE).patient_id == choice.id)
        pane.table.selectRow(row)
        QTest.mouseClick(pane.open_button, Qt.MouseButton.LeftButton)
        glucose = window.panes["glucose"]
        assert window.stack.currentWidget() is glucose and glucose.patient.id == choice.id
        settle(qtbot, window, failures, lambda: glucose.overview is not None)
    elif key == "glucose":
        window.show_patient(choice, "glucose")
        settle(qtbot, window, failures, lambda: pane.overview is not None and pane.overview.metrics is not None)
        writes = (pane.import_button, pane.readings.add_button, pane.alerts.resolve_button, pane.alerts.escalate_button)
        assert {shown(b) for b in writes} == {role in (Role.DOCTOR, Role.NURSE)}  # admins only read
    elif key == "medications":
        window.show_patient(choice, "medications")
        settle(qtbot, window, failures, lambda: pane.data is not None and len(pane.data.prescriptions) == 1)
        assert shown(pane.prescribe_button) == (role is Role.DOCTOR)
        assert shown(pane.taken_button) == (role in (Role.DOCTOR, Role.NURSE))
    elif key == "audit":
        QTest.mouseClick(pane.search_button, Qt.MouseButton.LeftButton)
        settle(qtbot, window, failures, lambda: pane.model.rowCount() >= 1)


def shown(button: QWidget) -> bool:
    """Whether the pane shows `button` (on whichever tab it sits), i.e. it is not hidden for this role."""
    return button.isVisibleTo(button.parentWidget())


def finished(closer: ModalCloser, title: str, seen_before: int) -> bool:
    """Whether the Tools action `title` has shown (and the closer answered) what it opens."""
    kinds = [w.kind for w in closer.seen[seen_before:]]
    if title == BACKUP:
        return kinds[:1] == ["file dialog"] and "message box" in kinds
    return kinds == ["wizard"] and QApplication.activeModalWidget() is None
