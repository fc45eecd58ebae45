"""Answering members: unprompted in groups, privately, and on ``/ask``; feedback buttons.

In groups only question-like messages (or ones addressed to the bot) are
matched, and unprompted answers respect a per-chat cooldown, so the bot never
floods a lively group. A wrong answer is worse than none: below the
threshold the bot stays quiet in groups and offers "did you mean…" privately.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from markupsafe import Markup

from faq.matcher import Decision, Verdict
from faq.question import SmallTalk, looks_like_question, small_talk
from handlers.actions import (
    Action,
    AnswerButton,
    Keyboard,
    NotifyStaff,
    SendMessage,
    mention,
    reply,
)
from handlers.basics import small_talk_answered_lately, small_talk_reply
from handlers.commands import stored_id
from handlers.context import Context
from handlers.events import ButtonPressed, CommandIssued, Event, MessagePosted, UserRef
from handlers.faq.library import FaqLibrary
from handlers.faq.rendering import (
    PREFIX,
    answer_text,
    feedback_buttons,
    human_button,
    suggestion_buttons,
)
from handlers.faq.settings import AskFallback, FaqSettings
from handlers.i18n import shortened
from storage.records import FaqEntryRecord
from storage.repositories.faq import HELPFUL, UNHELPFUL

#: Hands a member over to staff with a text; returns what staff are told.
HandOver = Callable[[Context, UserRef, str], Awaitable[list[Action]]]

#: Question-like group messages shorter than this are not logged as misses.
MIN_MISS_LENGTH = 4


class FaqReplies:
    def __init__(self, library: FaqLibrary, hand_over: HandOver | None = None) -> None:
        self.library = library
        #: Opens a ticket for staff (the escalation feature); else staff get a notice.
        self._hand_over = hand_over

    @property
    def _config(self) -> FaqSettings:
        return self.library.config

    # -- messages ----------------------------------------------------------------

    async def on_message(self, event: Event, ctx: Context) -> list[Action]:
        assert isinstance(event, MessagePosted)
        if not self._config.enabled or event.sender.is_bot or not event.text.strip():
            return []
        await self.library.ensure_loaded(ctx.repos)
        if not len(self.library):
            return []
        if event.chat.is_private:
            return await self._private(event, ctx)
        return await self._group(event, ctx)

    async def _group(self, event: MessagePosted, ctx: Context) -> list[Action]:
        addressed = event.mentions_bot or event.reply_to_bot
        if not self._config.group_replies and not addressed:
            return []
        chatter = small_talk(event.text)
        if chatter is not None:
            # "@bot 你好" and "谢谢" in reply to the bot get a word back; "在吗？" to the
            # group, or "哈哈" under the bot's topic post, are not the bot's to answer.
            if not event.mentions_bot and (not addressed or chatter is SmallTalk.CHATTER):
                return []
            name = mention(event.sender)
            return [
                reply(event.message, small_talk_reply(ctx, chatter, name, "small_talk.next_group"))
            ]
        if not addressed and not looks_like_question(event.text):
            return []
        decision = self.library.decide(event.text)
        entry = self._best_entry(decision)
        if decision.verdict is Verdict.ANSWER and entry is not None:
            if not addressed and await self._cooling_down(ctx):
                return []
            return await self._answer(event, ctx, entry, decision, via="group")
        await self._miss(event.text, ctx, "unanswered")
        if addressed:
            return [
                reply(event.message, ctx.texts.t("faq.group_unknown", name=mention(event.sender)))
            ]
        return []

    async def _private(self, event: MessagePosted, ctx: Context) -> list[Action]:
        chatter = small_talk(event.text)
        if chatter is not None:  # "你好" is no question the knowledge base should miss
            if await small_talk_answered_lately(ctx):
                return []
            name = event.sender.display_name
            return [
                reply(event.message, small_talk_reply(ctx, chatter, name, "small_talk.next_ask"))
            ]
        decision = self.library.decide(event.text)
        entry = self._best_entry(decision)
        if decision.verdict is Verdict.ANSWER and entry is not None:
            return await self._answer(event, ctx, entry, decision, via="private")
        if decision.verdict is Verdict.SUGGEST:
            entries = [
                e for m in decision.matches if (e := self.library.entry(int(m.key))) is not None
            ]
            if entries:
                return [
                    reply(
                        event.message,
                        ctx.texts.t("faq.did_you_mean"),
                        suggestion_buttons(entries[:3]),
                    )
                ]
        await self._miss(event.text, ctx, "unanswered")
        return [reply(event.message, ctx.texts.t("faq.private_unknown"))]

    async def _cooling_down(self, ctx: Context) -> bool:
        assert ctx.chat is not None
        last = await ctx.repos.faq.last_answer_at(ctx.chat.id)
        return last is not None and ctx.now - last < self._config.cooldown

    async def _answer(
        self,
        event: MessagePosted | CommandIssued,
        ctx: Context,
        entry: FaqEntryRecord,
        decision: Decision,
        *,
        via: str,
        unsure: bool = False,
    ) -> list[Action]:
        best = decision.best
        answer_id = await ctx.repos.faq.record_answer(
            entry.id,
            ctx.now,
            question=_question_of(event),
            confidence=best.confidence if best else 0.0,
            via=via,
            chat_id=ctx.chat.id if ctx.chat else None,
            user_id=ctx.sender.id if ctx.sender else None,
        )
        text = answer_text(ctx.texts, entry, unsure=unsure)
        return [reply(event.message, text, feedback_buttons(ctx.texts, answer_id))]

    async def _miss(
        self, text: str, ctx: Context, reason: str, entry_id: int | None = None
    ) -> None:
        if not self._config.log_misses or len(text.strip()) < MIN_MISS_LENGTH:
            return
        await ctx.repos.faq.record_miss(
            text.strip(),
            reason,
            ctx.now,
            chat_id=ctx.chat.id if ctx.chat and ctx.chat.kind == "group" else None,
            user_id=ctx.sender.id if ctx.sender else None,
            entry_id=entry_id,
        )

    def _best_entry(self, decision: Decision) -> FaqEntryRecord | None:
        best = decision.best
        return self.library.entry(int(best.key)) if best is not None else None

    # -- /ask --------------------------------------------------------------------

    async def ask(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """Always answers: the best entry, or an honest "don't know" with staff told."""
        texts = ctx.texts
        question = ctx.args["question"]
        if not self._config.enabled:
            return [reply(event.message, texts.t("faq.disabled"))]
        if not any(char.isalnum() for char in question):  # "/ask 😀" or "/ask ？？"
            why = texts.t("faq.ask_no_words")
            return [reply(event.message, Markup("{}\n{}").format(why, texts.t("faq.ask_usage")))]
        await self.library.ensure_loaded(ctx.repos)
        decision = self.library.decide(question)
        entry = self._best_entry(decision)
        if entry is not None and decision.verdict is Verdict.ANSWER:
            return await self._answer(event, ctx, entry, decision, via="ask")
        if (
            entry is not None
            and self._config.ask_fallback is AskFallback.BEST_MATCH
            and decision.verdict is Verdict.SUGGEST
        ):
            return await self._answer(event, ctx, entry, decision, via="ask", unsure=True)
        await self._miss(question, ctx, "ask")
        return [
            reply(event.message, texts.t("faq.ask_unknown", name=mention(event.sender))),
            NotifyStaff(
                text=ctx.staff_texts.t(
                    "faq.staff_unknown",
                    name=mention(event.sender),
                    group=_group_name(ctx),
                    question=question,
                )
            ),
        ]

    # -- buttons -----------------------------------------------------------------

    async def on_button(self, event: Event, ctx: Context) -> list[Action]:
        assert isinstance(event, ButtonPressed)
        if not event.data.startswith(PREFIX) or ctx.sender is None:
            return []
        kind, _, raw_id = event.data[len(PREFIX) :].partition(":")
        target = stored_id(raw_id)
        if target is None:
            return []
        if kind == "pick":
            return await self._pick(event, ctx, target)
        answer = await ctx.repos.faq.get_answer(target)
        if answer is None or kind not in ("up", "down", "human"):
            return [_toast(event, ctx.texts.plain("button.expired"))]
        texts = ctx.texts
        if kind == "human":
            # Asking for staff after an answer says it did not help: the calibration learns
            # it, once per person (after their 👎, that already said so).
            if await ctx.repos.faq.vote_of(answer.id, ctx.sender.id) != UNHELPFUL:
                await self._miss(answer.question, ctx, "human", answer.entry_id)
            entry = await ctx.repos.faq.get(answer.entry_id)
            # What the bot answered (the entry's answer, not its question), for staff.
            bot_said = f"#{entry.id} {_excerpt(entry.answer)}" if entry else "—"
            if self._hand_over is not None:
                text = ctx.staff_texts.plain(
                    "faq.ticket_text", question=answer.question, entry=bot_said
                )
                staff = await self._hand_over(ctx, event.sender, text)
            else:
                staff = [
                    NotifyStaff(
                        text=ctx.staff_texts.t(
                            "faq.staff_escalation",
                            name=mention(event.sender),
                            group=_group_name(ctx),
                            question=answer.question,
                            entry=bot_said,
                        )
                    )
                ]
            return [
                _toast(event, texts.plain("faq.escalated_toast")),
                *staff,
                *self._in_chat(event, texts.t("faq.escalated")),
            ]
        vote = HELPFUL if kind == "up" else UNHELPFUL
        previous = await ctx.repos.faq.vote(answer.id, ctx.sender.id, vote, ctx.now)
        if vote == HELPFUL:
            if previous == UNHELPFUL:  # changed their mind: the 👎 is theirs no longer
                await ctx.repos.faq.withdraw_miss(
                    answer.question.strip(), "downvoted", ctx.sender.id, answer.entry_id
                )
            return [_toast(event, texts.plain("faq.thanks"))]
        actions: list[Action] = [_toast(event, texts.plain("faq.sorry"))]
        if previous != UNHELPFUL:
            await self._miss(answer.question, ctx, "downvoted", answer.entry_id)
            actions.extend(
                self._in_chat(
                    event,
                    # In a private chat the member is spoken to, not mentioned.
                    texts.t("faq.need_human", name=_addressed(event)),
                    human_button(texts, answer.id),
                )
            )
        return actions

    async def _pick(self, event: ButtonPressed, ctx: Context, entry_id: int) -> list[Action]:
        await self.library.ensure_loaded(ctx.repos)
        entry = self.library.entry(entry_id)
        if entry is None:
            return [_toast(event, ctx.texts.plain("button.expired"))]
        answer_id = await ctx.repos.faq.record_answer(
            entry.id,
            ctx.now,
            question=entry.question,
            confidence=1.0,
            via="suggestion",
            chat_id=ctx.chat.id if ctx.chat else None,
            user_id=ctx.sender.id if ctx.sender else None,
        )
        return [
            _toast(event, None),
            *self._in_chat(
                event, answer_text(ctx.texts, entry), feedback_buttons(ctx.texts, answer_id)
            ),
        ]

    @staticmethod
    def _in_chat(event: ButtonPressed, text: Markup, buttons: Keyboard = ()) -> list[Action]:
        if event.message is not None:
            return [reply(event.message, text, buttons)]
        return [SendMessage(chat=event.chat, text=text, buttons=buttons)]


def _addressed(event: ButtonPressed) -> Markup | str:
    """The presser as the reply names them: mentioned in a group, by name in private."""
    return event.sender.display_name if event.chat.is_private else mention(event.sender)


def _toast(event: ButtonPressed, text: str | None) -> AnswerButton:
    return AnswerButton(press_id=event.press_id or "", text=text)


def _question_of(event: MessagePosted | CommandIssued) -> str:
    return event.text if isinstance(event, MessagePosted) else event.args


def _excerpt(answer_html: str, limit: int = 200) -> str:
    """An entry's answer as plain text, shortened for a ticket."""
    return shortened(" ".join(Markup(answer_html).striptags().split()), limit)


def _group_name(ctx: Context) -> str:
    if ctx.chat is None or ctx.chat.kind != "group":
        return "—"
    return ctx.chat.title or ctx.community.name
