"""Alembic environment: migrates the engine the app hands in, or CLINIC_DATABASE_URL.

`alembic upgrade head` from the repository root reads [tool.alembic] in pyproject.toml and
migrates the database named by the CLINIC_DATABASE_URL environment variable.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine, create_engine, pool

from clinic_desktop.db.schema_compare import autogenerate_options, comparison_metadata

config = context.config
target_metadata = comparison_metadata()


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    url = os.environ.get("CLINIC_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit(
            "Set CLINIC_DATABASE_URL to the database to migrate, e.g. "
            "postgresql+psycopg://owner@dbhost/clinic (the password from PGPASSWORD or ~/.pgpass)."
        )
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url, poolclass=pool.NullPool)


def run_migrations_offline() -> None:
    context.configure(url=os.environ.get("CLINIC_DATABASE_URL"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with _engine().connect() as conn:
        _run(conn)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        transaction_per_migration=True,
        compare_server_default=False,
        **autogenerate_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
