"""A date axis that labels ticks in the clinic's time zone, whatever the workstation's zone is.

pyqtgraph's DateAxisItem places ticks with a fixed UTC offset (or the machine's local zone); we
feed it the clinic zone's offset at the middle of the visible range and format every label with
zoneinfo, so labels stay right across daylight-saving changes. Labels that name a day read the
clinic's way (`Formats`: "Tue 12/08", "Di. 08.12."), month names are the clinic's language;
time-of-day ticks are 24-hour "HH:MM".
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, tzinfo

import pyqtgraph as pg
from pyqtgraph.graphicsItems.DateAxisItem import ZoomLevel

from ..formats import Formats
from .chart_style import clinic_zone

#: A wide day (weekday and two-digit day and month) to size the labels of zoom levels that name days.
_WIDE_DAY = date(2000, 12, 27)


class ClinicDateAxis(pg.DateAxisItem):
    """Bottom axis of epoch seconds, shown in the clinic's local time."""

    def __init__(self, zone: tzinfo | str | None = None, *, formats: Formats, **kwargs) -> None:  # noqa: ANN003
        super().__init__(orientation="bottom", **kwargs)
        self.formats = formats
        self.zoomLevels = self._zoom_levels()
        self.set_zone(zone)

    def _zoom_levels(self) -> OrderedDict:
        """pyqtgraph's levels, with example texts as wide as our labels (so ticks are not crowded)."""
        day, weekday_day = self.formats.day_month(_WIDE_DAY), self.formats.weekday_day_month(_WIDE_DAY)
        examples = {"%d": day, "%a %d": weekday_day}
        levels: OrderedDict = OrderedDict()
        for density, level in self.zoomLevels.items():
            wide = [examples[s.format] for s in level.tickSpecs if s.format in examples]
            levels[density] = ZoomLevel(level.tickSpecs, max(wide + [level.exampleText], key=len))
        return levels

    def set_zone(self, zone: tzinfo | str | None) -> None:
        self.zone = zone if isinstance(zone, tzinfo) else clinic_zone(zone)
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):  # noqa: ANN001, ANN201, N802 - pyqtgraph API
        middle = (minVal + maxVal) / 2.0
        try:
            offset = datetime.fromtimestamp(middle, self.zone).utcoffset()
            # DateAxisItem wants seconds *west* of UTC, like time.timezone.
            self.utcOffset = -int(offset.total_seconds()) if offset is not None else 0
        except (OverflowError, OSError, ValueError):
            self.utcOffset = 0
        levels = super().tickValues(minVal, maxVal, size)
        return self._drop_crowded(levels)

    def _drop_crowded(self, levels: list) -> list:
        """Drop finer ticks that would overprint a coarser tick's label (e.g. '02' beside 'Apr')."""
        taken: list[float] = []
        result = []
        gap = getattr(self, "minSpacing", 0) * 0.9
        for spacing, ticks in levels:
            kept = [t for t in ticks if all(abs(t - other) >= gap for other in taken)]
            taken.extend(kept)
            result.append((spacing, kept))
        return result

    def tickStrings(self, values, scale, spacing):  # noqa: ANN001, ANN201, N802 - pyqtgraph API
        spec = next((s for s in self.zoomLevel.tickSpecs if s.spacing == spacing), None)
        kind = spec.format if spec is not None else ""
        labels = []
        for value in values:
            try:
                labels.append(self.tick_label(datetime.fromtimestamp(float(value), self.zone), kind))
            except (OverflowError, OSError, ValueError):
                labels.append("")
        return labels

    def tick_label(self, local: datetime, kind: str) -> str:
        """One tick's text; `kind` is pyqtgraph's strftime format for the tick level."""
        f = self.formats
        if kind == "%Y":
            return str(local.year)
        if kind == "%b":
            return f.month(local.date())
        if kind == "%d":
            return f.day_month(local.date())
        if kind == "%a %d":
            return f.weekday_day_month(local.date())
        if kind == "%H:%M":
            return f.time(local.time())
        if kind == "%H:%M:%S":
            return f.time(local.time(), seconds=True)
        if kind == "%S.%f":
            return f"{local.second:02d}.{local.microsecond // 1000:03d}"
        return f.instant(local, self.zone)  # a level pyqtgraph may add later: the full date and time
