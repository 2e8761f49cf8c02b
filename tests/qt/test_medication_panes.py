"""Medications Qt: models pass qtmodeltester; panes load real PostgreSQL data off the GUI thread; a nurse
records doses; the prescription dialog validates inline and asks before a duplicate drug."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QThreadPool

from clinic_desktop.domain.enums import DoseStatus, MedicationState
from clinic_desktop.domain.medication_schedule import Frequency
from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.dialogs.prescription_dialog import PrescriptionDialog
from clinic_desktop.qt.formats import Formats
from clinic_desktop.qt.models.adherence_table_model import AdherenceTableModel
from clinic_desktop.qt.models.dose_page_model import DosePageModel
from clinic_desktop.qt.models.dose_table_model import DoseTableModel
from clinic_desktop.qt.models.glucose_table_model import ROW_ROLE
from clinic_desktop.qt.models.prescription_table_model import PrescriptionTableModel
from clinic_desktop.qt.panes.doses_due_pane import DosesDuePane
from clinic_desktop.qt.panes.medications_pane import MedicationsPane
from clinic_desktop.services.auth_service import StaffSession
from clinic_desktop.services.medication_dto import DueWindow
from clinic_desktop.services.medication_service import MedicationService

from ..services.medication_support import BERLIN, add_patient, at_local, today, twice_daily




@pytest.fixture
def seeded(database, clinic):
    service = MedicationService(database)
    patient = add_patient(database, clinic.admin)
    med = service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily(start=today() - timedelta(days=20)))
    for days_ago in range(1, 6):
        service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=at_local(today() - timedelta(days=days_ago), 8),
                            status=DoseStatus.TAKEN)
    service.record_dose(clinic.nurse, medication_id=med.id, scheduled_at=at_local(today() - timedelta(days=2), 20),
                        status=DoseStatus.MISSED)
    return service, patient, med


def _context(service, actor):
    return AppContext(Services(medications=service), ChangeBus(), StaffSession(actor, "Test Clinic", "Europe/Berlin", False))


def _wait_idle(qtbot, pane):
    qtbot.waitUntil(lambda: not pane._runner.busy and not pane._write_runner.busy, timeout=15000)


def test_models_pass_qtmodeltester(qtmodeltester, qtbot, database, clinic, seeded):
    service, patient, _med = seeded
    prescriptions = PrescriptionTableModel(formats=Formats("en_US"))
    prescriptions.set_rows(service.list_prescriptions(clinic.doctor, patient))
    doses = DoseTableModel(ZoneInfo("Europe/Berlin"), formats=Formats("en_US"), show_day=True)
    doses.set_rows(service.dose_log(clinic.nurse, patient))
    adherence = AdherenceTableModel()
    adherence.set_rows(service.adherence(clinic.doctor, patient).medications)
    for model in (prescriptions, doses, adherence):
        assert model.rowCount() > 0
        qtmodeltester.check(model)
    paged = DosePageModel(lambda where, after, limit: service.doses_due_page(clinic.nurse, where=where, after=after,
                                                                             limit=limit),
                          ZoneInfo("Europe/Berlin"), formats=Formats("en_US"), page_size=1)
    with qtbot.waitSignal(paged.loaded, timeout=15000):
        paged.reload()
    assert paged.rowCount() == 1 and paged.canFetchMore()
    qtmodeltester.check(paged)  # it asks for more: a page is fetched in the background
    qtbot.waitUntil(lambda: not paged.runner.busy, timeout=15000)
    assert paged.rowCount() > 1


def test_doctor_sees_prescriptions_adherence_and_strip(qtbot, database, clinic, seeded, gui_thread_statements):
    service, patient, med = seeded
    pane = MedicationsPane(_context(service, clinic.doctor))
    qtbot.addWidget(pane)
    pane.resize(1000, 600)
    pane.set_patient(patient, "Lovelace, Ada")
    qtbot.waitUntil(lambda: pane.data is not None, timeout=15000)
    assert pane.prescriptions.rowCount() == 1 and pane.prescribe_button.isVisibleTo(pane)
    assert "7 days:" in pane.summary.text() and len(pane.strip.rows()) == 1
    assert "Mean glucose" in pane.glucose_view.text()
    pane.tabs.setCurrentIndex(2)
    pane.grab().save("/tmp/medications_pane_doctor.png")
    # discontinue through the pane: the reloaded row shows the new state
    pane.prescription_view.selectRow(0)
    pane.discontinue_selected("Switched to insulin")
    qtbot.waitUntil(lambda: pane.data is not None and pane.data.prescriptions[0].state is MedicationState.DISCONTINUED,
                    timeout=15000)
    _wait_idle(qtbot, pane)
    assert gui_thread_statements == []


def test_nurse_records_from_the_dose_log_and_cannot_prescribe(qtbot, database, clinic, seeded, gui_thread_statements):
    service, patient, med = seeded
    pane = MedicationsPane(_context(service, clinic.nurse))
    qtbot.addWidget(pane)
    pane.set_patient(patient, "Lovelace, Ada")
    qtbot.waitUntil(lambda: pane.data is not None, timeout=15000)
    assert pane.prescribe_button.isHidden() and not pane.taken_button.isHidden()
    target = at_local(today() - timedelta(days=3), 20)
    proxy = pane.dose_view.model()
    row = next(i for i in range(proxy.rowCount()) if proxy.index(i, 0).data(ROW_ROLE).scheduled_at == target)
    pane.dose_view.selectRow(row)
    pane.data = None
    pane.record_selected(DoseStatus.SKIPPED, reason="nausea")
    qtbot.waitUntil(lambda: pane.data is not None and any(d.scheduled_at == target and d.status is DoseStatus.SKIPPED
                                                            for d in pane.data.doses), timeout=15000)
    pane.tabs.setCurrentIndex(1)
    pane.resize(1000, 600)
    pane.grab().save("/tmp/medications_pane_nurse.png")
    _wait_idle(qtbot, pane)
    assert gui_thread_statements == []


def _soon_custom_time() -> str:
    """A dose time about 30 minutes from now, on today's local date (recordable as taken now)."""
    now = datetime.now(BERLIN)
    soon = now + timedelta(minutes=30) if now.hour < 23 else now - timedelta(minutes=30)
    return soon.strftime("%H:%M")


