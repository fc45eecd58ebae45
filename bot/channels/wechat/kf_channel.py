"""The 微信客服 channel: WeChat members talk to Shequn one to one.

WeCom calls the callback URL when a member writes (``kf_msg_or_event``); the
channel answers at once and then pulls the messages with ``kf/sync_msg``, storing
the cursor in the transaction of each page's last message. It writes back with
``kf/send_msg`` only inside the member's window (:mod:`bot.channels.wechat.window`).
A conversation an operator handed to a human servicer in WeCom is theirs; Shequn
does not write into it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.wechat import kf_convert
from bot.channels.wechat.api import WeChatError, WeChatUnreachable, WeComApi
from bot.channels.wechat.callbacks import answer_url_check, open_callback
from bot.channels.wechat.crypto import CallbackCrypto
from bot.channels.wechat.settings import WeChatSettings
from bot.channels.wechat.tokens import DatabaseTokenStore
from bot.channels.wechat.window import (
    WINDOW,
    Outcome,
    WindowClosed,
    WindowedSender,
    truncate,
)
from bot.startup import StartupError
from handlers.actions import Action, Button, Receipt, Sent
from handlers.capabilities import Capabilities
from handlers.clock import Clock
from handlers.dispatcher import Dispatcher
from handlers.events import ChatRef, Checkpoint, Incoming, UserRef
from storage.database import Storage

log = logging.getLogger(__name__)

PLATFORM = kf_convert.PLATFORM
#: A welcome code (``enter_session``) is good for 20 seconds, once.
WELCOME_CODE_LIFE = timedelta(seconds=20)
#: Errors of ``kf/send_msg``: the window is closed; the conversation is not the bot's.
WINDOW_CLOSED = 95001
NOT_WITH_BOT = frozenset({95016, 95017, 95018})

CAPABILITIES = Capabilities(
    group_messages=False,
    private_first_contact=False,
    reply_window=WINDOW,
    edit=False,
    delete=False,
    restrict=False,
    buttons=True,  # as a msgmenu: the member taps an item, which comes back as its id
    invite_links=False,
    member_mentions=False,  # one to one: no @name and no other member's message to reply to
    max_text_length=2048,
)


class KfPlatform:
    """What handlers may know of this channel. A member's community is their 客服账号:
    check-ins, points, leaderboards and rewards are kept per account."""

    name = PLATFORM
    capabilities = CAPABILITIES
    bot_username = None

    def __init__(self, account_of: Callable[[str], str] = lambda _: "") -> None:
        self._account_of = account_of

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        return kf_convert.community(self._account_of(chat.id))

    def describe(self) -> dict[str, str]:
        return {"channel": "微信客服 (WeChat customer service)"}

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return False  # moderators are named in community.moderators


class WeChatKfChannel(WindowedSender):
    name = PLATFORM
    label = "微信客服"
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: WeChatSettings,
        dispatcher: Dispatcher,
        storage: Storage,
        clock: Clock,
        api: WeComApi | None = None,
    ) -> None:
        super().__init__(storage, clock)
        kf = settings.kf
        self._settings = settings
        self._dispatcher = dispatcher
        self._crypto = CallbackCrypto(
            kf.token.get_secret_value() if kf.token else "",
            kf.encoding_aes_key.get_secret_value() if kf.encoding_aes_key else "",
            kf.corp_id,
            settings.max_clock_skew,
            now=lambda: clock.now().timestamp(),
        )
        tokens = DatabaseTokenStore(storage, f"wecom:{kf.corp_id}", clock)
        secret = kf.secret.get_secret_value() if kf.secret else ""
        self._api = api or WeComApi(
            kf.corp_id, secret, tokens, api_base_url=settings.api_base_url, now=clock.now
        )
        self.platform = KfPlatform(self._account)
        #: Where the actions of an update go (the hub, when several channels run).
        self.deliver: Callable[[list[Action]], Awaitable[list[Receipt]]] = self.execute
        self._accounts: list[str] = []
        self._account_of: dict[str, str] = {}
        self._welcome: dict[str, tuple[str, datetime]] = {}
        self._names: dict[str, str] = {}
        #: Members who wrote since this process started (their first message is a join).
        self._seen: set[str] = set()
        self._sync_locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False

    def _account(self, member: str) -> str:
        """The 客服账号 a member writes to (the first of the corp's before any message)."""
        return self._account_of.get(member) or (self._accounts[0] if self._accounts else "")

    # -- lifecycle ---------------------------------------------------------------------

    async def reach(self) -> None:
        """Raises unless WeCom answers ``kf/account/list`` with these keys (``/readyz``)."""
        await self._api.account_list()

    def routes(self) -> list[BaseRoute]:
        path = self._settings.kf.callback_path
        return [
            Route(path, self._verify_url, methods=["GET"]),
            Route(path, self._on_callback, methods=["POST"]),
        ]

    async def start(self) -> None:
        """Check the keys by listing the 客服账号, then catch up on what members wrote
        while Shequn was stopped."""
        wanted = self._settings.kf.open_kfid
        accounts = await self._accounts_of_corp()
        if wanted and wanted not in accounts:
            raise StartupError(
                f"{wanted} is not a 客服账号 of this corp (it has {', '.join(accounts) or 'none'});"
                " fix {setting}",
                setting="wechat.kf.open_kfid",
            )
        self._accounts = [wanted] if wanted else accounts
        self._running = True
        for account in self._accounts:
            self._spawn(self.sync("", account))
        log.info("微信客服 ready (%s)", ", ".join(self._accounts) or "no accounts")

    async def _accounts_of_corp(self) -> list[str]:
        """The corp's 客服账号. A network outage is waited out with growing pauses, one
        line each (a stop cuts it short); keys WeChat refuses stop Shequn in one line."""
        try:
            accounts = await self._api.until_reachable(self._api.account_list)
        except WeChatError as error:
            raise StartupError(
                f"WeChat refused the 微信客服 keys ({error}); check {{setting}} and the corp id",
                setting="wechat.kf.secret",
            ) from None
        return [str(account.get("open_kfid", "")) for account in accounts]

    async def stop(self) -> None:
        self._running = False
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- callbacks -----------------------------------------------------------------------

    async def _verify_url(self, request: Request) -> Response:
        return await answer_url_check(self._crypto, request, "WeChat")

    async def _on_callback(self, request: Request) -> Response:
        """Answer at once (WeChat retries after 5 s) and pull the messages afterwards."""
        if not self._running:
            return Response(status_code=503)
        message = await open_callback(self._crypto, request, "WeChat")
        if isinstance(message, Response):
            return message
        if message.get("Event") == "kf_msg_or_event":
            account = message.get("OpenKfId", "")
            if account in self._accounts or not self._accounts:
                self._spawn(self.sync(message.get("Token", ""), account))
        return PlainTextResponse("success")

    # -- reading -------------------------------------------------------------------------

    async def sync(self, token: str, account: str) -> None:
        """Pull every page since the stored cursor; one account at a time."""
        lock = self._sync_locks.setdefault(account, asyncio.Lock())
        key = f"cursor:{account}"
        async with lock:
            try:
                cursor = await self._storage.run(
                    lambda repos: repos.channel_state.get(PLATFORM, key)
                )
                while True:
                    page = await self._api.sync_msg(token, cursor or "", account)
                    await self._learn_names(page.messages)
                    checkpoint = Checkpoint(PLATFORM, key, page.next_cursor)
                    if not page.messages:
                        await self._dispatcher.handle(
                            Incoming(key=f"cursor:{page.next_cursor}", checkpoint=checkpoint),
                            self.platform,
                        )
                    for index, item in enumerate(page.messages):
                        last = index == len(page.messages) - 1
                        await self._take(item, checkpoint if last else None)
                    cursor = page.next_cursor
                    if not page.has_more:
                        return
            except (WeChatError, WeChatUnreachable) as error:
                log.warning("微信客服 sync of %s stopped: %s", account, error)

    async def _take(self, item: dict[str, Any], checkpoint: Checkpoint | None) -> None:
        message = kf_convert.read(item)
        member = message.member
        if member:
            self._account_of[member] = message.open_kfid or self._account_of.get(member, "")
        if message.event_type == "enter_session" and message.welcome_code:
            self._welcome[member] = (message.welcome_code, self._clock.now())
        if message.event_type == "session_status_change" and member:
            servicer = message.servicer or None
            await self._storage.run(
                lambda repos: repos.reply_windows.set_servicer(PLATFORM, member, servicer)
            )
        if message.from_member and member:
            held = await self.member_wrote(member, message.sent_at)
            await self.send_held(member, held)  # what waited for the member goes first
        first_sight = message.from_member and member not in self._seen
        events = kf_convert.to_events(item, self._names.get(member), first_sight=first_sight)
        incoming = Incoming(key=f"msg:{message.msgid}", events=tuple(events), checkpoint=checkpoint)
        await self._dispatcher.handle(incoming, self.platform, self.deliver)
        if message.from_member and member:
            self._seen.add(member)

    async def _learn_names(self, items: list[dict[str, Any]]) -> None:
        """Members' nicknames, once each (``kf/customer/batchget``)."""
        unknown = sorted({kf_convert.read(item).member for item in items} - set(self._names) - {""})
        if not unknown:
            return
        try:
            found = await self._api.customer_batchget(unknown)
        except (WeChatError, WeChatUnreachable) as error:
            log.info("could not learn members' names: %s", error)
            return
        for customer in found.get("customer_list", []):
            name = str(customer.get("nickname") or "").strip()
            if name:
                self._names[str(customer.get("external_userid"))] = name[:64]

    # -- writing -------------------------------------------------------------------------

    async def send_one(
        self, member: str, kind: str, content: dict[str, Any], outcome: Outcome, *, reserved: bool
    ) -> None:
        msgid = uuid.uuid4().hex
        welcome = None if reserved else self._welcome.pop(member, None)
        if welcome and self._clock.now() - welcome[1] < WELCOME_CODE_LIFE:
            try:  # the welcome of a new session goes out on its code, outside the window
                await self._api.send_msg_on_event(welcome[0], kind, content, msgid)
                outcome.sent.append(Sent(PLATFORM, member, msgid))
                return
            except WeChatError as error:
                log.info("welcome code not accepted (%s); sending normally", error)
        if not reserved:
            await self.reserve(member)
        account = self._account(member)
        try:
            await self._api.send_msg(member, account, kind, content, msgid)
        except WeChatError as error:
            if error.errcode == WINDOW_CLOSED:
                await self.close(member)
                raise WindowClosed("window_closed") from None
            await self.give_back(member)
            if error.errcode in NOT_WITH_BOT:
                raise WindowClosed("with_servicer") from None
            raise
        except WeChatUnreachable:
            await self.give_back(member)
            raise
        outcome.sent.append(Sent(PLATFORM, member, msgid))

    def menu_item(self, button: Button) -> dict[str, Any] | None:
        label = truncate(button.label, 128)
        if button.url:
            return {"type": "view", "view": {"url": button.url, "content": label}}
        if button.data and len(button.data.encode("utf-8")) <= 64:
            return {"type": "click", "click": {"id": button.data, "content": label}}
        return None
