"""The per-hour counters behind the console's charts (:class:`storage.models.ChatHour`),
bumped in the transaction that records what they count (points earned excepted:
those are counted from the ledger by a sweep)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ChatHour
from storage.repositories._sql import Prepared, Step, trip


def epoch_hour(at: datetime) -> int:
    """Whole hours since 1970-01-01 UTC."""
    return int(at.timestamp() // 3600)


def _build_bump(insert: Any, column: str) -> Any:
    table = ChatHour.__table__
    values = {"chat_id": bindparam("v_chat_id"), "hour": bindparam("v_hour"),
              **dict.fromkeys(COUNTERS, 0), column: bindparam("v_by")}  # fmt: skip
    statement = insert(table).values(**values)
    return statement.on_conflict_do_update(
        index_elements=["chat_id", "hour"],
        set_={column: table.c[column] + statement.excluded[column]},
    )


COUNTERS = ("messages", "points", "joins", "leaves")
_BUMPS = {name: Prepared(functools.partial(_build_bump, column=name)) for name in COUNTERS}


def counted(counter: str, chat_id: int, at: datetime, by: int = 1) -> Step:
    """The step adding ``by`` to the chat's ``counter`` in the hour of ``at``."""
    return Step(_BUMPS[counter], {"v_chat_id": chat_id, "v_hour": epoch_hour(at), "v_by": by})


async def count(db: AsyncConnection, counter: str, chat_id: int, at: datetime, by: int = 1) -> None:
    """Add ``by`` to a counter: a message, a join or a leave (points earned are
    counted from the ledger, :meth:`FiguresRepository.count_points_earned`)."""
    await trip(db, [counted(counter, chat_id, at, by)])