def test_doses_due_pane_records_and_reports_a_dose_taken_elsewhere(qtbot, database, clinic, seeded, gui_thread_statements):
    service, patient, med = seeded
    other = add_patient(database, clinic.admin, given="Bob", family="Builder")
    data = dataclasses.replace(twice_daily("Gliclazide", start=today() - timedelta(days=1)),
                               frequency=Frequency.CUSTOM, times=(_soon_custom_time(),))
    bob_med = service.prescribe(clinic.doctor, patient_id=other, data=data)
    pane = DosesDuePane(_context(service, clinic.nurse))
    qtbot.addWidget(pane)
    pane.resize(1000, 500)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3, timeout=15000)
    assert "3 doses today" in pane.counts.text()
    pane.grab().save("/tmp/doses_due_pane_nurse.png")
    pane.filter.setText("gliclazide")  # filtered on the server after a short pause in typing
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=15000)
    assert pane.counts.text().startswith("1 matching · 3 doses today")
    bob = pane.model.row_at(0)
    assert bob.medication_id == bob_med.id and bob.log_id is None
    assert gui_thread_statements == []
    # another workstation records Bob's dose after this list was loaded
    service.record_dose(clinic.doctor, medication_id=bob.medication_id, scheduled_at=bob.scheduled_at, status=DoseStatus.TAKEN)
    pane.view.selectRow(0)
    pane.record_selected(DoseStatus.TAKEN)
    qtbot.waitUntil(lambda: not pane._write_runner.busy and not pane._runner.busy and pane.status.text() != "", timeout=15000)
    assert "already recorded" in pane.status.text()
    assert pane.model.row_at(0).status is DoseStatus.TAKEN and pane.model.row_at(0).recorded_by_name == clinic.doctor.full_name
    assert QThreadPool.globalInstance().waitForDone(15000)
    assert gui_thread_statements == []


