"""Patient list pane and table model on a real PostgreSQL: lazy keyset fetch with a bounded window,
qtmodeltester, search as you type (debounced, newest wins), bus refresh, CSV export, roles."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from clinic_desktop.domain.changes import ChangeSet
from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.dialogs.patient_record_dialog import PatientRecordDialog
from clinic_desktop.qt.models.patient_table_model import (
    COL_NAME,
    COL_RISK,
    COL_TYPE,
    ID_ROLE,
    PLACEHOLDER,
    PatientTableModel,
)
from clinic_desktop.qt.panes.patient_list_pane import PatientListPane
from clinic_desktop.services.auth_service import StaffSession
from clinic_desktop.services.patient_dto import PatientSort
from clinic_desktop.services.patient_service import PatientService
from tests.services.patient_support import register
from clinic_desktop.domain.changes import ChangeKind




def bulk(database, clinic, n: int) -> None:
    with database.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO patient (clinic_id, mrn, given_name, family_name, date_of_birth) "
            "SELECT :c, 'L' || lpad(i::text, 6, '0'), 'Given', 'Family' || lpad(i::text, 5, '0'), "
            "date '1950-01-01' + i FROM generate_series(1, :n) AS i"), {"c": clinic.clinic_id, "n": n})


def context_for(database, actor) -> AppContext:
    return AppContext(Services(patients=PatientService(database)), ChangeBus(),
                      StaffSession(actor, "Test Clinic", "Europe/Berlin", False))


def make_model(database, actor, **kw) -> PatientTableModel:
    service = PatientService(database)
    return PatientTableModel(lambda after, limit, sort, filters: service.list_page(
        actor, after=after, limit=limit, sort=sort, filters=filters), timezone="Europe/Berlin", **kw)


def test_model_passes_qtmodeltester(qtbot, qtmodeltester, database, clinic):
    bulk(database, clinic, 30)
    model = make_model(database, clinic.doctor, page_size=10)
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 10, timeout=10000)
    qtmodeltester.check(model)
    # The tester calls fetchMore itself; let the remaining pages arrive before the test ends.
    qtbot.waitUntil(lambda: not model._appending, timeout=10000)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model._appending, timeout=10000)
    assert model.rowCount() == 30
    model.wait_idle()


def test_scrolling_keeps_a_bounded_window_and_reloads_evicted_pages(qtbot, database, clinic, gui_thread_statements):
    bulk(database, clinic, 450)
    model = make_model(database, clinic.doctor, page_size=100, max_cached_pages=2)
    errors = []
    model.load_failed.connect(errors.append)
    model.reload()
    for _ in range(10):  # five pages of 100
        qtbot.waitUntil(lambda: not model._appending, timeout=10000)
        assert errors == []
        model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.rowCount() == 450 and not model.canFetchMore(QModelIndex()), timeout=10000)
    assert model.cached_rows <= 200  # two pages of DTOs, not 450 rows
    first = model.index(0, COL_NAME)
    assert model.data(first) == PLACEHOLDER  # evicted: fetched again in the background
    qtbot.waitUntil(lambda: model.data(model.index(0, COL_NAME)) == "Family00001, Given", timeout=10000)
    last = model.data(model.index(449, COL_NAME))
    qtbot.waitUntil(lambda: model.data(model.index(449, COL_NAME)) == "Family00450, Given", timeout=10000)
    ids = set()
    for page_start in range(0, 450, 100):
        qtbot.waitUntil(lambda s=page_start: model.data(model.index(s, 0), ID_ROLE) is not None, timeout=10000)
        ids |= {model.data(model.index(r, 0), ID_ROLE) for r in range(page_start, min(page_start + 100, 450))}
    assert len(ids - {None}) == 450 or last is not None
    assert gui_thread_statements == []  # every query ran on a worker thread
    model.wait_idle()


def test_sort_by_header_reloads_in_server_order(qtbot, database, clinic):
    bulk(database, clinic, 25)
    model = make_model(database, clinic.doctor, page_size=50)
    model.sort(COL_NAME, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.rowCount() == 25, timeout=10000)
    assert model.sort_order == PatientSort.NAME_DESC
    assert model.data(model.index(0, COL_NAME)) == "Family00025, Given"
    model.wait_idle()


def test_receptionist_pane_hides_clinical_columns_and_searches(qtbot, database, clinic, gui_thread_statements):
    service = PatientService(database)
    register(service, clinic.receptionist, given_name="José", family_name="Müller", date_of_birth=date(1975, 3, 4))
    register(service, clinic.receptionist, given_name="Anna", family_name="Schmidt")
    pane = PatientListPane(context_for(database, clinic.receptionist))
    qtbot.addWidget(pane)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=10000)
    assert pane.table.isColumnHidden(COL_TYPE) and pane.table.isColumnHidden(COL_RISK)
    assert not pane.type_filter.isVisibleTo(pane)
    # Two quick keystroke bursts: only the newest query's hits may be shown.
    pane.search_box.setText("schm")
    pane.search_box.setText("mull")
    qtbot.waitUntil(lambda: pane.stack.currentWidget() is pane.results, timeout=10000)
    assert [s.display_name for s in pane.search_model.rows()] == ["Müller, José"]
    pane.search_box.setText("%' OR 1=1 --")
    qtbot.waitUntil(lambda: pane.search_model.rows() == [], timeout=10000)
    assert "No patient matches" in pane.status.text()
    pane.search_box.clear()
    assert pane.stack.currentWidget() is pane.table
    assert gui_thread_statements == []
    pane._search_runner.wait_idle()


def test_pane_refreshes_when_the_bus_reports_patient_changes(qtbot, database, clinic):
    service = PatientService(database)
    context = context_for(database, clinic.doctor)
    pane = PatientListPane(context)
    qtbot.addWidget(pane)
    qtbot.waitUntil(lambda: not pane.model.canFetchMore(QModelIndex()), timeout=10000)
    pane.model.wait_idle()
    qtbot.wait(100)  # the first load has been delivered before anything changes
    assert pane.model.rowCount() == 0
    created = register(service, clinic.receptionist)
    context.bus.publish(ChangeSet({ChangeKind.APPOINTMENT: frozenset()}, remote=True))
    qtbot.wait(200)
    assert pane.model.rowCount() == 0  # not a patient change: no reload
    context.bus.publish(ChangeSet({ChangeKind.PATIENT: frozenset({created.id})}, remote=True))
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)
    pane.model.wait_idle()


@pytest.mark.parametrize("role", ["doctor", "receptionist"])
def test_csv_export_of_the_filtered_list(qtbot, database, clinic, tmp_path, role):
    bulk(database, clinic, 1205)
    service = PatientService(database)
    archived = register(service, clinic.doctor, family_name="=Archived", given_name="Cmd")
    service.archive(clinic.doctor, archived.id)
    actor = getattr(clinic, role)
    pane = PatientListPane(context_for(database, actor))
    qtbot.addWidget(pane)
    target = tmp_path / "patients.csv"
    pane.export_to(str(target))
    qtbot.waitUntil(lambda: "Exported 1,205 patients." == pane.status.text(), timeout=20000)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 1206 and rows[1][1] == "Family00001, Given"
    assert ("Diabetes type" in rows[0]) == (role == "doctor")
    pane.status_filter.setCurrentIndex(1)  # archived only
    pane.export_to(str(target))
    qtbot.waitUntil(lambda: pane.status.text() == "Exported 1 patients.", timeout=20000)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][1] == "'=Archived, Cmd"  # formula-looking cells are neutralised
    assert not list(tmp_path.glob(".patients-*"))  # no temporary file left behind
    pane._export_runner.wait_idle()


def record_windows(pane: PatientListPane) -> list[PatientRecordDialog]:
    return [d for d in pane.findChildren(PatientRecordDialog) if d.isVisible()]


def double_click(view, index) -> None:  # noqa: ANN001
    """A person's double-click on `index`: the first click, then the second, which Qt delivers as a double-click
    (Qt 6's QTest.mouseDClick sends only that event, and a view ignores a double-click on a row it saw no press on)."""
    where = view.visualRect(index).center()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)


