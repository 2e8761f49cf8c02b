"""One date format per clinic (issue #11): `Formats` writes dates the clinic's way, and the models,
dialogs, charts and panes show dates only through it — a German clinic sees 25.01.1969 everywhere."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit
from sqlalchemy import update

import clinic_desktop.qt
from clinic_desktop.db.models import Clinic
from clinic_desktop.domain.actor import Actor
from clinic_desktop.domain.clock import FixedClock
from clinic_desktop.domain.enums import (
    AppointmentReason,
    AppointmentStatus,
    DoseStatus,
    GlucoseUnit,
    MedicationState,
    Role,
)
from clinic_desktop.domain.medication_schedule import Frequency
from clinic_desktop.qt.app_context import AppContext, Services
from clinic_desktop.qt.bus import ChangeBus
from clinic_desktop.qt.charts.clinic_date_axis import ClinicDateAxis
from clinic_desktop.qt.dialogs.booking_dialog import BookingDialog
from clinic_desktop.qt.formats import Formats
from clinic_desktop.qt.models.appointment_list_model import (
    COL_WHEN,
    AppointmentListModel,
)
from clinic_desktop.qt.models.dose_table_model import (
    COL_TAKEN_AT,
    COL_TIME,
    DoseTableModel,
)
from clinic_desktop.qt.models.prescription_table_model import (
    COL_END,
    COL_START,
    COL_TIMES,
    PrescriptionTableModel,
)
from clinic_desktop.qt.models.review_worklist_model import (
    COL_LAST_READING,
    COL_LAST_REVIEW,
    ReviewWorklistModel,
)
from clinic_desktop.qt.panes.audit_viewer_pane import AuditEntryModel
from clinic_desktop.qt.panes.medications_pane import MedicationsPane
from clinic_desktop.services.appointment_dto import AppointmentDTO
from clinic_desktop.services.audit_service import AuditEntry
from clinic_desktop.services.auth_service import AuthService, StaffSession
from clinic_desktop.services.glucose_dto import WorklistRow
from clinic_desktop.services.medication_dto import DoseDTO, PrescriptionDTO
from clinic_desktop.services.medication_service import MedicationService

from ..services.medication_support import add_patient, today, twice_daily

BERLIN = ZoneInfo("Europe/Berlin")
BIRTHDAY = date(1969, 1, 25)  # a Saturday
NOON = datetime(1969, 1, 25, 12, 5, tzinfo=timezone.utc)  # 13:05 in Berlin
GERMAN = Formats("de_DE")

#: date, instant (Berlin), weekday date — written out by hand, not by the code under test.
EXPECTED = {
    "en_US": ("01/25/1969", "01/25/1969 13:05", "Sat 01/25/1969"),
    "en_GB": ("25/01/1969", "25/01/1969 13:05", "Sat 25/01/1969"),
    "de_DE": ("25.01.1969", "25.01.1969 13:05", "Sa. 25.01.1969"),
    "pt_BR": ("25/01/1969", "25/01/1969 13:05", "sáb. 25/01/1969"),
}
#: What the old formats looked like: English month abbreviations ("08 Dec") or ISO dates.
OLD_FORMAT = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b|\d{4}-\d\d-\d\d")


# --- (a) Formats itself ---------------------------------------------------------------------------------

@pytest.mark.parametrize("locale", EXPECTED)
def test_formats_write_dates_the_clinic_way(locale):
    f = Formats(locale)
    assert (f.date(BIRTHDAY), f.instant(NOON, BERLIN), f.weekday_date(BIRTHDAY)) == EXPECTED[locale]
    assert f.weekday_instant(NOON, BERLIN) == f"{EXPECTED[locale][2]} 13:05"
    assert f.date(None, "—") == "—" and f.instant(None, BERLIN, "never") == "never"


def test_formats_details_for_a_german_clinic():
    assert GERMAN.instant(NOON, BERLIN, seconds=True) == "25.01.1969 13:05:00"
    assert GERMAN.clock_time(NOON, BERLIN) == "13:05" and GERMAN.time(time(7, 5)) == "07:05"
    assert GERMAN.day_month(BIRTHDAY) == "25.01" and GERMAN.weekday_day_month(BIRTHDAY) == "Sa. 25.01"
    assert Formats("en_US").day_month(BIRTHDAY) == "01/25" and GERMAN.month(BIRTHDAY) == "Jan"
    assert (GERMAN.qt_date, GERMAN.qt_weekday_date, GERMAN.qt_date_time) == ("dd.MM.yyyy", "ddd dd.MM.yyyy", "dd.MM.yyyy HH:mm")


@pytest.mark.parametrize("locale", EXPECTED)
def test_date_edits_show_what_formats_write(qtbot, locale):
    f = Formats(locale)
    edit = QDateEdit(QDate(1969, 1, 25))
    qtbot.addWidget(edit)
    f.set_edit_format(edit, f.qt_date)
    assert edit.text() == EXPECTED[locale][0]
    f.set_edit_format(edit, f.qt_weekday_date)
    assert edit.text() == EXPECTED[locale][2]  # weekday names in the clinic's language, not the workstation's
    when = QDateTimeEdit(QDateTime(QDate(1969, 1, 25), QTime(13, 5)))
    qtbot.addWidget(when)
    f.set_edit_format(when, f.qt_date_time)
    assert when.text() == EXPECTED[locale][1]


# --- (b) real models and widgets of a German clinic -------------------------------------------------------

def _prescription() -> PrescriptionDTO:
    return PrescriptionDTO(uuid.uuid4(), uuid.uuid4(), "Metformin", "500 mg", "1 tablet", "tablet", "oral",
                           Frequency.TWICE_DAILY, (time(8), time(20)), None, BIRTHDAY, BIRTHDAY + timedelta(days=30),
                           "Dr Who", None, MedicationState.ACTIVE, None, None, None, None, 1)


def test_models_of_a_german_clinic_show_german_dates(qtbot):
    prescriptions = PrescriptionTableModel(formats=GERMAN)
    prescriptions.set_rows([_prescription()])
    assert [prescriptions.index(0, c).data() for c in (COL_START, COL_END, COL_TIMES)] == \
        ["25.01.1969", "24.02.1969", "08:00, 20:00"]

    doses = DoseTableModel(BERLIN, formats=GERMAN, show_day=True)
    doses.set_rows([DoseDTO(uuid.uuid4(), uuid.uuid4(), "Ada", "Metformin", NOON, DoseStatus.TAKEN,
                            taken_at=NOON + timedelta(days=1))])
    assert doses.index(0, COL_TIME).data() == "Sa. 25.01.1969 13:05"
    assert doses.index(0, COL_TAKEN_AT).data() == "26.01.1969 13:05"  # taken another day: with its date

    worklist = ReviewWorklistModel(BERLIN, FixedClock(NOON), formats=GERMAN)
    worklist.set_rows([WorklistRow(uuid.uuid4(), "Berg, Anna", "M1", GlucoseUnit.MG_DL, 60.0, 5.0, 1.0, 40.0, 1, NOON,
                                   None, 50.0, ())])
    assert worklist.index(0, COL_LAST_REVIEW).data() == "25.01.1969 13:05"
    assert worklist.index(0, COL_LAST_READING).data() == "no readings"

    audit = AuditEntryModel(BERLIN, formats=GERMAN)
    audit.set_rows([AuditEntry(uuid.uuid4(), NOON, None, "Admin", "view", "patient", None, None, None, None, None)])
    assert audit.index(0, 0).data() == "25.01.1969 13:05:00"

    appointments = AppointmentListModel(BERLIN, formats=GERMAN)
    appointments.set_rows([AppointmentDTO(uuid.uuid4(), uuid.uuid4(), "Ada", "M1", uuid.uuid4(), "Dr Who", NOON,
                                          NOON + timedelta(minutes=30), AppointmentReason.ROUTINE,
                                          AppointmentStatus.CONFIRMED, 1)])
    assert appointments.index(0, COL_WHEN).data() == "Sa. 25.01.1969 13:05"


def test_booking_dialog_of_a_german_clinic_shows_the_german_date(qtbot):
    actor = Actor(uuid.uuid4(), uuid.uuid4(), Role.RECEPTIONIST)
    context = AppContext(Services(), ChangeBus(), StaffSession(actor, "Praxis", "Europe/Berlin", False, "de_DE"))
    dialog = BookingDialog(context, doctors=(), starts_at=NOON)
    qtbot.addWidget(dialog)
    assert (dialog.date.text(), dialog.time.text()) == ("Sa. 25.01.1969", "13:05")
    assert dialog.starts_at() == NOON  # and what it shows is what it books


def test_trend_axis_of_a_german_clinic_labels_days_the_german_way(qtbot):
    axis = ClinicDateAxis(BERLIN, formats=GERMAN)
    midnight = datetime(1969, 1, 25, tzinfo=BERLIN)
    assert axis.tick_label(midnight, "%a %d") == "Sa. 25.01"  # day ticks of the hour levels
    assert axis.tick_label(midnight, "%d") == "25.01" and axis.tick_label(midnight, "%b") == "Jan"
    assert axis.tick_label(midnight.replace(hour=13, minute=5), "%H:%M") == "13:05"


def test_medications_pane_of_a_german_clinic_signed_in_shows_german_dates(qtbot, database, clinic):
    """The whole path: the clinic's locale → login's StaffSession → context.formats → the pane's tables."""
    with database.unit_of_work(None) as uow:
        uow.session.execute(update(Clinic).where(Clinic.id == clinic.clinic_id).values(locale="de_DE"))
    session = AuthService(database).login(clinic.doctor.username, clinic.password)
    assert session.clinic_locale == "de_DE"
    service = MedicationService(database)
    patient = add_patient(database, clinic.admin)
    start = today() - timedelta(days=3)
    service.prescribe(clinic.doctor, patient_id=patient, data=twice_daily(start=start))
    pane = MedicationsPane(AppContext(Services(medications=service), ChangeBus(), session))
    qtbot.addWidget(pane)
    pane.set_patient(patient, "Lovelace, Ada")
    qtbot.waitUntil(lambda: pane.data is not None, timeout=15000)
    qtbot.waitUntil(lambda: not pane._runner.busy, timeout=15000)
    assert pane.prescriptions.index(0, COL_START).data() == f"{start:%d.%m.%Y}"
    due = [pane.doses.index(r, COL_TIME).data() for r in range(pane.doses.rowCount())]
    assert due and all(re.fullmatch(r"(Mo|Di|Mi|Do|Fr|Sa|So)\. \d\d\.\d\d\.\d{4} \d\d:\d\d", d) for d in due), due
    shown = [m.index(r, c).data() for m in (pane.prescriptions, pane.doses)
             for r in range(m.rowCount()) for c in range(m.columnCount())]
    assert not [s for s in shown if isinstance(s, str) and OLD_FORMAT.search(s)]


# --- no second format in the sources ----------------------------------------------------------------------

#: Where a date pattern outside formats.py is right, and why.
ALLOWED = {
    "panes/patient_list_pane.py": "format_date(…, locale): the same rule as Formats.date (another engineer's file)",
    "panes/glucose_pane.py": "ISO date in a suggested file name (sorts, and is safe on every file system)",
    "dialogs/patient_summary_printing.py": "ISO date in a suggested file name",
    "dialogs/backup_dialog.py": "ISO date and time in a suggested file name",
    "dialogs/glucose_column_mapping_page.py": "the CSV file's own timestamp formats, for reading it",
}
DATE_PATTERN = re.compile(r"strftime\(|\{[^{}\n]*:%[^{}\n]*\}|[dD]isplayFormat|format_date\(|toString\(")


def test_no_date_is_formatted_outside_formats():
    root = Path(clinic_desktop.qt.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name == "formats.py" or name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if DATE_PATTERN.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "Format dates through qt/formats.py:\n" + "\n".join(found)
