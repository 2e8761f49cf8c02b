"""The test process and its PostgreSQL server agree on the time — also under `tests.time_travel`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text


def test_the_server_and_the_test_process_agree_on_now(database) -> None:  # noqa: ANN001
    with database.engine.connect() as conn:
        server_now = conn.scalar(text("SELECT now()"))
    # Under time travel both start at the same faked instant and run on; a server left on the real
    # clock would be months or years away.
    assert abs(server_now - datetime.now(UTC)) < timedelta(minutes=5)
