"""The fake Bot API: ``/bot<token>/<method>`` over HTTP on 127.0.0.1.

It keeps chats, messages and an update queue, serves long-polling
``getUpdates``, and answers like Telegram where bots break: 400 for bad HTML
or text over 4,096 UTF-16 units, 403 for a private chat with someone who
never started the bot (or blocked it), 429 with ``retry_after`` under flood,
409 for ``getUpdates`` while a webhook is set, 401 for a token it does not know.
It can start on a port a bot was already told about, and go down and come back
on it (an outage). Tests drive it through Python methods (``push_update``,
``sent_messages`` …).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fake_telegram.html_check import HtmlEntityError, utf16_len, validate_telegram_html

JSON = dict[str, Any]
ALL_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
)
DEFAULT_UPDATE_TYPES = tuple(t for t in ALL_UPDATE_TYPES if t != "chat_member")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class Call:
    method: str
    params: JSON
    status: int
    at: float


@dataclass
class FloodLimits:
    enabled: bool = True
    global_per_second: int = 30
    per_group_per_minute: int = 20
    per_private_per_second: int = 5


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    bot_present: bool = True
    admins: list[JSON] = field(default_factory=list)
    messages: dict[int, JSON] = field(default_factory=dict)

    def as_json(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.first_name:
            data["first_name"] = self.first_name
        if self.username:
            data["username"] = self.username
        return data


class FakeBotApi:
    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_id: int = 123456,
        bot_username: str = "shequn_test_bot",
        bot_first_name: str = "Shequn",
        reads_all_group_messages: bool = False,
    ) -> None:
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.reads_all_group_messages = reads_all_group_messages
        self.chats: dict[int, Chat] = {}
        self.started_users: set[int] = set()
        self.blocked_users: set[int] = set()
        self.flood = FloodLimits()
        self.webhook: JSON = {"url": ""}
        self.allowed_updates: list[str] | None = None
        self.commands: list[JSON] = []
        self._calls: list[Call] = []
        self._updates: deque[JSON] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._pushed_at: dict[int, tuple[int, float]] = {}
        self._send_times: list[tuple[int, float]] = []
        self._callback_ids: set[str] = set()
        self.invite_links: list[JSON] = []
        self._forced_floods: list[tuple[int | None, int]] = []
        self._sent_log: deque[tuple[float, int, str]] = deque()
        self._new_update: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._new_update = asyncio.Event()
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # A long poll in flight is cut off at once on stop, as a network outage would.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def go_down(self) -> None:
        """An outage: the port stops answering; chats, messages and updates are kept."""
        await self.stop()

    async def come_back(self) -> None:
        """The end of an outage: the same port answers again."""
        await self.start(port=self.port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- test control -----------------------------------------------------------
    def add_chat(
        self, chat_id: int, type: str = "supergroup", title: str | None = "Test group"
    ) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(chat_id, type, title if type != "private" else None)
            self.chats[chat_id] = chat
        return chat

    def mark_started(self, user_id: int) -> None:
        self.started_users.add(user_id)
        self.add_chat(user_id, "private", None)

    def block(self, user_id: int) -> None:
        self.blocked_users.add(user_id)

    def kick_bot(self, chat_id: int) -> None:
        self.add_chat(chat_id).bot_present = False

    def restore_bot(self, chat_id: int) -> None:
        """The bot is added back to a chat it was removed from."""
        self.add_chat(chat_id).bot_present = True

    def set_admins(
        self,
        chat_id: int,
        owner: JSON | None = None,
        admins: list[JSON] = (),
        bot_admin: bool = False,
    ) -> None:  # type: ignore[assignment]
        chat = self.add_chat(chat_id)
        members = []
        if owner is not None:
            members.append({"status": "creator", "user": owner, "is_anonymous": False})
        for user in admins:
            members.append(_admin(user))
        if bot_admin:
            members.append(_admin(self.bot))
        chat.admins = members

    def set_flood_limits(self, **limits: Any) -> None:
        for key, value in limits.items():
            setattr(self.flood, key, value)

    def force_flood(self, chat_id: int | None = None, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` sends (to ``chat_id``, or any) answer 429."""
        self._forced_floods.extend([(chat_id, retry_after)] * times)

    def push_update(self, update: JSON) -> int:
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._register_from_update(update)
        self._updates.append(update)
        chat_id = _chat_of(update)
        self._pushed_at[update["update_id"]] = (chat_id, time.monotonic())
        if self._new_update is not None:
            self._new_update.set()
        return update["update_id"]

    def sent_messages(self, chat_id: int | None = None) -> list[JSON]:
        found = [m for c in self.chats.values() for m in c.messages.values() if m.get("_sent")]
        found.sort(key=lambda m: m["_order"])
        return [m for m in found if chat_id is None or m["chat"]["id"] == chat_id]

    def calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self._calls if method is None or c.method == method.lower()]

    def latencies(self) -> list[float]:
        """Seconds from each push to the first successful send into that update's chat after it."""
        result = []
        sends = sorted(self._send_times, key=lambda s: s[1])
        for chat_id, pushed in self._pushed_at.values():
            reply = next((t for c, t in sends if c == chat_id and t >= pushed), None)
            if reply is not None:
                result.append(reply - pushed)
        return result

    def reset_counters(self) -> None:
        self._calls.clear()
        self._pushed_at.clear()
        self._send_times.clear()

    # -- payload builders --------------------------------------------------------
    @staticmethod
    def make_user(
        user_id: int,
        first_name: str,
        username: str | None = None,
        *,
        is_bot: bool = False,
        language_code: str | None = None,
    ) -> JSON:
        user: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def chat_json(self, chat_id: int) -> JSON:
        return self.add_chat(chat_id).as_json()

    def message_update(
        self,
        chat_id: int,
        user: JSON,
        text: str,
        *,
        reply_to: int | None = None,
        sender_chat: JSON | None = None,
    ) -> JSON:
        if chat_id > 0:
            chat = self.add_chat(chat_id, "private", None)
            chat.first_name = user["first_name"]
        message: JSON = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat_json(chat_id),
            "from": user,
            "text": text,
        }
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            message["reply_to_message"] = self.chats[chat_id].messages.get(
                reply_to, {"message_id": reply_to, "date": 0, "chat": self.chat_json(chat_id)}
            )
        self.add_chat(chat_id).messages[message["message_id"]] = message
        return {"message": message}

    def new_chat_members_update(
        self, chat_id: int, users: list[JSON], actor: JSON | None = None
    ) -> JSON:
        return {
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": self.chat_json(chat_id),
                "from": actor or users[0],
                "new_chat_members": users,
            }
        }

    def left_chat_member_update(self, chat_id: int, user: JSON, actor: JSON | None = None) -> JSON:
        return {
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": self.chat_json(chat_id),
                "from": actor or user,
                "left_chat_member": user,
            }
        }

    def chat_member_update(
        self,
        chat_id: int,
        user: JSON,
        old_status: str,
        new_status: str,
        actor: JSON | None = None,
        kind: str = "chat_member",
        invite_link: JSON | None = None,
    ) -> JSON:
        def member(status: str) -> JSON:
            if status == "administrator":
                return _admin(user)
            data: JSON = {"status": status, "user": user}
            if status == "kicked":
                data["until_date"] = 0
            if status == "creator":
                data["is_anonymous"] = False
            return data

        change: JSON = {
            "chat": self.chat_json(chat_id),
            "from": actor or user,
            "date": int(time.time()),
            "old_chat_member": member(old_status),
            "new_chat_member": member(new_status),
        }
        if invite_link is not None:
            change["invite_link"] = invite_link
        return {kind: change}

    def my_chat_member_update(
        self, chat_id: int, actor: JSON, old_status: str, new_status: str
    ) -> JSON:
        return self.chat_member_update(
            chat_id, self.bot, old_status, new_status, actor, "my_chat_member"
        )

    def callback_query_update(self, chat_id: int, user: JSON, message_id: int, data: str) -> JSON:
        message = self.add_chat(chat_id).messages.get(message_id)
        query_id = f"cq{next(self._message_ids)}"
        return {
            "callback_query": {
                "id": query_id,
                "from": user,
                "chat_instance": f"ci{chat_id}",
                "data": data,
                "message": {k: v for k, v in (message or {}).items() if not k.startswith("_")}
                or {"message_id": message_id, "date": 0, "chat": self.chat_json(chat_id)},
            }
        }

    def migrate_updates(self, old_chat_id: int, new_chat_id: int, actor: JSON) -> list[JSON]:
        """The two service messages Telegram sends when a group becomes a supergroup."""
        old = self.add_chat(
            old_chat_id, "group", self.chats.get(old_chat_id, Chat(0, "group", "G")).title
        )
        new = self.add_chat(new_chat_id, "supergroup", old.title)
        now = int(time.time())
        return [
            {
                "message": {
                    "message_id": next(self._message_ids),
                    "date": now,
                    "chat": old.as_json(),
                    "from": actor,
                    "migrate_to_chat_id": new_chat_id,
                }
            },
            {
                "message": {
                    "message_id": next(self._message_ids),
                    "date": now,
                    "chat": new.as_json(),
                    "from": {
                        "id": 1087968824,
                        "is_bot": True,
                        "first_name": "Group",
                        "username": "GroupAnonymousBot",
                    },
                    "sender_chat": new.as_json(),
                    "migrate_from_chat_id": old_chat_id,
                }
            },
        ]

    # -- HTTP ---------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params = await _params(request)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler: Callable[[JSON], Any] | None = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status = error.code
            body = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
        self._calls.append(Call(method, params, status, time.monotonic()))
        return web.json_response(body, status=status)

    def _api_getme(self, _: JSON) -> JSON:
        return {
            **self.bot,
            "can_join_groups": True,
            "can_read_all_group_messages": self.reads_all_group_messages,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getupdates(self, params: JSON) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"])
        offset = int(params.get("offset") or 0)
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            if offset:  # confirms every update with a lower id, like Telegram
                self._updates = deque(u for u in self._updates if u["update_id"] >= offset)
            ready = [u for u in self._updates if self._allowed(u)][:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            assert self._new_update is not None
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._new_update.wait(), max(0.0, deadline - time.monotonic())
                )

    def _allowed(self, update: JSON) -> bool:
        kinds = self.allowed_updates or DEFAULT_UPDATE_TYPES
        return any(kind in update for kind in kinds)

    def _api_setwebhook(self, params: JSON) -> bool:
        self.webhook = {
            "url": params.get("url", ""),
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_deletewebhook(self, params: JSON) -> bool:
        self.webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_getwebhookinfo(self, _: JSON) -> JSON:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _chat_for_send(self, chat_ref: Any) -> Chat:
        if isinstance(chat_ref, str) and chat_ref.startswith("@"):
            chat = next((c for c in self.chats.values() if c.username == chat_ref[1:]), None)
            if chat is None:
                raise ApiError(400, "Bad Request: chat not found")
            return chat
        chat_id = int(chat_ref)
        if chat_id > 0:
            if chat_id in self.blocked_users:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self.started_users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if not chat.bot_present:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _check_flood(self, chat: Chat) -> None:
        for index, (chat_id, retry_after) in enumerate(self._forced_floods):
            if chat_id is None or chat_id == chat.id:
                del self._forced_floods[index]
                raise _too_many(retry_after)
        if not self.flood.enabled:
            return
        now = time.monotonic()
        while self._sent_log and now - self._sent_log[0][0] > 60:
            self._sent_log.popleft()
        last_second = [s for s in self._sent_log if now - s[0] < 1]
        if len(last_second) >= self.flood.global_per_second:
            raise _too_many(1)
        if chat.type == "private":
            if sum(1 for s in last_second if s[1] == chat.id) >= self.flood.per_private_per_second:
                raise _too_many(1)
        else:
            in_chat = [s[0] for s in self._sent_log if s[1] == chat.id]
            if len(in_chat) >= self.flood.per_group_per_minute:
                raise _too_many(max(1, int(60 - (now - in_chat[0])) + 1))

    @staticmethod
    def _visible_text(params: JSON) -> str:
        text = str(params.get("text", ""))
        if str(params.get("parse_mode", "")).upper() == "HTML":
            try:
                text = validate_telegram_html(text)
            except HtmlEntityError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")

    def _api_sendmessage(self, params: JSON) -> JSON:
        chat = self._chat_for_send(params.get("chat_id"))
        self._visible_text(params)
        self._check_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") or params.get("reply_to_message_id")
        allow = reply.get("allow_sending_without_reply") or params.get(
            "allow_sending_without_reply"
        )
        if reply_to is not None and int(reply_to) not in chat.messages and not allow:
            raise ApiError(400, "Bad Request: message to be replied not found")
        self._check_flood(chat)
        now = time.monotonic()
        self._sent_log.append((now, chat.id, "sendMessage"))
        self._send_times.append((chat.id, now))
        message: JSON = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat.as_json(),
            "from": self.bot,
            "text": params.get("text"),
        }
        markup = params.get("reply_markup")
        if markup and "inline_keyboard" in markup:  # Telegram returns only inline keyboards
            message["reply_markup"] = markup
        if reply_to is not None and int(reply_to) in chat.messages:
            original = chat.messages[int(reply_to)]
            message["reply_to_message"] = {
                k: v for k, v in original.items() if not k.startswith("_")
            }
        stored = {
            **message,
            "_sent": True,
            "_order": len(self._send_times),
            "parse_mode": params.get("parse_mode"),
            "reply_to_message_id": reply_to,
            # What the bot asked for, for tests (ForceReply included, which Telegram
            # never returns as the message's markup).
            "_requested_markup": markup,
        }
        chat.messages[message["message_id"]] = stored
        return message

    def _api_editmessagetext(self, params: JSON) -> JSON:
        chat = self._chat_for_send(params.get("chat_id"))
        message = chat.messages.get(int(params.get("message_id", 0)))
        if message is None or not message.get("_sent"):
            raise ApiError(400, "Bad Request: message to edit not found")
        self._visible_text(params)
        self._check_markup(params.get("reply_markup"))
        if message.get("text") == params.get("text") and message.get("reply_markup") == params.get(
            "reply_markup"
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = params.get("text")
        message["reply_markup"] = params.get("reply_markup")
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def _api_deletemessage(self, params: JSON) -> bool:
        chat = self._chat_for_send(params.get("chat_id"))
        if chat.messages.pop(int(params.get("message_id", 0)), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _api_answercallbackquery(self, params: JSON) -> bool:
        if params.get("callback_query_id") not in self._callback_ids:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        return True

    def _api_getchatadministrators(self, params: JSON) -> list[JSON]:
        chat = self.chats.get(int(params.get("chat_id", 0)))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat.admins

    def _api_getchatmember(self, params: JSON) -> JSON:
        chat = self.chats.get(int(params.get("chat_id", 0)))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        user_id = int(params.get("user_id", 0))
        for member in chat.admins:
            if member["user"]["id"] == user_id:
                return member
        return {"status": "member", "user": self.make_user(user_id, str(user_id))}

    def _api_getchat(self, params: JSON) -> JSON:
        chat = self.chats.get(int(params.get("chat_id", 0)))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return {
            **chat.as_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    def _api_createchatinvitelink(self, params: JSON) -> JSON:
        """Telegram: only an admin with "invite users" may; the name is at most 32 characters."""
        chat = self._chat_for_send(params.get("chat_id"))
        name = params.get("name")
        if name is not None and len(str(name)) > 32:
            raise ApiError(400, "Bad Request: invite link name is too long")
        link: JSON = {
            "invite_link": f"https://t.me/+fake{chat.id}x{len(self.invite_links)}",
            "creator": self.bot,
            "creates_join_request": False,
            "is_primary": False,
            "is_revoked": False,
        }
        if name is not None:
            link["name"] = str(name)
        self.invite_links.append(link)
        return link

    def _api_setmycommands(self, params: JSON) -> bool:
        self.commands = list(params.get("commands") or [])
        return True

    def _ok(self, _: JSON) -> bool:
        return True

    _api_restrictchatmember = _api_banchatmember = _api_unbanchatmember = _ok
    _api_deletemycommands = _api_sendchataction = _api_leavechat = _ok
    _api_setmydescription = _api_close = _api_logout = _ok

    def _api_getmycommands(self, _: JSON) -> list[JSON]:
        return self.commands

    def _register_from_update(self, update: JSON) -> None:
        """Telegram knows every chat and user an update mentions; so does the fake."""
        for kind in ("message", "edited_message"):
            message = update.get(kind)
            if message:
                chat = message["chat"]
                known = self.add_chat(chat["id"], chat["type"], chat.get("title"))
                known.messages.setdefault(message["message_id"], message)
                if chat["type"] == "private":
                    self.started_users.add(chat["id"])
        query = update.get("callback_query")
        if query:
            self._callback_ids.add(query["id"])
        for kind in ("chat_member", "my_chat_member"):
            change = update.get(kind)
            if change:
                self.add_chat(
                    change["chat"]["id"], change["chat"]["type"], change["chat"].get("title")
                )


def _admin(user: JSON) -> JSON:
    rights = (
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
    )
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        **{right: True for right in rights},
    }


def _too_many(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def _chat_of(update: JSON) -> int:
    for kind in ("message", "edited_message", "chat_member", "my_chat_member"):
        if kind in update:
            return update[kind]["chat"]["id"]
    query = update.get("callback_query")
    if query:
        return (query.get("message") or {}).get("chat", {}).get("id", query["from"]["id"])
    return 0


async def _params(request: web.Request) -> JSON:
    """Query string, JSON, urlencoded or multipart; nested JSON strings decoded."""
    params: JSON = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key, value in list(params.items()):
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


class FakeBotApiThread:
    """The fake in a background thread with its own loop, for tests that block
    (e.g. while a real ``shequn run`` process talks to it)."""

    def __init__(self, port: int = 0, **kwargs: Any) -> None:
        """``port``: a fixed one, e.g. one a bot was told about before the fake is up."""
        self.api = FakeBotApi(**kwargs)
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeBotApiThread:
        self._thread.start()
        self.call(self.api.start(port=self._port))
        return self

    def __exit__(self, *_: object) -> None:
        self.call(self.api.stop())  # fine when already down
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def call(self, awaitable: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(awaitable, self._loop).result(30)

    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a control method inside the server's loop (state is not shared across threads)."""

        async def invoke() -> Any:
            return function(*args, **kwargs)

        return self.call(invoke())

    def go_down(self) -> None:
        self.call(self.api.go_down())

    def come_back(self) -> None:
        self.call(self.api.come_back())

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.api, name)
        if callable(attribute):
            return lambda *args, **kwargs: self.run(attribute, *args, **kwargs)
        return attribute

    def wait_for_messages(
        self, count: int, chat_id: int | None = None, timeout: float = 10
    ) -> list[JSON]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.run(self.api.sent_messages, chat_id)
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.02)

    def wait_for_call(self, method: str, timeout: float = 10, count: int = 1) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            calls = self.run(self.api.calls, method)
            if len(calls) >= count or time.monotonic() > deadline:
                return calls
            time.sleep(0.02)
