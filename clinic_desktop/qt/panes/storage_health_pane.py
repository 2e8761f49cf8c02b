"""Administrators: the glucose time-series storage (TimescaleDB jobs, chunks, compression) at a glance."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..app_context import AppContext
from .glucose_storage_health_view import GlucoseStorageHealthView


class StorageHealthPane(GlucoseStorageHealthView):
    """The storage-health view bound to the signed-in administrator; loads when first shown."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        glucose, actor = context.services.glucose, context.actor
        super().__init__(lambda: glucose.storage_health(actor), context.session.clinic_timezone, parent,
                         formats=context.formats)
        self.load()
