"""Dialect helpers shared by repositories, and the hot path's prepared statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

R = TypeVar("R")


def to_record(record_type: type[R], row: Any, prefix: str = "") -> R:
    """A plain record from a result row whose columns carry the record's field names
    (after ``prefix``, for rows that join two tables)."""
    return from_mapping(record_type, row._mapping, prefix)


def from_mapping(record_type: type[R], mapping: Mapping[str, Any], prefix: str = "") -> R:
    """A plain record from column values keyed by the record's field names."""
    return record_type(**{f.name: mapping[prefix + f.name] for f in fields(record_type)})  # type: ignore[arg-type]


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upsert_insert(db: AsyncConnection, table: Any) -> Any:
    """An INSERT that supports ``on_conflict_do_*`` on the connection's backend."""
    return _insert_for(db.dialect.name)(table)


def _insert_for(backend: str) -> Callable[[Any], Any]:
    insert = _INSERTS.get(backend)
    if insert is None:
        raise RuntimeError(f"unsupported database backend: {backend}")
    return insert


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one prepared statement did: rows changed, and the rows it returned."""

    rowcount: int
    rows: list[dict[str, Any]]


class Prepared:
    """A hot-path statement, built once per backend from named ``bindparam``\\ s.

    ``build`` gets the backend's upsert-capable ``insert`` and returns the
    statement. On PostgreSQL the built statement runs through SQLAlchemy (its
    compiled cache then serves every update). On SQLite it is also compiled
    once, to the driver's SQL and converters, so that :func:`trip` can run
    several such statements in one visit to the connection's thread instead
    of three or four thread hops per statement.
    """

    def __init__(self, build: Callable[[Callable[[Any], Any]], Any]) -> None:
        self._build = build
        self._statements: dict[str, Any] = {}
        self._sqlite: _SqliteForm | None = None

    def statement(self, backend: str) -> Any:
        statement = self._statements.get(backend)
        if statement is None:
            statement = self._statements[backend] = self._build(_insert_for(backend))
        return statement

    def sqlite_form(self, dialect: Dialect) -> _SqliteForm:
        if self._sqlite is None:
            self._sqlite = _SqliteForm.compile(self.statement("sqlite"), dialect)
        return self._sqlite


@dataclass(frozen=True, slots=True)
class _SqliteForm:
    """A statement as the sqlite3 module takes it: SQL, positional parameters, and
    the converters SQLAlchemy's column types would apply both ways."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]
    to_db: dict[str, Callable[[Any], Any]]
    columns: tuple[str, ...]
    from_db: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect) -> _SqliteForm:
        compiled = statement.compile(dialect=dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("prepared statements take no Python-side callable defaults")
        binds = compiled.binds
        names = tuple(compiled.positiontup or ())
        to_db = {}
        for name in set(names):
            processor = binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                to_db[name] = processor
        returned = list(statement.exported_columns)  # RETURNING's, for DML
        return cls(
            sql=compiled.string,
            names=names,
            fixed={name: bind.value for name, bind in binds.items() if not bind.required},
            to_db=to_db,
            columns=tuple(column.name for column in returned),
            from_db=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in returned
            ),
        )

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name in self.names:
            value = values[name] if name in values else self.fixed[name]
            processor = self.to_db.get(name)
            out.append(processor(value) if processor is not None else value)
        return tuple(out)

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        return {
            name: convert(value) if convert is not None else value
            for name, convert, value in zip(self.columns, self.from_db, raw, strict=True)
        }


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a trip. A ``gate`` that changes no row ends the trip there
    (a claim that finds the update already handled skips the rest)."""

    prepared: Prepared
    values: Mapping[str, Any]
    gate: bool = False


async def trip(db: AsyncConnection, steps: Sequence[Step]) -> list[Outcome]:
    """Run prepared statements in order, in the connection's transaction.

    On SQLite they all run in one visit to the driver's thread; elsewhere one
    after the other. Outcomes of steps skipped after a closed gate are missing.
    """
    if db.dialect.name == "sqlite":
        driver = (await db.get_raw_connection()).driver_connection
        # aiosqlite's thread hand-off (``_execute``) and its sqlite3 connection
        # (``_conn``) are internals: with a release that lacks them, one hop each.
        if hasattr(driver, "_execute") and hasattr(driver, "_conn"):
            return await _sqlite_trip(db, driver, steps)
    outcomes = []
    for step in steps:
        result = await db.execute(step.prepared.statement(db.dialect.name), dict(step.values))
        rows = [dict(row._mapping) for row in result] if result.returns_rows else []
        outcomes.append(Outcome(result.rowcount, rows))
        if step.gate and result.rowcount == 0:
            break
    return outcomes


async def _sqlite_trip(db: AsyncConnection, driver: Any, steps: Sequence[Step]) -> list[Outcome]:
    dialect = db.dialect
    forms = [step.prepared.sqlite_form(dialect) for step in steps]
    calls = []
    for form, step in zip(forms, steps, strict=True):
        try:
            calls.append((form.sql, form.parameters(step.values)))
        except Exception as error:  # a value the column type refuses (a naive time),
            # reported as SQLAlchemy would report it on any other path
            raise StatementError(str(error), form.sql, dict(step.values), error) from error
    gates = [step.gate for step in steps]
    # The aiosqlite connection runs every call it is given in its own thread, in
    # order; the sqlite3 connection there is the one SQLAlchemy's transaction uses.

    def run() -> list[tuple[int, list[Any]]]:
        results = []
        for (sql, parameters), gate in zip(calls, gates, strict=True):
            cursor = driver._conn.execute(sql, parameters)
            rows = cursor.fetchall()
            changed = cursor.rowcount
            cursor.close()
            results.append((changed, rows))
            if gate and changed == 0:
                break
        return results

    try:
        raw = await driver._execute(run)
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            "; ".join(sql for sql, _ in calls), None, error, sqlite3.Error, dialect=dialect
        ) from error
    return [
        Outcome(rowcount, [form.row(values) for values in rows])
        for form, (rowcount, rows) in zip(forms, raw, strict=False)
    ]
