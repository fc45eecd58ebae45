"""Running replicas, their leases, and the locks that keep them out of each
other's way (see :mod:`storage.locks`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import locks
from storage.models import Replica
from storage.repositories._sql import upsert_insert


class ReplicaRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def beat(
        self, replica_id: str, *, host: str, pid: int, now: datetime, leader: bool
    ) -> None:
        """Renew ``replica_id``'s lease (registering it the first time)."""
        statement = upsert_insert(self._db, Replica).values(
            id=replica_id, host=host, pid=pid, started_at=now, seen_at=now, leader=leader
        )
        await self._db.execute(
            statement.on_conflict_do_update(
                index_elements=["id"], set_={"seen_at": now, "leader": leader}
            )
        )

    async def leave(self, replica_id: str) -> None:
        """A replica stopping gives up its lease: what it still holds is free at once."""
        await self._db.execute(delete(Replica).where(Replica.id == replica_id))

    async def forget_gone(self, before: datetime) -> int:
        """Rows of replicas not seen since ``before`` (killed: they never left)."""
        result = await self._db.execute(delete(Replica).where(Replica.seen_at < before))
        return result.rowcount or 0

    async def live(self, since: datetime) -> list[tuple[str, bool]]:
        """(id, leader) of the replicas seen since ``since``, oldest first."""
        rows = await self._db.execute(
            select(Replica.id, Replica.leader)
            .where(Replica.seen_at >= since)
            .order_by(Replica.started_at, Replica.id)
        )
        return [(row.id, row.leader) for row in rows]

    async def step_down_others(self, replica_id: str) -> None:
        """Only one replica is shown as leader: the one that holds the lock now."""
        await self._db.execute(
            update(Replica).where(Replica.id != replica_id, Replica.leader).values(leader=False)
        )

    async def one_at_a_time(self, name: str) -> None:
        """Wait for, and hold to the end of this transaction, ``name``'s turn."""
        await locks.serialize_on(self._db, name)

    async def if_free(self, name: str) -> bool:
        """Hold ``name``'s turn to the end of this transaction, unless another has it."""
        return await locks.try_serialize_on(self._db, name)
