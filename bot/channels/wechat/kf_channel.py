"""The 微信客服 channel: WeChat members talk to Shequn one to one.

WeCom calls the callback URL when a member writes (``kf_msg_or_event``); the
channel answers at once and then pulls the messages with ``kf/sync_msg``, storing
the cursor in the transaction of each page's last message. It writes back with
``kf/send_msg`` only inside the member's window — 5 messages within 48 hours of
their last message, counted here so that nothing is ever sent outside it: what
cannot go out is held and sent when the member writes again, and the reason is
recorded for the reports. A conversation an operator handed to a human servicer
in WeCom is theirs; Shequn does not write into it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.rendering import plain_text
from bot.channels.wechat import kf_convert
from bot.channels.wechat.api import WeComApi, WeComError, WeComUnreachable, split_text
from bot.channels.wechat.crypto import CallbackCrypto, CallbackRejected
from bot.channels.wechat.settings import WeChatSettings
from bot.channels.wechat.tokens import DatabaseTokenStore
from bot.startup import StartupError
from handlers.actions import (
    Action,
    AnswerButton,
    Button,
    Keyboard,
    Receipt,
    SendMessage,
    SendPrivate,
    Sent,
    receipt_for,
)
from handlers.capabilities import Capabilities
from handlers.clock import Clock
from handlers.dispatcher import Dispatcher
from handlers.events import ChatRef, Checkpoint, Incoming, UserRef
from storage.database import Storage
from storage.records import HeldMessageRecord
from storage.repositories import Repositories

log = logging.getLogger(__name__)

PLATFORM = kf_convert.PLATFORM
#: What WeChat allows after a member's last message.
WINDOW = timedelta(hours=48)
WINDOW_MESSAGES = 5
#: A welcome code (``enter_session``) is good for 20 seconds, once.
WELCOME_CODE_LIFE = timedelta(seconds=20)
#: Errors of ``kf/send_msg``: the window is closed; the conversation is not the bot's.
WINDOW_CLOSED = 95001
NOT_WITH_BOT = frozenset({95016, 95017, 95018})
#: The longest pause between attempts to reach WeChat at start.
MAX_CONNECT_DELAY = 60.0
#: A 菜单消息 (msgmenu): its text before the items, and how many items it takes.
MENU_HEAD_BYTES = 1024
MENU_ITEMS = 10

CAPABILITIES = Capabilities(
    group_messages=False,
    private_first_contact=False,
    reply_window=WINDOW,
    edit=False,
    delete=False,
    restrict=False,
    buttons=True,  # as a msgmenu: the member taps an item, which comes back as its id
    invite_links=False,
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


class WindowClosed(Exception):
    """A message cannot go out now; ``reason`` is what the reports show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Outcome:
    sent: list[Sent] = field(default_factory=list)


