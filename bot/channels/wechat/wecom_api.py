"""WeCom's API as a self-built app (自建应用) uses it for the staff desk: app messages,
template cards and their updates, group robot posts.

The app has its own secret, so its own access token (shared by replicas under its
own name). WeCom drops, without an error, app messages past 30 a minute or 1,000
an hour to one person: :class:`Pacer` keeps Shequn under both by waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import requests

from bot.channels.wechat.api import JSON, TokenedApi, TokenStore, WeChatError, WeComClient

#: Seconds within which WeCom drops a repeat of the same app message.
DUPLICATE_CHECK_SECONDS = 1800
#: What WeCom lets an app send one person: per minute, per hour.
PER_MINUTE, PER_HOUR = 30, 1000
#: A robot may post this many messages a minute.
ROBOT_PER_MINUTE = 20


class Pacer:
    """Waits so that nobody gets more than ``limits`` (count, seconds) messages."""

    def __init__(
        self,
        limits: Sequence[tuple[int, float]],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._limits = tuple(limits)
        self._clock, self._sleep = clock, sleep
        self._sent: dict[str, deque[float]] = {}
        self._lock = asyncio.Lock()

    async def wait(self, *people: str) -> None:
        """Returns once one more message to each of ``people`` keeps every limit."""
        async with self._lock:
            while (pause := self._pause(people)) > 0:
                await self._sleep(pause)
            now = self._clock()
            for person in people:
                self._sent.setdefault(person, deque()).append(now)

    def _pause(self, people: Sequence[str]) -> float:
        now, longest = self._clock(), max(seconds for _, seconds in self._limits)
        pause = 0.0
        for person in people:
            sent = self._sent.get(person, deque())
            while sent and now - sent[0] >= longest:
                sent.popleft()
            for count, seconds in self._limits:
                recent = [at for at in sent if now - at < seconds]
                if len(recent) >= count:
                    pause = max(pause, recent[-count] + seconds - now)
        return pause


class WeComAppApi(TokenedApi):
    service = "WeCom"

    def __init__(
        self,
        corp_id: str,
        secret: str,
        agent_id: int,
        tokens: TokenStore,
        *,
        api_base_url: str = "https://qyapi.weixin.qq.com",
        timeout: float = 10.0,
        **options: Any,
    ) -> None:
        base = api_base_url.rstrip("/")
        super().__init__(WeComClient(corp_id, secret, base, timeout), tokens, base, **options)
        self.agent_id = agent_id

    async def agent(self) -> JSON:
        """The app's own details: a cheap call that proves the keys work."""
        return await self._call("agent/get", "get", {"agentid": self.agent_id})

    async def user_name(self, userid: str) -> str:
        """A person's name in the corp's contacts (their user id when WeCom keeps it)."""
        return str((await self._call("user/get", "get", {"userid": userid})).get("name") or "")

    async def send(
        self, people: Sequence[str], kind: str, content: JSON, *, once: bool = True
    ) -> JSON:
        """An app message to ``people``; the answer has ``msgid`` (and ``response_code``
        for a card with buttons). With ``once``, WeCom itself drops the same message
        repeated within half an hour; an answer to what someone typed goes without it,
        since asking twice (``/tickets``) must be answered twice."""
        data: JSON = {"touser": "|".join(people), "msgtype": kind, "agentid": self.agent_id}
        data[kind] = content
        if once:
            data["enable_duplicate_check"] = 1
            data["duplicate_check_interval"] = DUPLICATE_CHECK_SECONDS
        return await self._call("message/send", "post", data)

    async def update_card(self, people: Sequence[str], response_code: str, card: JSON) -> None:
        """Replace a template card everywhere it was sent (``response_code``: once each)."""
        data: JSON = {
            "userids": list(people),
            "agentid": self.agent_id,
            "response_code": response_code,
            "template_card": card,
        }
        await self._call("message/update_template_card", "post", data)

    # -- customer groups (客户群), with the app's 客户联系 permission ---------------------------

    async def group_chat(self, chat_id: str) -> JSON:
        """A customer group: ``name``, ``owner`` and ``member_list`` (``type`` 2: a
        WeChat user, by ``userid`` = their external_userid)."""
        result = await self._call(
            "externalcontact/groupchat/get", "post", {"chat_id": chat_id, "need_name": 1}
        )
        return dict(result.get("group_chat", {}))

    async def add_group_task(self, owner: str, chat_id: str, text: str) -> str:
        """A group post for the owner to confirm in WeCom; its ``msgid``."""
        data: JSON = {
            "chat_type": "group",
            "sender": owner,
            "chat_id_list": [chat_id],
            "allow_select": False,
            "text": {"content": text},
        }
        return str((await self._call("externalcontact/add_msg_template", "post", data))["msgid"])

    async def group_task_result(self, msgid: str, owner: str) -> list[JSON]:
        """Per group: ``status`` 0 waiting for the owner, 1 sent, 2/3 not sent."""
        data = {"msgid": msgid, "userid": owner, "limit": 1000}
        result = await self._call("externalcontact/get_groupmsg_send_result", "post", data)
        return list(result.get("send_list", []))

    async def remind_group_task(self, msgid: str) -> None:
        await self._call("externalcontact/remind_groupmsg_send", "post", {"msgid": msgid})

    async def save_welcome_template(self, template_id: str, text: str) -> str:
        """The 入群欢迎语 template, added or edited; its id."""
        if template_id:
            data = {"template_id": template_id, "text": {"content": text}}
            await self._call("externalcontact/group_welcome_template/edit", "post", data)
            return template_id
        data = {"text": {"content": text}, "notify": 0}
        result = await self._call("externalcontact/group_welcome_template/add", "post", data)
        return str(result["template_id"])

    async def robot_post(self, key: str, text: str) -> None:
        """Post in an internal group through its robot (no access token: the key is it)."""
        url = f"{self.api_base_url}/cgi-bin/webhook/send"
        data = {"msgtype": "text", "text": {"content": text}}

        def post() -> JSON:
            response = requests.post(url, params={"key": key}, json=data, timeout=10)
            response.raise_for_status()
            return dict(response.json())

        result = await asyncio.to_thread(self._guard, post)
        if result.get("errcode"):
            raise WeChatError(int(result["errcode"]), str(result.get("errmsg", "")), "WeCom robot")
