"""An async facade over wechatpy's WeCom client for the 微信客服 APIs.

wechatpy 2.0.0a26 is synchronous and keeps its own token: here every call runs
in a worker thread (``asyncio.to_thread``), and the access token comes from a
:class:`TokenStore` so that several replicas share one token instead of each
fetching its own (WeCom rate-limits ``gettoken`` and every fetch invalidates
nothing, but the corp's daily quota counts them). wechatpy's own retry is off:
on a persistent token error it recurses without bound. Retries here are few
and named: a rejected token is forgotten and fetched once more; "busy" (-1)
and "too often" (45009) are waited out at most twice. Nothing logged or raised
carries the token or the secret (URLs carry both, so urllib3's request log is
kept at WARNING).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import requests
from wechatpy.client.base import BaseWeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.work import WeChatClient

from bot.startup import StartupError

log = logging.getLogger(__name__)

JSON = dict[str, Any]
#: Token rejected: invalid credential, invalid token, expired token.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: Worth waiting out: system busy, API called too often.
BUSY_ERRORS = frozenset({-1, 45009})
#: A member's send window is closed (5 messages, or 48 h since their last one).
WINDOW_CLOSED = 95001
#: What WeCom allows in one text message.
TEXT_BUDGET_BYTES = 2048

_token_for_call: contextvars.ContextVar[str] = contextvars.ContextVar("wecom_token", default="")


#: The longest pause between attempts to reach WeChat at start.
MAX_CONNECT_DELAY = 60.0
T = TypeVar("T")

#: A token is replaced this long before it expires (calls in flight keep a valid one).
REFRESH_BEFORE = timedelta(minutes=5)


class WeChatApiError(Exception):
    """A call to a WeChat API that did not succeed."""


class WeChatError(WeChatApiError):
    """WeChat answered with an error code (after the retries it deserves)."""

    def __init__(self, errcode: int, errmsg: str, service: str = "WeCom") -> None:
        super().__init__(f"{service} error {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class WeChatUnreachable(WeChatApiError):
    """No usable answer: the network failed, or WeChat answered with HTTP errors."""


class WeChatNotThere(WeChatUnreachable):
    """HTTP 404: the server answers, but WeChat's API is not at that address (a wrong
    ``api_base_url``). No wait fixes that."""


class TokenStore(Protocol):
    """Where the access token lives; a database-backed one shares it across replicas."""

    async def load(self) -> tuple[str, datetime] | None: ...

    async def save(self, token: str, expires_at: datetime) -> None: ...

    async def forget(self, token: str) -> None:
        """Drop ``token`` if it is still the stored one (another replica may
        already have replaced it)."""


class MemoryTokenStore:
    """One process's token; for tests and single-replica runs."""

    def __init__(self) -> None:
        self.token: tuple[str, datetime] | None = None
        self.saves = 0

    async def load(self) -> tuple[str, datetime] | None:
        return self.token

    async def save(self, token: str, expires_at: datetime) -> None:
        self.token = (token, expires_at)
        self.saves += 1

    async def forget(self, token: str) -> None:
        if self.token is not None and self.token[0] == token:
            self.token = None


@dataclass(frozen=True)
class SyncPage:
    """One page of ``kf/sync_msg``: pass ``next_cursor`` back for the next one."""

    messages: list[JSON]
    next_cursor: str
    has_more: bool


