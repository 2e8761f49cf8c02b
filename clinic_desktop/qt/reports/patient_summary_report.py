"""One-page patient summary, printed or saved as PDF (QPainter on a QPdfWriter or a QPrinter).

Same approach as the AGP report: a frozen sheet gathered beforehand (no database access while
drawing), laid out top to bottom in millimetres, text kept as text. Every entry is one elided
line, so heights are known before drawing: lists too long for the page end with "and N more",
and the summary is always exactly one page.
"""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPageLayout, QPageSize, QPagedPaintDevice, QPainter, QPdfWriter, QPen

from ...domain.data_sufficiency import rule_text
from ...domain.enums import GlucoseUnit
from ...domain.patient_rules import format_phone
from ...domain.units import format_glucose
from ...services.glucose_dto import GlucoseMetrics
from ...services.patient_summary import GLUCOSE_DAYS, PatientSummarySheet
from ..formats import Formats

DPI = 300
MARGIN_MM = 14.0
LINE_MM = 5.2
GAP_MM = 3.0
FOOTER_MM = 13.0
MAX_CARE_TEAM_LINES = 6
INK, MUTED, ACCENT, ALERT, GOOD = "#202020", "#5f6368", "#1f3b73", "#b71c1c", "#1b5e20"
MANAGEMENT = {"lifestyle": "Lifestyle", "oral": "Oral medication", "injectable_non_insulin": "Injectable (non-insulin)",
              "mdi": "Multiple daily injections", "pump": "Insulin pump", "closed_loop": "Closed loop (automated insulin)"}
PERMISSIONS = {"view": "view", "record_doses": "record doses", "record_readings": "record readings"}


def page_layout() -> QPageLayout:
    return QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                       QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM), QPageLayout.Unit.Millimeter)


def write_summary_pdf(path: str, sheet: PatientSummarySheet) -> None:
    """Write the one-page summary to `path` (A4 portrait)."""
    writer = QPdfWriter(path)
    writer.setResolution(DPI)
    writer.setTitle(f"Patient summary — {sheet.record.mrn}")
    writer.setCreator("Clinic Desktop")
    writer.setPageLayout(page_layout())
    paint_summary(writer, sheet)


def paint_summary(device: QPagedPaintDevice, sheet: PatientSummarySheet) -> None:
    """Draw the summary on one page of `device` (a PDF writer or a printer chosen by the user)."""
    painter = QPainter(device)
    try:
        _SummaryPainter(painter, QRectF(0, 0, device.width(), device.height()), sheet).draw()
    finally:
        painter.end()


