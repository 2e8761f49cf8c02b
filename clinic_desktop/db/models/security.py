"""Client request ids: a retried write after an ambiguous failure never creates a second record."""

from __future__ import annotations

import uuid

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, ClinicOwnedMixin, TimestampMixin


class ClientRequest(ClinicOwnedMixin, TimestampMixin, Base):
    """A write the client identified with its own UUID; stored in the same transaction as the write."""

    __tablename__ = "client_request"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