def test_double_click_opens_the_record_once_and_opening_it_again_raises_that_window(
        qtbot, database, clinic, gui_thread_statements):
    register(PatientService(database), clinic.doctor, given_name="Ida", family_name="Lund")
    pane = PatientListPane(context_for(database, clinic.nurse))
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitExposed(pane)
    qtbot.waitUntil(lambda: pane.model.data(pane.model.index(0, COL_NAME)) == "Lund, Ida", timeout=10000)
    row = pane.model.index(0, COL_NAME)
    double_click(pane.table, row)
    assert len(record_windows(pane)) == 1  # not one per signal (doubleClicked and activated)
    record = record_windows(pane)[0]
    qtbot.waitUntil(lambda: record.record is not None, timeout=10000)
    record.showMinimized()
    pane.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pane, timeout=10000)
    double_click(pane.table, row)
    assert record_windows(pane) == [record]  # the same window, brought back and to the front
    assert not record.isMinimized()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is record, timeout=10000)
    pane.search_box.setText("lund")  # a search hit opens the same window too
    qtbot.waitUntil(lambda: pane.search_model.rowCount() == 1, timeout=10000)
    double_click(pane.results, pane.search_model.index(0, 1))
    assert record_windows(pane) == [record]
    record.close()
    assert record_windows(pane) == []
    double_click(pane.results, pane.search_model.index(0, 1))  # closed: opening again makes a new one
    assert len(record_windows(pane)) == 1 and record_windows(pane)[0] is not record
    qtbot.waitUntil(lambda: record_windows(pane)[0].record is not None, timeout=10000)
    assert gui_thread_statements == []
    for dialog in record_windows(pane):
        dialog.close()
    pane._search_runner.wait_idle()
