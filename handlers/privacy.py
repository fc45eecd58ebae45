"""A member's rights over their data: ``/mydata`` and ``/forgetme``.

Both work privately and for the whole person (every linked account). ``/mydata``
answers with what Shequn keeps, readably; staff can export it whole as JSON
(``shequn members export``). ``/forgetme`` first says what it will remove, and
does it when confirmed (``/forgetme 确认``: a typed word works on every platform,
buttons or not). A repeated confirmation finds nothing left to forget.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from pydantic import Field

from handlers.actions import Action, reply
from handlers.commands import text
from handlers.config import Section
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.i18n import Texts
from handlers.router import PRIVATE_ONLY, Router, declare
from handlers.sweeper import SweepTask
from storage.repositories import Repositories


class PrivacySettings(Section):
    """``[privacy]``: how long members' own words are kept."""

    #: Texts of settled tickets (the complaint and its replies) and members' questions
    #: to the FAQ are cleared after this many days; the figures stay. 0: kept.
    keep_message_texts_days: int = Field(180, ge=0)


#: Old texts are looked for at most this often (and at every start).
PURGE_EVERY = timedelta(hours=1)
#: What confirms ``/forgetme`` (compared after NFKC folding and lower-casing).
CONFIRMATIONS = frozenset({"确认", "確認", "confirm", "yes"})


async def export(repos: Repositories, user_id: int) -> dict[str, Any]:
    """Everything kept about the person ``user_id`` belongs to (every linked account)."""
    account = await repos.users.get_by_id(user_id)
    if account is None:
        return {}
    accounts = await repos.links.accounts(account.person)
    return await repos.privacy.export([a.id for a in accounts] or [account.id])


async def forget(repos: Repositories, user_id: int, at: datetime, *, by: str) -> dict[str, int]:
    """Anonymise the person ``user_id`` belongs to, every linked account; recorded with
    who asked (``self``, a staff account, ``operator``) but not whom it was."""
    account = await repos.users.get_by_id(user_id)
    if account is None:
        return {}
    accounts = await repos.links.accounts(account.person) or [account]
    for linked in accounts:
        repos.links.changed.add((linked.platform, linked.external_id))
    done = await repos.privacy.forget([a.id for a in accounts], at)
    await repos.events.append("member_forgotten", at, payload={"by": by, **done})
    return done


def summary(texts: Texts, data: dict[str, Any]) -> Markup:
    """``/mydata``'s answer: what is kept, in a few lines."""
    lines = [texts.t("privacy.data_title")]
    for account in data["accounts"]:
        lines.append(
            texts.t(
                "privacy.data_account",
                platform=_platform(texts, account["platform"]),
                name=account["name"],
                id=account["id"],
            )
        )
    chats = sorted({m["chat"] for m in data["memberships"] if m["chat"]})
    if chats:
        lines.append(texts.t("privacy.data_chats", chats=texts.join(chats)))
    balance = sum(p["balance"] for p in data["points"])
    lines.append(
        texts.t(
            "privacy.data_points",
            balance=balance,
            rows=len(data["points_history"]),
            badges=len(data["badges"]),
        )
    )
    lines.append(
        texts.t(
            "privacy.data_tickets",
            count=len(data["tickets"]),
            questions=len(data["questions"]),
        )
    )
    lines.append(texts.t("privacy.data_more"))
    return Markup("\n").join(lines)


def _platform(texts: Texts, platform: str) -> str:
    key = f"platforms.{platform}"
    return texts.plain(key) if texts.has(key) else platform


def _confirmed(typed: str | None) -> bool:
    return (
        typed is not None and unicodedata.normalize("NFKC", typed).strip().lower() in CONFIRMATIONS
    )


class Privacy:
    async def mydata(self, event: CommandIssued, ctx: Context) -> list[Action]:
        assert ctx.sender is not None
        data = await export(ctx.repos, ctx.sender.id)
        return [reply(event.message, summary(ctx.texts, data))]

    async def forgetme(self, event: CommandIssued, ctx: Context) -> list[Action]:
        assert ctx.sender is not None
        if not _confirmed(ctx.args["confirm"]):
            return [reply(event.message, ctx.texts.t("privacy.forget_ask"))]
        await forget(ctx.repos, ctx.sender.id, ctx.now, by="self")
        return [reply(event.message, ctx.texts.t("privacy.forgotten"))]


def purge_old_texts(settings: PrivacySettings) -> SweepTask:
    """The sweep that clears texts older than ``keep_message_texts_days``."""
    days = settings.keep_message_texts_days
    last: list[datetime] = []

    async def purge_old_texts(repos: Repositories, now: datetime) -> list[Action]:
        if not days or (last and now - last[0] < PURGE_EVERY):
            return []
        await repos.privacy.purge_texts(now - timedelta(days=days))
        last[:] = [now]
        return []

    return purge_old_texts


def register(router: Router) -> None:
    privacy = Privacy()
    router.command(declare("mydata", privacy.mydata, where=PRIVATE_ONLY))
    confirm = text("confirm", optional=True)
    router.command(declare("forgetme", privacy.forgetme, where=PRIVATE_ONLY, args=(confirm,)))
