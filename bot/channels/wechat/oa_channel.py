"""The Official Account (服务号) channel: followers talk to Shequn one to one.

WeChat posts each message or event to the callback URL and waits 5 seconds for
the answer. The channel handles the update at once; when the first message for
the member is ready within :data:`PASSIVE_SECONDS`, it is the callback's answer
(a passive reply, which costs nothing of the member's window); otherwise the
callback answers ``success`` and everything goes out as 客服消息 within the window
(:mod:`bot.channels.wechat.window`): 5 messages in 48 hours after the member
writes, 3 within a minute after they follow, scan a code or tap the menu. Past
that, WeChat's 45015/45047 are final: the message is held for the member's next
message, never retried.

Callbacks are checked like 微信客服's: the plain ``signature`` always, the
``msg_signature`` and AES in 安全模式, the clock and replays; a retried callback
(WeChat retries three times when the answer is slow) is handled once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
import xml.etree.ElementTree as ElementTree
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.wechat import oa_convert
from bot.channels.wechat.api import WeChatError, WeChatUnreachable
from bot.channels.wechat.crypto import CallbackCrypto, CallbackRejected, parse_xml
from bot.channels.wechat.oa_api import (
    KEY_HINTS,
    NOT_FOLLOWING,
    OUT_OF_COUNT,
    OUT_OF_TIME,
    OfficialAccountApi,
)
from bot.channels.wechat.settings import WeChatSettings
from bot.channels.wechat.tokens import DatabaseTokenStore
from bot.channels.wechat.window import (
    WINDOW,
    Message,
    Outcome,
    WindowClosed,
    WindowedSender,
    truncate,
)
from bot.startup import StartupError
from handlers.actions import Action, Button, Keyboard, Receipt, Sent
from handlers.capabilities import Capabilities
from handlers.clock import Clock
from handlers.dispatcher import Dispatcher
from handlers.events import ChatRef, Incoming, UserRef
from storage.database import Storage

log = logging.getLogger(__name__)

PLATFORM = oa_convert.PLATFORM
#: How long a callback waits for its answer before saying ``success`` (WeChat gives 5 s).
PASSIVE_SECONDS = 3.0
#: How long, in all, a callback waits for its message to be recorded; not recorded by
#: then (the database away), it is refused, and WeChat sends it again (three times).
RECORD_SECONDS = 4.5
#: After following, scanning or tapping the menu: 3 messages within a minute.
TAP_MESSAGES, TAP_WINDOW = 3, timedelta(minutes=1)
#: Callbacks remembered to drop WeChat's retries before they touch the window.
RECENT_CALLBACKS = 4096

CAPABILITIES = Capabilities(
    group_messages=False,
    private_first_contact=False,
    reply_window=WINDOW,
    edit=False,
    delete=False,
    restrict=False,
    buttons=True,  # as a 菜单消息: a tap comes back as text with its id
    invite_links=False,
    member_mentions=False,  # one to one: no @name and no other member's message to reply to
    max_text_length=2048,
)

_passive: contextvars.ContextVar[_PassiveReply | None] = contextvars.ContextVar(
    "oa_passive", default=None
)


class _PassiveReply:
    """The answer a callback may carry: the first text for its member, until the
    callback has answered (after which everything goes as 客服消息, in order)."""

    def __init__(self, member: str) -> None:
        self.member = member
        self.text: str | None = None
        self.open = True
        self.ready = asyncio.Event()

    def offer(self, member: str, kind: str, content: dict[str, Any]) -> bool:
        """Take this message as the reply if it can be; once one cannot, none can."""
        if not self.open or member != self.member:
            return False
        self.open = False
        if kind != "text":
            self.ready.set()
            return False
        self.text = str(content.get("content", ""))
        self.ready.set()
        return True

    def close(self) -> str | None:
        """The callback answers now: the reply, if one was taken."""
        self.open = False
        return self.text


async def _first_of(task: asyncio.Task[None], event: asyncio.Event, seconds: float) -> None:
    """Wait until ``task`` ends or ``event`` is set, at most ``seconds``."""
    if event.is_set() or task.done():
        return
    waiting = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({task, waiting}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()


class OaPlatform:
    """What handlers may know of this channel: followers of one account are a community."""

    name = PLATFORM
    capabilities = CAPABILITIES
    bot_username = None

    def __init__(self, app_id: str) -> None:
        self._app_id = app_id

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        return oa_convert.community(self._app_id)

    def describe(self) -> dict[str, str]:
        return {"channel": "微信公众号 (WeChat Official Account)"}

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return False  # moderators are named in community.moderators


class WeChatOaChannel(WindowedSender):
    name = PLATFORM
    label = "公众号"
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: WeChatSettings,
        dispatcher: Dispatcher,
        storage: Storage,
        clock: Clock,
        api: OfficialAccountApi | None = None,
    ) -> None:
        super().__init__(storage, clock)
        oa = self._oa = settings.oa
        self._dispatcher = dispatcher
        self._crypto = CallbackCrypto(
            oa.token.get_secret_value() if oa.token else "",
            oa.aes_key.get_secret_value() if oa.aes_key else "",
            oa.app_id,
            settings.max_clock_skew,
            now=lambda: clock.now().timestamp(),
        )
        tokens = DatabaseTokenStore(storage, f"oa:{oa.app_id}", clock)
        secret = oa.secret.get_secret_value() if oa.secret else ""
        self._api = api or OfficialAccountApi(
            oa.app_id, secret, tokens, api_base_url=oa.api_base_url, now=clock.now
        )
        self.platform = OaPlatform(oa.app_id)
        #: Where the actions of an update go (the hub, when several channels run).
        self.deliver: Callable[[list[Action]], Awaitable[list[Receipt]]] = self.execute
        self.passive_seconds = PASSIVE_SECONDS
        #: Members who wrote since this process started (their first message is a join).
        self._seen: set[str] = set()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False

    # -- lifecycle ---------------------------------------------------------------------

    async def reach(self) -> None:
        """Raises unless WeChat answers ``getcallbackip`` with this account's keys (``/readyz``)."""
        await self._api.callback_ips()

    def routes(self) -> list[BaseRoute]:
        path = self._oa.callback_path
        return [
            Route(path, self._verify_url, methods=["GET"]),
            Route(path, self._on_callback, methods=["POST"]),
        ]

    async def start(self) -> None:
        """Check the keys with a cheap call; an outage is waited out, wrong keys stop
        Shequn in one line."""
        try:
            await self._api.until_reachable(self._api.callback_ips)
        except WeChatError as error:
            hint, setting = KEY_HINTS.get(
                error.errcode, ("check {setting} and the AppID", "wechat.oa.secret")
            )
            raise StartupError(
                f"WeChat refused the Official Account keys ({error}); {hint}", setting=setting
            ) from None
        self._running = True
        mode = "安全模式 (encrypted)" if self._crypto.encrypted else "明文模式 (plain)"
        log.info("Official Account %s ready, callbacks in %s", self._oa.app_id, mode)

    async def stop(self) -> None:
        self._running = False
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- callbacks -----------------------------------------------------------------------

    async def _verify_url(self, request: Request) -> Response:
        """The check made when the URL is saved: the plain ``echostr`` back (in 安全模式
        too, where only later callbacks are encrypted)."""
        query = request.query_params
        try:
            self._crypto.check_plain(
                query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", "")
            )
        except CallbackRejected as rejected:
            log.warning("Official Account URL check refused: %s", rejected.reason)
            return Response(status_code=rejected.status)
        return PlainTextResponse(query.get("echostr", ""))

    async def _on_callback(self, request: Request) -> Response:
        if not self._running:
            return Response(status_code=503)
        query = request.query_params
        try:
            message = self._open(query, await request.body())
        except CallbackRejected as rejected:
            log.warning("Official Account callback refused: %s", rejected.reason)
            return Response(status_code=rejected.status)
        read = oa_convert.read(message)
        if not read.member or self._retried(read.key):
            return PlainTextResponse("success")
        reply = _PassiveReply(read.member)
        recorded = asyncio.Event()
        handling = self._spawn(self._take(message, reply, recorded))
        started = asyncio.get_running_loop().time()
        await _first_of(handling, reply.ready, self.passive_seconds)
        text = reply.close()  # what comes later goes as 客服消息
        # Answered only once recorded, else WeChat sends it again. A reply is ready before
        # the record only when it is a message held for the member (sent first): it goes
        # back at once, ahead of what follows it as 客服消息.
        if text is None and not recorded.is_set():
            left = RECORD_SECONDS - (asyncio.get_running_loop().time() - started)
            await _first_of(handling, recorded, max(0.0, left))
        if text is None and not recorded.is_set():
            self._recent.pop(read.key, None)  # the retry is handled, not dropped
            log.warning("Official Account message from %s not recorded yet: refused", read.member)
            return Response(status_code=503)
        if text is None:
            return PlainTextResponse("success")
        return self._reply(message, text, query.get("nonce", ""))

    def _open(self, query: Any, body: bytes) -> dict[str, str]:
        """The callback's message, every signature it carries checked."""
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        self._crypto.check_plain(query.get("signature", ""), timestamp, nonce)
        if query.get("encrypt_type", "raw") == "aes":
            return self._crypto.open(query.get("msg_signature", ""), timestamp, nonce, body)
        if self._crypto.encrypted:
            raise CallbackRejected(
                400,
                "a plain callback, but wechat.oa.aes_key is set: set the account's "
                "消息加解密方式 to 安全模式, or remove the key",
            )
        return parse_xml(body, "the callback body")

    def _retried(self, key: str) -> bool:
        """WeChat repeats a callback it got no answer to: handle the first only."""
        if key in self._recent:
            return True
        self._recent[key] = None
        if len(self._recent) > RECENT_CALLBACKS:
            self._recent.popitem(last=False)
        return False

    def _reply(self, message: dict[str, str], text: str, nonce: str) -> Response:
        """The passive reply, encrypted in 安全模式."""
        timestamp = str(int(self._clock.now().timestamp()))
        plain = _xml(
            ToUserName=message.get("FromUserName", ""),
            FromUserName=message.get("ToUserName", ""),
            CreateTime=timestamp,
            MsgType="text",
            Content=text,
        )
        if not self._crypto.encrypted:
            return Response(plain, media_type="application/xml")
        signature, encrypted = self._crypto.encrypt(plain, timestamp, nonce)
        sealed = _xml(Encrypt=encrypted, MsgSignature=signature, TimeStamp=timestamp, Nonce=nonce)
        return Response(sealed, media_type="application/xml")

    # -- reading -------------------------------------------------------------------------

    async def _take(
        self, message: dict[str, str], reply: _PassiveReply, recorded: asyncio.Event
    ) -> None:
        _passive.set(reply)  # this task's own context: only its sends may use the reply
        read = oa_convert.read(message)
        member = read.member
        try:
            if read.kind == "message":
                held = await self.member_wrote(member, read.sent_at)
            elif read.kind == "tap":
                held = await self.member_wrote(
                    member, read.sent_at, allowed=TAP_MESSAGES, lasting=TAP_WINDOW
                )
            else:
                held = []
            await self.send_held(member, held)  # what waited for the member goes first
            first_sight = read.kind == "message" and member not in self._seen
            events = oa_convert.to_events(message, self._oa.app_id, first_sight=first_sight)
            incoming = Incoming(key=f"oa:{read.key}", events=tuple(events))
            await self._dispatcher.handle(
                incoming, self.platform, self.deliver, recorded=recorded.set
            )
            if read.kind == "message":
                self._seen.add(member)
        except Exception:
            log.exception("an Official Account callback from %s failed", member)
        finally:
            reply.close()
            reply.ready.set()

    # -- writing -------------------------------------------------------------------------

    async def send_one(
        self, member: str, kind: str, content: dict[str, Any], outcome: Outcome, *, reserved: bool
    ) -> None:
        reply = _passive.get()
        if not reserved and reply is not None and reply.offer(member, kind, content):
            outcome.sent.append(Sent(PLATFORM, member, f"reply-{uuid.uuid4().hex}"))
            return
        if not reserved:
            await self.reserve(member)
        try:
            await self._api.send_custom(member, kind, content)
        except WeChatError as error:
            if error.errcode in (OUT_OF_TIME, OUT_OF_COUNT):
                await self.close(member)
                raise WindowClosed("window_closed") from None
            await self.give_back(member)
            if error.errcode == NOT_FOLLOWING:
                raise WindowClosed("not_following") from None
            raise
        except WeChatUnreachable:
            await self.give_back(member)
            raise
        outcome.sent.append(Sent(PLATFORM, member, uuid.uuid4().hex))

    def messages(self, text: str, buttons: Keyboard) -> list[Message]:
        """As for every WeChat channel, with link buttons as lines of the text: an
        account's 菜单消息 has no link items."""
        links = [f"{button.label}：{button.url}" for row in buttons for button in row if button.url]
        if links:
            text = "\n".join([text, *links]) if text.strip() else "\n".join(links)
        return super().messages(text, buttons)

    def menu_item(self, button: Button) -> dict[str, Any] | None:
        if button.data and not button.url and len(button.data.encode("utf-8")) <= 64:
            return {"id": button.data, "content": truncate(button.label, 128)}
        return None


def _xml(**fields: str) -> str:
    """A flat XML document, every value escaped (no CDATA a text could close)."""
    root = ElementTree.Element("xml")
    for tag, value in fields.items():
        ElementTree.SubElement(root, tag).text = value
    return ElementTree.tostring(root, encoding="unicode")
