"""The app shell on a real database: setup wizard (local), sign-in, main window by role, connection state."""

from __future__ import annotations


import pytest
from PySide6.QtWidgets import QApplication, QLabel, QWizard

from clinic_desktop.domain.clock import SYSTEM_CLOCK
from clinic_desktop.app import build_services
from clinic_desktop.db.change_listener import CONNECTED, LOST, ConnectionState
from clinic_desktop.db.engine import ConnectTarget
from clinic_desktop.domain.enums import Role
from clinic_desktop.domain.permissions import Capability
from clinic_desktop.qt.app_context import AppContext
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.dialogs.login_dialog import LoginDialog
from clinic_desktop.qt.main_window import MainWindow, PaneSpec
from clinic_desktop.qt.wizard.setup_wizard import PAGE_CLINIC, PAGE_PREPARE, SetupWizard
from clinic_desktop.runtime import Runtime
from clinic_desktop.services.auth_service import AuthService, StaffSession
from clinic_desktop.services.staff_service import StaffService


class _PatientPane(QLabel):
    def __init__(self, context: AppContext) -> None:
        super().__init__("patients")
        self.opened: list[object] = []

    def open_patient(self, patient: object) -> None:
        self.opened.append(patient)


def _context(database, actor, bus=None) -> AppContext:  # noqa: ANN001
    runtime = Runtime(profile=None, app_target=ConnectTarget(database.engine.url), database=database)  # type: ignore[arg-type]
    services = build_services(runtime, SYSTEM_CLOCK)
    return AppContext(services, bus or ChangeBus(), StaffSession(actor, "Test Clinic", "Europe/Berlin", False))


@pytest.mark.parametrize("role,visible", [
    (Role.RECEPTIONIST, ["patients"]),
    (Role.ADMIN, ["patients", "staff"]),
])
def test_main_window_shows_panes_by_role_and_builds_them_lazily(qtbot, database, clinic, role, visible):
    actor = {Role.RECEPTIONIST: clinic.receptionist, Role.ADMIN: clinic.admin}[role]
    built: list[str] = []

    def factory(key):  # noqa: ANN001, ANN202
        def build(context):  # noqa: ANN001, ANN202
            built.append(key)
            return _PatientPane(context) if key == "patients" else QLabel(key)
        return build

    specs = [PaneSpec("patients", "Patients", factory("patients"), Capability.SEE_PATIENTS),
             PaneSpec("worklist", "Review worklist", factory("worklist"), Capability.VIEW_REVIEW_WORKLIST),
             PaneSpec("staff", "Staff accounts", factory("staff"), Capability.MANAGE_STAFF)]
    window = MainWindow(_context(database, actor), specs)
    qtbot.addWidget(window)
    window.show()
    assert [window.nav.item(i).text().lower().split()[0] for i in range(window.nav.count())] == visible
    assert built == ["patients"]  # only the first pane, when shown
    if "staff" in visible:
        window.nav.setCurrentRow(1)
        assert built == ["patients", "staff"] and window.stack.currentWidget().text() == "staff"
    window.show_patient("patient-42", target="patients")
    assert window.panes["patients"].opened == ["patient-42"]
    assert actor.full_name in window.user_label.text() and f"({role.value})" in window.user_label.text()


def test_status_bar_says_when_the_connection_is_lost(qtbot, database, clinic):
    window = MainWindow(_context(database, clinic.nurse), [])
    qtbot.addWidget(window)
    label = window.connection_label
    label.set_state(ConnectionState(LOST, retry_in_s=4.0, attempt=3))
    assert label.text().startswith("● Connection lost — retrying in 4 s")
    assert "attempt 3" in label.toolTip()
    qtbot.waitUntil(lambda: "retrying in 3 s" in label.text() or "retrying in 2 s" in label.text(), timeout=3000)
    label.set_state(ConnectionState(CONNECTED))
    assert label.text() == "● Connected"


def test_admin_staff_pane_lists_and_disables_an_account(qtbot, database, clinic):
    from clinic_desktop.qt.panes.staff_admin_pane import StaffAdminPane

    pane = StaffAdminPane(_context(database, clinic.admin))
    qtbot.addWidget(pane)
    qtbot.waitUntil(lambda: pane.model.rowCount() >= 4, timeout=10000)
    row = next(i for i, r in enumerate(pane.model.rows) if r.id == clinic.nurse.staff_id)
    pane.table.selectRow(row)
    pane.toggle_selected()
    qtbot.waitUntil(lambda: "disabled" in pane.status.text(), timeout=10000)
    qtbot.waitUntil(lambda: any(r.id == clinic.nurse.staff_id and not r.active for r in pane.model.rows), timeout=10000)
    with pytest.raises(Exception, match="disabled"):
        AuthService(database).login(clinic.nurse.username, clinic.password)


def test_login_dialog_refuses_a_wrong_password_then_signs_in(qtbot, database, clinic):
    dialog = LoginDialog(AuthService(database).login, username=clinic.doctor.username)
    qtbot.addWidget(dialog)
    dialog.password.setText("not the password")
    dialog.try_login()
    qtbot.waitUntil(lambda: dialog.message.text() == "Wrong user name or password.", timeout=10000)
    assert dialog.session is None and dialog.password.isEnabled()
    dialog.password.setText(clinic.password)
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        dialog.try_login()
    assert dialog.session.actor.staff_id == clinic.doctor.staff_id
    assert dialog.password.text() == ""  # not kept in the widget


def test_setup_wizard_creates_the_local_database_and_the_first_clinic(qtbot, settings_store):
    wizard = SetupWizard(settings_store)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.where_page.local.setChecked(True)
    wizard.where_page.profile_name.setText("frontdesk")
    wizard.next()
    assert wizard.currentId() == PAGE_PREPARE
    qtbot.waitUntil(lambda: wizard.prepare_page.isComplete() or wizard.prepare_page.retry.isVisible(), timeout=60000)
    assert wizard.prepare_page.isComplete(), wizard.prepare_page.status.text()
    runtime = wizard.runtime
    try:
        wizard.next()
        assert wizard.currentId() == PAGE_CLINIC
        page = wizard.clinic_page
        page.clinic_name.setText("Lakeside Clinic")
        page.timezone.setCurrentText("Europe/Vienna")
        page.username.setText("boss")
        page.full_name.setText("Bo Boss")
        page.password.setText("boss")  # too short and the user name: refused next to the field
        page.confirm.setText("boss")
        wizard.button(QWizard.WizardButton.FinishButton).click()
        qtbot.waitUntil(lambda: page.errors["password"].isVisible(), timeout=10000)
        assert "at least 10" in page.errors["password"].text()
        page.password.setText("Lakeside-Clinic-2026")
        page.confirm.setText("Lakeside-Clinic-2026")
        with qtbot.waitSignal(wizard.accepted, timeout=20000):
            wizard.button(QWizard.WizardButton.FinishButton).click()
        assert settings_store.load_profile("frontdesk").kind == "local"
        assert StaffService(runtime.database).has_any_clinic()
        session = AuthService(runtime.database).login("boss", "Lakeside-Clinic-2026")
        assert session.clinic_name == "Lakeside Clinic" and session.clinic_timezone == "Europe/Vienna"
        text = settings_store.profiles_file.read_text()
        assert "Lakeside-Clinic-2026" not in text  # no password in the settings
    finally:
        runtime.close()
        for page in (wizard.prepare_page, wizard.clinic_page):
            page._runner.wait_idle()
        QApplication.processEvents()
