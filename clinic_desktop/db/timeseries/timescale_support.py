"""Whether a server can give the glucose readings a TimescaleDB hypertable: the one rule.

The migration that creates the glucose tables (0002) and the setup wizard's "Check connection"
both decide with `timescale_support`, so the check never promises a hypertable the migration will
not make. TimescaleDB needs its extension files installed (pg_available_extensions) AND its
library loaded at server start (shared_preload_libraries); without the latter CREATE EXTENSION
fails, so the migration builds plain PostgreSQL tables.

Whether the library is loaded is read from pg_settings (the loader registers
`timescaledb.max_background_workers` as an integer setting), not from SHOW
shared_preload_libraries: only superusers and pg_read_all_settings may read that, and neither the
wizard's account nor the database owner running the migrations needs to be one.
"""

from __future__ import annotations

from enum import Enum

#: One row: is the extension installed; is its library loaded into the server.
SUPPORT_QUERY = (
    "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'), "
    "EXISTS (SELECT 1 FROM pg_settings WHERE name = 'timescaledb.max_background_workers' AND vartype = 'integer')"
)


class TimescaleSupport(Enum):
    """What TimescaleDB can do on a server, before any clinic schema exists."""

    NOT_INSTALLED = "not_installed"
    NOT_PRELOADED = "not_preloaded"
    USABLE = "usable"


def timescale_support(available: bool, loaded: bool) -> TimescaleSupport:
    """The support level from the two columns of SUPPORT_QUERY."""
    if not available:
        return TimescaleSupport.NOT_INSTALLED
    if not loaded:
        return TimescaleSupport.NOT_PRELOADED
    return TimescaleSupport.USABLE
