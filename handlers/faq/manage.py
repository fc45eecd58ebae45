"""Moderators keep the knowledge base from the chat: /faq, /addfaq, /editfaq,
/delfaq, /faqmisses, and the short guided exchange behind /addfaq."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from faq.answer_html import sanitize_answer
from faq.formats import LIST_SEPARATOR, MAX_ANSWER, MAX_QUESTION, fold_question
from handlers.actions import Action, reply
from handlers.commands import SWITCH_ALIASES
from handlers.context import Context
from handlers.events import CommandIssued, Event, MessagePosted
from handlers.faq.confidence import RuleState, measure_text
from handlers.faq.library import FaqLibrary
from storage.records import FaqEntryRecord
from storage.repositories import Repositories

#: What /faq says about a rule that is not a calibrated one.
_RULE_TEXTS = {
    RuleState.FIXED: "faq.rule_fixed",
    RuleState.PENDING: "faq.rule_pending",
    RuleState.FEW: "faq.rule_uncertain",
    RuleState.UNMET: "faq.rule_unmet",
}

LIST_LIMIT = 30
MISSES_DAYS = 30
MISSES_SHOWN = 10
#: A new question this close to an existing one earns a "possible duplicate" note.
SIMILAR = 0.9
ADD_KIND = "faq.add"
#: What Chinese input methods type for ``|`` (question | answer, alt1 | alt2).
WIDE_SEPARATOR = "｜"
EDIT_KIND = "faq.edit"
#: The fields /editfaq changes, as typed → as stored.
FIELD_NAMES = {"question": "question", "answer": "answer", "alt": "alternatives", "tags": "tags"}
#: Other ways people write them.
FIELD_ALIASES = {
    "q": "question", "问题": "question", "a": "answer", "答案": "answer",
    "alternatives": "alt", "同义": "alt", "tag": "tags", "标签": "tags", **SWITCH_ALIASES,
}  # fmt: skip

#: ``/faq WORDS`` lists matches at least this confident (and entries containing WORDS).
SEARCH_FLOOR = 0.1


class FaqManagement:
    def __init__(self, library: FaqLibrary) -> None:
        self.library = library

    # -- /faq ----------------------------------------------------------------------

    async def list_or_search(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        await self.library.ensure_loaded(ctx.repos)
        query = ctx.args["words"]
        if query:
            return [reply(event.message, await self._search(ctx, query))]
        entries = await ctx.repos.faq.entries()
        if not entries:
            return [reply(event.message, texts.t("faq.empty_base"))]
        usage = await ctx.repos.faq.usage([e.id for e in entries[:LIST_LIMIT]])
        lines = [texts.t("faq.list_heading", count=len(entries)), self._rule_line(ctx)]
        for entry in entries[:LIST_LIMIT]:
            uses, up, down = usage.get(entry.id, (0, 0, 0))
            lines.append(
                texts.t(
                    "faq.list_line",
                    id=_number(entry),
                    question=entry.question,
                    state=self._state(ctx, entry),
                    count=uses,
                    up=up,
                    down=down,
                )
            )
        if len(entries) > LIST_LIMIT:
            lines.append(texts.t("faq.list_more", count=len(entries) - LIST_LIMIT))
        return [reply(event.message, Markup("\n").join(lines))]

    def _rule_line(self, ctx: Context) -> Markup:
        """How the bot decides to answer, in one sentence (the calibration's summary)."""
        in_force = self.library.in_force()
        rule, calibration = in_force.rule, in_force.calibration
        threshold = f"{rule.threshold:.2f}"
        state = in_force.state
        if state is not RuleState.CALIBRATED or calibration is None:
            risk = f"{self.library.config.max_false_answer_rate:.0%}"
            return ctx.texts.t(_RULE_TEXTS[state], threshold=threshold, risk=risk)
        measure, values = measure_text(rule)
        return ctx.texts.t(
            "faq.rule_calibrated",
            threshold=threshold,
            measure=ctx.texts.t(measure, **values),
            correct=f"{calibration.correct:.0%}",
            false=f"{calibration.false_bound:.1%}",
            risk=f"{calibration.max_false:.0%}",
        )

    async def _search(self, ctx: Context, query: str) -> Markup:
        texts = ctx.texts
        found: dict[int, float | None] = {}
        for match in self.library.search(query, limit=5):
            if match.confidence >= SEARCH_FLOOR:  # below it, a shared character or two
                found[int(match.key)] = match.confidence
        for entry in await ctx.repos.faq.search_text(query, limit=5):
            found.setdefault(entry.id, None)
        if not found:
            return texts.t("faq.search_none", query=query)
        lines = [texts.t("faq.search_heading", query=query)]
        for entry_id, confidence in found.items():
            entry = self.library.entry(entry_id) or await ctx.repos.faq.get(entry_id)
            if entry is None:
                continue
            shown = f"{confidence:.0%}" if confidence is not None else "—"
            lines.append(
                texts.t(
                    "faq.search_line", id=_number(entry), question=entry.question, confidence=shown
                )
            )
        return Markup("\n").join(lines)

    # -- /addfaq ---------------------------------------------------------------------

    async def add(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        question, separator, answer = _parted(ctx.args.get("entry", ""))
        question, answer = question.strip(), answer.strip()
        if not question:  # an answer already typed is kept for when the question comes
            await self._converse(ctx, ADD_KIND, {"step": "question", "answer": answer})
            return [reply(event.message, texts.t("faq.add_ask_question"))]
        problem = await self._check_question(ctx, question)
        if problem is not None:
            return [reply(event.message, problem)]
        if not separator or not answer:
            await self._converse(ctx, ADD_KIND, {"step": "answer", "question": question})
            return [reply(event.message, texts.t("faq.add_ask_answer", question=question))]
        return [reply(event.message, await self._create(ctx, question, answer))]

    async def _check_question(self, ctx: Context, question: str) -> Markup | None:
        if len(question) > MAX_QUESTION:
            return ctx.texts.t(
                "faq.too_long", field=_field(ctx, "question"), length=len(question),
                limit=MAX_QUESTION,
            )  # fmt: skip
        folded = fold_question(question)
        for entry in await ctx.repos.faq.entries():
            if fold_question(entry.question) == folded:
                return ctx.texts.t("faq.duplicate", id=entry.id, question=entry.question)
        return None

    async def _create(self, ctx: Context, question: str, answer: str) -> Markup:
        texts = ctx.texts
        if len(answer) > MAX_ANSWER:
            return texts.t(
                "faq.too_long", field=_field(ctx, "answer"), length=len(answer), limit=MAX_ANSWER
            )
        await self.library.ensure_loaded(ctx.repos)
        similar = self.library.search(question, limit=1)
        record = await ctx.repos.faq.add(question, sanitize_answer(answer), ctx.now)
        ctx.after_commit.append(lambda: self.library.changed_here(record))
        text = texts.t("faq.added", id=record.id, question=record.question)
        if similar and similar[0].confidence >= SIMILAR:
            near = self.library.entry(int(similar[0].key))
            if near is not None:
                warning = texts.t("faq.similar_warning", id=near.id, question=near.question)
                text = Markup("{}\n{}").format(text, warning)
        return text

    # -- the guided exchange -------------------------------------------------------------

    async def _converse(self, ctx: Context, kind: str, state: dict[str, Any]) -> None:
        assert ctx.chat is not None and ctx.sender is not None
        expires = ctx.now + self.library.config.conversation_timeout
        await ctx.repos.conversations.start(ctx.chat.id, ctx.sender.id, kind, state, expires)

    async def continue_conversation(self, event: Event, ctx: Context) -> list[Action]:
        """A moderator's next message after /addfaq or /editfaq ID is the awaited text."""
        assert isinstance(event, MessagePosted)
        if ctx.chat is None or ctx.sender is None:
            return []
        talk = await ctx.repos.conversations.get(ctx.chat.id, ctx.sender.id, ctx.now)
        if talk is None or talk.kind not in (ADD_KIND, EDIT_KIND):
            return []
        texts, text = ctx.texts, event.text.strip()
        if not text:
            return [reply(event.message, texts.t("faq.empty_text"))]
        state = talk.state
        if talk.kind == EDIT_KIND:
            await ctx.repos.conversations.finish(ctx.chat.id, ctx.sender.id)
            return [
                reply(event.message, await self._edit(ctx, int(state["entry"]), "answer", text))
            ]
        if state.get("step") == "question":
            problem = await self._check_question(ctx, text)
            if problem is not None:
                return [reply(event.message, problem)]
            if state.get("answer"):
                await ctx.repos.conversations.finish(ctx.chat.id, ctx.sender.id)
                created = await self._create(ctx, text, str(state["answer"]))
                return [reply(event.message, created)]
            await self._converse(ctx, ADD_KIND, {"step": "answer", "question": text})
            return [reply(event.message, texts.t("faq.add_ask_answer", question=text))]
        await ctx.repos.conversations.finish(ctx.chat.id, ctx.sender.id)
        return [reply(event.message, await self._create(ctx, str(state["question"]), text))]

    async def cancel(self, event: CommandIssued, ctx: Context) -> list[Action]:
        assert ctx.chat is not None and ctx.sender is not None
        finished = await ctx.repos.conversations.finish(ctx.chat.id, ctx.sender.id)
        key = "faq.cancelled" if finished else "faq.nothing_to_cancel"
        return [reply(event.message, ctx.texts.t(key))]

    # -- /editfaq, /delfaq ---------------------------------------------------------------

    async def edit(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts, args = ctx.texts, ctx.args
        entry = await _named_entry(ctx, args["id"])
        if entry is None:
            return [reply(event.message, texts.t("faq.not_found", id=args["id"]))]
        entry_id = entry.id
        field = args["field"]
        if field is None:
            await self._converse(ctx, EDIT_KIND, {"entry": entry_id})
            return [reply(event.message, self._show(ctx, entry))]
        if field in ("on", "off"):
            updated = await ctx.repos.faq.update(entry_id, ctx.now, enabled=field == "on")
            assert updated is not None
            ctx.after_commit.append(lambda: self.library.changed_here(updated))
            return [reply(event.message, self._edited(ctx, updated))]
        value = args["value"]
        if not value:
            return [reply(event.message, texts.t("faq.edit_needs_value", field=field))]
        name = FIELD_NAMES[field]
        return [reply(event.message, await self._edit(ctx, entry_id, name, value))]

    async def _edit(self, ctx: Context, entry_id: int, name: str, value: str) -> Markup:
        texts = ctx.texts
        changes: dict[str, Any]
        if name == "question":
            if len(value) > MAX_QUESTION:
                return texts.t(
                    "faq.too_long", field=_field(ctx, name), length=len(value), limit=MAX_QUESTION
                )
            changes = {"question": value}
        elif name == "answer":
            if len(value) > MAX_ANSWER:
                return texts.t(
                    "faq.too_long", field=_field(ctx, name), length=len(value), limit=MAX_ANSWER
                )
            changes = {"answer": sanitize_answer(value)}
        else:
            typed = value.replace(WIDE_SEPARATOR, LIST_SEPARATOR)
            items = [
                v.strip() for v in typed.split(LIST_SEPARATOR) if v.strip() and v.strip() != "-"
            ]
            if any(len(item) > MAX_QUESTION for item in items):
                return texts.t(
                    "faq.too_long", field=_field(ctx, name), length=max(map(len, items)),
                    limit=MAX_QUESTION,
                )  # fmt: skip
            changes = {name: items}
        updated = await ctx.repos.faq.update(entry_id, ctx.now, **changes)
        if updated is None:
            return texts.t("faq.not_found", id=entry_id)
        ctx.after_commit.append(lambda: self.library.changed_here(updated))
        return self._edited(ctx, updated)

    async def delete(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        entry = await _named_entry(ctx, ctx.args["id"])
        deleted = await ctx.repos.faq.delete(entry.id, ctx.now) if entry else None
        if deleted is None:
            return [reply(event.message, texts.t("faq.not_found", id=ctx.args["id"]))]
        ctx.after_commit.append(lambda: self.library.changed_here(deleted))
        return [
            reply(event.message, texts.t("faq.deleted", id=deleted.id, question=deleted.question))
        ]

    # -- /faqmisses ---------------------------------------------------------------------

    async def misses(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        clusters = await top_misses(self.library, ctx.repos, ctx.now, MISSES_DAYS)
        if not clusters:
            return [reply(event.message, texts.t("faq.misses_none", days=MISSES_DAYS))]
        lines = [texts.t("faq.misses_heading", days=MISSES_DAYS)]
        lines.extend(
            texts.t("faq.misses_line", count=size, example=example) for example, size in clusters
        )
        return [reply(event.message, Markup("\n").join(lines))]

    # -- helpers -------------------------------------------------------------------------

    def _show(self, ctx: Context, entry: FaqEntryRecord) -> Markup:
        texts = ctx.texts
        none = texts.plain("faq.none_value")
        return texts.t(
            "faq.edit_show",
            id=_number(entry),
            question=entry.question,
            state=self._state(ctx, entry),
            alternatives=" | ".join(entry.alternatives) or none,
            tags=" | ".join(entry.tags) or none,
            answer=Markup(sanitize_answer(entry.answer)),
        )

    def _edited(self, ctx: Context, entry: FaqEntryRecord) -> Markup:
        return ctx.texts.t(
            "faq.edited", id=entry.id, question=entry.question, state=self._state(ctx, entry)
        )

    @staticmethod
    def _state(ctx: Context, entry: FaqEntryRecord) -> str:
        return "" if entry.enabled else ctx.texts.plain("faq.disabled_mark")


async def top_misses(
    library: FaqLibrary, repos: Repositories, now: datetime, days: int
) -> list[tuple[str, int]]:
    """The most frequent unanswered questions of the last ``days``, grouped by similarity."""
    misses = await repos.faq.misses(now - timedelta(days=days))
    if not misses:
        return []
    key = (len(misses), misses[0].id, misses[-1].id)
    clusters = library.miss_groups(key, (m.text for m in misses))
    return [(c.example, c.size) for c in clusters[:MISSES_SHOWN]]


def _field(ctx: Context, name: str) -> str:
    return ctx.texts.plain(f"faq.field_{name}")


async def _named_entry(ctx: Context, name: str) -> FaqEntryRecord | None:
    """The entry a moderator named: by its number (12, #12) or the id its file gave it."""
    name = name.strip().lstrip("#＃")
    if name.isdecimal():
        return await ctx.repos.faq.get(int(name))
    return await ctx.repos.faq.get_by_key(name) if name else None


def _number(entry: FaqEntryRecord) -> str:
    """How an entry is shown to moderators: its number, and its file's id if it has one
    (either names it in /editfaq and /delfaq)."""
    return f"{entry.id} [{entry.key}]" if entry.key else str(entry.id)


def _parted(entry: str) -> tuple[str, str, str]:
    """``question | answer`` at the first separator, ``|`` or the full-width ``｜``."""
    found = [at for at in (entry.find(LIST_SEPARATOR), entry.find(WIDE_SEPARATOR)) if at >= 0]
    if not found:
        return entry, "", ""
    cut = min(found)
    return entry[:cut], entry[cut], entry[cut + 1 :]