class WeComClient(WeChatClient):
    """wechatpy's WeCom client aimed at a configurable host, with the token of
    the current call (set by :meth:`WeComApi._run`) instead of its own cache."""

    def __init__(self, corp_id: str, secret: str, base_url: str, timeout: float) -> None:
        super().__init__(corp_id, secret, timeout=timeout, auto_retry=False)
        self.base_url = base_url
        self.API_BASE_URL = f"{base_url}/cgi-bin/"

    @property
    def access_token(self) -> str:
        return _token_for_call.get()

    def fetch_access_token(self) -> JSON:
        return self._fetch_access_token(
            url=f"{self.base_url}/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


def token_for_call() -> str:
    """The access token of the call running in this worker thread (see ``_run``)."""
    return _token_for_call.get()


def quiet_url_logs() -> None:
    """Request URLs carry ``access_token=`` and ``corpsecret=``: keep them out of logs."""
    for name in ("urllib3", "urllib3.connectionpool", "requests"):
        logging.getLogger(name).setLevel(logging.WARNING)


class TokenedApi:
    """Calls through a wechatpy client with a shared access token, retried as named
    above; a subclass adds the endpoints of one service."""

    #: How log lines and errors name the service.
    service = "WeCom"
    #: The setting that says where the API is (named when nothing answers there).
    base_setting = "wechat.api_base_url"

    def __init__(
        self,
        client: BaseWeChatClient,
        tokens: TokenStore,
        api_base_url: str,
        *,
        refresh_before: timedelta = REFRESH_BEFORE,
        retry_pauses: Sequence[float] = (0.5, 2.0),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        quiet_url_logs()
        self.api_base_url = api_base_url
        self._client = client
        self._tokens = tokens
        self._refresh_before = refresh_before
        self._retry_pauses = tuple(retry_pauses)
        self._now = now
        self._token_lock = asyncio.Lock()

    async def until_reachable(self, call: Callable[[], Awaitable[T]]) -> T:
        """``call()`` at start: a network outage is waited out with growing pauses, one
        line each (a stop cuts it short); an error WeChat answers is raised, and so is
        an address where the API is not (a wait would never end)."""
        delay = 1.0
        while True:
            try:
                return await call()
            except WeChatNotThere as error:
                raise StartupError(
                    f"{error} at {self.api_base_url}: WeChat's API is not there; fix {{setting}}",
                    setting=self.base_setting,
                ) from None
            except WeChatUnreachable as error:
                log.warning(
                    "WeChat's API at %s is unreachable (%s); retrying in %g s",
                    self.api_base_url,
                    error,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_CONNECT_DELAY)

    # -- calls, tokens and retries -------------------------------------------------

    async def _call(self, endpoint: str, method: str, data: JSON) -> JSON:
        token_retried = False
        busy = 0
        while True:
            token = await self._token()
            try:
                return await asyncio.to_thread(self._run, token, endpoint, method, data)
            except WeChatError as error:
                if error.errcode in TOKEN_ERRORS and not token_retried:
                    token_retried = True
                    log.info(
                        "%s refused the access token (%s); fetching a new one",
                        self.service,
                        error.errcode,
                    )
                    await self._tokens.forget(token)
                    continue
                if error.errcode in BUSY_ERRORS and busy < len(self._retry_pauses):
                    pause = self._retry_pauses[busy]
                    busy += 1
                    log.warning(
                        "%s %s answered %s; retry %d of %d in %.1f s",
                        self.service,
                        endpoint,
                        error.errcode,
                        busy,
                        len(self._retry_pauses),
                        pause,
                    )
                    await asyncio.sleep(pause)
                    continue
                raise

    async def _token(self) -> str:
        async with self._token_lock:
            stored = await self._tokens.load()
            if stored is not None and self._now() < stored[1] - self._refresh_before:
                return stored[0]
            result = await asyncio.to_thread(self._guard, self._client.fetch_access_token)
            token = str(result["access_token"])
            lifetime = timedelta(seconds=int(result.get("expires_in", 7200)))
            await self._tokens.save(token, self._now() + lifetime)
            log.info("%s access token fetched, valid for %s", self.service, lifetime)
            return token

    def _run(self, token: str, endpoint: str, method: str, data: JSON) -> JSON:
        """In the worker thread: the call with this token, errors translated."""
        _token_for_call.set(token)
        call = self._client.post if method == "post" else self._client.get
        if method == "post":
            return self._guard(lambda: call(endpoint, data=data))
        return self._guard(lambda: call(endpoint, params=dict(data)))

    def _guard(self, call: Callable[[], Any]) -> JSON:
        """wechatpy's and requests' errors as ours, without the request (its URL
        holds the token) chained on."""
        try:
            result = call()
        except WeChatClientException as error:
            if error.errcode is None:
                status = getattr(error.response, "status_code", "?")
                unreachable = WeChatNotThere if status == 404 else WeChatUnreachable
                raise unreachable(f"{self.service} answered HTTP {status}") from None
            raise WeChatError(int(error.errcode), str(error.errmsg), self.service) from None
        except requests.RequestException as error:
            raise WeChatUnreachable(
                f"{self.service} did not answer ({type(error).__name__})"
            ) from None
        if not isinstance(result, dict):
            raise WeChatUnreachable(f"{self.service}'s answer was not JSON")
        return result


class WeComApi(TokenedApi):
    """WeCom's API (``qyapi.weixin.qq.com``) as the 微信客服 app's secret opens it."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        tokens: TokenStore,
        *,
        api_base_url: str = "https://qyapi.weixin.qq.com",
        timeout: float = 10.0,
        **options: Any,
    ) -> None:
        base = api_base_url.rstrip("/")
        super().__init__(WeComClient(corp_id, secret, base, timeout), tokens, base, **options)

    # -- 微信客服 -------------------------------------------------------------------
    async def account_list(self) -> list[JSON]:
        """The corp's 客服账号 (``open_kfid``, ``name``, ``avatar``)."""
        result = await self._call("kf/account/list", "post", {"offset": 0, "limit": 100})
        return list(result.get("account_list", []))

    async def sync_msg(
        self, token: str, cursor: str, open_kfid: str, limit: int = 1000
    ) -> SyncPage:
        """One page of messages and events; ``token`` is the callback's (valid 10 min)."""
        data: JSON = {"cursor": cursor, "limit": limit, "open_kfid": open_kfid}
        if token:
            data["token"] = token
        result = await self._call("kf/sync_msg", "post", data)
        return SyncPage(
            messages=list(result.get("msg_list", [])),
            next_cursor=str(result.get("next_cursor", "") or cursor),
            has_more=bool(result.get("has_more")),
        )

    async def send_msg(
        self, touser: str, open_kfid: str, content_type: str, content: JSON, msgid: str = ""
    ) -> str:
        """Send to a member; ``msgid`` (≤32 of ``[0-9a-zA-Z_-]``) makes a resend safe."""
        data: JSON = {"touser": touser, "open_kfid": open_kfid, "msgtype": content_type}
        data[content_type] = content
        if msgid:
            data["msgid"] = msgid
        return str((await self._call("kf/send_msg", "post", data)).get("msgid", msgid))

    async def send_msg_on_event(
        self, code: str, content_type: str, content: JSON, msgid: str = ""
    ) -> str:
        """Answer an event (the welcome on ``enter_session``) with its single-use code."""
        data: JSON = {"code": code, "msgtype": content_type, content_type: content}
        if msgid:
            data["msgid"] = msgid
        result = await self._call("kf/send_msg_on_event", "post", data)
        return str(result.get("msgid", msgid))

    async def customer_batchget(self, external_userids: Sequence[str]) -> JSON:
        """``customer_list`` (nickname, avatar …) and ``invalid_external_userid``."""
        data = {"external_userid_list": list(external_userids), "need_enter_session_context": 0}
        return await self._call("kf/customer/batchget", "post", data)

    async def service_state_get(self, open_kfid: str, external_userid: str) -> JSON:
        """``service_state`` (0 new, 1 bot, 2 queued, 3 staff, 4 ended) and ``servicer_userid``."""
        data = {"open_kfid": open_kfid, "external_userid": external_userid}
        return await self._call("kf/service_state/get", "post", data)

    async def service_state_trans(
        self, open_kfid: str, external_userid: str, service_state: int, servicer_userid: str = ""
    ) -> JSON:
        """Hand the session over (to the queue, a servicer, or end it)."""
        data: JSON = {
            "open_kfid": open_kfid,
            "external_userid": external_userid,
            "service_state": service_state,
        }
        if servicer_userid:
            data["servicer_userid"] = servicer_userid
        return await self._call("kf/service_state/trans", "post", data)


def split_text(text: str, budget: int = TEXT_BUDGET_BYTES) -> list[str]:
    """``text`` in parts of at most ``budget`` UTF-8 bytes, never inside a
    character; cut at the last line break if it falls in the part's second half
    (fewer, fuller parts: a member's window allows only five messages)."""
    parts: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > budget:
        head = rest.encode("utf-8")[:budget].decode("utf-8", "ignore")
        cut = head.rfind("\n")
        if cut > 0 and cut >= len(head) // 2:
            parts.append(head[:cut])
            rest = rest[cut + 1 :]
        else:
            parts.append(head)
            rest = rest[len(head) :]
    if rest or not parts:
        parts.append(rest)
    return parts
