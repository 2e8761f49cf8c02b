"""Table model of the doctor's review worklist (WorklistRow DTOs), with consensus colour cues."""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from ...domain.clock import Clock
from ...services.glucose_dto import WORKLIST_ADHERENCE_DAYS as ADHERENCE_DAYS
from ...services.glucose_dto import WorklistRow
from ...services.medication_dto import ADHERENCE_ATTENTION_PERCENT
from ..charts.chart_style import clinic_zone
from ..formats import Formats
from .glucose_table_model import Column, DtoTableModel

ALERT = QColor("#ffcdd2")
SEVERE = QColor("#ef9a9a")
CAUTION = QColor("#ffe0b2")
REVIEW_OVERDUE_DAYS = 90

COL_PRIORITY, COL_PATIENT, COL_MRN, COL_TIR, COL_TBR70, COL_TBR54, COL_CV, COL_ADHERENCE, COL_EVENTS, \
    COL_LAST_REVIEW, COL_LAST_READING, COL_REASONS = range(12)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _flag(value: float | None, limit: float, *, above: bool, colour: QColor = ALERT) -> QColor | None:
    if value is None:
        return None
    return colour if (value > limit if above else value < limit) else None


def _adherence_text(row: WorklistRow) -> str:
    percent = row.adherence_30d.percent if row.adherence_30d is not None else None
    return "—" if percent is None else f"{percent:.0f} %"


def _adherence_key(row: WorklistRow) -> float | None:
    """Unknown (no doses due, or not shown) sorts after every figure."""
    return row.adherence_30d.percent if row.adherence_30d is not None else None


class ReviewWorklistModel(DtoTableModel[WorklistRow]):
    """One row per patient needing review; sort through a SortKeyProxy."""

    def __init__(self, zone: tzinfo | str | None, clock: Clock, parent: QObject | None = None, *,
                 formats: Formats) -> None:
        super().__init__(parent)
        self._zone = zone if isinstance(zone, tzinfo) else clinic_zone(zone)
        self._formats = formats
        self._now = clock.now
        self.columns = self._build_columns()

    def _when(self, moment: datetime | None, never: str) -> str:
        return self._formats.instant(moment, self._zone, never)

    def _review_overdue(self, row: WorklistRow) -> QColor | None:
        if row.last_reviewed_at is None:
            return CAUTION
        return CAUTION if (self._now() - row.last_reviewed_at).days > REVIEW_OVERDUE_DAYS else None

    def _build_columns(self) -> list[Column]:
        ts = lambda m: None if m is None else m.timestamp()  # noqa: E731
        return [
            # Highest priority first when sorted descending (the default view).
            Column("Priority", lambda r: f"{r.priority:.0f}", lambda r: r.priority, align_right=True),
            Column("Patient", lambda r: r.patient_name, lambda r: r.patient_name.casefold()),
            Column("MRN", lambda r: r.mrn, lambda r: r.mrn),
            Column("TIR 70–180", lambda r: _pct(r.tir_percent), lambda r: r.tir_percent, True,
                   background=lambda r: _flag(r.tir_percent, 70, above=False),
                   tooltip=lambda r: "Goal: more than 70 % in range"),
            Column("Below 70", lambda r: _pct(r.tbr70_percent), lambda r: r.tbr70_percent, True,
                   background=lambda r: _flag(r.tbr70_percent, 4, above=True),
                   tooltip=lambda r: "Goal: less than 4 % below 70 mg/dL (3.9 mmol/L)"),
            Column("Below 54", lambda r: _pct(r.tbr54_percent), lambda r: r.tbr54_percent, True,
                   background=lambda r: _flag(r.tbr54_percent, 1, above=True, colour=SEVERE),
                   tooltip=lambda r: "Goal: less than 1 % below 54 mg/dL (3.0 mmol/L)"),
            Column("CV", lambda r: _pct(r.cv_percent), lambda r: r.cv_percent, True,
                   background=lambda r: _flag(r.cv_percent, 36, above=True, colour=CAUTION),
                   tooltip=lambda r: "Goal: coefficient of variation at most 36 %"),
            Column(f"Adherence {ADHERENCE_DAYS} d", _adherence_text, _adherence_key, True,
                   background=lambda r: ALERT if r.adherence_30d is not None and r.adherence_30d.needs_attention else None,
                   tooltip=lambda r: None if r.adherence_30d is None else
                   r.adherence_30d.describe(ADHERENCE_DAYS) + f" Attention below {ADHERENCE_ATTENTION_PERCENT:.0f} %."),
            Column("Active events", lambda r: str(r.active_events), lambda r: r.active_events, True,
                   background=lambda r: SEVERE if r.active_events else None),
            Column("Last review", lambda r: self._when(r.last_reviewed_at, "never"), lambda r: ts(r.last_reviewed_at),
                   background=self._review_overdue),
            Column("Last reading", lambda r: self._when(r.last_reading_at, "no readings"), lambda r: ts(r.last_reading_at)),
            Column("Why", lambda r: "; ".join(r.reasons), lambda r: len(r.reasons),
                   tooltip=lambda r: "\n".join(r.reasons) or None),
        ]
