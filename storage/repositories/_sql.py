"""Dialect helpers shared by repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert_insert(db: AsyncConnection, table: Any) -> Any:
    """An INSERT that supports ``on_conflict_do_*`` on the connection's backend."""
    name = db.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database backend: {name}")
