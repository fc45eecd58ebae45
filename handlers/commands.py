"""The one command parser, for every channel: ``/name@bot args`` into a name and
arguments, and arguments into the values a command declares.

Chinese input methods type a full-width slash (``／``) and full-width spaces
(``　``); both are accepted here once, so no feature splits text by hand. A
phrase in quotes (``"社区 MVP"``, ``“社区 MVP”``, ``「社区 MVP」``) is one word. A
command declares its arguments (:class:`Arg`), and a mistake gets one usage
line generated from that declaration, in the chat's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from handlers.i18n import shortened

#: ``/name`` or ``/name@bot`` at the start (names: 1-32 of A-Z, a-z, 0-9, _).
_COMMAND = re.compile(r"^[/／]([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)")


@dataclass(frozen=True, slots=True)
class CommandText:
    name: str
    args: str
    #: The bot the command was addressed to (``/help@shequn_bot``), if any.
    addressed_to: str | None = None


#: Invisible format characters (zero-width space and non-joiner, word joiner, byte-order
#: mark, soft hyphen, direction marks): text pasted from WeChat carries them, and they
#: would hide ``/checkin`` or a keyword, or pass for a required word. The zero-width
#: joiner is not among them: it holds emoji sequences together.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def visible(text: str) -> str:
    """``text`` without invisible format characters (see ``_INVISIBLE``)."""
    return _INVISIBLE.sub("", text)


def parse_command(text: str) -> CommandText | None:
    """The command ``text`` starts with, or None when it is not a command."""
    stripped = visible(text).lstrip()
    match = _COMMAND.match(_fold_each(stripped[:100]))
    if match is None:
        return None
    args = stripped[match.end() :].strip()
    return CommandText(match.group(1).lower(), args, match.group(2))


def _fold_each(text: str) -> str:
    """Full-width forms folded to ASCII (``／ｈｅｌｐ`` is ``/help``), one character for one,
    so positions in the folded text are positions in ``text``."""
    folded = []
    for char in text:
        plain = unicodedata.normalize("NFKC", char)
        folded.append(plain if len(plain) == 1 else char)
    return "".join(folded)


def is_for_bot(command: CommandText, bot_username: str | None) -> bool:
    """Commands addressed to another bot (``/help@other_bot``) are not ours."""
    target = command.addressed_to
    return target is None or (bot_username is not None and target.lower() == bot_username.lower())


class Kind(StrEnum):
    #: One word.
    WORD = "word"
    #: A whole number (full-width digits accepted).
    INT = "int"
    #: Who the command is about: ``@username`` or a numeric id; a reply to their
    #: message stands in for it.
    MEMBER = "member"
    #: Everything that is left, spaces included.
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Arg:
    """One declared argument; ``name`` is also its catalog key (``args.NAME``)."""

    name: str
    kind: Kind = Kind.WORD
    optional: bool = False
    #: For words: the accepted values (lower case); aliases map other spellings.
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    minimum: int | None = None
    maximum: int | None = None
    #: For text: the most characters it may have (a reason echoed into the group).
    longest: int | None = None


#: How people write on and off.
SWITCH_ALIASES = {"开": "on", "开启": "on", "打开": "on", "关": "off", "关闭": "off"}


#: The largest number a command takes: what storage holds (ids are 64-bit integers).
LARGEST_NUMBER = 2**63 - 1


def stored_id(text: str) -> int | None:
    """``text`` as a stored row's id (ASCII digits within ``LARGEST_NUMBER``), else None:
    button data and links can be forged (``esc:claim:99999999999999999999``, ``²``)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST_NUMBER)):
        return None
    value = int(text)
    return value if value <= LARGEST_NUMBER else None


def word(name: str, *, optional: bool = False, **kw: Any) -> Arg:
    return Arg(name, Kind.WORD, optional, **kw)


def number(name: str, *, optional: bool = False, minimum: int | None = 1, **kw: Any) -> Arg:
    return Arg(name, Kind.INT, optional, minimum=minimum, **kw)


def member(name: str = "member", *, optional: bool = False) -> Arg:
    return Arg(name, Kind.MEMBER, optional)


def text(name: str, *, optional: bool = False, longest: int | None = None) -> Arg:
    return Arg(name, Kind.TEXT, optional, longest=longest)


@dataclass(frozen=True, slots=True)
class MemberToken:
    """``@name`` or an id as typed; the feature looks the person up (it needs storage)."""

    username: str | None = None
    user_id: str | None = None


