"""Table models of a patient's readings and of emergency events, in the patient's unit."""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtGui import QColor

from ...domain.enums import EmergencyKind, EmergencyState, GlucoseUnit, ReadingFlag
from ...domain.units import format_glucose
from ...services.glucose_dto import EmergencyEventDTO, ReadingDTO
from ..charts import chart_style as style
from ..formats import Formats
from .glucose_table_model import Column, DtoTableModel

COL_TIME, COL_VALUE, COL_SOURCE, COL_CONTEXT, COL_NOTE = range(5)
EV_PATIENT, EV_KIND, EV_STATE, EV_STARTED, EV_ENDED, EV_EXTREME = range(6)


def _label(value: object) -> str:
    return "" if value is None else str(getattr(value, "value", value)).replace("_", " ").capitalize()


def _value_text(row: ReadingDTO, unit: GlucoseUnit) -> str:
    text = format_glucose(row.value_mgdl, unit)
    if row.flag == ReadingFlag.LOW:
        return f"LOW (≤ {text})"
    if row.flag == ReadingFlag.HIGH:
        return f"HIGH (≥ {text})"
    return text


class GlucoseReadingTableModel(DtoTableModel[ReadingDTO]):
    """Readings, newest first as delivered; values in the patient's unit, coloured by range."""

    def __init__(self, zone: tzinfo, unit: GlucoseUnit = GlucoseUnit.MG_DL, parent=None, *,  # noqa: ANN001
                 formats: Formats) -> None:
        super().__init__(parent)
        self._zone, self._unit, self._formats = zone, unit, formats
        self.columns = [
            Column("Time", lambda r: self._when(r.recorded_at), lambda r: r.recorded_at.timestamp()),
            Column("Glucose", lambda r: _value_text(r, self._unit), lambda r: r.value_mgdl, True,
                   foreground=lambda r: style.RANGE_COLOURS[style.RANGE_KEYS[int(style.range_codes([r.value_mgdl])[0])]]),
            Column("Source", lambda r: _label(r.source), lambda r: r.source.value),
            Column("Context", lambda r: _label(r.context), lambda r: r.context.value if r.context else None),
            Column("Note", lambda r: r.note or "", lambda r: r.note or None),
        ]

    def set_unit(self, unit: GlucoseUnit) -> None:
        self._unit = unit
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_VALUE), self.index(len(self._rows) - 1, COL_VALUE))

    def _when(self, moment: datetime) -> str:
        return self._formats.weekday_instant(moment, self._zone)


class EmergencyEventTableModel(DtoTableModel[EmergencyEventDTO]):
    """Active (and escalated) hypo/hyperglycaemia events."""

    def __init__(self, zone: tzinfo, unit_of: dict | None = None, parent=None, *,  # noqa: ANN001
                 formats: Formats) -> None:
        super().__init__(parent)
        self._zone = zone
        self._unit_of = unit_of if unit_of is not None else {}
        when = lambda m: formats.instant(m, self._zone, "ongoing")  # noqa: E731
        self.columns = [
            Column("Patient", lambda r: r.patient_name, lambda r: r.patient_name.casefold()),
            Column("Event", lambda r: "Hypoglycaemia" if r.kind == EmergencyKind.HYPO else "Hyperglycaemia",
                   lambda r: r.kind.value,
                   foreground=lambda r: style.VERY_LOW_COLOUR if r.kind == EmergencyKind.HYPO else style.VERY_HIGH_COLOUR),
            Column("State", lambda r: _label(r.state), lambda r: r.state.value,
                   background=lambda r: QColor("#ffcdd2") if r.state == EmergencyState.ESCALATED else None),
            Column("Started", lambda r: when(r.started_at), lambda r: r.started_at.timestamp()),
            Column("Ended", lambda r: when(r.ended_at), lambda r: r.ended_at.timestamp() if r.ended_at else None),
            Column("Extreme", lambda r: format_glucose(r.extreme_mgdl, self._unit_of.get(r.patient_id, GlucoseUnit.MG_DL)),
                   lambda r: r.extreme_mgdl, True),
        ]
