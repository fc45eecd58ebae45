"""Dialect helpers shared by repositories."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

R = TypeVar("R")


def to_record(record_type: type[R], row: Any, prefix: str = "") -> R:
    """A plain record from a result row whose columns carry the record's field names
    (after ``prefix``, for rows that join two tables)."""
    mapping = row._mapping
    return record_type(**{f.name: mapping[prefix + f.name] for f in fields(record_type)})  # type: ignore[arg-type]


def upsert_insert(db: AsyncConnection, table: Any) -> Any:
    """An INSERT that supports ``on_conflict_do_*`` on the connection's backend."""
    name = db.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database backend: {name}")
