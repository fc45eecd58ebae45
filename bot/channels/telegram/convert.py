"""Pure conversion of Telegram updates into normalized events.

No network, no state: given an ``Update`` and who the bot is, return the
events it means. Unit-tested against real payloads.
"""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Chat, ChatMember, Message, Update, User

from handlers.commands import is_for_bot, parse_command
from handlers.events import (
    BotAddedToChat,
    BotRemovedFromChat,
    ButtonPressed,
    ChatKind,
    ChatMigrated,
    ChatRef,
    CommandIssued,
    Event,
    Incoming,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    MessageRef,
    ModeratorsChanged,
    ReactionAdded,
    UserRef,
)

PLATFORM = "telegram"
#: The updates Shequn asks for; ``chat_member`` must be asked for explicitly.
ALLOWED_UPDATES = (
    "message",
    "callback_query",
    "chat_member",
    "my_chat_member",
    "message_reaction",
)

_PRESENT = {ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER}
_ADMINS = {ChatMember.OWNER, ChatMember.ADMINISTRATOR}


def user_ref(user: User) -> UserRef:
    return UserRef(
        platform=PLATFORM,
        id=str(user.id),
        display_name=user.full_name or user.username or str(user.id),
        username=user.username,
        language=user.language_code,
        is_bot=user.is_bot,
    )


def chat_ref(chat: Chat) -> ChatRef | None:
    """Groups and private chats; channels (broadcast) are not communities."""
    if chat.type == Chat.PRIVATE:
        kind = ChatKind.PRIVATE
        title = chat.full_name
    elif chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        kind = ChatKind.GROUP
        title = chat.title
    else:
        return None
    return ChatRef(platform=PLATFORM, id=str(chat.id), kind=kind, title=title)


def to_incoming(update: Update, bot_id: int, bot_username: str | None) -> Incoming:
    """The events of ``update``; an empty ``Incoming`` when it means nothing to Shequn."""
    key = str(update.update_id)
    events: list[Event] = []
    if update.message is not None:
        events = _from_message(update.message, bot_id, bot_username)
    elif update.callback_query is not None:
        events = _from_callback(update)
    elif update.chat_member is not None:
        events = _from_chat_member(update)
    elif update.my_chat_member is not None:
        events = _from_my_chat_member(update, bot_id)
    elif update.message_reaction is not None:
        events = _from_reaction(update)
    return Incoming(key=key, events=tuple(events))


def _from_reaction(update: Update) -> list[Event]:
    """A reaction added by a member (anonymous admins' and removals mean nothing here)."""
    change = update.message_reaction
    assert change is not None
    chat = chat_ref(change.chat)
    if chat is None or change.user is None or change.user.is_bot:
        return []
    if len(change.new_reaction) <= len(change.old_reaction):
        return []
    return [
        ReactionAdded(
            chat=chat,
            occurred_at=_when(change.date),
            sender=user_ref(change.user),
            message=MessageRef(chat, str(change.message_id)),
        )
    ]


def _when(message_date: datetime | None) -> datetime:
    return (message_date or datetime.now(UTC)).astimezone(UTC)


def _is_present(member: ChatMember) -> bool:
    if member.status in _PRESENT:
        return True
    return member.status == ChatMember.RESTRICTED and bool(getattr(member, "is_member", False))


def _from_message(message: Message, bot_id: int, bot_username: str | None) -> list[Event]:
    chat = chat_ref(message.chat)
    if chat is None:
        return []
    at = _when(message.date)
    if message.migrate_to_chat_id is not None:
        new_chat = ChatRef(PLATFORM, str(message.migrate_to_chat_id), ChatKind.GROUP, chat.title)
        return [ChatMigrated(chat=new_chat, occurred_at=at, old_chat_id=chat.id)]
    if message.migrate_from_chat_id is not None:
        return [
            ChatMigrated(chat=chat, occurred_at=at, old_chat_id=str(message.migrate_from_chat_id))
        ]
    if message.new_chat_members:
        actor = user_ref(message.from_user) if message.from_user else None
        events: list[Event] = []
        for user in message.new_chat_members:
            if user.id == bot_id:
                continue  # the bot's own arrival comes as my_chat_member
            invited_by = actor if actor and actor.id != str(user.id) else None
            events.append(
                MemberJoined(
                    chat=chat, occurred_at=at, member=user_ref(user), invited_by=invited_by
                )
            )
        return events
    if message.left_chat_member is not None:
        if message.left_chat_member.id == bot_id:
            return []
        actor = user_ref(message.from_user) if message.from_user else None
        gone = user_ref(message.left_chat_member)
        removed_by = actor if actor and actor.id != gone.id else None
        return [MemberLeft(chat=chat, occurred_at=at, member=gone, removed_by=removed_by)]
    return _from_text(message, chat, at, bot_id, bot_username)


