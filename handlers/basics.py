"""The basic commands every community needs: /start, /help, /rules, /setrules,
/settings and /id."""

from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup

from faq.question import SmallTalk, small_talk
from handlers.actions import Action, AnswerButton, SendMessage, SendPrivate, reply
from handlers.commands import text
from handlers.context import Context, Place
from handlers.events import BotAddedToChat, ButtonPressed, CommandIssued, Event, MessagePosted
from handlers.keywords import DEFAULT_KEYWORDS, DEFAULT_KEYWORDS_LANGUAGE, fold_keyword
from handlers.receipts import HELD_FOR_START
from handlers.roles import Role
from handlers.router import EVERYWHERE, GROUP_ONLY, GROUP_OR_ROOM, Command, Router, declare

#: Rules longer than this would not fit one message with their heading.
MAX_RULES_LENGTH = 3500
#: How long a private message refused before /start is kept for it.
HELD_FOR_START_FOR = timedelta(days=1)
#: The built-in keywords, as the router holds them (folded).
_BUILT_IN_KEYWORDS = frozenset(fold_keyword(keyword) for keyword in DEFAULT_KEYWORDS)


async def start(event: CommandIssued, ctx: Context) -> list[Action]:
    """Private greeting; a deep-link payload means the member came from a group prompt
    (one to one, with no group, it is only where they came from: a QR code's scene)."""
    texts = ctx.texts
    if not event.chat.is_private:
        return [reply(event.message, texts.t("start.in_group"))]
    key = "start.welcome_back" if event.args and not ctx.one_to_one else "start.greeting"
    greeting = texts.t(key, name=event.sender.display_name, community=ctx.community.name)
    return [reply(event.message, greeting), *await _promised(event, ctx)]


async def _promised(event: CommandIssued, ctx: Context) -> list[Action]:
    """What the group promised this member privately (``fallback.private_refused``) and
    the platform refused before they started the bot: delivered now, once, if it is
    less than a day old. Marked delivered in this transaction, sent after it."""
    sender = event.sender
    since = ctx.now - HELD_FOR_START_FOR
    held = await ctx.repos.held.take(sender.platform, sender.id, HELD_FOR_START, since, ctx.now)
    texts = list(dict.fromkeys(message.text for message in held))  # /help twice: once
    # Our own rendered texts, escaped when they were made.
    return [SendMessage(chat=event.chat, text=Markup(text)) for text in texts]


async def help_command(event: CommandIssued, ctx: Context) -> list[Action]:
    """Lists exactly the commands the caller may use.

    In a group the list goes privately, so a busy group is not flooded with
    it; a member who never opened a private chat gets a one-tap link instead.
    A member with no group (WeChat) gets the group features that work one to one,
    each described as it works there (``help.NAME.one_to_one``).
    """
    texts = ctx.texts
    assert ctx.router is not None
    capabilities = ctx.platform.capabilities
    if ctx.place is not Place.GROUP:
        commands = ctx.router.visible_commands(ctx.roles, ctx.place, capabilities)
        if ctx.place is Place.PRIVATE and ctx.one_to_one:
            # No group with the bot (WeChat): group features work here, one to one.
            shown = {command.name for command in commands}
            commands += [
                command
                for command in ctx.router.visible_commands(ctx.roles, Place.GROUP, capabilities)
                if command.name not in shown
            ]
        return [reply(event.message, _help_text(ctx, commands))]
    heading = texts.t("help.group_heading", title=_title(ctx))
    commands = ctx.router.visible_commands(ctx.roles, Place.GROUP, capabilities)
    return [
        SendPrivate(
            user=event.sender,
            text=_help_text(ctx, commands, heading),
            fallback_chat=event.chat,
        )
    ]


