"""Is there enough CGM data for the consensus metrics? One rule, one rounding, one verdict.

International consensus (Battelino et al., Diabetes Care 2019; Danne et al. 2017): at least
14 days of data with at least 70 % of the possible readings. Days of data are counted from the
first to the last reading in the window (iglu's `active_percent` ndays); the active percent is
readings / possible readings in the window. Both are rounded once, to what the screen shows
(0.1 day, 0.1 %), and the verdict is taken on those rounded figures: a window shown as
"14.0 days" is met everywhere it is shown, and 13.9 is not met anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_DAYS = 14.0
MIN_ACTIVE_PERCENT = 70.0
DAYS_DECIMALS = 1
ACTIVE_DECIMALS = 1


@dataclass(frozen=True)
class DataSufficiency:
    """Days of data and CGM active time as shown (already rounded), and the consensus verdict."""

    days: float
    active_percent: float

    @property
    def days_met(self) -> bool:
        """At least 14 days of data (as shown)."""
        return self.days >= MIN_DAYS

    @property
    def active_met(self) -> bool:
        """At least 70 % of possible readings (as shown)."""
        return self.active_percent >= MIN_ACTIVE_PERCENT

    @property
    def met(self) -> bool:
        """Enough data for the consensus metrics."""
        return self.days_met and self.active_met

    @property
    def days_text(self) -> str:
        """Days of data as every screen and report shows them, e.g. "14.0"."""
        return f"{self.days:.{DAYS_DECIMALS}f}"

    @property
    def active_text(self) -> str:
        """CGM active time as shown, e.g. "96.7 %"."""
        return f"{self.active_percent:.{ACTIVE_DECIMALS}f} %"


def assess_sufficiency(*, days: float, active_percent: float) -> DataSufficiency:
    """The verdict for measured days of data and active percent, rounded as they will be shown."""
    return DataSufficiency(round(days, DAYS_DECIMALS), round(active_percent, ACTIVE_DECIMALS))


def rule_text() -> str:
    """The rule in words, for warnings: "14 days / 70 % data"."""
    return f"{MIN_DAYS:.0f} days / {MIN_ACTIVE_PERCENT:.0f} % data"
