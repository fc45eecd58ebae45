"""The knowledge base as the bot sees it: entries in memory, indexed, kept in
step with the database.

Changes made through the bot reach the index right after their transaction
commits; changes made elsewhere (``shequn faq import`` while the bot runs) are
noticed by :meth:`FaqLibrary.refresh`, which the sweep calls every few
seconds at the cost of one aggregate query. The matcher (and jieba's
dictionary, ~0.7 s to load) is only built once there is an entry to match.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable
from datetime import datetime

from faq.clusters import Cluster, cluster_texts
from faq.matcher import Decision, EntryText, Match, Matcher, Verdict
from faq.normalize import Normalizer
from faq.stopwords import STOP_WORDS
from faq.tokenizer import Tokenizer
from handlers.faq.confidence import Calibrator, RuleInForce
from handlers.faq.settings import FaqSettings
from storage.records import FaqEntryRecord, FaqFeedbackRecord
from storage.repositories import Repositories

log = logging.getLogger(__name__)

_SILENT = Decision(Verdict.NONE, ())


class FaqLibrary:
    def __init__(self, config: FaqSettings) -> None:
        self.config = config
        self._matcher: Matcher | None = None
        self._entries: dict[int, FaqEntryRecord] = {}
        self._revisions: dict[int, int] = {}
        self._stamp: tuple[int, int] | None = None
        self.calibrator = Calibrator(config, self.empty_matcher)
        #: Told when this process changed an entry (other replicas then refresh).
        self.on_change: Callable[[], None] | None = None
        self._groups: tuple[Hashable, list[Cluster]] | None = None

    @property
    def loaded(self) -> bool:
        return self._stamp is not None

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, entry_id: int) -> FaqEntryRecord | None:
        """A live (enabled, not deleted) entry."""
        return self._entries.get(entry_id)

    async def ensure_loaded(self, repos: Repositories) -> None:
        if not self.loaded:
            await self.refresh(repos)

    async def refresh(self, repos: Repositories) -> int:
        """Pick up entries changed in the database since the last look; returns how many."""
        stamp = await repos.faq.stamp()
        if stamp == self._stamp:
            return 0
        revisions = await repos.faq.revisions()
        changed = [i for i, rev in revisions.items() if self._revisions.get(i) != rev]
        records = await repos.faq.by_ids(changed)
        for record in records:
            self.apply(record)
        for gone in set(self._revisions) - set(revisions):
            self._forget(gone)
        self._stamp = stamp
        if records:
            log.info("FAQ index: %d entries changed, %d live", len(records), len(self._entries))
        return len(records)

    def changed_here(self, record: FaqEntryRecord) -> None:
        """:meth:`apply` for a change this process committed, told to the others."""
        self.apply(record)
        if self.on_change is not None:
            self.on_change()

    def apply(self, record: FaqEntryRecord) -> None:
        """Bring one entry's index state in line with ``record``."""
        self._revisions[record.id] = record.revision
        if not record.live:
            self._forget(record.id)
            self._revisions[record.id] = record.revision
            return
        self._entries[record.id] = record
        self._matcher_for_writing().add(record.id, record.phrasings, record.answer)

    def _forget(self, entry_id: int) -> None:
        self._entries.pop(entry_id, None)
        self._revisions.pop(entry_id, None)
        if self._matcher is not None:
            self._matcher.remove(entry_id)

    def decide(self, text: str) -> Decision:
        if self._matcher is None or not self._entries or not text.strip():
            return _SILENT
        return self._matcher.decide(text, self.calibrator.in_force().rule)

    def texts(self) -> dict[int, EntryText]:
        """Every live entry's phrasings and answer, by id (what calibration tests)."""
        return {
            entry_id: EntryText(record.phrasings, record.answer)
            for entry_id, record in self._entries.items()
        }

    def empty_matcher(self) -> Matcher:
        """A matcher of its own, reading text as the bot's does (for calibration)."""
        return self._matcher_for_writing().empty_copy()

    def in_force(self) -> RuleInForce:
        """The answer rule in force, and the calibration behind it."""
        return self.calibrator.in_force()

    async def calibrate(
        self,
        read_feedback: Callable[[], Awaitable[list[FaqFeedbackRecord]]],
        now: datetime,
        *,
        force: bool = False,
    ) -> bool:
        """Recalibrate the answer rule if the base or the feedback changed (outside any
        transaction: it reads feedback through ``read_feedback`` and works in a thread)."""
        if not self._entries:
            return False
        return await self.calibrator.update(self.texts(), read_feedback, now, force=force)

    def search(self, text: str, limit: int = 5) -> list[Match]:
        if self._matcher is None or not self._entries:
            return []
        return self._matcher.search(text, limit)

    def miss_groups(self, key: Hashable, texts: Iterable[str]) -> list[Cluster]:
        """Similar misses grouped by their terms; the last grouping is kept while
        ``key`` (which misses they are) is unchanged, since grouping a thousand
        questions takes a noticeable moment and pages ask for it on every view."""
        if self._groups is not None and self._groups[0] == key:
            return self._groups[1]
        groups = cluster_texts(texts, self.terms)
        self._groups = (key, groups)
        return groups

    def terms(self, text: str) -> list[str]:
        """All index terms of ``text`` (for grouping similar misses; word order aside)."""
        terms = self._matcher_for_writing().terms(text)
        return [*terms.words, *terms.bigrams, *terms.chars]

    def _matcher_for_writing(self) -> Matcher:
        if self._matcher is None:
            self._matcher = build_matcher(self.config)
        return self._matcher


def build_matcher(config: FaqSettings, entries: Iterable[FaqEntryRecord] = ()) -> Matcher:
    """The matcher exactly as the bot uses it (also for ``shequn faq eval``)."""
    matcher = Matcher(
        Normalizer(config.all_synonyms),
        Tokenizer(config.user_words, STOP_WORDS | frozenset(config.stop_words)),
        config.matcher,
    )
    for entry in entries:
        if entry.live:
            matcher.add(entry.id, entry.phrasings, entry.answer)
    return matcher
