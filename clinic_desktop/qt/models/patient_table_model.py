"""The patient list's table model: lazy keyset fetching with a bounded window of rows in memory.

Qt asks `canFetchMore`/`fetchMore` as the view nears the end; each fetch is one keyset page
(`PatientService.list_page(after=…)`) run on a worker. Only the last `max_cached_pages` pages
touched are kept as DTOs; for every page the model remembers just its keyset anchor (the sort
key of the row before it), so a page scrolled away from and back to is fetched again from its
anchor. Memory therefore depends on the window, not on how far the user scrolled.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from ...services.patient_dto import PatientFilters, PatientPage, PatientRow, PatientSort
from ..formats import Formats
from ..workers import TaskRunner

COL_MRN, COL_NAME, COL_BORN, COL_TYPE, COL_DOCTOR, COL_LAST_VISIT, COL_NEXT, COL_GLUCOSE, COL_RISK = range(9)
HEADERS = ("MRN", "Name", "Born (age)", "Diabetes type", "Doctor", "Last visit", "Next appointment",
           "Last glucose", "Risk")
CLINICAL_COLUMNS = (COL_TYPE, COL_GLUCOSE, COL_RISK)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_ROLE = Qt.ItemDataRole.UserRole + 3
PLACEHOLDER = "…"
RISK_COLOURS = {"Emergency": QColor("#ef9a9a"), "Low glucose": QColor("#ffcdd2"),
                "High glucose": QColor("#ffe0b2"), "High HbA1c": QColor("#fff3c4")}
#: Which server sort each sortable column maps to, by Qt sort order.
COLUMN_SORTS = {
    COL_NAME: (PatientSort.NAME, PatientSort.NAME_DESC),
    COL_BORN: (PatientSort.AGE_DESC, PatientSort.AGE),  # ascending birth date = oldest first
    COL_LAST_VISIT: (PatientSort.LAST_VISIT, PatientSort.LAST_VISIT),
}

PageFetcher = Callable[[Any, int, PatientSort, PatientFilters], PatientPage]


class PatientTableModel(QAbstractTableModel):
    """Rows of the patient list, fetched page by page in the background."""

    loading_changed = Signal(bool)
    load_failed = Signal(object)  # the exception
    first_page_loaded = Signal()

    def __init__(
        self, fetch: PageFetcher, *, locale: str = "en_US", formats: Formats | None = None, timezone: str = "UTC",
        page_size: int = 200, max_cached_pages: int = 10, parent=None,  # noqa: ANN001
    ) -> None:
        """Dates read as `formats` says (or, given only `locale`, as `Formats(locale)` does)."""
        super().__init__(parent)
        self._fetch = fetch
        self._formats, self._zone = formats or Formats(locale), ZoneInfo(timezone)
        self.page_size, self.max_cached_pages = page_size, max(2, max_cached_pages)
        self._append_runner, self._reload_runner = TaskRunner(self), TaskRunner(self)
        self.sort_order, self.filters = PatientSort.NAME, PatientFilters()
        self.clinical_visible = True
        self._clear()

    def _clear(self) -> None:
        self._anchors: list[Any] = [None]  # anchors[k]: keyset position before page k
        self._pages: OrderedDict[int, tuple[PatientRow, ...]] = OrderedDict()
        self._rows = 0
        self._has_more = True
        self._appending = False
        self._reloading: int | None = None

    def set_locale(self, locale: str) -> None:
        """Dates are shown the clinic's way (known only after the first background call)."""
        self._formats = Formats(locale)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(self._rows - 1, len(HEADERS) - 1))

    # --- loading -------------------------------------------------------------------------------

    def reload(self, *, sort: PatientSort | None = None, filters: PatientFilters | None = None) -> None:
        """Start again from the first page (new sort, filters, or data changed elsewhere)."""
        self._append_runner.cancel()
        self._reload_runner.cancel()
        self.beginResetModel()
        self.sort_order = sort or self.sort_order
        self.filters = filters or self.filters
        self._clear()
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._has_more and not self._appending

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if not self.canFetchMore(parent):
            return
        self._appending = True
        self.loading_changed.emit(True)
        page_no, after = len(self._anchors) - 1, self._anchors[-1]
        sort, filters, size = self.sort_order, self.filters, self.page_size
        self._append_runner.run(lambda state: self._fetch(after, size, sort, filters),
                                lambda page: self._appended(page_no, page), self._failed)

    def _appended(self, page_no: int, page: PatientPage) -> None:
        # `_appending` stays set until the rows are in: views (and qtmodeltester) may call
        # fetchMore from inside the insert notifications.
        self.clinical_visible = page.clinical_visible
        rows = page.rows
        if rows:
            self.beginInsertRows(QModelIndex(), self._rows, self._rows + len(rows) - 1)
            self._pages[page_no] = rows
            self._anchors.append(rows[-1].sort_key)
            self._rows += len(rows)
            self._has_more = page.has_more
            self.endInsertRows()
            self._evict(keep=page_no)
        else:
            self._has_more = False
        self._appending = False
        self.loading_changed.emit(False)
        if page_no == 0:
            self.first_page_loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._appending = False
        self._reloading = None
        self._has_more = False  # stop asking; the pane offers to retry (reload)
        self.loading_changed.emit(False)
        self.load_failed.emit(exc)

    def _request_page(self, page_no: int) -> None:
        """A page that was evicted is visible again: fetch it from its anchor."""
        if self._reloading == page_no or page_no >= len(self._anchors) - 1:
            return
        self._reloading = page_no
        after, sort, filters, size = self._anchors[page_no], self.sort_order, self.filters, self.page_size
        self._reload_runner.run(lambda state: self._fetch(after, size, sort, filters),
                                lambda page: self._reloaded(page_no, page), self._failed)

    def _reloaded(self, page_no: int, page: PatientPage) -> None:
        self._reloading = None
        first = page_no * self.page_size
        expected = min(self.page_size, self._rows - first)
        if expected <= 0:
            return
        self._pages[page_no] = page.rows[:expected]  # rows added meanwhile wait for the next refresh
        self._evict(keep=page_no)
        self.dataChanged.emit(self.index(first, 0), self.index(first + expected - 1, len(HEADERS) - 1))

    def _evict(self, *, keep: int) -> None:
        self._pages.move_to_end(keep)
        while len(self._pages) > self.max_cached_pages:
            self._pages.popitem(last=False)

    @property
    def cached_rows(self) -> int:
        """How many row DTOs are held right now (bounded by the window)."""
        return sum(len(rows) for rows in self._pages.values())

    # --- Qt model API ------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def row_at(self, row: int) -> PatientRow | None:
        """The DTO of `row` if it is in the window (else None, and it is being fetched)."""
        if not 0 <= row < self._rows:
            return None
        page_no = row // self.page_size
        rows = self._pages.get(page_no)
        if rows is None:
            self._request_page(page_no)
            return None
        self._pages.move_to_end(page_no)
        offset = row - page_no * self.page_size
        return rows[offset] if offset < len(rows) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.column() < len(HEADERS)):
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, SORT_ROLE, ID_ROLE, ROW_ROLE, Qt.ItemDataRole.BackgroundRole,
                        Qt.ItemDataRole.ToolTipRole):
            return None
        row = self.row_at(index.row())
        if row is None:
            return PLACEHOLDER if role == Qt.ItemDataRole.DisplayRole and index.column() == COL_NAME else None
        if role == ID_ROLE:
            return row.id
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return self._sort_value(row, index.column())
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = RISK_COLOURS.get(row.risk or "") if index.column() == COL_RISK else None
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Archived record" if row.archived else None
        return self._display(row, index.column())

    def _display(self, row: PatientRow, column: int) -> str:
        if column == COL_MRN:
            return row.mrn
        if column == COL_NAME:
            return row.display_name + (" (archived)" if row.archived else "")
        if column == COL_BORN:
            return f"{self._formats.date(row.date_of_birth)} ({row.age})"
        if column == COL_TYPE:
            return row.diabetes_type.label if row.diabetes_type else "—"
        if column == COL_DOCTOR:
            return row.doctor_name or "—"
        if column == COL_LAST_VISIT:
            return self._formats.date(row.last_visit_on, "never")
        if column == COL_NEXT:
            return self._formats.instant(row.next_appointment_at, self._zone, "none booked")
        if column == COL_GLUCOSE:
            return "—" if row.last_glucose_mgdl is None else f"{row.last_glucose_mgdl:.0f} mg/dL"
        return row.risk or ""

    @staticmethod
    def _sort_value(row: PatientRow, column: int) -> Any:
        values = {COL_MRN: row.mrn, COL_NAME: row.display_name.casefold(), COL_BORN: row.date_of_birth,
                  COL_TYPE: row.diabetes_type.value if row.diabetes_type else "", COL_DOCTOR: row.doctor_name or "",
                  COL_LAST_VISIT: row.last_visit_on.isoformat() if row.last_visit_on else "",
                  COL_NEXT: row.next_appointment_at.isoformat() if row.next_appointment_at else "",
                  COL_GLUCOSE: row.last_glucose_mgdl if row.last_glucose_mgdl is not None else -1.0,
                  COL_RISK: row.risk or ""}
        value = values[column]
        return value.isoformat() if hasattr(value, "isoformat") else value

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort on the server (keyset index per order); other columns keep the current order."""
        choice = COLUMN_SORTS.get(column)
        if choice is None:
            return
        target = choice[0] if order == Qt.SortOrder.AscendingOrder else choice[1]
        if target != self.sort_order or self._rows == 0:
            self.reload(sort=target)

    def wait_idle(self, msecs: int = 30_000) -> bool:
        return self._append_runner.wait_idle(msecs)
