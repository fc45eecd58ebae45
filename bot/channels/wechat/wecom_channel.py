"""The staff desk in WeCom: a self-built app (自建应用) carries ticket cards, reminders
and leads' notices to the staff's WeCom, and their answers back.

The desk's rooms are ``wecom:staff`` and ``wecom:leads``: a notice to a room is an
app message to the people configured for it (``[wecom] staff`` / ``leads``). A
notice with buttons is a template card (``button_interaction``) whose buttons
come back as ``template_card_event`` callbacks; a card is updated in place with
the response code of its last send or press (WeCom accepts each code once). What
a staff member writes in the app chat is said in the staff room, so ``/tickets``,
``/reply 12 …`` and ``#12 …`` (the card cannot be quoted) work as in a staff
group; an answer to something they wrote goes to them alone. Leads' notices are
also posted, when a group robot's key is set, in that internal group, paced to
the robot's 20 a minute and retried until they go. App messages are paced per
person (WeCom silently drops past 30 a minute); notices are marked for WeCom's
duplicate check, so a resent one is not shown twice, but answers are not (the same
answer to the same command asked twice must arrive twice).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.rendering import plain_text
from bot.channels.wechat.api import WeChatApiError, WeChatError, split_text
from bot.channels.wechat.callbacks import answer_url_check, open_callback
from bot.channels.wechat.crypto import CallbackCrypto
from bot.channels.wechat.customer_groups import (
    CustomerGroups,
    GroupPostRefused,
    is_customer_group,
)
from bot.channels.wechat.settings import WeComAppSettings
from bot.channels.wechat.tokens import DatabaseTokenStore
from bot.channels.wechat.wecom_api import (
    PER_HOUR,
    PER_MINUTE,
    ROBOT_PER_MINUTE,
    Pacer,
    WeComAppApi,
)
from bot.channels.wechat.window import truncate
from bot.fleet.pacer import FleetPacer
from bot.fleet.settings import RedisSettings
from bot.fleet.shared import RedisOrLocal
from bot.startup import StartupError
from handlers.actions import (
    Action,
    AnswerButton,
    EditMessage,
    Keyboard,
    NotifyStaff,
    Receipt,
    SendMessage,
    SendPrivate,
    Sent,
    receipt_for,
)
from handlers.capabilities import Capabilities
from handlers.clock import Clock
from handlers.commands import is_for_bot, parse_command
from handlers.desk import DeskSettings
from handlers.dispatcher import Dispatcher
from handlers.events import (
    ButtonPressed,
    ChatKind,
    ChatRef,
    CommandIssued,
    Event,
    Incoming,
    MessagePosted,
    MessageRef,
    UserRef,
)
from handlers.i18n import shortened
from storage.database import Storage
from storage.repositories import Repositories

log = logging.getLogger(__name__)

PLATFORM = "wecom"
ROOMS = ("staff", "leads")
#: What a template card shows: its title, and the text under it.
CARD_TITLE, CARD_TEXT = 36, 160
CARD_BUTTONS = 6
#: Pauses between attempts to post a leads' notice through the robot.
ROBOT_RETRY = (2.0, 10.0, 30.0, 60.0)

CAPABILITIES = Capabilities(
    group_messages=True,  # the rooms: app messages to their people
    private_first_contact=True,  # an app may write to anyone of the corp
    edit=True,  # cards are updated in place
    delete=False,
    restrict=False,
    buttons=True,
    invite_links=False,
    max_text_length=2048,
)


class WeComAppPlatform:
    """What handlers may know of this channel: it has no community, only the desk."""

    name = PLATFORM
    capabilities = CAPABILITIES
    bot_username = None

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        return None

    def describe(self) -> dict[str, str]:
        return {"channel": "企业微信应用 (WeCom app, the staff desk)"}

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return False


class WeComAppChannel:
    name = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: WeComAppSettings,
        desk: DeskSettings,
        dispatcher: Dispatcher,
        storage: Storage,
        clock: Clock,
        *,
        api_base_url: str,
        max_clock_skew: int = 300,
        api: WeComAppApi | None = None,
        redis: RedisSettings | None = None,
    ) -> None:
        self._settings, self._desk = settings, desk
        self._dispatcher, self._storage, self._clock = dispatcher, storage, clock
        self._crypto = CallbackCrypto(
            settings.token.get_secret_value() if settings.token else "",
            settings.aes_key.get_secret_value() if settings.aes_key else "",
            settings.corp_id,
            max_clock_skew,
            now=lambda: clock.now().timestamp(),
        )
        name = f"wecom-app:{settings.corp_id}:{settings.agent_id}"
        secret = settings.secret.get_secret_value() if settings.secret else ""
        self._api = api or WeComAppApi(
            settings.corp_id,
            secret,
            settings.agent_id,
            DatabaseTokenStore(storage, name, clock),
            api_base_url=api_base_url,
            now=clock.now,
        )
        self.platform = WeComAppPlatform()
        self.deliver: Callable[[list[Action]], Awaitable[list[Receipt]]] = self.execute
        per_person = [(PER_MINUTE, 60.0), (PER_HOUR, 3600.0)]
        robot = [(ROBOT_PER_MINUTE, 60.0)]
        self._pacer: Pacer | FleetPacer = Pacer(per_person)
        self._robot_pacer: Pacer | FleetPacer = Pacer(robot)
        self._fleet: RedisOrLocal | None = None
        if redis is not None and redis.configured:  # replicas: the limits are the fleet's
            self._fleet = RedisOrLocal(redis.url, "WeCom's limits")
            self._pacer = FleetPacer(self._fleet, redis.prefix, name, per_person)
            self._robot_pacer = FleetPacer(self._fleet, redis.prefix, name + ":robot", robot)
        self.robot_retry: tuple[float, ...] = ROBOT_RETRY
        self._tasks: set[asyncio.Task[None]] = set()
        self._names: dict[str, str] = {}
        self.groups = CustomerGroups(self._api, storage, clock)
        self._stopping = asyncio.Event()
        self._running = False

    # -- lifecycle ---------------------------------------------------------------------

    async def reach(self) -> None:
        """Raises unless WeCom answers ``agent/get`` for the app (``/readyz``)."""
        await self._api.agent()

    def routes(self) -> list[BaseRoute]:
        path = self._settings.callback_path
        return [
            Route(path, self._verify_url, methods=["GET"]),
            Route(path, self._on_callback, methods=["POST"]),
        ]

    async def start(self) -> None:
        """Check the app's keys with one call; an outage is waited out."""
        try:
            await self._api.until_reachable(self._api.agent)
        except WeChatError as error:
            raise StartupError(
                f"WeCom refused the app's keys ({error}); check {{setting}}, wecom.agent_id "
                "and wecom.corp_id",
                setting="wecom.secret",
            ) from None
        if self._settings.group_welcome:
            try:
                await self.groups.keep_welcome_template(self._settings.group_welcome)
            except WeChatApiError as error:
                log.warning(
                    "could not keep the 入群欢迎语 template (%s); does the app have the "
                    "客户联系 permission?",
                    error,
                )
        self._running = True
        self._stopping.clear()
        self._spawn(self._follow_up_tasks())
        log.info("WeCom app %s ready: the staff desk", self._settings.agent_id)

    async def stop(self) -> None:
        """Stop taking callbacks; leads' notices still on their way to the robot finish."""
        self._running = False
        self._stopping.set()
        while self._tasks:
            await asyncio.wait(set(self._tasks))
        if self._fleet is not None:
            await self._fleet.close()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- callbacks -----------------------------------------------------------------------

    async def _verify_url(self, request: Request) -> Response:
        return await answer_url_check(self._crypto, request, "WeCom app")

    async def _on_callback(self, request: Request) -> Response:
        """Handled before answering: WeCom waits 5 s, and desk commands are quick."""
        if not self._running:
            return Response(status_code=503)
        message = await open_callback(self._crypto, request, "WeCom app")
        if isinstance(message, Response):
            return message
        if message.get("AgentID", str(self._settings.agent_id)) != str(self._settings.agent_id):
            return PlainTextResponse("success")  # another app of the corp
        if message.get("Event") == "template_card_event":
            await self._remember_code(message.get("TaskId", ""), message.get("ResponseCode", ""))
        if message.get("Event") == "change_external_chat":
            events = await self._group_changed(message)
        else:
            await self._learn_name(message.get("FromUserName", ""))
            events = self._events(message)
        if events:
            incoming = Incoming(key=_update_key(message, events), events=tuple(events))
            await self._dispatcher.handle(incoming, self.platform, self.deliver)
        return PlainTextResponse("success")

    async def _group_changed(self, message: dict[str, str]) -> list[Event]:
        chat_id = message.get("ChatId", "")
        if not chat_id:
            return []
        try:
            return await self.groups.changed(
                chat_id, _at(message, self._clock), dismissed=message.get("ChangeType") == "dismiss"
            )
        except WeChatApiError as error:
            log.warning("could not read customer group %s: %s", chat_id, error)
            return []

    async def _follow_up_tasks(self) -> None:
        """Owner-confirmed group posts read back every ``task_check_seconds``."""
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), self._settings.task_check_seconds)
                return
            except TimeoutError:
                pass
            try:
                await self.groups.follow_up()
            except WeChatApiError as error:
                log.warning("could not read back group posts: %s", error)

    async def _learn_name(self, person: str) -> None:
        """Staff are shown by name, looked up once (their user id if WeCom will not say)."""
        if not person or person in self._names:
            return
        try:
            self._names[person] = (await self._api.user_name(person))[:64] or person
        except WeChatApiError as error:
            log.info("could not learn the name of %s: %s", person, error)
            self._names[person] = person

    def _events(self, message: dict[str, str]) -> list[Event]:
        """A staff member's message or card press, said in the staff room (or privately
        by someone of the corp who is not listed as staff)."""
        person = message.get("FromUserName", "")
        if not person:
            return []
        sender = UserRef(PLATFORM, person, self._names.get(person, person), language="zh")
        listed = person in self._settings.staff or person in self._settings.leads
        chat = _room("staff") if listed else ChatRef(PLATFORM, person, ChatKind.PRIVATE, None)
        at = _at(message, self._clock)
        if message.get("Event") == "template_card_event":
            ref = MessageRef(chat, message.get("TaskId", ""))
            return [
                ButtonPressed(
                    chat=chat,
                    occurred_at=at,
                    sender=sender,
                    message=ref,
                    data=message.get("EventKey", ""),
                    press_id=person,
                )
            ]
        if message.get("MsgType") != "text":
            return []
        text = message.get("Content", "")
        ref = MessageRef(chat, f"{person}:{message.get('MsgId', '')}")
        said = {"chat": chat, "occurred_at": at, "sender": sender, "message": ref}
        command = parse_command(text)
        if command is not None and is_for_bot(command, None):
            return [CommandIssued(**said, name=command.name, args=command.args)]
        return [MessagePosted(**said, text=text)]

    # -- writing -------------------------------------------------------------------------

    async def execute(self, actions: list[Action]) -> list[Receipt]:
        """Carry out actions in order; one failure never blocks the rest. A press's
        acknowledgement is a message of its own here (there are no toasts), so it goes
        only when the press did nothing else the presser will see."""
        receipts: list[Receipt] = []
        acknowledged = len(actions) > 1
        for action in actions:
            if isinstance(action, AnswerButton) and acknowledged:
                continue
            sent: list[Sent] = []
            error: str | None = None
            skipped = False
            try:
                await self._execute(action, sent)
            except GroupPostRefused as refused:
                error, skipped = refused.reason, refused.reason == "owner_posts"
                log.info("%s", refused)
            except WeChatApiError as failure:
                error = str(failure)
                log.warning("WeCom refused %s: %s", type(action).__name__, failure)
            receipt = receipt_for(action, error, tuple(sent), skipped=skipped)
            if receipt is not None:
                receipts.append(receipt)
        return receipts

    async def _execute(self, action: Action, sent: list[Sent]) -> None:
        once = _once(action)
        match action:
            case SendMessage(chat=chat) if is_customer_group(chat):
                if action.deliveries:  # onboarding: WeChat's welcome template greets instead
                    raise GroupPostRefused(
                        "owner_posts", f"a newcomer greeting in customer group {chat.id} skipped"
                    )
                msgid = await self.groups.post(chat, plain_text(action.text))
                sent.append(Sent(PLATFORM, chat.id, msgid))
            case NotifyStaff():
                room = "leads" if action.leads and self._desk.leads_chat else "staff"
                people = self._settings.people(room)
                await self._post(room, people, action.text, action.buttons, sent, once=once)
                if action.leads and self._settings.robot_key is not None:
                    self._spawn(self._to_robot(plain_text(action.text)))
            case SendMessage(chat=chat) if chat.id in ROOMS and not chat.is_private:
                person = _writer(action.reply_to)
                people = [person] if person else self._settings.people(chat.id)
                await self._post(chat.id, people, action.text, action.buttons, sent, once=once)
            case SendMessage(chat=chat) if chat.is_private:
                await self._post(chat.id, [chat.id], action.text, action.buttons, sent, once=once)
            case SendPrivate(user=user):
                await self._post(user.id, [user.id], action.text, action.buttons, sent, once=once)
            case EditMessage(message=message):
                await self._update(message, action.text, action.buttons)
            case AnswerButton(press_id=person, text=text) if text and person:
                await self._post(person, [person], Markup.escape(text), (), sent, once=False)
            case AnswerButton():
                pass
            case _:
                raise WeChatError(-2, f"the WeCom app cannot carry out {type(action).__name__}")

    async def _post(
        self,
        where: str,
        people: list[str],
        text: Markup,
        buttons: Keyboard,
        sent: list[Sent],
        *,
        once: bool = True,
    ) -> None:
        """Text in parts of 2,048 bytes; with buttons, the last part as a card. ``once``:
        WeCom's duplicate check drops the same text sent again within half an hour."""
        plain = plain_text(text)
        items = [button for row in buttons for button in row if button.data][:CARD_BUTTONS]
        parts = split_text(plain) if plain.strip() else []
        if items:
            title, _, rest = (parts.pop() if parts else "").partition("\n")
            if len(title) > CARD_TITLE or len(rest) > CARD_TEXT:
                parts.append(f"{title}\n{rest}".strip())  # shown whole first, the card after
            task = uuid.uuid4().hex
            card = _card(task, title, rest, items)
            await self._pacer.wait(*people)
            for part in parts:
                await self._api.send(people, "text", {"content": part}, once=once)
            result = await self._api.send(people, "template_card", card, once=once)
            await self._remember_code(task, str(result.get("response_code", "")))
            await self._remember_people(task, people)
            sent.append(Sent(PLATFORM, where, task))
            return
        for part in parts:
            await self._pacer.wait(*people)
            result = await self._api.send(people, "text", {"content": part}, once=once)
            sent.append(Sent(PLATFORM, where, str(result.get("msgid", ""))))

    async def _update(self, message: MessageRef, text: Markup, buttons: Keyboard) -> None:
        """The card in place, with the last response code WeCom gave for it. With none
        left (a change made by a typed command, not a press) the card stays as it is:
        the command's own answer tells the change, so WeCom is not asked at all."""
        task = message.id
        code = await self._take_code(task)
        if not code:
            log.debug("card %s stays as it is: no response code left to update it", task)
            return
        people = await self._people_of(task)
        plain = plain_text(text)
        title, _, rest = plain.partition("\n")
        items = [button for row in buttons for button in row if button.data][:CARD_BUTTONS]
        await self._api.update_card(people, code, _card(task, title, rest, items))

    async def _to_robot(self, text: str) -> None:
        """A leads' notice in the internal group; retried until it goes (or Shequn stops)."""
        key = self._settings.robot_key.get_secret_value() if self._settings.robot_key else ""
        for attempt, pause in enumerate((*self.robot_retry, None)):
            await self._robot_pacer.wait("robot")
            try:
                for part in split_text(text):
                    await self._api.robot_post(key, part)
                return
            except WeChatApiError as error:
                if pause is None or not self._running:
                    log.warning("a leads notice did not reach the WeCom group: %s", error)
                    return
                log.info("WeCom robot refused (%s); retry %d in %g s", error, attempt + 1, pause)
                await asyncio.sleep(pause)

    # -- what a card needs later -----------------------------------------------------------

    async def _remember_code(self, task: str, code: str) -> None:
        if task and code:
            now = self._clock.now()
            await self._storage.run(
                lambda repos: repos.channel_state.put(PLATFORM, f"card:{task}", code, now)
            )

    async def _take_code(self, task: str) -> str | None:
        now = self._clock.now()

        async def take(repos: Repositories) -> str | None:
            code = await repos.channel_state.get(PLATFORM, f"card:{task}")
            await repos.channel_state.put(PLATFORM, f"card:{task}", "", now)
            return code or None

        return await self._storage.run(take)

    async def _remember_people(self, task: str, people: list[str]) -> None:
        now, to = self._clock.now(), "|".join(people)
        await self._storage.run(
            lambda repos: repos.channel_state.put(PLATFORM, f"card-to:{task}", to, now)
        )

    async def _people_of(self, task: str) -> list[str]:
        found = await self._storage.run(
            lambda repos: repos.channel_state.get(PLATFORM, f"card-to:{task}")
        )
        return [person for person in (found or "").split("|") if person]


