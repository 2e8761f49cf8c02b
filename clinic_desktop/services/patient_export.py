"""CSV export of the patient list as filtered and sorted on screen (csv module, UTF-8 with BOM
so spreadsheet programs detect the encoding). Written to a temporary file beside the target and
renamed at the end: a cancelled or failed export never leaves a partial file."""

from __future__ import annotations

import csv
import os
import tempfile
from typing import Any

from ..domain import patient_rules
from ..domain.actor import Actor
from .patient_dto import PatientFilters, PatientSort

DEMOGRAPHIC_HEADER = ["MRN", "Family, given name", "Date of birth", "Age", "Doctor", "Last visit", "Next appointment"]
CLINICAL_HEADER = ["Diabetes type", "Last glucose (mg/dL)", "Risk"]
PAGE = 1000


def _cell(value: str) -> str:
    """Cells starting with = + - @ are formulas to a spreadsheet: prefix them (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def export_patient_list(
    service: Any, actor: Actor, path: str, *, filters: PatientFilters, sort: PatientSort, locale: str,
    state: Any = None,
) -> int:
    """Write every patient of the list to `path`; returns the number of rows written."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".patients-", suffix=".csv.part", dir=directory)
    count, after = 0, None
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            clinical = None
            while True:
                if state is not None:
                    state.check_cancelled()
                page = service.list_page(actor, after=after, limit=PAGE, sort=sort, filters=filters)
                if clinical is None:
                    clinical = page.clinical_visible
                    writer.writerow(DEMOGRAPHIC_HEADER + (CLINICAL_HEADER if clinical else []))
                for row in page.rows:
                    cells = [row.mrn, row.display_name, patient_rules.format_date(row.date_of_birth, locale),
                             str(row.age), row.doctor_name or "", patient_rules.format_date(row.last_visit_on, locale),
                             row.next_appointment_at.isoformat(timespec="minutes") if row.next_appointment_at else ""]
                    if clinical:
                        cells += [row.diabetes_type.label if row.diabetes_type else "",
                                  "" if row.last_glucose_mgdl is None else f"{row.last_glucose_mgdl:.0f}", row.risk or ""]
                    writer.writerow([_cell(c) for c in cells])
                count += len(page.rows)
                if state is not None:
                    state.report(count, 0, f"Exported {count:,} patients…")
                if not page.has_more or not page.rows:
                    break
                after = page.rows[-1].sort_key
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return count
