"""Render handler markup for a platform: Telegram HTML or plain text.

Handler texts are escaped Telegram-HTML-subset markup with neutral mentions
(``<a href="mention:ID">``). Rendering never re-interprets user text: it walks
the markup with the standard HTML parser, so escaped text stays text.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from markupsafe import Markup

#: Mentions and message links name their platform (``mention:telegram:42``); older
#: stored texts may not (``mention:42``), which means Telegram.
_MENTION = re.compile(r'<a href="mention:(?:([a-z_]+):)?([^"]*)">(.*?)</a>', re.DOTALL)
_MESSAGE_LINK = re.compile(
    r'<a href="message:(?:([a-z_]+):)?([^"/]*)/([^"]*)">(.*?)</a>', re.DOTALL
)
TELEGRAM = "telegram"
_START_LINK = re.compile(r'<a href="start:([^"]*)">(.*?)</a>', re.DOTALL)

#: Tags whose opening has to be repeated when a long text is split.
_Open = tuple[str, str]  # (tag name, full opening tag)


def telegram_html(text: Markup, bot_username: str | None = None) -> str:
    """Telegram HTML: neutral mentions become ``tg://user?id=`` links, neutral
    message links ``t.me/c/…`` links where Telegram has them (supergroups), and
    links that open a private chat the bot's ``t.me/<bot>?start=`` deep link."""
    html_text = _MESSAGE_LINK.sub(_telegram_message_link, str(text))
    html_text = _START_LINK.sub(lambda m: _telegram_start_link(m, bot_username), html_text)
    return _MENTION.sub(_telegram_mention, html_text)


def _telegram_mention(match: re.Match[str]) -> str:
    """A Telegram user is a link; anyone else (a WeChat member) is their name."""
    platform, user_id, label = match.groups()
    if platform in (None, TELEGRAM):
        return f'<a href="tg://user?id={user_id}">{label}</a>'
    return label


def _telegram_start_link(match: re.Match[str], bot_username: str | None) -> str:
    payload, label = match.groups()
    if not bot_username:
        return label
    return f'<a href="https://t.me/{bot_username}?start={payload}">{label}</a>'


def _telegram_message_link(match: re.Match[str]) -> str:
    platform, chat_id, message_id, label = match.groups()
    if platform not in (None, TELEGRAM):
        return label  # a message on another platform: no link Telegram can open
    if chat_id.startswith("-100") and chat_id[4:].isdigit() and message_id.isdigit():
        return f'<a href="https://t.me/c/{chat_id[4:]}/{message_id}">{label}</a>'
    return label  # basic groups and private chats have no message links


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("message:"):  # the message's number is enough in plain text
                href = "#" + href.rpartition("/")[2]
            neutral = href.startswith(("mention:", "start:"))
            self._links.append(None if neutral else href)
            if href.startswith("mention:"):
                self.parts.append("@")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._links:
            href = self._links.pop()
            if href:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: Markup) -> str:
    """For platforms without rich text (WeChat, the terminal sandbox)."""
    parser = _PlainText()
    parser.feed(str(text))
    parser.close()
    return "".join(parser.parts)


class _Splitter(HTMLParser):
    """Cuts Telegram HTML into chunks of at most ``limit`` visible UTF-16 units.

    Cuts fall on line breaks where possible; tags open at a cut are closed
    and reopened, so every chunk is valid on its own.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.chunks: list[str] = []
        self._current: list[str] = []
        self._length = 0
        self._open: list[_Open] = []

    def _cut(self) -> None:
        closing = "".join(f"</{name}>" for name, _ in reversed(self._open))
        body = "".join(self._current)
        if body.strip():
            self.chunks.append(body + closing)
        self._current = [opening for _, opening in self._open]
        self._length = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        self._open.append((tag, raw))
        self._current.append(raw)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            self._open.pop()
        self._current.append(f"</{tag}>")

    def handle_entityref(self, name: str) -> None:
        self._add_unit(f"&{name};", 1)

    def handle_charref(self, name: str) -> None:
        self._add_unit(f"&#{name};", utf16_len(html.unescape(f"&#{name};")))

    def handle_data(self, data: str) -> None:
        for piece in re.split(r"(\n)", data):
            while piece:
                room = self.limit - self._length
                size = utf16_len(piece)
                if size <= room:
                    self._current.append(piece)
                    self._length += size
                    break
                if size <= self.limit and self._length > 0:
                    self._cut()  # keep the line whole in the next chunk
                    continue
                head = _prefix_within(piece, room)
                cut_at = head.rfind(" ") + 1 if " " in head[len(head) // 2 :] else len(head)
                if cut_at == 0:
                    self._cut()
                    continue
                self._current.append(piece[:cut_at])
                piece = piece[cut_at:]
                self._cut()

    def _add_unit(self, raw: str, size: int) -> None:
        if self._length + size > self.limit:
            self._cut()
        self._current.append(raw)
        self._length += size

    def finish(self) -> list[str]:
        self.close()
        body = "".join(self._current)
        if body.strip() and any(part.strip() for part in self._current):
            self.chunks.append(body + "".join(f"</{n}>" for n, _ in reversed(self._open)))
        return self.chunks


def _prefix_within(text: str, units: int) -> str:
    """The longest prefix of ``text`` that fits ``units`` UTF-16 code units."""
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > units:
            return text[:index]
    return text


def split_html(text: str, limit: int = 4096) -> list[str]:
    """``text`` unchanged when it fits, else valid chunks that each fit."""
    visible = html.unescape(re.sub(r"<[^>]+>", "", text))
    if utf16_len(visible) <= limit:
        return [text]
    splitter = _Splitter(limit)
    splitter.feed(text)
    return splitter.finish()


def split_plain(text: str, limit: int) -> list[str]:
    """Plain text in chunks of at most ``limit`` characters, cut at line breaks when possible."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        chunks.append(text)
    return chunks