def _update_key(message: dict[str, str], events: list[Event]) -> str:
    """What makes a callback one update: its MsgId, or what the event changed."""
    if message.get("MsgId"):
        return f"app:{message['MsgId']}"[:128]
    what = "|".join(f"{type(e).__name__}:{getattr(e, 'member', None)}" for e in events)
    parts = (message.get("FromUserName"), message.get("CreateTime"), message.get("TaskId"), what)
    digest = hashlib.sha1(repr((parts, message.get("EventKey"))).encode()).hexdigest()
    return f"app:{message.get('Event', 'event')}:{digest}"[:128]


def _at(message: dict[str, str], clock: Clock) -> datetime:
    try:
        return datetime.fromtimestamp(int(message.get("CreateTime") or 0), UTC)
    except (ValueError, OverflowError, OSError):
        return clock.now()


def _room(room: str) -> ChatRef:
    return ChatRef(PLATFORM, room, ChatKind.GROUP, room)


def _once(action: Action) -> bool:
    """Whether WeCom's duplicate check guards this send. Notices and scheduled messages,
    yes: a resend after a crash is then not shown twice. An answer to what someone typed
    or pressed, no: that update is handled once already, and the same answer to the same
    question asked again (``/tickets``, a second reply's confirmation) must be shown."""
    if isinstance(action, NotifyStaff) or action.deliveries:
        return True
    if isinstance(action, SendMessage) and not action.chat.is_private:
        return _writer(action.reply_to) is None
    return False


def _writer(message: MessageRef | None) -> str | None:
    """Who wrote a message in a room (its id is ``person:msgid``)."""
    if message is None or ":" not in message.id:
        return None
    return message.id.split(":", 1)[0] or None


def _card(task: str, title: str, text: str, buttons: list[Any]) -> dict[str, Any]:
    return {
        "card_type": "button_interaction",
        "main_title": {"title": shortened(title, CARD_TITLE)},
        "sub_title_text": shortened(text, CARD_TEXT),
        "task_id": task,
        "button_list": [
            {"text": shortened(button.label, 10), "style": 1, "key": truncate(button.data, 1024)}
            for button in buttons
        ],
    }