class _SummaryPainter:
    """Lays the page out top to bottom; coordinates are device pixels."""

    def __init__(self, painter: QPainter, page: QRectF, sheet: PatientSummarySheet) -> None:
        self.p, self.page, self.sheet = painter, page, sheet
        self.mm = painter.device().logicalDpiY() / 25.4
        self.line = LINE_MM * self.mm
        self.unit = sheet.record.glucose_unit or GlucoseUnit.MG_DL
        self.formats = Formats(sheet.locale)  # the clinic's, carried by the sheet
        self.zone = sheet.printed_at.tzinfo or UTC  # the clinic's zone: the sheet's instants are in it

    # --- primitives ------------------------------------------------------------------------------

    def _font(self, points: float, bold: bool) -> QFont:
        font = QFont("DejaVu Sans")
        font.setPointSizeF(points)
        font.setBold(bold)
        return font

    def text(self, x: float, y: float, width: float, text: str, *, points: float = 9, bold: bool = False,
             colour: str = INK, right: bool = False, height: float | None = None) -> None:
        """One line, elided to `width` (nothing ever wraps onto space that was not planned)."""
        font = self._font(points, bold)
        self.p.setFont(font)
        self.p.setPen(QColor(colour))
        shown = QFontMetricsF(font, self.p.device()).elidedText(text, Qt.TextElideMode.ElideRight, width)
        align = (Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft) | Qt.AlignmentFlag.AlignVCenter
        self.p.drawText(QRectF(x, y, width, height or self.line), int(align), shown)

    def rule(self, y: float, colour: str = ACCENT, weight_mm: float = 0.4) -> None:
        self.p.setPen(QPen(QColor(colour), weight_mm * self.mm))
        self.p.drawLine(int(self.page.left()), int(y), int(self.page.right()), int(y))

    def section(self, y: float, title: str) -> float:
        self.text(0, y, self.page.width(), title, points=10.5, bold=True, colour=ACCENT, height=6 * self.mm)
        self.rule(y + 6 * self.mm, "#c5cae9", 0.25)
        return y + 7 * self.mm

    def pairs(self, y: float, items: list[tuple[str, str]], *, columns: int = 3, colours: dict[str, str] | None = None
              ) -> float:
        """Label/value pairs in `columns` columns, one line each."""
        width = self.page.width() / columns
        for i, (label, value) in enumerate(items):
            x, top = (i % columns) * width, y + (i // columns) * self.line
            self.text(x, top, 26 * self.mm, label, points=8, colour=MUTED)
            self.text(x + 26 * self.mm, top, width - 28 * self.mm, value or "—", points=9, bold=True,
                      colour=(colours or {}).get(label, INK))
        return y + -(-len(items) // columns) * self.line + GAP_MM * self.mm

    def lines(self, y: float, entries: list[str], budget: int, more_text: str, extra: int = 0) -> float:
        """At most `budget` lines; what does not fit is counted on the last one."""
        budget = max(budget, 1)
        hidden = len(entries) + extra - budget
        shown = entries if hidden <= 0 else entries[: budget - 1]
        for entry in shown:
            self.text(2 * self.mm, y, self.page.width() - 2 * self.mm, entry)
            y += self.line
        if hidden > 0:
            self.text(2 * self.mm, y, self.page.width(), more_text.format(n=len(entries) + extra - len(shown)),
                      bold=True, colour=MUTED)
            y += self.line
        return y + GAP_MM * self.mm

    # --- page ----------------------------------------------------------------------------------

    def draw(self) -> None:
        s = self.sheet
        y = self._header(self.page.top())
        y = self._demographics(y)
        if s.clinical:
            y = self._diabetes(y)
            y = self._glucose(y)
        y = self._care_team(y)
        appointments = self._appointment_lines()
        appointment_lines = min(len(appointments) + (1 if s.more_appointments else 0), 5) or 1
        footer_top = self.page.bottom() - FOOTER_MM * self.mm
        if s.clinical:
            reserved = 7 * self.mm + appointment_lines * self.line + GAP_MM * self.mm  # the appointments section
            room = footer_top - y - reserved - 7 * self.mm - self.line - GAP_MM * self.mm
            y = self._medications(y, max(1, int(room // self.line)))
        y = self.section(y, "Upcoming appointments")
        if appointments:
            self.lines(y, appointments, appointment_lines, "… and {n} more booked appointment(s)", s.more_appointments)
        else:
            self.lines(y, ["No appointment booked."], 1, "")
        self._footer(footer_top)

    def _header(self, y: float) -> float:
        s, r, w = self.sheet, self.sheet.record, self.page.width()
        title = "Patient summary" if s.clinical else "Patient summary (demographics only)"
        self.text(0, y, w * 0.72, title, points=16, bold=True, height=9 * self.mm)
        self.text(w * 0.72, y, w * 0.28, s.clinic_name, points=10, colour=MUTED, right=True, height=9 * self.mm)
        age = f" ({r.header.age} years)" if r.header else ""
        who = f"{r.display_name}   ·   MRN {r.mrn}   ·   born {self.formats.date(r.date_of_birth)}{age}"
        self.text(0, y + 9 * self.mm, w, who, points=11.5, bold=True, height=7 * self.mm)
        bottom = y + 17 * self.mm
        if r.archived:
            self.text(0, bottom - 1 * self.mm, w, "ARCHIVED RECORD — not in the active patient list", points=9,
                      bold=True, colour=ALERT)
            bottom += self.line
        self.rule(bottom, ACCENT, 0.6)
        return bottom + 2 * self.mm

    def _demographics(self, y: float) -> float:
        r = self.sheet.record
        y = self.section(y, "Demographics")
        address = ", ".join(line.strip() for line in (r.address or "").splitlines() if line.strip())
        y = self.pairs(y, [("Phone", format_phone(r.phone_e164)), ("E-mail", r.email or ""),
                           ("Date of birth", self.formats.date(r.date_of_birth)),
                           ("Sex", r.sex.value.capitalize())], columns=2)
        y -= GAP_MM * self.mm
        return self.pairs(y, [("Address", address)], columns=1)

    def _diabetes(self, y: float) -> float:
        r, f = self.sheet.record, self.formats
        y = self.section(y, "Diabetes")
        hba1c, colour = "not recorded", INK
        if r.last_hba1c is not None:
            hba1c = f"{r.last_hba1c} %" + (f" on {f.date(r.last_hba1c_on)}" if r.last_hba1c_on else "")
            if r.target_hba1c is not None:
                gap = r.last_hba1c - r.target_hba1c
                verdict = f"above target by {gap} %" if gap > 0 else "at or below target"
                hba1c += f"  —  target {r.target_hba1c} %, {verdict}"
                colour = ALERT if gap > 0 else GOOD
        last = "none recorded"
        if r.header and r.header.last_glucose_mgdl is not None:
            at = r.header.last_glucose_at
            last = format_glucose(r.header.last_glucose_mgdl, self.unit) + (
                f" on {f.instant(at, self.zone)}" if at else "")
        y = self.pairs(y, [
            ("Type", r.diabetes_type.label if r.diabetes_type else "not recorded"),
            ("Diagnosed", f.date(r.diagnosed_on, "not recorded")),
            ("Management", MANAGEMENT.get(r.management_mode.value, r.management_mode.value) if r.management_mode
             else "not recorded"),
        ], columns=3)
        y -= GAP_MM * self.mm
        return self.pairs(y, [("HbA1c", hba1c), ("Last glucose", last)], columns=1, colours={"HbA1c": colour})

    def _glucose(self, y: float) -> float:
        y = self.section(y, f"Glucose, last {GLUCOSE_DAYS} days")
        g: GlucoseMetrics | None = self.sheet.glucose
        if g is None or g.readings == 0:
            return self.lines(y, [f"No glucose readings in the last {GLUCOSE_DAYS} days."], 1, "")
        low, high = format_glucose(70, self.unit, with_unit=False), format_glucose(180, self.unit)
        ranges = g.ranges
        pct = lambda v: "—" if v is None else f"{v:.0f} %"  # noqa: E731
        items = [
            ("Mean glucose", format_glucose(g.mean_mgdl, self.unit)),
            ("GMI", "—" if g.gmi_percent is None else f"{g.gmi_percent:.1f} %"),
            ("Variability (CV)", pct(g.cv_percent)),
            ("Time in range", pct(ranges.in_range if ranges else None)),
            (f"Below {low}", pct(ranges.very_low + ranges.low if ranges else None)),
            ("Above range", pct(ranges.high + ranges.very_high if ranges else None)),
        ]
        colours = {}
        if ranges is not None:
            colours["Time in range"] = GOOD if ranges.in_range >= 70 else ALERT
            colours[f"Below {low}"] = ALERT if ranges.very_low + ranges.low >= 4 else INK
        y = self.pairs(y, items, columns=3, colours=colours)
        enough = g.sufficiency
        data = (f"Target range {low}–{high}   ·   {g.readings:,} readings on {enough.days_text} of {GLUCOSE_DAYS} days "
                f"({enough.active_text} sensor wear)")
        if not enough.met:
            data += f" — less than {rule_text()}: interpret with care"
        y -= GAP_MM * self.mm
        self.text(2 * self.mm, y, self.page.width(), data, points=8, colour=MUTED if enough.met else ALERT)
        return y + self.line + GAP_MM * self.mm

    def _care_team(self, y: float) -> float:
        team = self.sheet.record.care_team
        y = self.section(y, "Care team")
        entries = [f"Dr {d.display_name.removeprefix('Dr ')}" + ("  (responsible doctor)" if d.responsible else "")
                   + (f"  —  {d.specialty}" if d.specialty else "") for d in team.doctors]
        for c in team.caregivers:
            may = ", ".join(PERMISSIONS.get(p, p) for p in c.permissions) or "nothing yet"
            details = "  —  ".join(x for x in (c.relationship, format_phone(c.phone_e164)) if x)
            entries.append(f"Caregiver {c.display_name}" + (f"  —  {details}" if details else "") + f"  —  may {may}")
        if not entries:
            entries = ["No doctors or caregivers linked."]
        return self.lines(y, entries, MAX_CARE_TEAM_LINES, "… and {n} more member(s) of the care team")

    def _medications(self, y: float, budget: int) -> float:
        meds = self.sheet.medications
        y = self.section(y, f"Active medications ({len(meds)})")
        if not meds:
            return self.lines(y, ["No active medications."], 1, "")
        w = self.page.width()
        budget = max(1, budget)
        hidden = len(meds) - budget
        shown = meds if hidden <= 0 else meds[: budget - 1]
        for m in shown:
            self.text(2 * self.mm, y, w * 0.38, m.drug, bold=True)
            self.text(w * 0.40, y, w * 0.30, m.schedule)
            self.text(w * 0.71, y, w * 0.29, m.instructions or "", colour=MUTED)
            y += self.line
        if hidden > 0:
            self.text(2 * self.mm, y, w, f"… and {len(meds) - len(shown)} more active medications "
                      "(see the medication list)", bold=True, colour=MUTED)
            y += self.line
        return y + GAP_MM * self.mm

    def _appointment_lines(self) -> list[str]:
        s = self.sheet
        out = []
        for a in s.appointments:
            when = self.formats.instant(a.starts_at, self.zone)
            reason = f"  —  {a.reason.value.replace('_', ' ')}" if a.reason else ""
            out.append(f"{when}  —  {a.doctor_name}{reason}")
        return out

    def _footer(self, top: float) -> None:
        s, w = self.sheet, self.page.width()
        self.rule(top + 1 * self.mm, "#9e9e9e", 0.25)
        printed = self.formats.instant(s.printed_at, self.zone)
        self.text(0, top + 2 * self.mm, w * 0.8, f"{s.clinic_name}   ·   Printed by {s.printed_by} on {printed}",
                  points=8, colour=MUTED)
        self.text(w * 0.8, top + 2 * self.mm, w * 0.2, "Page 1 of 1", points=8, colour=MUTED, right=True)
        note = ("Confidential patient information." if s.clinical else
                "Confidential patient information. Clinical details are not included for your role.")
        self.text(0, top + 2 * self.mm + self.line, w, note, points=7.5, colour=MUTED)
