"""Audit viewer pane: admins see who viewed/changed which patient; others are refused."""

from __future__ import annotations

from datetime import date, datetime, timezone

from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.panes.audit_viewer_pane import AuditViewerPane
from clinic_desktop.services.audit_service import AuditService
from clinic_desktop.services.auth_service import StaffSession
from clinic_desktop.services.patient_service import PatientService
from tests.services.patient_support import register


def pane_for(qtbot, database, actor) -> AuditViewerPane:
    context = AppContext(Services(patients=PatientService(database), audit=AuditService(database)), ChangeBus(),
                         StaffSession(actor, "Test Clinic", "Europe/Berlin", False))
    pane = AuditViewerPane(context)
    qtbot.addWidget(pane)
    return pane


def test_admin_filters_by_patient_and_reads_before_after(qtbot, database, clinic):
    service = PatientService(database)
    p = register(service, clinic.receptionist, given_name="Vera", family_name="Lind")
    other = register(service, clinic.receptionist, given_name="Otto", family_name="Kranz")
    service.update(clinic.nurse, p.id, data={"email": "vera@example.org"}, expected_version=1)
    service.get(clinic.doctor, other.id)
    pane = pane_for(qtbot, database, clinic.admin)
    qtbot.waitUntil(lambda: pane.staff.count() == 5, timeout=10000)
    hits = service.search(clinic.admin, text="lind")
    pane.patient.setText("Lind")
    pane.patient.choose(hits[0])
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=10000)
    assert {e.action for e in pane.model.rows()} == {"create", "update"}
    update_row = next(i for i, e in enumerate(pane.model.rows()) if e.action == "update")
    pane.table.selectRow(update_row)
    assert 'email: "anna@example.org" → "vera@example.org"' in pane.details.toPlainText()
    doctor_index = next(i for i in range(pane.staff.count()) if pane.staff.itemData(i) == clinic.doctor.staff_id)
    pane.staff.setCurrentIndex(doctor_index)
    pane.patient.clear()
    pane.search()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)
    assert pane.model.row_at(0).patient_name == "Kranz, Otto"
    pane._runner.wait_idle()


def test_non_admin_is_refused(qtbot, database, clinic):
    pane = pane_for(qtbot, database, clinic.doctor)
    pane.search()
    qtbot.waitUntil(lambda: "Only admins" in pane.status.text(), timeout=10000)
    assert pane.model.rowCount() == 0
    pane._runner.wait_idle()


def test_the_default_range_ends_on_the_clinics_today_not_the_workstations(qtbot, database, clinic):
    # 23:30 UTC is already the next day in Berlin (the clinic's zone), whatever zone this machine is in.
    context = AppContext(Services(patients=PatientService(database), audit=AuditService(database)), ChangeBus(),
                         StaffSession(clinic.admin, "Test Clinic", "Europe/Berlin", False))
    pane = AuditViewerPane(context, now=lambda: datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc))
    qtbot.addWidget(pane)
    assert pane.until.date().toPython() == date(2026, 3, 2)
    assert pane.since.date().toPython() == date(2026, 1, 31)
    qtbot.waitUntil(lambda: pane.staff.count() > 1, timeout=10000)
    pane._staff_runner.wait_idle()