def _reply_ref(message: Message, chat: ChatRef) -> MessageRef | None:
    original = message.reply_to_message
    return MessageRef(chat, str(original.message_id)) if original else None


def _reply_sender(message: Message) -> UserRef | None:
    original = message.reply_to_message
    if original is None or original.from_user is None or original.sender_chat is not None:
        return None
    return user_ref(original.from_user)


def _from_text(
    message: Message, chat: ChatRef, at: datetime, bot_id: int, bot_username: str | None
) -> list[Event]:
    anonymous_admin = message.sender_chat is not None and message.sender_chat.id == message.chat.id
    if message.sender_chat is not None and not anonymous_admin:
        return []  # a linked channel's automatic forward, not a member
    if anonymous_admin:
        sender = UserRef(PLATFORM, str(message.chat.id), chat.title or "admin", is_bot=False)
    elif message.from_user is not None:
        sender = user_ref(message.from_user)
    else:
        return []
    if sender.is_bot and not anonymous_admin:
        return []  # other bots' chatter is neither activity nor a command
    ref = MessageRef(chat=chat, id=str(message.message_id))
    text = message.text or message.caption or ""
    command = parse_command(text)
    if command is not None:
        if not is_for_bot(command, bot_username):
            return []
        return [
            CommandIssued(
                chat=chat,
                occurred_at=at,
                sender=sender,
                message=ref,
                name=command.name,
                args=command.args,
                sender_is_anonymous_admin=anonymous_admin,
                addressed=command.addressed_to is not None,
                reply_to=_reply_ref(message, chat),
                reply_to_sender=_reply_sender(message),
            )
        ]
    reply_to = message.reply_to_message
    return [
        MessagePosted(
            chat=chat,
            occurred_at=at,
            sender=sender,
            message=ref,
            text=text,
            reply_to=MessageRef(chat, str(reply_to.message_id)) if reply_to else None,
            reply_to_bot=bool(reply_to and reply_to.from_user and reply_to.from_user.id == bot_id),
            mentions_bot=bool(bot_username) and f"@{bot_username}".lower() in text.lower(),
            sender_is_anonymous_admin=anonymous_admin,
        )
    ]


def _from_callback(update: Update) -> list[Event]:
    query = update.callback_query
    assert query is not None
    sender = user_ref(query.from_user)
    message = query.message
    if message is not None:
        chat = chat_ref(message.chat)
        ref = MessageRef(chat, str(message.message_id)) if chat else None
    else:
        chat = ChatRef(PLATFORM, sender.id, ChatKind.PRIVATE, sender.display_name)
        ref = None
    if chat is None:
        return []
    return [
        ButtonPressed(
            chat=chat,
            occurred_at=datetime.now(UTC),
            sender=sender,
            message=ref,
            data=query.data or "",
            press_id=query.id,
        )
    ]


def _from_chat_member(update: Update) -> list[Event]:
    change = update.chat_member
    assert change is not None
    chat = chat_ref(change.chat)
    if chat is None:
        return []
    at = _when(change.date)
    member = user_ref(change.new_chat_member.user)
    actor = user_ref(change.from_user) if change.from_user else None
    actor = actor if actor and actor.id != member.id else None
    was, now = _is_present(change.old_chat_member), _is_present(change.new_chat_member)
    events: list[Event] = []
    if not was and now:
        link = change.invite_link.name if change.invite_link else None
        events.append(
            MemberJoined(
                chat=chat, occurred_at=at, member=member, invited_by=actor, invite_link_name=link
            )
        )
    elif was and not now:
        events.append(MemberLeft(chat=chat, occurred_at=at, member=member, removed_by=actor))
    if (change.old_chat_member.status in _ADMINS) != (change.new_chat_member.status in _ADMINS):
        events.append(ModeratorsChanged(chat=chat, occurred_at=at, member=member))
    return events


def _from_my_chat_member(update: Update, bot_id: int) -> list[Event]:
    change = update.my_chat_member
    assert change is not None
    chat = chat_ref(change.chat)
    if chat is None or chat.is_private:
        return []  # a user blocking/unblocking the bot: nothing to do in chats
    at = _when(change.date)
    actor = user_ref(change.from_user) if change.from_user else None
    was, now = _is_present(change.old_chat_member), _is_present(change.new_chat_member)
    is_admin = change.new_chat_member.status in _ADMINS
    if not was and now:
        return [BotAddedToChat(chat=chat, occurred_at=at, added_by=actor, is_admin=is_admin)]
    if was and not now:
        return [BotRemovedFromChat(chat=chat, occurred_at=at, removed_by=actor)]
    if (change.old_chat_member.status in _ADMINS) != is_admin:
        bot = UserRef(PLATFORM, str(bot_id), "bot", is_bot=True)
        return [ModeratorsChanged(chat=chat, occurred_at=at, member=bot)]
    return []
