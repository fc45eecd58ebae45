"""Actions: what handlers ask a channel to do.

Texts are :class:`markupsafe.Markup` in the Telegram HTML subset (``b``, ``i``,
``u``, ``s``, ``code``, ``pre``, ``a``, ``blockquote``). Building them with
``Markup(...).format()`` or the message catalog escapes every user-supplied
value, so a name like ``<b>&"`` can never break a message. Mentions use the
neutral ``<a href="mention:USER_ID">`` form that each channel renders;
links to a message use ``<a href="message:CHAT_ID/MESSAGE_ID">``, and a link that
opens a private chat with the bot ``<a href="start:PAYLOAD">`` (Telegram: a
``t.me`` deep link; without links, just its label).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from handlers.events import ChatRef, MessageRef, UserRef


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: either a callback (``data``) or a link (``url``)."""

    label: str
    data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Tag:
    """A handler's name for a message it sends (``ticket_card`` 7).

    The channel reports the platform ids it sent the message under; they are
    remembered, so that a reply to the message finds its way back to what it
    is about (staff answering a ticket card, a member answering staff).
    """

    kind: str
    key: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """Base of every action.

    ``deliveries`` ties an action to scheduled deliveries (one message may carry
    several, such as a group greeting naming a day's newcomers): the channel
    reports whether it went out, and each is closed as sent or failed.
    ``tag`` asks the channel to report the ids of the messages it posted.
    """

    deliveries: tuple[int, ...] = ()
    tag: Tag | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    """One message a channel posted: where, and under which platform id."""

    platform: str
    chat_id: str
    message_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """A channel's report on an action that carried a receipt or a tag."""

    ok: bool
    deliveries: tuple[int, ...] = ()
    tag: Tag | None = None
    error: str | None = None
    #: The messages posted for the action (a long text is several).
    sent: tuple[Sent, ...] = ()
    #: A private message was refused and the fallback went out instead.
    fell_back: bool = False
    #: Where the message reached its reader: ``private``, ``group`` or ``staff``.
    reached: str | None = None
    #: What the platform made for the action (an invite link).
    value: str | None = None
    #: Not attempted, by rule rather than refused (a WeChat window is closed, nobody
    #: could see it): ``error`` is the reason code the reports show.
    skipped: bool = False
    #: A private message the platform refused because the member never started the
    #: bot (the group was asked to /start): kept, so /start can still deliver it.
    refused: SendPrivate | None = None


def receipt_for(
    action: Action,
    error: str | None,
    sent: tuple[Sent, ...] = (),
    fell_back: bool = False,
    value: str | None = None,
    *,
    skipped: bool = False,
) -> Receipt | None:
    """The report a channel owes for ``action`` (None when it asked for none).

    A private message refused in favour of a "please /start" nudge is always
    reported, so the promise in the group can be kept after /start."""
    refused = (
        action
        if isinstance(action, SendPrivate)
        and fell_back
        and error is None
        and action.fallback_chat is not None
        and not action.public_fallback
        else None
    )
    if not action.deliveries and action.tag is None and refused is None:
        return None
    reached = None
    if error is None:
        if isinstance(action, SendPrivate) and not fell_back:
            reached = "private"
        elif isinstance(action, SendPrivate | SendMessage):
            reached = "group"
        elif isinstance(action, NotifyStaff):
            reached = "staff"
    return Receipt(
        ok=error is None,
        deliveries=action.deliveries,
        tag=action.tag,
        error=error,
        sent=sent,
        fell_back=fell_back,
        reached=reached,
        value=value,
        skipped=skipped and error is not None,
        refused=refused,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SendMessage(Action):
    """Post in a chat; with ``reply_to`` it quotes that message."""

    chat: ChatRef
    text: Markup
    buttons: Keyboard = ()
    reply_to: MessageRef | None = None
    silent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SendPrivate(Action):
    """Write to a member privately.

    Platforms may refuse (the member never started the bot, or a reply window
    closed); then the channel mentions the member in ``fallback_chat`` with a
    link to open the private chat, or, without one, tells staff (unless
    ``tell_staff_if_refused`` is off: routine nudges are not worth a human).
    """

    user: UserRef
    text: Markup
    buttons: Keyboard = ()
    fallback_chat: ChatRef | None = None
    #: Without a fallback chat, tell staff when the platform refuses (else just record it).
    tell_staff_if_refused: bool = True
    #: When refused, post the message itself in ``fallback_chat``, mentioning the member
    #: (for answers to something they raised there), not just a link to the private chat.
    public_fallback: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class EditMessage(Action):
    message: MessageRef
    text: Markup
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteMessage(Action):
    message: MessageRef


@dataclass(frozen=True, slots=True, kw_only=True)
class RestrictMember(Action):
    """Mute a member until ``until`` (None: until lifted)."""

    chat: ChatRef
    user: UserRef
    until: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyStaff(Action):
    """Tell the staff chat something needs a human.

    ``leads`` notices (a crisis, a missed response target) go to the leads'
    chat when one is configured, else to the staff chat like the rest.
    """

    text: Markup
    buttons: Keyboard = ()
    leads: bool = False
    #: Open a reply to this notice for the people it mentions (Telegram's ForceReply);
    #: their reply comes back as a reply to a tagged message.
    expects_reply: bool = False


#: Where a channel puts the invite link it made: user text can never contain it
#: (quotes in user text are escaped), so the channel replaces exactly this.
INVITE_LINK = Markup('<a href="invite:"></a>')


@dataclass(frozen=True, slots=True, kw_only=True)
class SendInviteLink(Action):
    """Make a personal invite link into ``chat`` (joins through it report ``name``)
    and answer ``reply_to`` with ``text``, the link where :data:`INVITE_LINK` stands.

    The platform call is the channel's, after the update's transaction; the link
    comes back in the receipt (``value``) for the feature to keep.
    """

    chat: ChatRef
    name: str
    reply_to: MessageRef
    text: Markup
    #: Said instead when the platform will not make the link (not an admin, no such feature).
    unavailable: Markup


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerButton(Action):
    """Acknowledge a button press (a toast on Telegram; nothing elsewhere)."""

    press_id: str
    text: str | None = None


def reply(message: MessageRef, text: Markup, buttons: Keyboard = ()) -> SendMessage:
    """A message in the same chat that quotes ``message``."""
    return SendMessage(chat=message.chat, text=text, buttons=buttons, reply_to=message)


def mention(user: UserRef) -> Markup:
    """A mention of ``user`` that carries their platform (a Telegram member is a link
    on Telegram; a WeChat member is their name everywhere); the name is escaped."""
    return Markup('<a href="mention:{}:{}">{}</a>').format(
        user.platform, user.id, user.display_name
    )


def start_link(label: str | Markup, payload: str = "from_group") -> Markup:
    """A platform-neutral link that opens a private chat with the bot."""
    return Markup('<a href="start:{}">{}</a>').format(payload, label)


def message_link(message: MessageRef, label: str | Markup) -> Markup:
    """A link to ``message`` on its platform (plain ``label`` where there is none)."""
    return Markup('<a href="message:{}:{}/{}">{}</a>').format(
        message.chat.platform, message.chat.id, message.id, label
    )
