"""Keywords members type instead of slash commands: 签到, 积分, ``投诉 退款还没到``.

On WeChat nobody types ``/checkin``, and in Chinese groups few do: a message whose
first word is a keyword is that command, with the rest of the message as its
arguments (``投诉 退款三周了还没到账`` is ``/complain 退款三周了还没到账``). The first
word must be the keyword exactly (``积分怎么算`` stays a question for the FAQ),
separated from its arguments by a space, a full-width space or a colon.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from pydantic import Field, field_validator

from handlers.commands import CommandText, visible
from handlers.config import Section
from handlers.events import CommandIssued, Event, MessagePosted

#: What members type, by the command it stands for.
DEFAULT_KEYWORDS: dict[str, str] = {
    "签到": "checkin",
    "打卡": "checkin",
    "积分": "points",
    "我的积分": "points",
    "排行": "top",
    "排行榜": "top",
    "积分榜": "top",
    "勋章": "badges",
    "我的勋章": "badges",
    "奖励": "rewards",
    "奖品": "rewards",
    "积分商城": "rewards",
    "兑换": "redeem",
    "投诉": "complain",
    "人工": "human",
    "转人工": "human",
    "人工客服": "human",
    "帮助": "help",
    "菜单": "help",
    "群规": "rules",
    "提问": "ask",
    "我的工单": "mytickets",
    "绑定": "link",
    "绑定账号": "link",
    "解绑": "unlink",
    "解除绑定": "unlink",
    "我的数据": "mydata",
    "删除我的数据": "forgetme",
    "取消": "cancel",
}

#: The language the built-in keywords are words of: a help in another language lists
#: only the operator's own (a Telegram group in English has no use for 签到).
DEFAULT_KEYWORDS_LANGUAGE = "zh"

#: The first word, then a separator (spaces of any width or a colon) and the rest.
_FIRST_WORD = re.compile(r"(\S+?)(?:[\s:：]+(.*))?", re.DOTALL)


def fold_keyword(word: str) -> str:
    """Full-width forms and case folded, so ｓｉｇｎ and SIGN are one keyword."""
    return unicodedata.normalize("NFKC", word).strip().lower()


class KeywordSettings(Section):
    """``[keywords]``: added to the built-in ones (``"签到" = "checkin"``); a keyword
    set to ``""`` is removed; ``enabled = false`` turns them all off."""

    enabled: bool = True
    aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("aliases")
    @classmethod
    def _one_word_each(cls, aliases: dict[str, str]) -> dict[str, str]:
        for keyword, command in aliases.items():
            if not keyword.strip() or len(keyword.split()) > 1:
                raise ValueError(f"keyword {keyword!r} must be one word")
            if command.startswith("/"):
                raise ValueError(f"write the command without '/': {keyword!r} = {command[1:]!r}")
        return aliases

    def effective(self) -> dict[str, str]:
        """Keyword (folded: full-width and case alike) → command name."""
        if not self.enabled:
            return {}
        merged = {**DEFAULT_KEYWORDS, **self.aliases}
        return {fold_keyword(keyword): command for keyword, command in merged.items() if command}


class UnknownKeyword(ValueError):
    """An operator's keyword names a command that does not exist."""


class Keywords:
    """Turns a message that starts with a keyword into the command it stands for."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self._aliases = dict(aliases)

    @property
    def aliases(self) -> Mapping[str, str]:
        return self._aliases

    def keywords_for(self, command: str) -> list[str]:
        return [keyword for keyword, name in self._aliases.items() if name == command]

    def command_in(self, text: str) -> CommandText | None:
        """The command ``text`` stands for, or None."""
        match = _FIRST_WORD.fullmatch(visible(text).strip()[:2000])
        if match is None:
            return None
        name = self._aliases.get(fold_keyword(match.group(1)))
        if name is None:
            return None
        return CommandText(name, (match.group(2) or "").strip())

    def as_command(self, event: Event) -> Event:
        """A message starting with a keyword as the command; anything else unchanged.
        An answer to the bot (a reply to a ticket card or a prompt) stays text."""
        if not isinstance(event, MessagePosted) or event.reply_to_bot:
            return event
        command = self.command_in(event.text)
        if command is None:
            return event
        return CommandIssued(
            chat=event.chat,
            occurred_at=event.occurred_at,
            sender=event.sender,
            message=event.message,
            name=command.name,
            args=command.args,
            sender_is_anonymous_admin=event.sender_is_anonymous_admin,
            reply_to=event.reply_to,
        )
