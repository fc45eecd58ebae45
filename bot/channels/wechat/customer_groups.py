"""WeCom customer groups (客户群) as far as WeCom lets an app see and reach them.

No API lets a bot read or post freely in a customer group. What there is:
``change_external_chat`` events, after which the member list
(``externalcontact/groupchat/get``) is compared with the last one Shequn saw to
raise joins and leaves; the group's 入群欢迎语 template, which Shequn keeps (the
owner picks it for the group in WeCom); and group posts as tasks: an owner
confirms each in WeCom (``add_msg_template``), at most 4 a group in a calendar
month (China time), which Shequn counts and refuses past. Tasks are followed
up: the result is read back, and an owner who has not confirmed after
:data:`REMIND_AFTER` is reminded once. Members are their 微信客服 selves
(``wechat:<external_userid>``): one to one, Shequn reaches them there, within
the window.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.wechat.wecom_api import WeComAppApi
from handlers.clock import Clock
from handlers.events import ChatKind, ChatRef, Event, MemberJoined, MemberLeft, UserRef
from storage.database import Storage
from storage.repositories import Repositories

log = logging.getLogger(__name__)

PLATFORM = "wecom"
#: Where the members of a customer group are reached one to one (微信客服).
MEMBER_PLATFORM = "wechat"
#: WeCom's limit: posts one customer group may receive from the corp in a month.
POSTS_PER_MONTH = 4
#: WeCom counts months in China time, whatever the community's timezone.
WECOM_TIME = ZoneInfo("Asia/Shanghai")
#: An owner who has not confirmed a post by then is reminded, once.
REMIND_AFTER = timedelta(hours=2)
#: ``get_groupmsg_send_result`` statuses.
SENT, NOT_SENT = 1, frozenset({2, 3})
EXTERNAL = 2


class GroupPostRefused(Exception):
    """A post a customer group cannot take; ``reason`` is what the reports show."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def group_ref(chat_id: str, name: str | None = None) -> ChatRef:
    return ChatRef(PLATFORM, f"group:{chat_id}", ChatKind.GROUP, name)


def is_customer_group(chat: ChatRef) -> bool:
    return chat.platform == PLATFORM and chat.id.startswith("group:")


class CustomerGroups:
    def __init__(self, api: WeComAppApi, storage: Storage, clock: Clock) -> None:
        self._api, self._storage, self._clock = api, storage, clock

    # -- members -------------------------------------------------------------------------
    async def changed(self, chat_id: str, at: datetime, *, dismissed: bool = False) -> list[Event]:
        """The joins and leaves since the member list Shequn last saw."""
        before = await self._load(f"group:{chat_id}") or {"members": {}}
        if dismissed:
            group: dict[str, Any] = {**before, "members": {}}
        else:
            found = await self._api.group_chat(chat_id)
            members = {
                str(m.get("userid")): str(m.get("group_nickname") or m.get("name") or "")
                for m in found.get("member_list", [])
                if m.get("type") == EXTERNAL and m.get("userid")
            }
            group = {
                "name": found.get("name", ""),
                "owner": found.get("owner", ""),
                "members": members,
            }
        await self._save(f"group:{chat_id}", group)
        chat = group_ref(chat_id, group.get("name") or None)
        old, new = before.get("members", {}), group["members"]
        events: list[Event] = []
        for person in sorted(set(new) - set(old)):
            member = UserRef(MEMBER_PLATFORM, person, new[person] or "微信用户")
            events.append(MemberJoined(chat=chat, occurred_at=at, member=member))
        for person in sorted(set(old) - set(new)):
            member = UserRef(MEMBER_PLATFORM, person, old[person] or "微信用户")
            events.append(MemberLeft(chat=chat, occurred_at=at, member=member))
        return events

    # -- posts as owner tasks ----------------------------------------------------------------
    async def post(self, chat: ChatRef, text: str) -> str:
        """A task for the group's owner; its msgid. Refused past the monthly cap."""
        chat_id = chat.id.removeprefix("group:")
        group = await self._load(f"group:{chat_id}") or {}
        owner = str(group.get("owner") or "")
        if not owner:
            found = await self._api.group_chat(chat_id)
            owner = str(found.get("owner", ""))
        month = self._clock.now().astimezone(WECOM_TIME).strftime("%Y-%m")
        used = int(await self._load(f"cap:{chat_id}:{month}") or 0)
        if used >= POSTS_PER_MONTH:
            raise GroupPostRefused(
                "monthly_cap",
                f"customer group {chat_id} has had its {POSTS_PER_MONTH} posts of {month} "
                "(WeCom's limit); this one is not sent",
            )
        msgid = await self._api.add_group_task(owner, chat_id, text)
        await self._save(f"cap:{chat_id}:{month}", used + 1)
        tasks = await self._load("tasks") or []
        at = self._clock.now().isoformat()
        tasks.append({"msgid": msgid, "chat": chat_id, "owner": owner, "at": at, "reminded": False})
        await self._save("tasks", tasks)
        await self._save(f"task:{msgid}", {"chat": chat_id, "state": "waiting", "at": at})
        log.info("group post for %s waits for its owner %s to confirm (%s)", chat_id, owner, msgid)
        return msgid

    async def follow_up(self) -> None:
        """Read back the tasks still waiting; remind a late owner once."""
        waiting: list[dict[str, Any]] = []
        now = self._clock.now()
        for task in await self._load("tasks") or []:
            results = await self._api.group_task_result(task["msgid"], task["owner"])
            statuses = {int(r.get("status", 0)) for r in results}
            if SENT in statuses or statuses & NOT_SENT:
                state = "sent" if SENT in statuses else "not_sent"
                record = {"chat": task["chat"], "state": state, "at": task["at"]}
                await self._save(f"task:{task['msgid']}", {**record, "done": now.isoformat()})
                log.info("group post %s for %s: %s", task["msgid"], task["chat"], state)
                continue
            if not task["reminded"] and now - datetime.fromisoformat(task["at"]) >= REMIND_AFTER:
                await self._api.remind_group_task(task["msgid"])
                task = {**task, "reminded": True}
                log.info("reminded %s to confirm group post %s", task["owner"], task["msgid"])
            waiting.append(task)
        await self._save("tasks", waiting)

    async def task_state(self, msgid: str) -> str | None:
        record = await self._load(f"task:{msgid}")
        return None if record is None else str(record["state"])

    # -- the welcome template ------------------------------------------------------------------
    async def keep_welcome_template(self, text: str) -> None:
        """The 入群欢迎语 template says ``text`` (added once, edited when it changes)."""
        stored = await self._load("welcome-template") or {}
        if stored.get("text") == text:
            return
        template_id = await self._api.save_welcome_template(str(stored.get("id", "")), text)
        await self._save("welcome-template", {"id": template_id, "text": text})
        log.info("the 入群欢迎语 template %s says the configured group_welcome", template_id)

    # -- state ---------------------------------------------------------------------------------
    async def _load(self, key: str) -> Any:
        found = await self._storage.run(lambda repos: repos.channel_state.get(PLATFORM, key))
        return None if not found else json.loads(found)

    async def _save(self, key: str, value: Any) -> None:
        now, text = self._clock.now(), json.dumps(value, ensure_ascii=False)

        async def save(repos: Repositories) -> None:
            await repos.channel_state.put(PLATFORM, key, text, now)

        await self._storage.run(save)
