"""Dates and times as the screen shows them: one place, one format per clinic locale.

Every pane, model, dialog, chart and report formats through a `Formats` (from
`AppContext.formats`), so a date reads the same everywhere: the clinic's date order with a
four-digit year (01/25/1969 in en_US, 25.01.1969 in de_DE), a 24-hour time, and the clinic's zone
for instants. Typed dates are parsed by the same rule (`domain.patient_rules`), so what a person
sees is what they may type. Weekday and month names come from Qt's locale data.
"""

from __future__ import annotations

import datetime as dt  # as a module: the methods `date` and `time` would shadow the types
from dataclasses import dataclass

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QDateTimeEdit

from ..domain.patient_rules import display_date_format, format_date

_QT_FIELDS = {"%d": "dd", "%m": "MM", "%Y": "yyyy"}


def qt_pattern(strftime_pattern: str) -> str:
    """The Qt display format (QDateEdit) of one of our strftime date patterns."""
    pattern = strftime_pattern
    for ours, qt in _QT_FIELDS.items():
        pattern = pattern.replace(ours, qt)
    return pattern


@dataclass(frozen=True)
class Formats:
    """Formats for one clinic locale (e.g. "en_US", "de_DE"); instants take the clinic's zone."""

    locale: str = "en_US"

    @property
    def qlocale(self) -> QLocale:
        """The clinic's QLocale (weekday and month names, the calendar's first day of the week)."""
        return QLocale(self.locale)

    def date(self, value: dt.date | None, empty: str = "") -> str:
        """A calendar date: 01/25/1969 (en_US), 25/01/1969 (en_GB), 25.01.1969 (de_DE)."""
        return empty if value is None else format_date(value, self.locale)

    def time(self, value: dt.time, *, seconds: bool = False) -> str:
        """A wall-clock time on the 24-hour clock: 13:05 (or 13:05:09 with `seconds`)."""
        return value.strftime("%H:%M:%S" if seconds else "%H:%M")

    def instant(self, moment: dt.datetime | None, zone: dt.tzinfo, empty: str = "", *, seconds: bool = False) -> str:
        """An instant as the clinic's wall-clock date and time: 01/25/1969 13:05."""
        if moment is None:
            return empty
        local = moment.astimezone(zone)
        return f"{self.date(local.date())} {self.time(local.time(), seconds=seconds)}"

    def clock_time(self, moment: dt.datetime | None, zone: dt.tzinfo, empty: str = "") -> str:
        """Only the wall-clock time of an instant (lists within one day, "from–to" spans): 13:05."""
        return empty if moment is None else self.time(moment.astimezone(zone).time())

    def weekday(self, value: dt.date) -> str:
        """The short weekday name in the locale's language ("Tue", "Di.")."""
        return self.qlocale.dayName(value.isoweekday(), QLocale.FormatType.ShortFormat)

    def weekday_date(self, value: dt.date) -> str:
        """A date with its weekday: Sat 01/25/1969, Sa. 25.01.1969."""
        return f"{self.weekday(value)} {self.date(value)}"

    def weekday_instant(self, moment: dt.datetime, zone: dt.tzinfo) -> str:
        """An instant with the weekday of its clinic-local date: Sat 01/25/1969 13:05."""
        local = moment.astimezone(zone)
        return f"{self.weekday(local.date())} {self.instant(moment, zone)}"

    def day_month(self, value: dt.date) -> str:
        """Day and month without the year (axis ticks, compact cells), in the locale's order."""
        pattern = display_date_format(self.locale)
        return value.strftime(pattern.replace("%Y", "").strip("/.- "))

    def weekday_day_month(self, value: dt.date) -> str:
        """A compact day with its weekday (calendar week columns, axis day ticks): Sat 01/25, Sa. 25.01."""
        return f"{self.weekday(value)} {self.day_month(value)}"

    def month(self, value: dt.date) -> str:
        """The short month name in the locale's language, standing alone (axis ticks): Jan, Mär."""
        return self.qlocale.standaloneMonthName(value.month, QLocale.FormatType.ShortFormat)

    # -- Qt edit widgets: the same pattern, so what is shown is what may be typed ----------------
    @property
    def qt_date(self) -> str:
        """QDateEdit pattern of `date` (dd.MM.yyyy for de_DE)."""
        return qt_pattern(display_date_format(self.locale))

    @property
    def qt_weekday_date(self) -> str:
        """QDateEdit pattern of `weekday_date`."""
        return "ddd " + self.qt_date

    @property
    def qt_date_time(self) -> str:
        """QDateTimeEdit pattern of `instant`."""
        return self.qt_date + " HH:mm"

    qt_time = "HH:mm"

    def set_edit_format(self, edit: QDateTimeEdit, pattern: str) -> None:
        """Show a QDateEdit/QTimeEdit/QDateTimeEdit in `pattern` (one of the qt_* above), with the
        clinic's weekday names and first day of the week in its calendar popup."""
        edit.setLocale(self.qlocale)
        edit.setDisplayFormat(pattern)
