"""A date axis that labels ticks in the clinic's time zone, whatever the workstation's zone is.

pyqtgraph's DateAxisItem places ticks with a fixed UTC offset (or the machine's local zone); we
feed it the clinic zone's offset at the middle of the visible range and format every label with
zoneinfo, so labels stay right across daylight-saving changes.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

import pyqtgraph as pg

from .chart_style import clinic_zone


class ClinicDateAxis(pg.DateAxisItem):
    """Bottom axis of epoch seconds, shown in the clinic's local time."""

    def __init__(self, zone: tzinfo | str | None = None, **kwargs) -> None:  # noqa: ANN003
        super().__init__(orientation="bottom", **kwargs)
        self.set_zone(zone)

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
        fmt = spec.format if spec is not None else "%Y-%m-%d %H:%M"
        labels = []
        for value in values:
            try:
                text = datetime.fromtimestamp(float(value), self.zone).strftime(fmt)
            except (OverflowError, OSError, ValueError):
                text = ""
            if "%f" in fmt:
                text = text[:-3]
            labels.append(text)
        return labels
