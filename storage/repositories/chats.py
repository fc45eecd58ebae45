"""Groups and private chats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Chat, Delivery, EventLog, Member
from storage.records import ChatRecord, ChatSeen
from storage.repositories._sql import Prepared, Step, from_mapping, to_record, trip


def _build_upsert(insert: Any) -> Any:
    table = Chat.__table__
    statement = insert(table).values(
        platform=bindparam("v_platform"),
        external_id=bindparam("v_external_id"),
        kind=bindparam("v_kind"),
        title=bindparam("v_title"),
        bot_status="member",
        onboarding_enabled=True,
        created_at=bindparam("v_at"),
        updated_at=bindparam("v_at"),
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["platform", "external_id"],
        set_={"title": func.coalesce(new.title, table.c.title), "updated_at": new.updated_at},
    ).returning(*table.c)


_UPSERT = Prepared(_build_upsert)


def upsert_step(seen: ChatSeen, at: datetime) -> Step:
    """Create the chat on first sight, keep its title current afterwards (a title
    the platform left out keeps the stored one)."""
    values = {
        "v_platform": seen.platform,
        "v_external_id": seen.external_id,
        "v_kind": seen.kind,
        "v_title": seen.title[:256] if seen.title else None,
        "v_at": at,
    }
    return Step(_UPSERT, values)


def chat_from(row: dict[str, Any]) -> ChatRecord:
    return from_mapping(ChatRecord, row)


class ChatRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db
        #: Internal ids of chats this unit of work changed (callers caching chats evict them).
        self.changed: set[int] = set()

    async def upsert(
        self, platform: str, external_id: str, *, kind: str, title: str | None, at: datetime
    ) -> ChatRecord:
        """Create the chat on first sight, keep its title current afterwards (one statement)."""
        step = upsert_step(ChatSeen(platform, external_id, kind, title), at)
        (outcome,) = await trip(self._db, [step])
        return chat_from(outcome.rows[0])

    async def get(self, platform: str, external_id: str) -> ChatRecord | None:
        row = (
            await self._db.execute(
                select(Chat).where(Chat.platform == platform, Chat.external_id == external_id)
            )
        ).first()
        return to_record(ChatRecord, row) if row else None

    async def get_by_id(self, chat_id: int) -> ChatRecord | None:
        row = (await self._db.execute(select(Chat).where(Chat.id == chat_id))).first()
        return to_record(ChatRecord, row) if row else None

    async def created_at(self, chat_id: int) -> datetime | None:
        """When the bot first saw the chat (for "early member")."""
        return await self._db.scalar(select(Chat.created_at).where(Chat.id == chat_id))

    async def list_groups(
        self, platform: str | None = None, *, services: bool = False
    ) -> list[ChatRecord]:
        """Group chats; with ``services``, also the communities of members reached one to
        one (a 微信客服 account's)."""
        kinds = ("group", "service") if services else ("group",)
        query = select(Chat).where(Chat.kind.in_(kinds)).order_by(Chat.id)
        if platform:
            query = query.where(Chat.platform == platform)
        return [to_record(ChatRecord, r) for r in (await self._db.execute(query)).all()]

    async def set_rules(self, chat_id: int, rules: str | None, at: datetime) -> None:
        self.changed.add(chat_id)
        await self._db.execute(
            update(Chat).where(Chat.id == chat_id).values(rules=rules, updated_at=at)
        )

    async def set_welcome_template(self, chat_id: int, template: str | None, at: datetime) -> None:
        self.changed.add(chat_id)
        await self._db.execute(
            update(Chat).where(Chat.id == chat_id).values(welcome_template=template, updated_at=at)
        )

    async def set_onboarding_enabled(self, chat_id: int, enabled: bool, at: datetime) -> None:
        self.changed.add(chat_id)
        await self._db.execute(
            update(Chat).where(Chat.id == chat_id).values(onboarding_enabled=enabled, updated_at=at)
        )

    async def set_bot_status(self, chat_id: int, status: str, at: datetime) -> None:
        self.changed.add(chat_id)
        await self._db.execute(
            update(Chat).where(Chat.id == chat_id).values(bot_status=status, updated_at=at)
        )

    async def migrate(
        self, platform: str, old_id: str, new_id: str, at: datetime
    ) -> ChatRecord | None:
        """Give the chat ``old_id`` the id ``new_id``, keeping all its data.

        Telegram turns a group into a supergroup with a new id, and may deliver
        the first message of the new chat before the migration notice; then
        the new chat's few rows are folded into the old one.
        """
        old = await self.get(platform, old_id)
        if old is not None:
            self.changed.add(old.id)
        if old is None:
            return await self.get(platform, new_id)
        new = await self.get(platform, new_id)
        if new is not None:
            self.changed.add(new.id)
            await self._fold_into(source_id=new.id, target_id=old.id)
        await self._db.execute(
            update(Chat)
            .where(Chat.id == old.id)
            .values(external_id=new_id, kind="group", updated_at=at)
        )
        return await self.get(platform, new_id)

    async def _fold_into(self, source_id: int, target_id: int) -> None:
        """Move members and events of ``source_id`` into ``target_id``, then drop it."""
        existing = set(
            (
                await self._db.scalars(select(Member.user_id).where(Member.chat_id == target_id))
            ).all()
        )
        moving = (
            await self._db.execute(
                select(Member.id, Member.user_id, Member.message_count).where(
                    Member.chat_id == source_id
                )
            )
        ).all()
        for member_id, user_id, message_count in moving:
            if user_id in existing:
                await self._db.execute(
                    update(Member)
                    .where(Member.chat_id == target_id, Member.user_id == user_id)
                    .values(message_count=Member.message_count + message_count)
                )
                await self._db.execute(delete(Member).where(Member.id == member_id))
            else:
                await self._db.execute(
                    update(Member).where(Member.id == member_id).values(chat_id=target_id)
                )
        await self._db.execute(
            update(EventLog).where(EventLog.chat_id == source_id).values(chat_id=target_id)
        )
        # Scheduled messages of the new chat (a join seen before the migration) move too.
        await self._db.execute(
            update(Delivery).where(Delivery.chat_id == source_id).values(chat_id=target_id)
        )
        await self._db.execute(delete(Chat).where(Chat.id == source_id))
