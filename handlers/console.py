"""Signing in to the staff console: ``/console`` answers with a one-time link.

No passwords: whoever can write to the bot privately from an account listed as
staff or moderator in the config gets a link that signs that account in, once,
within ten minutes. The console itself (pages, sessions) lives in the web
server; this module is the chat side and the rules both sides share.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field, field_validator

from handlers.actions import Action, SendPrivate, reply
from handlers.community import Community
from handlers.config import Section
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.refs import user_ref
from handlers.roles import Role
from handlers.router import EVERYWHERE, Router, declare
from storage.repositories import Repositories

#: How long a sign-in link works.
LINK_LIFETIME = timedelta(minutes=10)


class ConsoleSettings(Section):
    """``[console]``: the staff console at ``/console/`` on the web server."""

    enabled: bool = True
    #: The address staff open it at, as their browsers reach the web server (behind a
    #: reverse proxy: ``https://ops.example.com``). Unset: ``http://HOST:PORT`` of
    #: ``[http]``, which only works on that machine's network.
    public_url: str | None = None
    #: A session ends after this many hours without a page opened.
    idle_hours: int = Field(12, ge=1, le=720)

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http://), e.g. https://ops.example.com")
        return value


class ConsoleRole(StrEnum):
    #: Listed in ``community.moderators``: everything, the audit log included.
    OWNER = "owner"
    #: Listed in ``community.staff``: tickets and the members they serve.
    STAFF = "staff"
    #: A group's own admin, signed in from that group: its overview and topics.
    MODERATOR = "moderator"


def console_role(community: Community, account: str) -> ConsoleRole | None:
    """What ``account`` (``platform:user_id``) may do in the console, from the config as
    it is now (someone taken off the list loses access at their next page)."""
    if account in community.moderators:
        return ConsoleRole.OWNER
    if account in community.staff:
        return ConsoleRole.STAFF
    return None


async def sign_in_link(
    repos: Repositories,
    account: str,
    now: datetime,
    base_url: str,
    chats: Sequence[int] | None = None,
) -> str:
    """A new one-time link signing ``account`` in (limited to ``chats``, for a group's
    own admin)."""
    token = secrets.token_urlsafe(32)
    await repos.console.issue_link(token, account, now, now + LINK_LIFETIME, chats)
    return f"{base_url}/console/login?token={token}"


class ConsoleCommand:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def console(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """Privately: a link for staff and moderators listed in the config. In a group:
        for its admins, a link to that group's pages, sent privately (never in the
        group, where anyone could use it first)."""
        texts, sender = ctx.texts, ctx.sender
        assert sender is not None
        account = f"{sender.platform}:{sender.external_id}"
        listed = console_role(ctx.community, account) is not None
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        if event.chat.is_private:
            if not listed:
                return [reply(event.message, texts.t("console.not_allowed"))]
            link = await sign_in_link(ctx.repos, account, ctx.now, self.base_url)
            return [reply(event.message, texts.t("console.link", link=link, minutes=minutes))]
        anonymous = getattr(event, "sender_is_anonymous_admin", False)  # no person to sign in
        if not (listed or Role.MODERATOR in ctx.roles) or ctx.chat is None or anonymous:
            return [reply(event.message, texts.t("console.not_allowed"))]
        chats = None if listed else (ctx.chat.id,)
        link = await sign_in_link(ctx.repos, account, ctx.now, self.base_url, chats)
        told = texts.t("console.link", link=link, minutes=minutes)
        return [
            SendPrivate(
                user=user_ref(sender),
                text=told,
                fallback_chat=event.chat,
                tell_staff_if_refused=False,
            ),
            reply(event.message, texts.t("console.sent_privately")),
        ]


def register(router: Router, base_url: str) -> None:
    command = ConsoleCommand(base_url)
    # Not in members' /help; staff and moderators find it in the README and /settings.
    router.command(declare("console", command.console, where=EVERYWHERE, listed=False))
