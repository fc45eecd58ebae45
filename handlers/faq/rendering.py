"""How an FAQ answer looks in a chat: question, sanitized answer, feedback buttons."""

from __future__ import annotations

from markupsafe import Markup

from faq.answer_html import sanitize_answer
from handlers.actions import Button, Keyboard
from handlers.i18n import Texts, shortened
from storage.records import FaqEntryRecord

#: Button data: ``faq:up:ANSWER``, ``faq:down:ANSWER``, ``faq:human:ANSWER``, ``faq:pick:ENTRY``.
PREFIX = "faq:"


def answer_text(texts: Texts, entry: FaqEntryRecord, *, unsure: bool = False) -> Markup:
    return texts.t(
        "faq.answer_unsure" if unsure else "faq.answer",
        question=entry.question,
        answer=Markup(sanitize_answer(entry.answer)),
    )


def feedback_buttons(texts: Texts, answer_id: int) -> Keyboard:
    return (
        (
            Button(texts.plain("faq.helpful"), data=f"{PREFIX}up:{answer_id}"),
            Button(texts.plain("faq.unhelpful"), data=f"{PREFIX}down:{answer_id}"),
        ),
    )


def human_button(texts: Texts, answer_id: int) -> Keyboard:
    return ((Button(texts.plain("faq.human"), data=f"{PREFIX}human:{answer_id}"),),)


def suggestion_buttons(entries: list[FaqEntryRecord]) -> Keyboard:
    return tuple(
        (Button(shortened(entry.question, 60), data=f"{PREFIX}pick:{entry.id}"),)
        for entry in entries
    )