class WeChatKfChannel:
    name = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: WeChatSettings,
        dispatcher: Dispatcher,
        storage: Storage,
        clock: Clock,
        api: WeComApi | None = None,
    ) -> None:
        kf = settings.kf
        self._settings = settings
        self._dispatcher, self._storage, self._clock = dispatcher, storage, clock
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
        delay = 1.0
        while True:
            try:
                return [str(a.get("open_kfid", "")) for a in await self._api.account_list()]
            except WeComError as error:
                raise StartupError(
                    f"WeChat refused the 微信客服 keys ({error}); check {{setting}}",
                    setting="wechat.kf.corp_id and wechat.kf.secret",
                ) from None
            except WeComUnreachable as error:
                log.warning(
                    "WeChat's API at %s is unreachable (%s); retrying in %g s",
                    self._api.api_base_url,
                    error,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_CONNECT_DELAY)

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
        """WeCom checks the URL once when it is saved: echo the decrypted ``echostr``."""
        query = request.query_params
        try:
            echo = self._crypto.verify_url(
                query.get("msg_signature", ""),
                query.get("timestamp", ""),
                query.get("nonce", ""),
                query.get("echostr", ""),
            )
        except CallbackRejected as rejected:
            log.warning("WeChat URL check refused: %s", rejected.reason)
            return Response(status_code=rejected.status)
        return PlainTextResponse(echo)

    async def _on_callback(self, request: Request) -> Response:
        """Answer at once (WeChat retries after 5 s) and pull the messages afterwards."""
        if not self._running:
            return Response(status_code=503)
        query = request.query_params
        try:
            message = self._crypto.open(
                query.get("msg_signature", ""),
                query.get("timestamp", ""),
                query.get("nonce", ""),
                await request.body(),
            )
        except CallbackRejected as rejected:
            log.warning("WeChat callback refused: %s", rejected.reason)
            return Response(status_code=rejected.status)
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
            except (WeComError, WeComUnreachable) as error:
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
            held = await self._member_wrote(member, message.sent_at)
            await self._send_held(member, held)  # what waited for the member goes first
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
        except (WeComError, WeComUnreachable) as error:
            log.info("could not learn members' names: %s", error)
            return
        for customer in found.get("customer_list", []):
            name = str(customer.get("nickname") or "").strip()
            if name:
                self._names[str(customer.get("external_userid"))] = name[:64]

    # -- writing -------------------------------------------------------------------------

    async def execute(self, actions: list[Action]) -> list[Receipt]:
        """Carry out actions in order; one failure never blocks the rest."""
        receipts: list[Receipt] = []
        for action in actions:
            outcome, error, skipped = _Outcome(), None, False
            try:
                await self._execute(action, outcome)
            except WindowClosed as closed:
                error, skipped = closed.reason, True
                what = "skipped" if action.deliveries else "held for later"
                log.info("%s %s: %s", type(action).__name__, what, closed.reason)
            except (WeComError, WeComUnreachable) as failure:
                error = str(failure)
                log.warning("WeChat refused %s: %s", type(action).__name__, failure)
            receipt = receipt_for(action, error, tuple(outcome.sent), skipped=skipped)
            if receipt is not None:
                receipts.append(receipt)
        return receipts

    async def _execute(self, action: Action, outcome: _Outcome) -> None:
        # Scheduled work (an onboarding step) is not worth holding: it goes inside the
        # window or is skipped, with the reason.
        hold = not action.deliveries
        match action:
            case SendPrivate(user=user):
                await self._send(user.id, action.text, action.buttons, outcome, hold=hold)
            case SendMessage(chat=chat) if chat.is_private:
                await self._send(chat.id, action.text, action.buttons, outcome, hold=hold)
            case AnswerButton(text=text) if text:
                await self._send(action.press_id, Markup.escape(text), (), outcome)
            case AnswerButton():
                pass  # nothing to acknowledge: the tap arrived as a message
            case _:
                raise WeComError(-2, f"微信客服 cannot carry out {type(action).__name__}")

    async def _send(
        self,
        member: str,
        text: Markup,
        buttons: Keyboard,
        outcome: _Outcome,
        *,
        hold: bool = True,
    ) -> None:
        """Send within the member's window, holding what it cannot take for the member's
        next message; without ``hold``, the whole message fits the window or none of it
        goes (WindowClosed)."""
        parts = _messages(plain_text(text), buttons)
        if not hold:
            await self._reserve(member, len(parts))
        for index, (kind, content) in enumerate(parts):
            try:
                await self._send_one(member, kind, content, outcome, reserved=not hold)
            except WindowClosed as closed:
                if hold:
                    rest = "\n".join(_as_text(kind, body) for kind, body in parts[index:])
                    await self._hold(member, rest, closed.reason)
                raise
            except (WeComError, WeComUnreachable):
                unsent = len(parts) - index - 1
                if not hold and unsent:
                    await self._storage.run(
                        lambda repos, n=unsent: repos.reply_windows.give_back(PLATFORM, member, n)
                    )
                raise

    async def _hold(self, member: str, text: str, reason: str) -> None:
        now = self._clock.now()
        await self._storage.run(lambda repos: repos.held.hold(PLATFORM, member, text, reason, now))

    async def _send_one(
        self,
        member: str,
        kind: str,
        content: dict[str, Any],
        outcome: _Outcome,
        *,
        reserved: bool = False,
    ) -> None:
        """One message; ``reserved``: already counted against the window."""
        msgid = uuid.uuid4().hex
        welcome = None if reserved else self._welcome.pop(member, None)
        if welcome and self._clock.now() - welcome[1] < WELCOME_CODE_LIFE:
            try:  # the welcome of a new session goes out on its code, outside the window
                await self._api.send_msg_on_event(welcome[0], kind, content, msgid)
                outcome.sent.append(Sent(PLATFORM, member, msgid))
                return
            except WeComError as error:
                log.info("welcome code not accepted (%s); sending normally", error)
        if not reserved:
            await self._reserve(member)
        account = self._account(member)
        try:
            await self._api.send_msg(member, account, kind, content, msgid)
        except WeComError as error:
            if error.errcode == WINDOW_CLOSED:
                await self._storage.run(
                    lambda repos: repos.reply_windows.close(PLATFORM, member, WINDOW_MESSAGES)
                )
                raise WindowClosed("window_closed") from None
            await self._storage.run(lambda repos: repos.reply_windows.give_back(PLATFORM, member))
            if error.errcode in NOT_WITH_BOT:
                raise WindowClosed("with_servicer") from None
            raise
        except WeComUnreachable:
            await self._storage.run(lambda repos: repos.reply_windows.give_back(PLATFORM, member))
            raise
        outcome.sent.append(Sent(PLATFORM, member, msgid))

    async def _reserve(self, member: str, count: int = 1) -> None:
        """Count messages against the window; WindowClosed when it cannot take them."""
        opened_after = self._clock.now() - WINDOW

        async def reserve(repos: Repositories) -> str | None:
            window = await repos.reply_windows.get(PLATFORM, member)
            if window is not None and window.servicer:
                return "with_servicer"
            fits = await repos.reply_windows.reserve(
                PLATFORM, member, opened_after=opened_after, limit=WINDOW_MESSAGES, count=count
            )
            return None if fits else "window_closed"

        reason = await self._storage.run(reserve)
        if reason is not None:
            raise WindowClosed(reason)

    async def _member_wrote(self, member: str, at: datetime) -> list[HeldMessageRecord]:
        """The member wrote at ``at``: their window opens again, and what was held for
        them is taken to send (one transaction)."""
        now = self._clock.now()

        async def work(repos: Repositories) -> list[HeldMessageRecord]:
            await repos.reply_windows.member_wrote(PLATFORM, member, at)
            held = await repos.held.waiting(PLATFORM, member)
            await repos.held.release([message.id for message in held], now)
            return held

        return await self._storage.run(work)

    async def _send_held(self, member: str, held: list[HeldMessageRecord]) -> None:
        """What was held for the member goes out now, oldest first; what the window
        cannot take this time is held again (the one refused holds itself)."""
        for index, message in enumerate(held):
            try:
                await self._send(member, Markup.escape(message.text), (), _Outcome())
            except WindowClosed as closed:
                for later in held[index + 1 :]:
                    await self._hold(member, later.text, closed.reason)
                return
            except (WeComError, WeComUnreachable) as error:
                log.warning("a held message to %s was refused: %s", member, error)


