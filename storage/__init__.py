"""Persistence: SQLAlchemy models, repositories and migrations.

Every SQL statement of Shequn lives here. Repositories return plain frozen
dataclasses (``storage.records``), never ORM objects, so callers cannot
trigger lazy loads or write through by accident.
"""