def _help_text(ctx: Context, commands: list[Command], heading: Markup | None = None) -> Markup:
    texts = ctx.texts
    lines = [heading or texts.t("help.heading")]
    for command in commands:
        lines.append(texts.t("help.line", name=command.name, description=texts.t(command.help_key)))
    keywords = [
        keyword
        for command in commands
        for keyword in ctx.router.keywords.keywords_for(command.name)
    ]
    if texts.language != DEFAULT_KEYWORDS_LANGUAGE and not ctx.one_to_one:
        # Chinese words in an English help are noise; one to one (WeChat), where members
        # type words rather than commands, they stay, as the greeting names 帮助 too.
        keywords = [keyword for keyword in keywords if keyword not in _BUILT_IN_KEYWORDS]
    if keywords:  # what members may type instead (签到, 积分)
        lines.append(texts.t("help.keywords", keywords=texts.join(keywords)))
    if Role.MODERATOR in ctx.roles:
        lines.append(texts.t("help.moderator_note"))
    return Markup("\n").join(lines)


async def rules(event: CommandIssued, ctx: Context) -> list[Action]:
    texts = ctx.texts
    assert ctx.chat is not None
    if not ctx.chat.rules:
        return [reply(event.message, texts.t("rules.none"))]
    return [reply(event.message, texts.t("rules.show", title=_title(ctx), rules=ctx.chat.rules))]


async def set_rules(event: CommandIssued, ctx: Context) -> list[Action]:
    texts = ctx.texts
    assert ctx.chat is not None
    text = ctx.args["rules"]
    if len(text) > MAX_RULES_LENGTH:
        return [
            reply(
                event.message, texts.t("rules.too_long", limit=MAX_RULES_LENGTH, length=len(text))
            )
        ]
    if text == "-":
        await ctx.repos.chats.set_rules(ctx.chat.id, None, ctx.now)
        return [reply(event.message, texts.t("rules.cleared"))]
    await ctx.repos.chats.set_rules(ctx.chat.id, text, ctx.now)
    await ctx.repos.events.append(
        "rules_changed", ctx.now, chat_id=ctx.chat.id, user_id=ctx.sender.id if ctx.sender else None
    )
    return [reply(event.message, texts.t("rules.saved", count=len(text)))]


async def settings(event: CommandIssued, ctx: Context) -> list[Action]:
    """The chat's effective settings, so moderators can see what applies."""
    texts = ctx.texts
    assert ctx.chat is not None
    members = await ctx.repos.members.count_present(ctx.chat.id)
    lines = [texts.t("settings.heading", title=_title(ctx))]
    if ctx.place is Place.WORK_ROOM:
        lines.append(texts.t("settings.work_room"))
    lines += [
        texts.t("settings.chat_id", platform=event.chat.platform, id=event.chat.id),
        texts.t("settings.community", name=ctx.community.name),
        texts.t(
            "settings.language",
            language=texts.label(f"settings.language_{texts.language}", texts.language),
        ),
        texts.t(
            "settings.timezone",
            timezone=str(ctx.community.timezone),
            local_time=ctx.local_now.strftime("%Y-%m-%d %H:%M"),
        ),
        texts.t(
            "settings.rules",
            state=texts.t("settings.rules_set", count=len(ctx.chat.rules))
            if ctx.chat.rules
            else texts.t("settings.rules_unset"),
        ),
        texts.t("settings.members", count=members),
        texts.t("settings.channel", channel=ctx.platform.name),
    ]
    for key, value in ctx.platform.describe().items():
        fact = texts.plain(f"settings.fact_{key}") if texts.has(f"settings.fact_{key}") else key
        shown = (
            texts.plain(f"settings.value_{value}")
            if texts.has(f"settings.value_{value}")
            else value
        )
        lines.append(texts.t("settings.platform_fact", fact=fact, value=shown))
    return [reply(event.message, Markup("\n").join(lines))]


async def ids(event: CommandIssued, ctx: Context) -> list[Action]:
    """``/id``: this chat's id and the caller's (and, as a reply, the other person's),
    written as the config wants them (``telegram:12345``)."""
    texts = ctx.texts
    lines = []
    if not event.chat.is_private:
        lines.append(texts.t("ids.chat", address=f"{event.chat.platform}:{event.chat.id}"))
    lines.append(texts.t("ids.you", address=f"{event.sender.platform}:{event.sender.id}"))
    other = event.reply_to_sender
    if other is not None and other.id != event.sender.id:
        lines.append(
            texts.t("ids.other", name=other.display_name, address=f"{other.platform}:{other.id}")
        )
    lines.append(texts.t("ids.hint"))
    return [reply(event.message, Markup("\n").join(lines))]


