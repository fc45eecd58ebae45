"""A fake Official Account: WeChat's ``/cgi-bin/`` API over HTTP on 127.0.0.1, and the
side of WeChat that posts callbacks to Shequn and reads its passive replies.

It fails where bots break: 40013/40125 for a wrong AppID or AppSecret at ``token``,
40001 for a token it never issued and 42001 for an expired one; 45015 for a
客服消息 outside the window and 45047 past its count (5 messages within 48 h after
the member writes; 3 within a minute after following, scanning or tapping the
menu); 43004 to someone who unfollowed; 45002 for a text over 2,048 bytes; 45009
past a set rate. Callbacks are signed (and encrypted in 安全模式) as WeChat does; a
passive reply is parsed, its signature checked, and counted as delivered only when
the answer came within 5 seconds. Time is a fake clock (``advance``).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.wechat.crypto import CallbackCrypto, parse_xml, signature

JSON = dict[str, Any]
MESSAGE_WINDOW, MESSAGE_QUOTA = 48 * 3600, 5
TAP_WINDOW, TAP_QUOTA = 60, 3
TEXT_MAX_BYTES = 2048
PASSIVE_DEADLINE = 5.0


class Fault(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode, self.errmsg = errcode, errmsg


@dataclass
class Delivered:
    """A message that reached the member: ``how`` is ``reply`` (passive) or ``custom``."""

    openid: str
    how: str
    msgtype: str
    content: JSON
    at: float

    @property
    def text(self) -> str:
        return str(self.content.get("content") or self.content.get("head_content") or "")


@dataclass
class Follower:
    openid: str
    following: bool = True
    message_at: float | None = None
    message_sent: int = 0
    tap_at: float | None = None
    tap_sent: int = 0


@dataclass
class CallbackResult:
    status: int
    body: str
    #: The passive reply's text, when the answer carried one.
    reply: str | None = None
    seconds: float = 0.0


@dataclass
class Calls:
    log: list[tuple[str, int]] = field(default_factory=list)

    def count(self, method: str, errcode: int | None = None) -> int:
        return sum(1 for m, e in self.log if m == method and (errcode is None or e == errcode))


class FakeOfficialAccount:
    def __init__(
        self,
        app_id: str = "wxfakeappid00001",
        secret: str = "fake-oa-app-secret",
        token: str = "FakeOaToken",
        aes_key: str = "",
        original_id: str = "gh_fakeaccount",
    ) -> None:
        self.app_id, self.secret, self.token, self.aes_key = app_id, secret, token, aes_key
        self.original_id = original_id
        self.clock = time.time()
        self.token_ttl = 7200
        self.send_per_minute: int | None = None
        self.followers: dict[str, Follower] = {}
        self.delivered: list[Delivered] = []
        self.calls = Calls()
        self._tokens: dict[str, float] = {}
        self._send_times: list[float] = []
        self._faults: list[tuple[str, int]] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{method:.+}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    # -- test control -----------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.clock += seconds

    def fail_next(self, method: str, errcode: int, times: int = 1) -> None:
        self._faults.extend([(method, errcode)] * times)

    def expire_tokens(self) -> None:
        for key in self._tokens:
            self._tokens[key] = self.clock - 1

    def texts_to(self, openid: str) -> list[str]:
        return [d.text for d in self.delivered if d.openid == openid]

    def to(self, openid: str) -> list[Delivered]:
        return [d for d in self.delivered if d.openid == openid]

    # -- what members do (callbacks to Shequn) ----------------------------------
    def message_xml(self, openid: str, text: str, *, menu_id: str = "", msg_id: str = "") -> str:
        follower = self.followers.setdefault(openid, Follower(openid))
        follower.message_at, follower.message_sent = self.clock, 0
        fields = {
            "ToUserName": self.original_id,
            "FromUserName": openid,
            "CreateTime": str(int(self.clock)),
            "MsgType": "text",
            "Content": text,
            "MsgId": msg_id or str(7_000_000_000_000_000 + next(self._ids)),
        }
        if menu_id:
            fields["bizmsgmenuid"] = menu_id
        return _xml(fields)

    def event_xml(self, openid: str, event: str, key: str = "") -> str:
        follower = self.followers.setdefault(openid, Follower(openid))
        if event in ("subscribe", "SCAN", "CLICK"):
            follower.tap_at, follower.tap_sent = self.clock, 0
        follower.following = event != "unsubscribe"
        fields = {
            "ToUserName": self.original_id,
            "FromUserName": openid,
            "CreateTime": str(int(self.clock)),
            "MsgType": "event",
            "Event": event,
            "EventKey": key,
        }
        return _xml(fields)

    def signed(self, plaintext: str) -> tuple[JSON, bytes]:
        """The query and body WeChat posts for ``plaintext`` (encrypted in 安全模式)."""
        timestamp, nonce = str(int(self.clock)), str(next(self._ids) * 104729)
        query: JSON = {
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": "",
        }
        if not self.aes_key:
            return query, plaintext.encode()
        crypto = CallbackCrypto(self.token, self.aes_key, self.app_id)
        msg_signature, encrypted = crypto.encrypt(plaintext, timestamp, nonce)
        query.update(encrypt_type="aes", msg_signature=msg_signature)
        body = _xml({"ToUserName": self.original_id, "Encrypt": encrypted})
        return query, body.encode()

    async def post(self, url: str, plaintext: str) -> CallbackResult:
        """POST a callback as WeChat does; a passive reply in time counts as delivered."""
        query, body = self.signed(plaintext)
        return await self.post_signed(url, query, body)

    async def post_signed(self, url: str, query: JSON, body: bytes) -> CallbackResult:
        started = time.monotonic()
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, params=query, data=body) as response,
        ):
            text = await response.text()
            status = response.status
        seconds = time.monotonic() - started
        result = CallbackResult(status, text, seconds=seconds)
        if status == 200 and text.strip() not in ("", "success"):
            reply = self._open_reply(text, query)
            if seconds < PASSIVE_DEADLINE:
                openid = reply["ToUserName"]
                content = {"content": reply.get("Content", "")}
                self.delivered.append(Delivered(openid, "reply", reply["MsgType"], content, 0))
                result.reply = content["content"]
        return result

    def _open_reply(self, text: str, query: JSON) -> dict[str, str]:
        outer = parse_xml(text.encode(), "the passive reply")
        if not self.aes_key:
            return outer
        expected = signature(self.token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
        if outer.get("MsgSignature") != expected:
            raise AssertionError("the passive reply's MsgSignature is wrong")
        if outer["Nonce"] != query["nonce"]:
            raise AssertionError("the passive reply does not echo the callback's nonce")
        crypto = CallbackCrypto(self.token, self.aes_key, self.app_id, max_skew_seconds=10**9)
        plain = crypto.decrypt(
            outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]
        )
        return parse_xml(plain.encode(), "the decrypted reply")

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
                raise Fault(48001, f"api unauthorized {method}")
            if method != "token":
                self._check_token(query.get("access_token", ""))
                for index, (faulty, errcode) in enumerate(self._faults):
                    if faulty == method:
                        del self._faults[index]
                        raise Fault(errcode, "injected fault")
            if body.get("_invalid"):
                raise Fault(47001, "data format error")
            result = {"errcode": 0, "errmsg": "ok", **handler(query, body)}
        except Fault as fault:
            result = {"errcode": fault.errcode, "errmsg": f"{fault.errmsg} rid: fake"}
        self.calls.log.append((method, result["errcode"]))
        if method == "token" and result["errcode"] == 0:
            del result["errcode"], result["errmsg"]  # WeChat answers a token without them
        return web.json_response(result)

    def _check_token(self, token: str) -> None:
        if not token:
            raise Fault(41001, "access_token missing")
        if token not in self._tokens:
            raise Fault(40001, "invalid credential, access_token is invalid or not latest")
        if self._tokens[token] <= self.clock:
            raise Fault(42001, "access_token expired")

    def _api_token(self, query: JSON, _: JSON) -> JSON:
        if query.get("grant_type") != "client_credential":
            raise Fault(40002, "invalid grant_type")
        if query.get("appid") != self.app_id:
            raise Fault(40013, "invalid appid")
        if query.get("secret") != self.secret:
            raise Fault(40125, "invalid appsecret")
        token = secrets.token_urlsafe(48)
        self._tokens[token] = self.clock + self.token_ttl
        return {"access_token": token, "expires_in": self.token_ttl}

    def _api_getcallbackip(self, _: JSON, __: JSON) -> JSON:
        return {"ip_list": ["101.226.103.0/25", "101.226.233.128/25"]}

    def _api_message_custom_send(self, _: JSON, body: JSON) -> JSON:
        openid, msgtype = body.get("touser", ""), body.get("msgtype", "")
        follower = self.followers.get(openid)
        if follower is None:
            raise Fault(40003, "invalid openid")
        content = body.get(msgtype)
        if msgtype not in ("text", "msgmenu") or not isinstance(content, dict):
            raise Fault(40008, "invalid message type")
        if msgtype == "text" and len(str(content.get("content", "")).encode()) > TEXT_MAX_BYTES:
            raise Fault(45002, "content size out of limit")
        if msgtype == "msgmenu" and not all("id" in i and "content" in i for i in content["list"]):
            raise Fault(40008, "invalid msgmenu item")
        if not follower.following:
            raise Fault(43004, "require subscribe")
        self._take_quota(follower)
        if self.send_per_minute is not None:
            self._send_times = [t for t in self._send_times if self.clock - t < 60]
            if len(self._send_times) >= self.send_per_minute:
                raise Fault(45009, "reach max api daily quota limit")
            self._send_times.append(self.clock)
        self.delivered.append(Delivered(openid, "custom", msgtype, content, self.clock))
        return {}

    def _take_quota(self, follower: Follower) -> None:
        tap_open = follower.tap_at is not None and self.clock - follower.tap_at <= TAP_WINDOW
        if tap_open and follower.tap_sent < TAP_QUOTA:
            follower.tap_sent += 1
            return
        message_open = (
            follower.message_at is not None and self.clock - follower.message_at <= MESSAGE_WINDOW
        )
        if not message_open:
            raise Fault(45015, "response out of time limit or subscription is canceled")
        if follower.message_sent >= MESSAGE_QUOTA:
            raise Fault(45047, "out of response count limit")
        follower.message_sent += 1


def _xml(fields: JSON) -> str:
    """WeChat's layout: every value in CDATA (a ``]]>`` inside split across two)."""
    inner = "".join(
        f"<{tag}><![CDATA[{str(value).replace(']]>', ']]]]><![CDATA[>')}]]></{tag}>"
        for tag, value in fields.items()
    )
    return f"<xml>{inner}</xml>"