def test_doses_due_pane_fetches_pages_as_it_scrolls_and_filters_on_the_server(qtbot, database, clinic, gui_thread_statements):
    service = MedicationService(database)
    names = ["Adams", "Brown", "Clark", "Davis", "Evans"]
    for family in names:
        pid = add_patient(database, clinic.admin, given="Pat", family=family)
        service.prescribe(clinic.doctor, patient_id=pid, data=twice_daily(start=today() - timedelta(days=3)))
    pane = DosesDuePane(_context(service, clinic.nurse), page_size=3)
    qtbot.addWidget(pane)
    qtbot.waitUntil(lambda: pane.model.counts is not None, timeout=15000)
    assert pane.model.rowCount() == 3 and pane.model.canFetchMore()
    assert pane.model.counts.total == 10 and "Showing 3 of 10 · 10 doses today" in pane.counts.text()
    while pane.model.canFetchMore():  # what the view does as the nurse scrolls to the end
        pane.model.fetchMore()
        qtbot.waitUntil(lambda: not pane._runner.busy, timeout=15000)
    rows = [pane.model.row_at(i) for i in range(pane.model.rowCount())]
    assert len(rows) == 10 and [r.patient_name for r in rows[:5]] == [f"{n}, Pat" for n in names]
    assert [r.scheduled_at for r in rows] == sorted(r.scheduled_at for r in rows)
    pane.window_filter.setCurrentIndex(pane.window_filter.findData(DueWindow.EVENING))
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3 and pane.model.counts.matching == 5, timeout=15000)
    assert all(r.scheduled_at == at_local(today(), 20) for r in pane.model.rows())
    pane.resize(900, 300)
    pane.grab().save("/tmp/doses_due_pane_paged.png")  # painting may ask for the next page
    pane.view.setModel(None)  # nor may the view ask for one while the widgets are closed after the test
    assert QThreadPool.globalInstance().waitForDone(15000)  # the pages asked for so far (also superseded ones)
    assert gui_thread_statements == []


def test_prescription_dialog_inline_errors_and_duplicate_confirmation(qtbot, database, clinic, seeded):
    service, patient, med = seeded
    dialog = PrescriptionDialog(_context(service, clinic.doctor), patient)
    qtbot.addWidget(dialog)
    dialog.frequency.setCurrentIndex(dialog.frequency.findData(Frequency.AS_NEEDED.value))
    assert not dialog.times.isEnabled() and dialog.to_input().times == ()
    dialog.drug_name.setText("Insulin glargine")
    dialog.frequency.setCurrentIndex(dialog.frequency.findData(Frequency.CUSTOM.value))
    dialog.times.setText("08:00, 24:30")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.error_text("times") != "", timeout=15000)
    assert "Dose time 2" in dialog.error_text("times")
    # completer suggestions come from the clinic's names
    dialog.drug_name.setText("met")
    dialog._fetch_names()
    qtbot.waitUntil(lambda: dialog._names.stringList() == ["Metformin"], timeout=15000)
    # duplicate active drug: refused, then saved after confirmation
    asked: list[str] = []
    dialog.confirm_duplicate = lambda message: asked.append(message) or True
    dialog.drug_name.setText("Metformin")
    dialog.frequency.setCurrentIndex(dialog.frequency.findData(Frequency.TWICE_DAILY.value))
    dialog.times.setText("07:00, 19:00")
    with qtbot.waitSignal(dialog.saved, timeout=15000):
        dialog.submit()
    assert asked and "already prescribed" in asked[0]
    assert len(service.list_prescriptions(clinic.doctor, patient)) == 2