async def private_hint(event: Event, ctx: Context) -> list[Action]:
    """A member writing to the bot privately gets pointed at /help (greeted first when
    it was a greeting); the FAQ answers before this where it has entries."""
    assert isinstance(event, MessagePosted)
    if not event.chat.is_private or not event.text.strip():
        return []
    kind = small_talk(event.text)
    if kind is None:
        return [SendMessage(chat=event.chat, text=ctx.texts.t("private.hint"))]
    if await small_talk_answered_lately(ctx):
        return []
    text = small_talk_reply(ctx, kind, event.sender.display_name, "small_talk.next_help")
    return [SendMessage(chat=event.chat, text=text)]


#: How long a one-to-one member's small talk (在吗, 你好) is answered once: WeChat lets
#: the bot send five messages per window, which are theirs to spend on what they ask.
SMALL_TALK_ONCE_IN = timedelta(minutes=10)
SMALL_TALK = "small_talk_answered"


async def small_talk_answered_lately(ctx: Context) -> bool:
    """Whether a one-to-one member's small talk was answered within
    :data:`SMALL_TALK_ONCE_IN` (then this one is not); else this answer is recorded.
    Elsewhere every greeting is answered: no window is spent."""
    if not ctx.one_to_one or ctx.chat is None or ctx.sender is None:
        return False
    member, since = ctx.sender.id, ctx.now - SMALL_TALK_ONCE_IN
    if await ctx.repos.events.count(SMALL_TALK, ctx.chat.id, user_id=member, since=since):
        return True
    await ctx.repos.events.append(SMALL_TALK, ctx.now, chat_id=ctx.chat.id, user_id=member)
    return False


def small_talk_reply(ctx: Context, kind: SmallTalk, name: str | Markup, next_key: str) -> Markup:
    """A friendly word for a greeting, thanks or chatter, then what to do next
    (``small_talk.next_help``, ``next_ask`` where the FAQ answers, ``next_group``)."""
    texts = ctx.texts
    return texts.t(f"small_talk.{kind}", name=name, next=texts.t(next_key))


async def stale_button(event: Event, ctx: Context) -> list[Action]:
    """Lowest priority: a press nothing else handled belongs to an old message."""
    assert isinstance(event, ButtonPressed)
    if event.press_id is None:
        return []
    return [AnswerButton(press_id=event.press_id, text=ctx.texts.plain("button.expired"))]


def _title(ctx: Context) -> str:
    assert ctx.chat is not None
    return ctx.chat.title or ctx.community.name


async def introduce_bot(event: Event, ctx: Context) -> list[Action]:
    """When added to a group, say hello and ask for admin rights if missing."""
    assert isinstance(event, BotAddedToChat)
    if event.chat.is_private:
        return []
    actions: list[Action] = [SendMessage(chat=event.chat, text=ctx.texts.t("bot.added"))]
    if not event.is_admin:
        actions.append(SendMessage(chat=event.chat, text=ctx.texts.t("bot.added_not_admin")))
    return actions


def register(router: Router) -> None:
    router.command(declare("start", start, where=EVERYWHERE, args=None))
    router.command(declare("help", help_command, where=EVERYWHERE))
    router.command(declare("id", ids, where=EVERYWHERE))
    router.command(declare("rules", rules, where=GROUP_ONLY))
    router.command(
        declare("setrules", set_rules, Role.MODERATOR, where=GROUP_ONLY, args=(text("rules"),))
    )
    router.command(declare("settings", settings, Role.MODERATOR, where=GROUP_OR_ROOM))
    router.on(MessagePosted, private_hint, priority=900, exclusive=True)
    router.on(ButtonPressed, stale_button, priority=1000, work_rooms=True)
    router.on(BotAddedToChat, introduce_bot, priority=100)
