"""Clinic Desktop: a desktop application with which a diabetes clinic runs its day."""

__version__ = "0.1.0"
