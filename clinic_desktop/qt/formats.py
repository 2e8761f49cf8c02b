"""Dates and times as the screen shows them: one place, one format per clinic locale.

Every pane, model, dialog, chart and report formats through a `Formats` (from
`AppContext.formats`), so a date reads the same everywhere: the clinic's date order with a
four-digit year (01/25/1969 in en_US, 25.01.1969 in de_DE), a 24-hour time, and the clinic's zone
for instants. Typed dates are parsed by the same rule (`domain.patient_rules`), so what a person
sees is what they may type. Weekday and month names come from Qt's locale data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from PySide6.QtCore import QLocale

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
    """Formats for one clinic locale (e.g. "en_US", "de_DE"), and its zone for instants."""

    locale: str = "en_US"

    @property
    def _qlocale(self) -> QLocale:
        return QLocale(self.locale)

    def date(self, value: date | None, empty: str = "") -> str:
        """A calendar date: 01/25/1969 (en_US), 25/01/1969 (en_GB), 25.01.1969 (de_DE)."""
        return empty if value is None else format_date(value, self.locale)

    def time(self, value: time) -> str:
        return value.strftime("%H:%M")

    def instant(self, moment: datetime | None, zone: tzinfo, empty: str = "") -> str:
        """An instant as the clinic's wall-clock date and time."""
        if moment is None:
            return empty
        local = moment.astimezone(zone)
        return f"{self.date(local.date())} {self.time(local.time())}"

    def weekday(self, value: date) -> str:
        """The short weekday name in the locale's language ("Tue", "Di")."""
        return self._qlocale.dayName(value.isoweekday(), QLocale.FormatType.ShortFormat)

    def weekday_date(self, value: date) -> str:
        return f"{self.weekday(value)} {self.date(value)}"

    def weekday_instant(self, moment: datetime, zone: tzinfo) -> str:
        local = moment.astimezone(zone)
        return f"{self.weekday(local.date())} {self.instant(moment, zone)}"

    def day_month(self, value: date) -> str:
        """Day and month without the year (axis ticks, compact cells), in the locale's order."""
        pattern = display_date_format(self.locale)
        return value.strftime(pattern.replace("%Y", "").strip("/.- "))

    # -- Qt edit widgets: the same pattern, so what is shown is what may be typed ----------------
    @property
    def qt_date(self) -> str:
        return qt_pattern(display_date_format(self.locale))

    @property
    def qt_weekday_date(self) -> str:
        return "ddd " + self.qt_date

    @property
    def qt_date_time(self) -> str:
        return self.qt_date + " HH:mm"

    qt_time = "HH:mm"
