"""The clinic's due list as a lazy table model: one page on (re)load, the next ones as the view scrolls.

Each page is a keyset page of `MedicationService.doses_due_page`, fetched on a worker
(`canFetchMore`/`fetchMore`, as Qt views ask near the end of the rows). The first page carries the
day's counts. A reload supersedes a page still in flight, so a stale page never lands after a new
filter. A day is at most a few tens of thousands of small rows, so loaded rows are simply kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Signal

from ...services.medication_dto import DoseCounts, DoseCursor, DoseFilter, DosePage
from ..formats import Formats
from ..workers import TaskRunner
from .dose_table_model import DoseTableModel

#: fetch(filter, after, limit) → one page; runs on a worker thread.
PageFetcher = Callable[[DoseFilter, DoseCursor | None, int], DosePage]


class DosePageModel(DoseTableModel):
    """Doses in the server's order (time, patient, drug), fetched page by page in the background."""

    counts_changed = Signal(object)  # DoseCounts of the whole day
    load_failed = Signal(object)  # the exception
    loaded = Signal()  # a page arrived

    def __init__(self, fetch: PageFetcher, zone: tzinfo, parent=None, *, formats: Formats,  # noqa: ANN001
                 page_size: int = 200) -> None:
        super().__init__(zone, parent, formats=formats)
        self._fetch = fetch
        self.page_size = page_size
        self.runner = TaskRunner(self)
        self.where = DoseFilter()
        self.counts: DoseCounts | None = None
        self._cursor: DoseCursor | None = None
        self._fetching = False

    def reload(self, where: DoseFilter | None = None) -> None:
        """The list from its start: with a new filter as one page, or (data changed) as many rows as shown now,
        so the nurse keeps her place."""
        limit = self.page_size
        if where is not None and where != self.where:
            self.where = where
        else:
            limit = max(limit, len(self._rows))
        self._fetching = True
        fetch, current = self._fetch, self.where
        self.runner.run(lambda _state: fetch(current, None, limit), self._first, self._failed)

    def _first(self, page: DosePage) -> None:
        self.set_rows(page.doses)
        self._cursor, self._fetching = page.next_cursor, False
        self.counts = page.counts
        self.counts_changed.emit(page.counts)
        self.loaded.emit()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._cursor is not None and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        fetch, where, after, size = self._fetch, self.where, self._cursor, self.page_size
        self.runner.run(lambda _state: fetch(where, after, size), self._appended, self._failed)

    def _appended(self, page: DosePage) -> None:
        # `_fetching` stays set until the rows are in: a view may ask for more from inside the insert.
        if page.doses:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page.doses) - 1)
            self._rows.extend(page.doses)
            self._cursor = page.next_cursor
            self.endInsertRows()
        else:
            self._cursor = None
        self._fetching = False
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._fetching = False
        self._cursor = None  # stop asking; a refresh starts again
        self.load_failed.emit(exc)

    @property
    def has_more(self) -> bool:
        return self._cursor is not None
