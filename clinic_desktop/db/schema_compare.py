"""The schema as the database stores it, for alembic's autogenerate comparison.

The models describe what the app reads and writes. One table is stored under another name:
`glucose_reading` is a view in `public` over `glucose_internal.glucose_reading` (revision 0007:
the view isolates clinics so that TimescaleDB may compress the table). Autogenerate reflects
tables, not views, so it compares the model against the table behind the view.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData

from .base import metadata

# model table -> schema of the table behind the same-named view in public
STORED_BEHIND_VIEW = {"glucose_reading": "glucose_internal"}
_COMPARED_SCHEMAS = {None, "public", *STORED_BEHIND_VIEW.values()}


def comparison_metadata() -> MetaData:
    """A copy of the models' metadata with each view-backed table in the schema that stores it."""
    import clinic_desktop.db.models  # noqa: F401 - registers every table on the metadata

    copy = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(
            copy,
            schema=STORED_BEHIND_VIEW.get(table.name, table.schema),
            referred_schema_fn=lambda _table, _to, _constraint, referred: referred,
        )
    return copy


def _include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    if type_ == "schema":
        return name in _COMPARED_SCHEMAS
    return True


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # The internal schema also holds the time-series aggregates and roll-ups (not models).
    if type_ == "table" and reflected and compare_to is None and getattr(obj, "schema", None) not in (None, "public"):
        return False
    return True


def autogenerate_options() -> dict[str, Any]:
    """Options for `MigrationContext.configure(opts=…)` or `context.configure(**…)`."""
    return {"include_schemas": True, "include_name": _include_name, "include_object": _include_object}
