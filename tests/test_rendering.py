"""Rendering handler markup for platforms: safe HTML, plain text, splitting."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import Markup

from bot.channels.rendering import plain_text, split_html, split_plain, telegram_html, utf16_len
from handlers.actions import mention, message_link
from handlers.events import ChatKind, ChatRef, MessageRef, UserRef

EVIL = UserRef("telegram", "123", '<b>Eve</b> & "co" \u202e')


def visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def balanced(text: str) -> bool:
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z-]+)[^>]*>", text):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_mentions_become_telegram_links_with_escaped_names() -> None:
    rendered = telegram_html(Markup("Hi {}!").format(mention(EVIL)))
    assert rendered == (
        'Hi <a href="tg://user?id=123">&lt;b&gt;Eve&lt;/b&gt; &amp; &#34;co&#34; \u202e</a>!'
    )


def test_user_text_that_looks_like_a_mention_stays_text() -> None:
    text = Markup("{}").format('<a href="mention:1">x</a>')
    assert "tg://" not in telegram_html(text)


def test_plain_text_for_terminals_and_wechat() -> None:
    text = Markup('<b>Rules</b> for {}: see <a href="https://example.com/r">this</a>').format(
        mention(EVIL)
    )
    assert (
        plain_text(text) == 'Rules for @<b>Eve</b> & "co" \u202e: see this (https://example.com/r)'
    )


def test_short_text_is_not_split() -> None:
    assert split_html("<b>hello</b>") == ["<b>hello</b>"]


@pytest.mark.parametrize("unit", ["a", "长", "🙂", "&amp;", "word "])
def test_long_text_splits_into_valid_chunks(unit: str) -> None:
    body = unit * 3000
    text = f"<b>Heading</b>\n<i>{body}</i>\n" + "\n".join(
        f"line {i} {unit * 30}" for i in range(200)
    )
    chunks = split_html(text, 4096)
    assert len(chunks) > 1
    for chunk in chunks:
        assert utf16_len(visible(chunk)) <= 4096
        assert balanced(chunk), chunk[:200]
    assert "".join(visible(c) for c in chunks).replace("\n", "") == visible(text).replace("\n", "")


def test_split_prefers_line_breaks() -> None:
    lines = [f"第{i}行 " + "字" * 50 for i in range(200)]
    chunks = split_html("\n".join(lines), 4096)
    for chunk in chunks:
        for line in chunk.strip("\n").split("\n"):
            assert line in lines  # no line was cut in half


def test_split_plain() -> None:
    text = "\n".join("x" * 100 for _ in range(50))
    chunks = split_plain(text, 2048)
    assert all(len(c) <= 2048 for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


def test_message_links_where_the_platform_has_them() -> None:
    supergroup = ChatRef("telegram", "-1001234567890", ChatKind.GROUP, "群")
    basic = ChatRef("telegram", "-4242", ChatKind.GROUP, "小群")
    name = "<b>群</b> & co"
    linked = Markup("见 {}").format(message_link(MessageRef(supergroup, "77"), name))
    assert telegram_html(linked) == (
        '见 <a href="https://t.me/c/1234567890/77">&lt;b&gt;群&lt;/b&gt; &amp; co</a>'
    )
    # Basic groups have no message links: the label stays, as text.
    plain = Markup("见 {}").format(message_link(MessageRef(basic, "77"), name))
    assert telegram_html(plain) == "见 &lt;b&gt;群&lt;/b&gt; &amp; co"
    assert plain_text(linked) == "见 <b>群</b> & co (#77)"
    # A user's text that imitates a link is escaped and stays text.
    forged = Markup("{}").format('<a href="message:-1001/2">x</a>')
    assert "<a" not in telegram_html(forged)
