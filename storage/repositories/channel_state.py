"""What a channel remembers between runs (cursors) and the access tokens replicas share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AccessToken, ChannelState
from storage.repositories._sql import upsert_insert


class ChannelStateRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def get(self, channel: str, key: str) -> str | None:
        return (
            await self._db.execute(
                select(ChannelState.value).where(
                    ChannelState.channel == channel, ChannelState.key == key
                )
            )
        ).scalar_one_or_none()

    async def put(self, channel: str, key: str, value: str, at: datetime) -> None:
        await self._db.execute(
            upsert_insert(self._db, ChannelState)
            .values(channel=channel, key=key, value=value, updated_at=at)
            .on_conflict_do_update(
                index_elements=["channel", "key"], set_={"value": value, "updated_at": at}
            )
        )


class AccessTokenRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def valid(self, name: str, now: datetime) -> tuple[str, datetime] | None:
        """The stored token and its expiry, while it has not expired."""
        row = (
            await self._db.execute(
                select(AccessToken.token, AccessToken.expires_at).where(AccessToken.name == name)
            )
        ).first()
        if row is None or row.token is None or row.expires_at is None or row.expires_at <= now:
            return None
        return row.token, row.expires_at

    async def take_lease(self, name: str, now: datetime, until: datetime) -> bool:
        """Become the one replica that fetches a new token, unless another holds the lease."""
        await self._db.execute(
            upsert_insert(self._db, AccessToken)
            .values(name=name, token=None, expires_at=None, lease_until=None)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        result = await self._db.execute(
            update(AccessToken)
            .where(
                AccessToken.name == name,
                or_(AccessToken.lease_until.is_(None), AccessToken.lease_until <= now),
            )
            .values(lease_until=until)
        )
        return result.rowcount == 1

    async def store(self, name: str, token: str, expires_at: datetime) -> None:
        """Keep a fresh token and release the lease."""
        values = {"token": token, "expires_at": expires_at, "lease_until": None}
        await self._db.execute(
            upsert_insert(self._db, AccessToken)
            .values(name=name, **values)
            .on_conflict_do_update(index_elements=["name"], set_=values)
        )

    async def forget(self, name: str, token: str) -> None:
        """Drop ``token`` after the platform refused it (not a newer one stored since)."""
        await self._db.execute(
            update(AccessToken)
            .where(AccessToken.name == name, AccessToken.token == token)
            .values(token=None, expires_at=None)
        )
