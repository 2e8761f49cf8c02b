"""Database layer: engine and pool, units of work, ORM models, queries, migrations, local server."""
