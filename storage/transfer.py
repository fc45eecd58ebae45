"""Copying a community's data into another database: a pilot on the embedded SQLite
file moving to PostgreSQL for production (or back, for a local copy).

Rows are copied as they are, ids included, so every reference between them holds;
PostgreSQL's id sequences are then moved past the copied ids. The whole copy is one
transaction on the target, checked table by table before it commits: a row the
target refuses leaves it as empty as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import Executable

from storage.models import Base

#: Rows about the processes running on a database, not about the community.
RUNTIME_TABLES = frozenset({"replicas"})
#: Rows read and written per statement: large tables stream through in batches.
BATCH = 1000


class TargetNotEmpty(Exception):
    """The target already holds a community's data; a copy would mix two."""

    def __init__(self, held: dict[str, int]) -> None:
        super().__init__(", ".join(f"{name} {rows}" for name, rows in held.items()))
        self.held = held


class RowRefused(Exception):
    """The target refused a row of ``table`` (a value its types do not hold)."""

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(f"{table}: {reason}")
        self.table, self.reason = table, reason


class CountMismatch(Exception):
    """A table's rows on the target do not number those read from the source."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def community_tables() -> list[Table]:
    """The tables a copy carries, parents before the tables that refer to them."""
    return [t for t in Base.metadata.sorted_tables if t.name not in RUNTIME_TABLES]


async def held_rows(connection: AsyncConnection) -> dict[str, int]:
    """Rows per table that has any (the runtime's own tables aside)."""
    held: dict[str, int] = {}
    for table in community_tables():
        rows = await connection.scalar(select(func.count()).select_from(table))
        if rows:
            held[table.name] = int(rows)
    return held


async def copy_database(
    source: AsyncEngine,
    target: AsyncEngine,
    *,
    copied: Callable[[CopiedTable], None] = lambda _: None,
) -> list[CopiedTable]:
    """Copy every community table from ``source`` into ``target`` (both migrated to the
    same schema; ``target`` empty, else :class:`TargetNotEmpty`). ``copied`` hears of
    each table as it is done."""
    tables: list[CopiedTable] = []
    async with source.connect() as reading, target.begin() as writing:
        held = await held_rows(writing)
        if held:
            raise TargetNotEmpty(held)
        for table in community_tables():
            expected = int(await reading.scalar(select(func.count()).select_from(table)) or 0)
            rows = await _copy_table(table, reading, writing) if expected else 0
            written = int(await writing.scalar(select(func.count()).select_from(table)) or 0)
            if not rows == written == expected:
                raise CountMismatch(
                    f"{table.name}: {expected} rows in the source, {rows} read, {written} written"
                )
            if writing.dialect.name == "postgresql":
                await _move_sequence_past(table, writing)
            done = CopiedTable(table.name, rows)
            tables.append(done)
            copied(done)
    return tables


async def _copy_table(table: Table, reading: AsyncConnection, writing: AsyncConnection) -> int:
    """Stream ``table`` across in batches. A column that refers to its own table
    (``users.person_id``) is filled in after every row is there, so row order does
    not matter to the foreign key."""
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    key = [column.name for column in table.primary_key.columns]
    later: list[dict[str, Any]] = []
    count = 0
    result = await reading.stream(select(table).order_by(*table.primary_key.columns))
    async for batch in result.mappings().partitions(BATCH):
        rows = [dict(row) for row in batch]
        for row in rows:
            pointers = {name: row[name] for name in own if row[name] is not None}
            if pointers:
                later.append({**{f"key_{k}": row[k] for k in key}, **pointers})
                row.update(dict.fromkeys(pointers))
        await _write(table, writing, insert(table), rows)
        count += len(rows)
    for name in own:
        values = [
            {**{f"key_{k}": row[f"key_{k}"] for k in key}, f"new_{name}": row[name]}
            for row in later
            if name in row
        ]
        if values:
            statement = (
                update(table)
                .where(*(table.c[k] == bindparam(f"key_{k}") for k in key))
                .values({name: bindparam(f"new_{name}")})
            )
            await _write(table, writing, statement, values)
    return count


async def _write(
    table: Table, writing: AsyncConnection, statement: Executable, rows: list[dict[str, Any]]
) -> None:
    try:
        await writing.execute(statement, rows)
    except (DBAPIError, StatementError) as error:
        cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
        reason = (str(cause) or type(cause).__name__).splitlines()[0]
        raise RowRefused(table.name, reason) from error


async def _move_sequence_past(table: Table, writing: AsyncConnection) -> None:
    """The next id PostgreSQL hands out follows the largest copied one."""
    column = table.autoincrement_column
    if column is None:
        return
    await writing.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "
            f'COALESCE(MAX("{column.name}"), 1), MAX("{column.name}") IS NOT NULL) '
            f'FROM "{table.name}"'
        ),
        {"table": table.name, "column": column.name},
    )
