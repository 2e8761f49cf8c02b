"""Plain-Python domain: enums, value objects, validation rules, units and glucose metrics.

Nothing here imports Qt, SQLAlchemy or any other layer of the application.
"""