def _messages(text: str, buttons: Keyboard) -> list[tuple[str, dict[str, Any]]]:
    """The text in parts of at most 2,048 bytes; buttons as a 菜单消息 whose head is the
    last part when it fits (so a short answer with 👍/👎 is one message)."""
    parts = split_text(text) if text.strip() else []
    items = [_menu_item(button) for row in buttons for button in row][:MENU_ITEMS]
    items = [item for item in items if item is not None]
    messages: list[tuple[str, dict[str, Any]]] = []
    head = ""
    if items and parts and len(parts[-1].encode("utf-8")) <= MENU_HEAD_BYTES:
        head = parts.pop()
    messages += [("text", {"content": part}) for part in parts]
    if items:
        messages.append(("msgmenu", {"head_content": head, "list": items}))
    return messages


def _menu_item(button: Button) -> dict[str, Any] | None:
    label = _truncate(button.label, 128)
    if button.url:
        return {"type": "view", "view": {"url": button.url, "content": label}}
    if button.data and len(button.data.encode("utf-8")) <= 64:
        return {"type": "click", "click": {"id": button.data, "content": label}}
    return None


def _truncate(text: str, budget: int) -> str:
    encoded = text.encode("utf-8")[:budget]
    return encoded.decode("utf-8", errors="ignore")


def _as_text(kind: str, content: dict[str, Any]) -> str:
    """A held message as text: a menu's items become lines (tapping is gone by then)."""
    if kind == "text":
        return str(content.get("content", ""))
    lines = [str(content.get("head_content", ""))]
    for item in content.get("list", []):
        body = item.get(item.get("type", ""), {})
        lines.append(f"• {body.get('content', '')}")
    return "\n".join(line for line in lines if line)
