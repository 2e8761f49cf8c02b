"""Glucose time-series backend: one interface, TimescaleDB or plain PostgreSQL (chosen at connect time)."""

from .backend import BandStats, SeriesArrays, TimeSeriesBackend, backend_for
from .plain_backend import PlainBackend
from .timescale_backend import TimescaleBackend

__all__ = ["BandStats", "PlainBackend", "SeriesArrays", "TimeSeriesBackend", "TimescaleBackend", "backend_for"]