class ArgumentError(ValueError):
    """The arguments do not fit the declaration; ``problem`` is a catalog key."""

    def __init__(self, problem: str, **values: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.values = values


@dataclass(frozen=True, slots=True)
class Args:
    """Parsed arguments by name; absent optional ones are None."""

    values: Mapping[str, Any] = field(default_factory=dict)
    #: The raw argument text, for commands that take free text.
    raw: str = ""

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None else value


#: One way to call a command: its arguments in order.
Form = tuple[Arg, ...]


def parse_forms(forms: tuple[Form, ...], raw: str, *, replying_to_someone: bool = False) -> Args:
    """Fit ``raw`` to the first of ``forms`` it fits (``/schedule``, ``/schedule add …``,
    ``/schedule pause 3``); the error reported is that of the form whose leading
    word matched, so a mistake after ``add`` is explained as one."""
    errors: list[tuple[bool, ArgumentError]] = []
    first, _ = _next_token(raw)
    for form in forms:
        try:
            return parse_args(form, raw, replying_to_someone=replying_to_someone)
        except ArgumentError as error:
            leads = bool(form) and bool(form[0].choices) and _fits_choice(form[0], first)
            errors.append((leads, error))
    chosen = next((error for leads, error in errors if leads), errors[-1][1])
    raise chosen


def _fits_choice(arg: Arg, token: str) -> bool:
    choice = unicodedata.normalize("NFKC", token).lower()
    return arg.aliases.get(choice, choice) in arg.choices


def parse_args(spec: Form, raw: str, *, replying_to_someone: bool = False) -> Args:
    """Fit ``raw`` to ``spec``; raises :class:`ArgumentError` with what is wrong."""
    rest = visible(raw).strip()
    values: dict[str, Any] = {}
    for index, arg in enumerate(spec):
        if arg.kind is Kind.TEXT:
            if not rest and not arg.optional:
                raise ArgumentError("missing", arg=arg.name)
            if arg.longest is not None and len(rest) > arg.longest:
                raise ArgumentError("too_long", arg=arg.name, longest=arg.longest, length=len(rest))
            values[arg.name] = rest or None
            rest = ""
            break
        before = rest
        token, rest = _next_token(rest)
        if arg.kind is Kind.MEMBER and replying_to_someone and not token.startswith("@"):
            # A reply names the member; the token (if any) belongs to the next argument.
            values[arg.name] = None
            rest = before
            continue
        if not token:
            if arg.optional:
                values[arg.name] = None
                continue
            raise ArgumentError("missing", arg=arg.name)
        try:
            values[arg.name] = _convert(arg, token)
        except ArgumentError:
            if arg.optional and index + 1 < len(spec):
                values[arg.name] = None  # an optional value left out: try the token next
                rest = before
                continue
            raise
    if rest:
        raise ArgumentError("extra", value=rest[:40])
    return Args(values, raw.strip())


#: Quotes that make several words one (``"社区 MVP"``), as ASCII and Chinese input
#: methods type them: opening → closing.
QUOTES = {'"': '"', "＂": "＂", "“": "”", "「": "」", "『": "』"}


def _next_token(text: str) -> tuple[str, str]:
    """The first word and the rest; any whitespace separates (full-width spaces too),
    and a quoted phrase is one word, without its quotes. A quote that is never
    closed is an ordinary character."""
    text = text.lstrip()
    closing = QUOTES.get(text[:1])
    if closing is not None and (end := text.find(closing, 1)) > 1:
        return text[1:end].strip(), text[end + 1 :].strip()
    parts = text.split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _convert(arg: Arg, token: str) -> Any:
    folded = unicodedata.normalize("NFKC", token)
    match arg.kind:
        case Kind.INT:
            folded = folded.removeprefix("#")  # ticket and entry numbers are shown as #7
            digits = folded[1:] if folded.startswith(("+", "-")) else folded  # one sign
            if not digits.isdecimal():
                raise ArgumentError("not_a_number", arg=arg.name, value=token[:20])
            # Counted before converting: Python refuses 4,300 digits, storage 2**63.
            value = int(folded) if len(digits) <= len(str(LARGEST_NUMBER)) else LARGEST_NUMBER + 1
            if (
                abs(value) > LARGEST_NUMBER
                or (arg.minimum is not None and value < arg.minimum)
                or (arg.maximum is not None and value > arg.maximum)
            ):
                shown = value if abs(value) <= LARGEST_NUMBER else shortened(folded, 21)
                raise ArgumentError(
                    "out_of_range", arg=arg.name, value=shown,
                    minimum=arg.minimum, maximum=arg.maximum,
                )  # fmt: skip
            return value
        case Kind.MEMBER:
            if folded.startswith("@") and len(folded) > 1:
                return MemberToken(username=folded[1:])
            if folded.lstrip("-").isdecimal():
                return MemberToken(user_id=folded)
            raise ArgumentError("not_a_member", arg=arg.name, value=token[:40])
        case _:
            if arg.choices:
                choice = folded.lower()
                choice = arg.aliases.get(choice, choice)
                if choice not in arg.choices:
                    # The accepted words are named, so nobody has to guess what fits.
                    raise ArgumentError(
                        "not_a_choice", arg=arg.name, value=token[:40], choices=arg.choices
                    )
                return choice
            return token
