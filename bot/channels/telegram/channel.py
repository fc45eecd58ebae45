"""The Telegram channel: receives updates (polling or webhook), dispatches them,
and carries out the resulting actions through the Bot API.

Rate limits are PTB's ``AIORateLimiter`` (30 msg/s overall, 20/min per group,
429s waited out and retried). A private message Telegram refuses (the member
never started the bot, or blocked it) becomes a short mention in the group
with a deep link, never an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from markupsafe import Markup, escape
from starlette.routing import BaseRoute
from telegram import Bot, BotCommand, ChatPermissions, Message, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    TypeHandler,
)

from bot.channels.telegram import render
from bot.channels.telegram.admins import AdminCache
from bot.channels.telegram.convert import ALLOWED_UPDATES, PLATFORM, to_incoming
from bot.channels.telegram.webhook import webhook_route
from bot.fleet.ratelimit import FleetRateLimiter
from bot.fleet.settings import RedisSettings
from bot.settings import TelegramSettings
from bot.startup import StartupError
from handlers.actions import (
    INVITE_LINK,
    Action,
    AnswerButton,
    DeleteMessage,
    EditMessage,
    NotifyStaff,
    Receipt,
    RestrictMember,
    SendInviteLink,
    SendMessage,
    SendPrivate,
    Sent,
    receipt_for,
    reply,
)
from handlers.capabilities import Capabilities, private_fallback
from handlers.context import Place
from handlers.desk import DeskSettings
from handlers.dispatcher import Dispatcher
from handlers.events import ChatRef, ModeratorsChanged, UserRef
from handlers.i18n import Texts
from handlers.router import Router
from storage.database import is_transient

log = logging.getLogger(__name__)

#: The longest wait between two attempts to reach Telegram at start.
MAX_CONNECT_DELAY = 60.0
DEFAULT_BASE_URL = "https://api.telegram.org"
#: How long a stop waits for the replies of webhook updates already recorded.
IN_FLIGHT_SECONDS = 3.0

CAPABILITIES = Capabilities(
    group_messages=True,
    private_first_contact=False,
    reply_window=None,
    edit=True,
    delete=True,
    restrict=True,
    buttons=True,
    invite_links=True,
    max_text_length=4096,
)

#: Telegram's placeholder sender for anonymous group admins.
ANONYMOUS_ADMIN_BOT_ID = 1087968824


class PrivateRefused(Exception):
    """Telegram refused a private message and no fallback was wanted."""


class StaffChatMissing(Exception):
    """A staff notice that must be seen had nowhere to go."""


@dataclass(slots=True)
class _Outcome:
    """What carrying out one action posted, for its receipt."""

    sent: list[Sent] = field(default_factory=list)
    fell_back: bool = False
    #: What the platform made (an invite link).
    value: str | None = None

    def posted(self, message: Message) -> None:
        self.sent.append(Sent(PLATFORM, str(message.chat.id), str(message.message_id)))


class TelegramPlatform:
    """:class:`handlers.context.PlatformAccess` for Telegram."""

    name = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, admins: AdminCache, mode: str) -> None:
        self._admins = admins
        self._mode = mode
        self.username: str | None = None
        self.reads_all_messages: bool | None = None

    @property
    def bot_username(self) -> str | None:
        return self.username

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return int(user.id) in await self._admins.admins(int(chat.id))

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        return None  # members meet in groups here

    def describe(self) -> dict[str, str]:
        privacy = {True: "privacy_off", False: "privacy_on"}
        return {
            "mode": self._mode,
            "bot": f"@{self.username}" if self.username else "?",
            "privacy": privacy.get(self.reads_all_messages, "unknown"),
        }


def build_application(
    settings: TelegramSettings, token: str, redis: RedisSettings | None = None
) -> Application:
    """A PTB application pointed at ``settings.base_url`` with the rate limiter on (the
    fleet's, in Redis, when replicas share the bot); in webhook mode without PTB's
    updater (Shequn's web server takes the updates)."""
    limits = settings.rate_limit
    builder = ApplicationBuilder()
    if settings.mode == "webhook":
        builder = builder.updater(None)
    limiter: BaseRateLimiter[int]
    if redis is not None and redis.configured:
        limiter = FleetRateLimiter(
            redis.url,
            redis.prefix,
            overall_per_second=limits.overall_per_second,
            group_per_minute=limits.group_per_minute,
            max_retries=limits.max_retries,
        )
    else:
        limiter = AIORateLimiter(
            overall_max_rate=limits.overall_per_second,
            group_max_rate=limits.group_per_minute,
            max_retries=limits.max_retries,
        )
    return (
        builder.token(token)
        .base_url(f"{settings.base_url}/bot")
        .base_file_url(f"{settings.base_url}/file/bot")
        .rate_limiter(limiter)
        .concurrent_updates(64)
        # A spare connection, so the last getUpdates at shutdown never waits on the long poll.
        .get_updates_connection_pool_size(2)
        .job_queue(None)
        .build()
    )


class TelegramChannel:
    name = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: TelegramSettings,
        token: str,
        dispatcher: Dispatcher,
        texts: Texts,
        router: Router,
        desk: DeskSettings,
        redis: RedisSettings | None = None,
    ) -> None:
        self._settings = settings
        self._desk = desk
        self._dispatcher = dispatcher
        self._texts = texts
        self._router = router
        self.application = build_application(settings, token, redis)
        self.admins = AdminCache(self._fetch_admins, settings.admin_cache_seconds)
        self.platform = TelegramPlatform(self.admins, settings.mode)
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        OneLineTelegramErrors.install(token)
        #: Where the actions of an update go: this channel alone, or every channel
        #: through the hub when Shequn runs on several platforms.
        self.deliver: Callable[[list[Action]], Awaitable[list[Receipt]]] = self.execute
        #: Told the outcome of every action carried out (``/metrics``).
        self.count_send: Callable[[str, str], None] = lambda _channel, _outcome: None
        #: Told when a chat's admins changed (other replicas drop their copy).
        self.on_admins_changed: Callable[[int], None] = lambda _chat_id: None
        #: Webhook updates recorded and still being answered (replies going out).
        self._in_flight: set[asyncio.Task[None]] = set()

    @property
    def bot(self) -> Bot:
        return self.application.bot

    async def start(self) -> None:
        app = self.application
        await self._connect()
        me = app.bot
        self.platform.username = me.username
        self.platform.reads_all_messages = me.can_read_all_group_messages
        self._warn_if_privacy_mode(me.can_read_all_group_messages)
        await self._publish_commands()
        if self._settings.mode == "webhook":
            await app.start()  # processing first: Telegram may call as soon as it is told
            await self._set_webhook()
            return
        updater = app.updater
        assert updater is not None
        await updater.start_polling(
            allowed_updates=list(ALLOWED_UPDATES),
            timeout=self._settings.poll_timeout,
            bootstrap_retries=-1,
            error_callback=self._on_polling_error,
        )
        log.info("Telegram polling started as @%s", me.username)
        await app.start()

    async def reach(self) -> None:
        """Raises unless Telegram answers ``getMe`` (``/readyz``)."""
        await self.bot.get_me()

    def routes(self) -> list[BaseRoute]:
        """The webhook on Shequn's web server (webhook mode); none when polling."""
        if self._settings.mode != "webhook":
            return []
        hook = self._settings.webhook
        return [webhook_route(hook.local_path, self._webhook_secret, self.application, self.take)]

    async def take(self, update: Update) -> bool:
        """Handle a webhook update; returns once it is recorded (True), or False when
        it could not be (the database away): the caller asks Telegram to resend it.
        The replies go out after, in a task :meth:`stop` waits for."""
        recorded = asyncio.get_running_loop().create_future()

        def mark() -> None:
            if not recorded.done():
                recorded.set_result(None)

        task = asyncio.create_task(self._handle(update, mark))
        self._in_flight.add(task)
        task.add_done_callback(self._finished)
        await asyncio.wait({recorded, task}, return_when=asyncio.FIRST_COMPLETED)
        if recorded.done():
            return True
        return task.exception() is None  # nothing to record (an update of no interest)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._log_failure(None, task.exception())

    async def _handle(self, update: Update, recorded: Callable[[], None] | None = None) -> None:
        incoming = to_incoming(update, self.bot.id, self.platform.username)
        for event in incoming.events:
            if isinstance(event, ModeratorsChanged):
                self.admins.invalidate(int(event.chat.id))
                self.on_admins_changed(int(event.chat.id))
        await self._dispatcher.handle(incoming, self.platform, self.deliver, recorded)

    async def _set_webhook(self) -> None:
        """Tell Telegram where to post updates; a network outage is waited out like
        at connect, a refusal (a bad URL) stops Shequn in one line."""
        hook = self._settings.webhook
        delay = 1.0
        while True:
            try:
                await self.bot.set_webhook(
                    hook.url,
                    secret_token=self._webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                break
            except TelegramError as error:
                if not _is_network_error(error):
                    raise StartupError(
                        f"Telegram refused the webhook {hook.url}: {error}; fix {{setting}}",
                        setting="telegram.webhook.url",
                    ) from None
                log.warning("Telegram is unreachable (%s); retrying in %g s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_CONNECT_DELAY)
        log.info("Telegram webhook set to %s (served at %s)", hook.url, hook.local_path)

    @property
    def _webhook_secret(self) -> str:
        secret = self._settings.webhook.secret_token
        return secret.get_secret_value() if secret else ""

    async def stop(self) -> None:
        app = self.application
        if self._in_flight:  # webhook updates recorded, their replies still going out
            await asyncio.wait(set(self._in_flight), timeout=IN_FLIGHT_SECONDS)
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await app.bot.shutdown()  # the connections of a start cut short before getMe answered

    async def _connect(self) -> None:
        """``getMe`` until Telegram answers. A network outage at start is waited out
        with growing pauses, one line each; a rejected token stops Shequn in one line."""
        delay = 1.0
        while True:
            try:
                await self.application.initialize()
                return
            except InvalidToken as error:
                # PTB's own message repeats the token: name only Telegram's answer.
                answer = error.__cause__ or "Unauthorized"
                server = (
                    "" if self._settings.base_url == DEFAULT_BASE_URL
                    else f" at {self._settings.base_url}"
                )  # fmt: skip
                raise StartupError(
                    f"Telegram{server} rejected the bot token ({answer}); copy it again "
                    "from @BotFather into {setting}",
                    setting="telegram.token",
                ) from None
            except RetryAfter as error:
                wait = _seconds(error.retry_after)
                log.warning("Telegram asks to wait %g s before starting; waiting", wait)
                await asyncio.sleep(wait)
            except TelegramError as error:
                if not _is_network_error(error):
                    raise StartupError(f"Telegram refused to start the bot: {error}") from None
                log.warning("Telegram is unreachable (%s); retrying in %g s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_CONNECT_DELAY)

    def _on_polling_error(self, error: TelegramError) -> None:
        """PTB retries polling itself; each failure is one line, not a traceback."""
        if isinstance(error, Conflict):
            log.error(
                "another process is polling with this bot token (%s); stop it — retrying", error
            )
        elif _is_network_error(error):
            log.warning("Telegram is unreachable while polling (%s); retrying", error)
        else:
            log.warning("polling failed (%s); retrying", error)

    def _warn_if_privacy_mode(self, reads_all: bool | None) -> None:
        if reads_all:
            return
        log.warning(
            "Privacy mode is ON for @%s: in groups where it is not an admin the bot only sees "
            "commands, replies and mentions, so activity tracking, points for messages and "
            "FAQ auto-replies will not work there. Fix: make the bot a group admin, or in "
            "@BotFather send /setprivacy, choose the bot, select Disable, then re-add it.",
            self.platform.username,
        )

    async def _publish_commands(self) -> None:
        """The member command menu in the client, in the community language."""
        commands = [
            BotCommand(c.name, self._texts.plain(c.help_key)[:256])
            for c in self._router.visible_commands(frozenset(), Place.PRIVATE)
        ]
        try:
            await self.bot.set_my_commands(commands)
        except TelegramError as error:
            log.warning("could not publish the command menu: %s", error)

    async def _fetch_admins(self, chat_id: int) -> frozenset[int]:
        members = await self.bot.get_chat_administrators(chat_id)
        return frozenset(member.user.id for member in members)

    async def _on_update(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            await self._handle(update)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._log_failure(update, context.error)

    def _log_failure(self, update: object, error: BaseException | None) -> None:
        """A passing fault (network, database) is one line; anything else is a bug and
        keeps its traceback."""
        update_id = getattr(update, "update_id", "?")
        if error is not None and (_is_network_error(error) or is_transient(error)):
            log.warning("update %s failed: %s", update_id, str(error).splitlines()[0])
            return
        log.error("update %s failed: %s", update_id, error, exc_info=error)

    async def execute(self, actions: list[Action]) -> list[Receipt]:
        """Carry out actions in order; one failure never blocks the rest.

        Returns a receipt for every action that asked for one (scheduled
        deliveries, tagged messages), with the ids of the messages posted.
        """
        receipts: list[Receipt] = []
        for action in actions:
            error: str | None = None
            outcome = _Outcome()
            counted = "ok"
            try:
                await self._execute(action, outcome)
            except RetryAfter as failure:
                error, counted = f"still flooded after retries: {failure}", "429"
                log.error("dropped %s: %s", type(action).__name__, error)
            except PrivateRefused as failure:  # a routine nudge nobody opened a chat for
                error, counted = str(failure), "403"
                log.info("private %s not delivered: %s", type(action).__name__, failure)
            except (TelegramError, StaffChatMissing) as failure:
                error = str(failure)
                counted = "403" if isinstance(failure, Forbidden) else "error"
                log.warning("Telegram refused %s: %s", type(action).__name__, failure)
            except Exception as failure:  # a bad action (a chat id that is no number): the
                error = f"{type(failure).__name__}: {failure}"  # rest of the batch goes on
                log.error("could not carry out %s: %s", type(action).__name__, error)
                log.debug("%s failed", type(action).__name__, exc_info=True)
                counted = "error"
            if outcome.fell_back and counted == "ok":
                counted = "403"  # refused in private, said in the group instead
            self.count_send(PLATFORM, counted)
            receipt = receipt_for(
                action, error, tuple(outcome.sent), outcome.fell_back, outcome.value
            )
            if receipt is not None:
                receipts.append(receipt)
        return receipts

    async def _execute(self, action: Action, outcome: _Outcome) -> None:
        match action:
            case SendMessage():
                for kwargs in render.send_message_kwargs(action, self.platform.username):
                    outcome.posted(await self.bot.send_message(**kwargs))
            case SendPrivate():
                await self._send_private(action, outcome)
            case NotifyStaff():
                await self._notify_staff(action, outcome)
            case EditMessage():
                await self._edit(action)
            case DeleteMessage():
                await self.bot.delete_message(int(action.message.chat.id), int(action.message.id))
            case RestrictMember():
                await self.bot.restrict_chat_member(
                    int(action.chat.id),
                    int(action.user.id),
                    ChatPermissions.no_permissions(),
                    until_date=action.until,
                )
            case AnswerButton():
                await self.bot.answer_callback_query(action.press_id, text=action.text)
            case SendInviteLink():
                await self._send_invite_link(action, outcome)
            case _:
                log.error("Telegram cannot carry out %r", action)

    async def _send_private(self, action: SendPrivate, outcome: _Outcome) -> None:
        try:
            for kwargs in render.send_kwargs(
                int(action.user.id), action.text, action.buttons, None, self.platform.username
            ):
                outcome.posted(await self.bot.send_message(**kwargs))
        except Forbidden as error:
            log.info("private message to %s refused (%s); falling back", action.user.id, error)
            fallback = private_fallback(action, self._texts, start_links=True)
            if fallback is None:
                raise PrivateRefused(str(error)) from error
            outcome.fell_back = True
            await self._execute(fallback, outcome)

    async def _send_invite_link(self, action: SendInviteLink, outcome: _Outcome) -> None:
        """Make the link (the bot must be an admin allowed to invite), then answer with it."""
        try:
            made = await self.bot.create_chat_invite_link(
                int(action.chat.id), name=action.name[:32]
            )
        except TelegramError as error:  # not an admin with "invite users", or a deleted chat
            log.warning("could not create an invite link in %s: %s", action.chat.id, error)
            text = action.unavailable
        else:
            outcome.value = made.invite_link
            text = Markup(str(action.text).replace(str(INVITE_LINK), str(escape(made.invite_link))))
        await self._execute(reply(action.reply_to, text), outcome)

    async def _notify_staff(self, action: NotifyStaff, outcome: _Outcome) -> None:
        room = self._desk.room(leads=action.leads)
        if room is None or room.platform != PLATFORM:
            log.warning("staff notice (no staff chat configured): %s", action.text.striptags())
            if action.tag is not None:  # the sender wants it seen: say it did not go out
                raise StaffChatMissing("no staff chat on Telegram is configured (staff.chat)")
            return
        chat_id = int(room.id)
        for kwargs in render.notify_staff_kwargs(chat_id, action, self.platform.username):
            outcome.posted(await self.bot.send_message(**kwargs))

    async def _edit(self, action: EditMessage) -> None:
        chunks = render.message_chunks(action.text, self.platform.username)
        try:
            await self.bot.edit_message_text(
                chunks[0],
                chat_id=int(action.message.chat.id),
                message_id=int(action.message.id),
                parse_mode="HTML",
                reply_markup=render.keyboard(action.buttons),
                link_preview_options=render.NO_PREVIEW,
            )
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise


def _is_network_error(error: BaseException) -> bool:
    """A passing network fault; PTB's BadRequest is a NetworkError but a refusal."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class OneLineTelegramErrors(logging.Filter):
    """python-telegram-bot logs Telegram's errors with tracebacks in places Shequn
    cannot hook into (the last ``getUpdates`` at shutdown, a retry loop giving up).
    Those are Telegram's answers or the network, not bugs: one line each, token
    hidden. Other exceptions keep their tracebacks."""

    LOGGERS = ("telegram.ext", "telegram.ext.Updater")

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    @classmethod
    def install(cls, token: str) -> None:
        for name in cls.LOGGERS:
            logger = logging.getLogger(name)
            for old in [f for f in logger.filters if isinstance(f, cls)]:
                logger.removeFilter(old)
            logger.addFilter(cls(token))

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, TelegramError):
            text = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.msg = text.replace(self._token, "***") if self._token else text
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
