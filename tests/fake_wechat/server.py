"""The fake WeCom 微信客服 API: ``/cgi-bin/<method>`` over HTTP on 127.0.0.1.

It keeps 客服账号, members (external users), the message log ``kf/sync_msg``
pages through, and what was sent to each member, and answers like WeCom where
bots break: 40014 for an access token it never issued and 42001 for an expired
one; 95007 for a sync token older than 10 minutes; 95001 when a member's send
window is closed (5 messages since their last one, or 48 h after it); the
session-state errors (95018 by default) when a member's session is not with
the bot; 45009 past a set rate; a welcome code used twice refused. A send
repeating a ``msgid`` already delivered is answered with that msgid and not
delivered again. Time is a fake clock (``advance``). Tests drive it through
Python methods (``customer_says``, ``post_callback``, ``sent_to`` …).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.wechat.crypto import CallbackCrypto

JSON = dict[str, Any]
SYNC_TOKEN_SECONDS = 600
WINDOW_SECONDS = 48 * 3600
WINDOW_MESSAGES = 5
WELCOME_CODE_SECONDS = 20
TEXT_MAX_BYTES = 2048
APP_PER_MINUTE = 30
ROBOT_PER_MINUTE = 20


class WeComFault(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode, self.errmsg = errcode, errmsg


@dataclass
class Call:
    method: str
    query: JSON
    body: JSON
    errcode: int


@dataclass
class Sent:
    msgid: str
    open_kfid: str
    touser: str
    msgtype: str
    content: JSON
    at: float


@dataclass
class AppMessage:
    """An app message as one staff member received it."""

    person: str
    kind: str
    content: JSON
    msgid: str


@dataclass
class Member:
    external_userid: str
    nickname: str
    #: send_time of the member's last message, per 客服账号.
    last_message_at: dict[str, float] = field(default_factory=dict)
    #: Messages sent to the member since that message, per 客服账号.
    sent_since: dict[str, int] = field(default_factory=dict)
    service_state: int = 1
    #: What a send answers while the session is not with the bot.
    state_errcode: int = 95018


class FakeWeCom:
    def __init__(
        self,
        corp_id: str = "wwfakecorp0001",
        secret: str = "fake-kf-secret",
        token: str = "FakeCallbackToken",
        encoding_aes_key: str = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
        token_ttl: int = 7200,
    ) -> None:
        self.corp_id, self.secret = corp_id, secret
        self.callback_token, self.encoding_aes_key = token, encoding_aes_key
        self.token_ttl = token_ttl
        #: Every gettoken issues a new token (WeCom returns the same one until it expires).
        self.rotate_tokens = False
        #: Sends allowed per minute before 45009 (None: no limit).
        self.send_per_minute: int | None = None
        self.clock = time.time()
        self.accounts: dict[str, str] = {}
        self.members: dict[str, Member] = {}
        self._tokens: dict[str, float] = {}
        self._sync_tokens: dict[str, float] = {}
        self._welcome_codes: dict[str, float] = {}
        self._log: list[JSON] = []
        self._sent: list[Sent] = []
        self._sent_msgids: dict[str, str] = {}
        self._send_times: deque[float] = deque()
        self._faults: list[tuple[str, int]] = []
        #: Set whenever a message reaches a member (clear it, then wait for the next).
        self.delivered = asyncio.Event()
        self._calls: list[Call] = []
        #: The staff app (自建应用): its id, the corp's people, what they received.
        self.agent_id = 1000002
        self.staff_users: set[str] = set()
        self.staff_names: dict[str, str] = {}
        #: Customer groups: chat_id → name, owner, members (external_userid → name).
        self.groups: dict[str, JSON] = {}
        self.group_tasks: dict[str, JSON] = {}
        self.reminders: list[str] = []
        self.welcome_templates: dict[str, str] = {}
        self.app_messages: list[AppMessage] = []
        self.app_dropped = 0
        self.cards: dict[str, JSON] = {}
        self.card_updates: list[tuple[str, JSON]] = []
        self.robot_key = "fake-robot-key"
        self.robot_posts: list[str] = []
        self._app_sent_keys: dict[str, str] = {}
        self._app_times: dict[str, list[float]] = {}
        self._response_codes: dict[str, str] = {}
        self._robot_times: list[float] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{method:.+}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- test control -----------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.clock += seconds

    def add_account(self, open_kfid: str, name: str = "社群助手") -> str:
        self.accounts[open_kfid] = name
        return open_kfid

    def add_member(self, external_userid: str, nickname: str = "") -> Member:
        member = self.members.get(external_userid)
        if member is None:
            member = Member(external_userid, nickname or external_userid)
            self.members[external_userid] = member
        return member

    def customer_says(
        self, open_kfid: str, external_userid: str, text: str, *, menu_id: str = ""
    ) -> str:
        """A member's text (a menu click when ``menu_id`` is set); opens their window."""
        member = self.add_member(external_userid)
        member.last_message_at[open_kfid] = self.clock
        member.sent_since[open_kfid] = 0
        body: JSON = {"content": text}
        if menu_id:
            body["menu_id"] = menu_id
        return self._record(open_kfid, external_userid, 3, "text", {"text": body})

    def enter_session(
        self, open_kfid: str, external_userid: str, scene: str = "", scene_param: str = ""
    ) -> str:
        """A member opens the chat: an event carrying a single-use ``welcome_code``."""
        self.add_member(external_userid)
        code = secrets.token_urlsafe(16)
        self._welcome_codes[code] = self.clock + WELCOME_CODE_SECONDS
        event = {
            "event_type": "enter_session",
            "open_kfid": open_kfid,
            "external_userid": external_userid,
            "scene": scene,
            "scene_param": scene_param,
            "welcome_code": code,
        }
        self._record(open_kfid, external_userid, 4, "event", {"event": event})
        return code

    def issue_sync_token(self) -> str:
        token = f"ENC{secrets.token_urlsafe(24)}"
        self._sync_tokens[token] = self.clock + SYNC_TOKEN_SECONDS
        return token

    def callback_xml(self, open_kfid: str, sync_token: str) -> str:
        """The plaintext WeCom encrypts into a 微信客服 callback."""
        return (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<CreateTime>{int(self.clock)}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[kf_msg_or_event]]></Event>"
            f"<Token><![CDATA[{sync_token}]]></Token>"
            f"<OpenKfId><![CDATA[{open_kfid}]]></OpenKfId></xml>"
        )

    def encrypted_callback(self, open_kfid: str) -> tuple[JSON, bytes, str]:
        """(query, body, sync token) of a callback as WeCom POSTs it."""
        sync_token = self.issue_sync_token()
        timestamp, nonce = str(int(self.clock)), str(next(self._ids) * 7919)
        crypto = CallbackCrypto(self.callback_token, self.encoding_aes_key, self.corp_id)
        signature, encrypted = crypto.encrypt(
            self.callback_xml(open_kfid, sync_token), timestamp, nonce
        )
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            "<AgentID><![CDATA[]]></AgentID></xml>"
        ).encode()
        query = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}
        return query, body, sync_token

    async def post_callback(self, url: str, open_kfid: str) -> int:
        """POST an encrypted ``kf_msg_or_event`` callback to ``url``; the HTTP status."""
        query, body, _ = self.encrypted_callback(open_kfid)
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, params=query, data=body) as response,
        ):
            await response.read()
            return response.status

    def sent_to(self, external_userid: str) -> list[Sent]:
        return [s for s in self._sent if s.touser == external_userid]

    def sent_texts(self, external_userid: str) -> list[str]:
        return [s.content.get("content", "") for s in self.sent_to(external_userid)]

    def expire_token(self, token: str | None = None) -> None:
        """Expire one issued access token (every one when None)."""
        for key in [token] if token else list(self._tokens):
            self._tokens[key] = self.clock - 1

    def set_session(self, external_userid: str, state: int, errcode: int = 95018) -> None:
        """Where the member's session is (1 = the bot) and what sends answer otherwise."""
        member = self.add_member(external_userid)
        member.service_state, member.state_errcode = state, errcode

    def fail_next(self, method: str, errcode: int, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` (``kf/send_msg`` …) answer ``errcode``."""
        self._faults.extend([(method, errcode)] * times)

    def calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self._calls if method is None or c.method == method]

    @property
    def issued_tokens(self) -> list[str]:
        return list(self._tokens)

    def _record(self, open_kfid: str, user: str, origin: int, msgtype: str, body: JSON) -> str:
        msgid = f"fake{next(self._ids):08d}"
        self._log.append(
            {
                "msgid": msgid,
                "open_kfid": open_kfid,
                "external_userid": user,
                "send_time": int(self.clock),
                "origin": origin,
                "msgtype": msgtype,
                **body,
            }
        )
        return msgid

    # -- HTTP ---------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        query = dict(request.query)
        body: JSON = {}
        if request.method == "POST" and request.can_read_body:
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                body = {"_invalid": True}
        try:
            handler = getattr(self, "_api_" + method.replace("/", "_"), None)
            if handler is None:
                raise WeComFault(404, f"invalid api {method}")
            if method not in ("gettoken", "webhook/send"):
                self._check_token(query.get("access_token", ""))
                for index, (faulty, errcode) in enumerate(self._faults):
                    if faulty == method:
                        del self._faults[index]
                        raise WeComFault(errcode, "injected fault")
            if body.get("_invalid"):
                raise WeComFault(47001, "data format error")
            result = {"errcode": 0, "errmsg": "ok", **handler(query, body)}
        except WeComFault as fault:
            result = {"errcode": fault.errcode, "errmsg": f"{fault.errmsg}, hint: [fake]"}
        self._calls.append(Call(method, query, body, result["errcode"]))
        return web.json_response(result)

    def _check_token(self, token: str) -> None:
        if not token:
            raise WeComFault(41001, "access_token missing")
        if token not in self._tokens:
            raise WeComFault(40014, "invalid access_token")
        if self._tokens[token] <= self.clock:
            raise WeComFault(42001, "access_token expired")

    def _api_gettoken(self, query: JSON, _: JSON) -> JSON:
        if query.get("corpid") != self.corp_id:
            raise WeComFault(40013, "invalid corpid")
        if query.get("corpsecret") != self.secret:
            raise WeComFault(40001, "invalid credential")
        live = [t for t, until in self._tokens.items() if until > self.clock]
        if live and not self.rotate_tokens:
            token = live[-1]
        else:
            token = secrets.token_urlsafe(48)
            self._tokens[token] = self.clock + self.token_ttl
        return {"access_token": token, "expires_in": int(self._tokens[token] - self.clock)}

    def _api_kf_account_list(self, _: JSON, __: JSON) -> JSON:
        accounts = [{"open_kfid": k, "name": n, "avatar": ""} for k, n in self.accounts.items()]
        return {"account_list": accounts}

    def _api_kf_sync_msg(self, _: JSON, body: JSON) -> JSON:
        token = body.get("token", "")
        if token and self._sync_tokens.get(token, 0) <= self.clock:
            raise WeComFault(95007, "invalid msg token")
        open_kfid = body.get("open_kfid", "")
        if open_kfid and open_kfid not in self.accounts:
            raise WeComFault(95000, "invalid open_kfid")
        limit = int(body.get("limit") or 1000)
        if not 1 <= limit <= 1000:
            raise WeComFault(44004, "limit out of range")
        after = int(body.get("cursor") or 0)
        matching = [
            (index, m)
            for index, m in enumerate(self._log, 1)
            if index > after and (not open_kfid or m["open_kfid"] == open_kfid)
        ]
        page = matching[:limit]
        cursor = page[-1][0] if page else after
        return {
            "next_cursor": str(cursor),
            "has_more": int(len(matching) > limit),
            "msg_list": [m for _, m in page],
        }

    def _api_kf_send_msg(self, _: JSON, body: JSON) -> JSON:
        open_kfid, touser = body.get("open_kfid", ""), body.get("touser", "")
        msgid = body.get("msgid") or f"sent{next(self._ids):08d}"
        if msgid in self._sent_msgids:
            return {"msgid": msgid}
        if open_kfid not in self.accounts:
            raise WeComFault(95000, "invalid open_kfid")
        member = self.members.get(touser)
        if member is None:
            raise WeComFault(40096, "invalid external userid")
        msgtype = body.get("msgtype", "")
        content = body.get(msgtype)
        if not msgtype or not isinstance(content, dict):
            raise WeComFault(40008, "invalid message type")
        if msgtype == "text" and len(content.get("content", "").encode()) > TEXT_MAX_BYTES:
            raise WeComFault(44004, "text content too long")
        if member.service_state not in (0, 1):
            raise WeComFault(member.state_errcode, "send msg session status invalid")
        last = member.last_message_at.get(open_kfid)
        if last is None or self.clock - last > WINDOW_SECONDS:
            raise WeComFault(95001, "send msg count limit (48 h since the member's message)")
        if member.sent_since.get(open_kfid, 0) >= WINDOW_MESSAGES:
            raise WeComFault(95001, "send msg count limit (5 messages)")
        self._rate_limit()
        member.sent_since[open_kfid] = member.sent_since.get(open_kfid, 0) + 1
        self._deliver(msgid, open_kfid, touser, msgtype, content)
        return {"msgid": msgid}

    def _api_kf_send_msg_on_event(self, _: JSON, body: JSON) -> JSON:
        code = body.get("code", "")
        if self._welcome_codes.pop(code, 0) <= self.clock:
            raise WeComFault(95016, "invalid or used event code")
        msgtype = body.get("msgtype", "")
        if msgtype not in ("text", "msgmenu") or not isinstance(body.get(msgtype), dict):
            raise WeComFault(40008, "invalid message type")
        event = next(
            m["event"] for m in self._log if m.get("event", {}).get("welcome_code") == code
        )
        msgid = body.get("msgid") or f"sent{next(self._ids):08d}"
        self._deliver(msgid, event["open_kfid"], event["external_userid"], msgtype, body[msgtype])
        return {"msgid": msgid}

    def _api_kf_customer_batchget(self, _: JSON, body: JSON) -> JSON:
        wanted = list(body.get("external_userid_list") or [])
        if not 1 <= len(wanted) <= 100:
            raise WeComFault(40058, "external_userid_list must hold 1-100 ids")
        found = [self.members[u] for u in wanted if u in self.members]
        return {
            "customer_list": [
                {
                    "external_userid": m.external_userid,
                    "nickname": m.nickname,
                    "avatar": "",
                    "gender": 0,
                    "unionid": "",
                }
                for m in found
            ],
            "invalid_external_userid": [u for u in wanted if u not in self.members],
        }

    def _api_kf_service_state_get(self, _: JSON, body: JSON) -> JSON:
        member = self.members.get(body.get("external_userid", ""))
        if member is None:
            raise WeComFault(40096, "invalid external userid")
        return {"service_state": member.service_state, "servicer_userid": ""}

    def _api_kf_service_state_trans(self, _: JSON, body: JSON) -> JSON:
        member = self.members.get(body.get("external_userid", ""))
        if member is None:
            raise WeComFault(40096, "invalid external userid")
        state = int(body.get("service_state", -1))
        if member.service_state == 4 or state not in (1, 2, 3, 4):
            raise WeComFault(95016, "service state transition not allowed")
        member.service_state = state
        return {"msg_code": ""}

    # -- the staff app (自建应用) and the group robot ---------------------------------------

    def _api_agent_get(self, query: JSON, _: JSON) -> JSON:
        if str(query.get("agentid")) != str(self.agent_id):
            raise WeComFault(40056, "invalid agentid")
        return {"agentid": self.agent_id, "name": "社群工作台", "square_logo_url": ""}

    def _api_user_get(self, query: JSON, _: JSON) -> JSON:
        userid = str(query.get("userid", ""))
        if userid not in self.staff_users:
            raise WeComFault(60111, "userid not found")
        return {"userid": userid, "name": self.staff_names.get(userid, userid)}

    def _api_message_send(self, _: JSON, body: JSON) -> JSON:
        if str(body.get("agentid")) != str(self.agent_id):
            raise WeComFault(40056, "invalid agentid")
        people = [p for p in str(body.get("touser", "")).split("|") if p]
        kind = body.get("msgtype", "")
        content = body.get(kind)
        if kind not in ("text", "template_card") or not isinstance(content, dict):
            raise WeComFault(40008, "invalid message type")
        if kind == "text" and len(str(content.get("content", "")).encode()) > TEXT_MAX_BYTES:
            raise WeComFault(44004, "text content too long")
        if kind == "template_card":
            task = str(content.get("task_id", ""))
            if not task or task in self.cards or len(content.get("button_list", [])) > 6:
                raise WeComFault(40058, "invalid task_id or button_list")
        key = json.dumps([people, kind, content], sort_keys=True, ensure_ascii=False)
        if body.get("enable_duplicate_check") and key in self._app_sent_keys:
            return {"invaliduser": "", "msgid": self._app_sent_keys[key]}
        msgid = f"app{next(self._ids):08d}"
        self._app_sent_keys[key] = msgid
        invalid = [p for p in people if p not in self.staff_users]
        for person in people:
            if person in invalid:
                continue
            now = time.monotonic()  # pacing is about real time, not the fake clock
            recent = [t for t in self._app_times.get(person, []) if now - t < 60]
            self._app_times[person] = [*recent, now]
            if len(recent) >= APP_PER_MINUTE:
                self.app_dropped += 1  # WeCom drops it without a word
                continue
            self.app_messages.append(AppMessage(person, kind, dict(content), msgid))
        result: JSON = {"invaliduser": "|".join(invalid), "msgid": msgid}
        if kind == "template_card":
            code = secrets.token_urlsafe(12)
            self.cards[str(content["task_id"])] = dict(content)
            self._response_codes[code] = str(content["task_id"])
            result["response_code"] = code
        self.delivered.set()
        return result

    def _api_message_update_template_card(self, _: JSON, body: JSON) -> JSON:
        code = str(body.get("response_code", ""))
        task = self._response_codes.pop(code, None)
        if task is None:
            raise WeComFault(40009, "invalid response_code (used or unknown)")
        card = body.get("template_card")
        if not isinstance(card, dict) or card.get("task_id") != task:
            raise WeComFault(40058, "template_card must keep its task_id")
        self.cards[task] = dict(card)
        self.card_updates.append((task, dict(card)))
        self.delivered.set()
        return {"invaliduser": []}

    def _api_webhook_send(self, query: JSON, body: JSON) -> JSON:
        if query.get("key") != self.robot_key:
            raise WeComFault(93000, "invalid webhook url")
        now = time.monotonic()
        self._robot_times = [t for t in self._robot_times if now - t < 60]
        if len(self._robot_times) >= ROBOT_PER_MINUTE:
            raise WeComFault(45009, "api freq out of limit")
        self._robot_times.append(now)
        self.robot_posts.append(str(body.get("text", {}).get("content", "")))
        return {}

    # -- customer groups (客户群) ------------------------------------------------------------

    def add_group(self, chat_id: str, name: str, owner: str) -> None:
        self.groups[chat_id] = {"name": name, "owner": owner, "members": {}}

    def group_join(self, chat_id: str, external_userid: str, name: str = "") -> str:
        """A WeChat user joins a customer group: the callback's plaintext."""
        self.add_member(external_userid, name)
        self.groups[chat_id]["members"][external_userid] = name
        return self._group_event(chat_id, "update", "add_member")

    def group_leave(self, chat_id: str, external_userid: str) -> str:
        self.groups[chat_id]["members"].pop(external_userid, None)
        return self._group_event(chat_id, "update", "del_member")

    def _group_event(self, chat_id: str, change: str, detail: str) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            "<FromUserName><![CDATA[sys]]></FromUserName>"
            f"<CreateTime>{int(self.clock)}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[change_external_chat]]></Event>"
            f"<ChatId><![CDATA[{chat_id}]]></ChatId>"
            f"<ChangeType><![CDATA[{change}]]></ChangeType>"
            f"<UpdateDetail><![CDATA[{detail}]]></UpdateDetail>"
            "<JoinScene>1</JoinScene><MemChangeCnt>1</MemChangeCnt></xml>"
        )

    def confirm(self, msgid: str) -> None:
        """The group's owner confirms the post in WeCom: it is sent."""
        self.group_tasks[msgid]["status"] = 1
        self.group_tasks[msgid]["send_time"] = int(self.clock)

    def _api_externalcontact_groupchat_get(self, _: JSON, body: JSON) -> JSON:
        group = self.groups.get(str(body.get("chat_id", "")))
        if group is None:
            raise WeComFault(701008, "invalid chat_id")
        members = [
            {"userid": uid, "type": 2, "join_time": int(self.clock), "name": name}
            for uid, name in group["members"].items()
        ]
        members.append({"userid": group["owner"], "type": 1, "join_time": 0, "name": "群主"})
        return {
            "group_chat": {
                "chat_id": body["chat_id"],
                "name": group["name"],
                "owner": group["owner"],
                "member_list": members,
            }
        }

    def _api_externalcontact_add_msg_template(self, _: JSON, body: JSON) -> JSON:
        if body.get("chat_type") != "group" or not body.get("sender"):
            raise WeComFault(41048, "group posts need chat_type group and a sender")
        chats = list(body.get("chat_id_list") or [])
        for chat_id in chats:
            if self.groups.get(chat_id, {}).get("owner") != body["sender"]:
                raise WeComFault(41049, "the sender does not own this group")
        msgid = f"msgGROUP{next(self._ids):06d}"
        self.group_tasks[msgid] = {
            "chats": chats,
            "owner": body["sender"],
            "text": body.get("text", {}).get("content", ""),
            "status": 0,
            "send_time": 0,
        }
        return {"fail_list": [], "msgid": msgid}

    def _api_externalcontact_get_groupmsg_send_result(self, _: JSON, body: JSON) -> JSON:
        task = self.group_tasks.get(str(body.get("msgid", "")))
        if task is None:
            raise WeComFault(41063, "invalid msgid")
        results = [
            {"chat_id": chat, "userid": task["owner"], "status": task["status"],
             "send_time": task["send_time"]}
            for chat in task["chats"]
        ]  # fmt: skip
        return {"send_list": results, "next_cursor": ""}

    def _api_externalcontact_remind_groupmsg_send(self, _: JSON, body: JSON) -> JSON:
        msgid = str(body.get("msgid", ""))
        if msgid not in self.group_tasks:
            raise WeComFault(41063, "invalid msgid")
        self.reminders.append(msgid)
        return {}

    def _api_externalcontact_group_welcome_template_add(self, _: JSON, body: JSON) -> JSON:
        template_id = f"tpl{next(self._ids):06d}"
        self.welcome_templates[template_id] = str(body.get("text", {}).get("content", ""))
        return {"template_id": template_id}

    def _api_externalcontact_group_welcome_template_edit(self, _: JSON, body: JSON) -> JSON:
        template_id = str(body.get("template_id", ""))
        if template_id not in self.welcome_templates:
            raise WeComFault(41050, "invalid template_id")
        self.welcome_templates[template_id] = str(body.get("text", {}).get("content", ""))
        return {}

    def press(self, task: str, person: str, key: str) -> str:
        """A staff member taps a card's button: the plaintext of the callback (with a new
        response code for the card)."""
        code = secrets.token_urlsafe(12)
        self._response_codes[code] = task
        return self._app_xml(
            person,
            MsgType="event",
            Event="template_card_event",
            EventKey=key,
            TaskId=task,
            CardType="button_interaction",
            ResponseCode=code,
        )

    def staff_says(self, person: str, text: str) -> str:
        """A staff member writes in the app chat: the plaintext of the callback."""
        return self._app_xml(person, MsgType="text", Content=text, MsgId=str(next(self._ids)))

    def _app_xml(self, person: str, **fields: str) -> str:
        inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
        return (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{person}]]></FromUserName>"
            f"<CreateTime>{int(self.clock)}</CreateTime>{inner}"
            f"<AgentID>{self.agent_id}</AgentID></xml>"
        )

    async def post_app_callback(self, url: str, plaintext: str) -> int:
        """POST an app callback, encrypted as WeCom does; the HTTP status."""
        timestamp, nonce = str(int(self.clock)), str(next(self._ids) * 7919)
        crypto = CallbackCrypto(self.callback_token, self.encoding_aes_key, self.corp_id)
        signature, encrypted = crypto.encrypt(plaintext, timestamp, nonce)
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<AgentID><![CDATA[{self.agent_id}]]></AgentID></xml>"
        ).encode()
        query = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, params=query, data=body) as response,
        ):
            await response.read()
            return response.status

    def app_texts(self, person: str) -> list[str]:
        """What a staff member saw in the app: texts, and cards as title and text."""
        shown = []
        for message in self.app_messages:
            if message.person != person:
                continue
            if message.kind == "text":
                shown.append(str(message.content.get("content", "")))
            else:
                card = self.cards.get(str(message.content.get("task_id")), message.content)
                shown.append(f"{card['main_title']['title']}\n{card.get('sub_title_text', '')}")
        return shown

    def _rate_limit(self) -> None:
        if self.send_per_minute is None:
            return
        while self._send_times and self.clock - self._send_times[0] >= 60:
            self._send_times.popleft()
        if len(self._send_times) >= self.send_per_minute:
            raise WeComFault(45009, "api freq out of limit")
        self._send_times.append(self.clock)

    def _deliver(
        self, msgid: str, open_kfid: str, touser: str, msgtype: str, content: JSON
    ) -> None:
        self._sent_msgids[msgid] = touser
        self._sent.append(Sent(msgid, open_kfid, touser, msgtype, content, self.clock))
        self.delivered.set()
