"""The glucose pane loads real data from PostgreSQL in the background, never on the GUI thread."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt, QThreadPool
from sqlalchemy import text

from clinic_desktop.db.models import Patient
from clinic_desktop.domain.changes import ChangeSet
from clinic_desktop.domain.enums import GlucoseUnit
from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.panes.glucose_gateway import PatientChoice
from clinic_desktop.qt.panes.glucose_pane import GlucosePane
from clinic_desktop.services.auth_service import StaffSession

from clinic_desktop.services.glucose_service import GlucoseService
from clinic_desktop.domain.changes import ChangeKind

from .glucose_db_seed import now_utc, seed_readings


@pytest.fixture
def patient(database, clinic):
    with database.unit_of_work(clinic.doctor) as uow:
        p = Patient(clinic_id=clinic.clinic_id, mrn=f"G{uuid.uuid4().hex[:6]}", given_name="Jane", family_name="Doe",
                    date_of_birth=date(1980, 5, 1), glucose_unit=GlucoseUnit.MMOL_L)
        uow.session.add(p)
        uow.session.flush()
        return PatientChoice(p.id, "Doe, Jane", p.mrn, GlucoseUnit.MMOL_L)


def test_pane_loads_window_and_zoom_in_background(qtbot, database, clinic, patient, gui_thread_statements):
    end = now_utc()
    seeded = seed_readings(database, clinic.clinic_id, patient.id, end=end, days=3)
    bus = ChangeBus()
    context = AppContext(Services(glucose=GlucoseService(database)), bus,
                         StaffSession(clinic.doctor, "Test Clinic", "Europe/Berlin", False))
    pane = GlucosePane(context)
    qtbot.addWidget(pane)
    pane.resize(1400, 800)
    pane.show()
    pane.window_selector.select(1)  # last 7 days: about 1000 px over 7 days → 10-minute buckets
    pane.open_patient(patient)
    qtbot.waitUntil(lambda: pane.overview is not None, timeout=10000)
    series = pane.overview.series
    assert not series.raw and 0 < len(series.times) <= pane.trend.pixel_width() + 1
    assert pane.trend.shown_counts()["bars"] == len(series.times)
    assert pane.trend.y_axis_label() == "Glucose (mmol/L)"
    assert series.mins.min() == pytest.approx(48.0)  # the daily low survives downsampling
    qtbot.waitUntil(lambda: pane.readings.model.rowCount() > 0, timeout=10000)
    assert pane.readings.model.rowCount() == seeded  # 3 days, inside the list's 30-day span

    # Zoom to two hours: the pane asks for raw readings of just that range.
    lo = (end - timedelta(hours=5)).timestamp()
    pane.trend._vb.setXRange(lo, lo + 7200, padding=0)
    qtbot.waitUntil(lambda: pane.trend._series is not None and pane.trend._series.raw, timeout=10000)
    assert 23 <= pane.trend.shown_counts()["points"] <= 25  # 5-minute readings in 2 h

    # Another workstation adds a reading: the bus refreshes the readings list.
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO glucose_reading (clinic_id, patient_id, recorded_at, value_mgdl, source, context) "
                          "VALUES (:c, :p, :t, 101, 'manual', 'fasting')"),
                     {"c": clinic.clinic_id, "p": patient.id, "t": end - timedelta(minutes=1, seconds=30)})
    bus.publish(ChangeSet({ChangeKind.GLUCOSE_READING: frozenset({uuid.uuid4()})}, remote=True))
    qtbot.waitUntil(lambda: pane.readings.model.rowCount() == seeded + 1, timeout=10000)
    assert QThreadPool.globalInstance().waitForDone(10000)
    assert gui_thread_statements == [], "the pane ran SQL on the GUI thread"


def test_pane_exports_the_loaded_window_as_pdf(qtbot, database, clinic, patient, tmp_path):
    seed_readings(database, clinic.clinic_id, patient.id, end=now_utc(), days=1)
    context = AppContext(Services(glucose=GlucoseService(database)), ChangeBus(),
                         StaffSession(clinic.doctor, "Test Clinic", "Europe/Berlin", False))
    pane = GlucosePane(context)
    qtbot.addWidget(pane)
    pane.open_patient(patient)
    qtbot.waitUntil(lambda: pane.overview is not None, timeout=10000)
    target = tmp_path / "agp.pdf"
    pane.write_pdf(str(target))  # drawn from the loaded data: no database call
    assert target.read_bytes().startswith(b"%PDF") and "AGP report saved" in pane.status.text()
    assert QThreadPool.globalInstance().waitForDone(10000)


def test_worklist_pane_opens_patient_and_marks_reviewed(qtbot, database, clinic, patient, gui_thread_statements):
    from clinic_desktop.qt.models.review_worklist_model import COL_LAST_REVIEW, COL_PATIENT
    from clinic_desktop.qt.panes.review_worklist_pane import ReviewWorklistPane

    seed_readings(database, clinic.clinic_id, patient.id, end=now_utc(), days=2)
    context = AppContext(Services(glucose=GlucoseService(database)), ChangeBus(),
                         StaffSession(clinic.doctor, "Test Clinic", "Europe/Berlin", False))
    pane = ReviewWorklistPane(context)
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)
    assert pane.proxy.index(0, COL_PATIENT).data() == "Doe, Jane"
    assert pane.proxy.index(0, COL_LAST_REVIEW).data() == "never"
    pane.table.selectRow(0)
    with qtbot.waitSignal(pane.open_patient, timeout=2000) as opened:
        pane.table.doubleClicked.emit(pane.proxy.index(0, COL_PATIENT))
    assert opened.args[0].id == patient.id and opened.args[0].unit == GlucoseUnit.MMOL_L
    pane.review_button.click()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1 and pane.model.row_at(0).last_reviewed_at is not None, timeout=10000)
    assert "Marked Doe, Jane as reviewed" in pane.status.text() or pane.status.text().startswith("1 patient,")
    assert QThreadPool.globalInstance().waitForDone(10000)
    assert gui_thread_statements == []


def test_worklist_pane_shows_adherence_sortable_and_marked_when_low(qtbot, database, clinic, patient, gui_thread_statements):
    from clinic_desktop.domain.enums import DoseStatus
    from clinic_desktop.qt.models.review_worklist_model import COL_ADHERENCE, COL_PATIENT
    from clinic_desktop.qt.panes.review_worklist_pane import ReviewWorklistPane
    from clinic_desktop.services.medication_service import MedicationService
    from tests.services.medication_support import add_patient, at_local, today, twice_daily

    meds = MedicationService(database)
    others = [add_patient(database, clinic.admin, given="Ann", family="Keeps"),
              add_patient(database, clinic.admin, given="Ben", family="Nomeds")]
    for pid in (patient.id, *others):
        seed_readings(database, clinic.clinic_id, pid, end=now_utc(), days=2)
    for pid, taken_every in ((patient.id, 2), (others[0], 1)):  # Doe takes every other dose: 50 %
        med = meds.prescribe(clinic.doctor, patient_id=pid, data=twice_daily(start=today() - timedelta(days=4)))
        for k, (days_ago, hour) in enumerate((d, h) for d in range(1, 5) for h in (8, 20)):
            status = DoseStatus.TAKEN if k % taken_every == 0 else DoseStatus.MISSED
            meds.record_dose(clinic.nurse, medication_id=med.id, status=status,
                             scheduled_at=at_local(today() - timedelta(days=days_ago), hour))
    doe = meds.adherence(clinic.doctor, patient.id).overall[30]
    context = AppContext(Services(glucose=GlucoseService(database)), ChangeBus(),
                         StaffSession(clinic.doctor, "Test Clinic", "Europe/Berlin", False))
    pane = ReviewWorklistPane(context)
    qtbot.addWidget(pane)
    pane.resize(1300, 320)
    pane.show()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3, timeout=10000)
    pane.table.sortByColumn(COL_ADHERENCE, Qt.SortOrder.AscendingOrder)
    column = [(pane.proxy.index(r, COL_PATIENT).data(), pane.proxy.index(r, COL_ADHERENCE).data()) for r in range(3)]
    assert column[0] == ("Doe, Jane", f"{doe.percent:.0f} %") and column[2] == ("Nomeds, Ben", "—")
    assert column[1][0] == "Keeps, Ann" and float(column[1][1].rstrip(" %")) >= 80
    assert pane.proxy.index(0, COL_ADHERENCE).data(Qt.ItemDataRole.BackgroundRole) is not None  # below 80 %
    assert pane.proxy.index(1, COL_ADHERENCE).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "missed" in pane.proxy.index(0, COL_ADHERENCE).data(Qt.ItemDataRole.ToolTipRole)
    pane.grab().save("/tmp/review_worklist_adherence.png")
    assert QThreadPool.globalInstance().waitForDone(10000)
    assert gui_thread_statements == []
