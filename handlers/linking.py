"""One person, several accounts: ``/link`` and ``/unlink``.

A member on Telegram and on WeChat is one person to the community. ``/link``
gives a one-time code; sent from the other account (``/link CODE`` or
``绑定 CODE``) within ten minutes, it joins the two: that account's points,
badges and level move to the person's first account in one ledger entry each
way (the ledger stays append-only and still sums to every balance), tickets
and the newcomer steps follow the person. ``/unlink`` separates them again;
what was merged stays with the person's first account. Both are written to
the event log with who did it.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timedelta

from markupsafe import Markup

from handlers.actions import Action, SendPrivate, reply
from handlers.commands import text
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.refs import user_ref
from handlers.router import PRIVATE_ONLY, Router, declare
from storage.records import UserRecord
from storage.repositories import Repositories

#: How long a code works after ``/link``.
CODE_LIFETIME = timedelta(minutes=10)
#: Typed on a phone from another screen: no 0/O or 1/I/L to confuse.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: 31⁸ ≈ 8.5·10¹¹ codes, and five wrong tries an hour: guessing is hopeless.
CODE_LENGTH = 8
WRONG_CODES_PER_HOUR = 5


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def read_code(typed: str) -> str:
    """What a member typed, as a code: full-width letters, case, spaces and dashes
    forgiven (``abcd-efgh``, ``ＡＢＣＤ ＥＦＧＨ``)."""
    folded = unicodedata.normalize("NFKC", typed).upper()
    return "".join(ch for ch in folded if ch.isalnum())


class Linking:
    async def link(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/link``: a code for this account; ``/link CODE``: join the account that asked."""
        typed = ctx.args["code"]
        if typed is None:
            return await self._issue(event, ctx)
        return await self._redeem(event, ctx, read_code(typed))

    async def _issue(self, event: CommandIssued, ctx: Context) -> list[Action]:
        assert ctx.sender is not None
        code = new_code()
        await ctx.repos.links.issue(code, ctx.sender.id, ctx.now, ctx.now + CODE_LIFETIME)
        minutes = int(CODE_LIFETIME.total_seconds() // 60)
        return [reply(event.message, ctx.texts.t("linking.code", code=code, minutes=minutes))]

    async def _redeem(self, event: CommandIssued, ctx: Context, code: str) -> list[Action]:
        texts, repos, me = ctx.texts, ctx.repos, ctx.sender
        assert me is not None
        since = ctx.now - timedelta(hours=1)
        if await repos.events.count("link_refused", user_id=me.id, since=since) >= (
            WRONG_CODES_PER_HOUR
        ):
            return [reply(event.message, texts.t("linking.too_many"))]
        # A code refused for a reason the member can fix stays usable.
        owner = await repos.links.asked_by(code, ctx.now) if code else None
        asker = await repos.users.get_by_id(owner) if owner is not None else None
        if asker is not None:
            if asker.id == me.id:  # sent from the account that asked
                return [reply(event.message, texts.t("linking.same_account"))]
            if asker.person == me.person:
                return [reply(event.message, texts.t("linking.already_same"))]
            if me.person_id is not None or await repos.links.has_linked(me.id):
                return [reply(event.message, texts.t("linking.already_linked"))]
        if asker is None or await repos.links.redeem(code, me.id, ctx.now) is None:
            await repos.events.append("link_refused", ctx.now, user_id=me.id)
            minutes = int(CODE_LIFETIME.total_seconds() // 60)
            return [reply(event.message, texts.t("linking.bad_code", minutes=minutes))]
        person = asker.person
        await repos.links.set_person(me.id, person, ctx.now)
        moved = await repos.points.merge(me.id, person, f"link:{me.id}:{code}", ctx.now)
        await repos.events.append(
            "account_linked",
            ctx.now,
            user_id=me.id,
            payload={"person": person, "asked_by": asker.id, "points_moved": moved},
        )
        done = texts.t("linking.done", platform=self._platform(ctx, asker), name=asker.display_name)
        if moved:
            done = Markup("{}\n{}").format(done, texts.t("linking.moved", count=moved))
        told = texts.t("linking.done_other", platform=self._platform(ctx, me), name=me.display_name)
        return [
            reply(event.message, done),
            SendPrivate(user=user_ref(asker), text=told, tell_staff_if_refused=False),
        ]

    async def unlink(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """Separate this account from its person (from the first account: all the others)."""
        texts, me = ctx.texts, ctx.sender
        assert me is not None
        others = await unlink(ctx.repos, me, ctx.now, by=me.id)
        if not others:
            return [reply(event.message, texts.t("linking.none"))]
        key = "linking.unlinked" if me.person_id is not None else "linking.unlinked_first"
        accounts = texts.join(
            texts.t("linking.account", platform=self._platform(ctx, a), name=a.display_name)
            for a in others
        )
        return [reply(event.message, texts.t(key, accounts=accounts))]

    @staticmethod
    def _platform(ctx: Context, user: UserRecord) -> str:
        key = f"platforms.{user.platform}"
        return ctx.texts.plain(key) if ctx.texts.has(key) else user.platform


async def unlink(
    repos: Repositories, account: UserRecord, at: datetime, *, by: int | None
) -> list[UserRecord]:
    """Separate ``account`` from its person; from the person's first account, every
    other account is separated. Returns who ``account`` was linked with (nobody: it
    was not linked). Merged points stay with the first account. ``by``: the account
    that asked, None for an operator at the command line."""
    accounts = await repos.links.accounts(account.person)
    others = [a for a in accounts if a.id != account.id]
    if not others:
        return []
    secondary = account.person_id is not None
    for detached in [account] if secondary else others:
        await repos.links.set_person(detached.id, None, at)
        await repos.events.append(
            "account_unlinked",
            at,
            user_id=detached.id,
            payload={"person": account.person, "by": by if by is not None else "operator"},
        )
    return [a for a in others if a.id == account.person] if secondary else others


def register(router: Router) -> None:
    linking = Linking()
    code = text("code", optional=True)
    router.command(declare("link", linking.link, where=PRIVATE_ONLY, args=(code,)))
    router.command(declare("unlink", linking.unlink, where=PRIVATE_ONLY))
