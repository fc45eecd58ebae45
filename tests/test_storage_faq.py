"""The FAQ and conversation repositories: one contract, run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.database import Storage
from storage.records import FaqEntryRecord
from storage.repositories import Repositories
from storage.repositories.faq import HELPFUL, UNHELPFUL

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


async def _people(storage: Storage) -> tuple[int, int, int]:
    async with storage.transaction() as repos:
        chat = await repos.chats.upsert("testnet", "-1", kind="group", title="群", at=T0)
        alice = await repos.users.upsert(
            "testnet", "1", display_name="Alice", username=None, language=None, is_bot=False, at=T0
        )
        bob = await repos.users.upsert(
            "testnet", "2", display_name="Bob", username=None, language=None, is_bot=False, at=T0
        )
    return chat.id, alice.id, bob.id


async def test_entries_change_their_revision_and_the_stamp(storage: Storage) -> None:
    async with storage.transaction() as repos:
        assert await repos.faq.stamp() == (0, 0)
        first = await repos.faq.add(
            "积分怎么兑换？", "商城", T0, alternatives=["怎么换礼品"], key="f1"
        )
        second = await repos.faq.add("忘记密码？", "找回", T0, tags=["账号"])
        stamp = await repos.faq.stamp()
        edited = await repos.faq.update(
            first.id, T0 + timedelta(1), answer="积分商城", enabled=False
        )
        assert edited is not None and edited.revision == 2 and not edited.live
        assert edited.alternatives == ("怎么换礼品",) and edited.key == "f1"
        assert await repos.faq.stamp() != stamp
        deleted = await repos.faq.delete(second.id, T0 + timedelta(2))
        assert deleted is not None and deleted.deleted_at is not None
        assert await repos.faq.delete(second.id, T0) is None  # already gone
        assert await repos.faq.get(second.id) is None
        assert await repos.faq.update(second.id, T0, answer="x") is None
        assert [e.id for e in await repos.faq.entries()] == [first.id]
        assert await repos.faq.entries(include_disabled=False) == []
        assert await repos.faq.revisions() == {first.id: 2, second.id: 2}
        assert {e.id for e in await repos.faq.by_ids([first.id, second.id])} == {
            first.id,
            second.id,
        }
        assert (await repos.faq.get_by_key("f1")).id == first.id
        assert [e.id for e in await repos.faq.search_text("密码")] == []  # deleted
        assert [e.id for e in await repos.faq.search_text("商城")] == [first.id]


async def test_votes_move_between_helpful_and_unhelpful(storage: Storage) -> None:
    chat, alice, bob = await _people(storage)
    async with storage.transaction() as repos:
        entry = await repos.faq.add("问？", "答", T0)
        answer = await repos.faq.record_answer(
            entry.id, T0, question="问", confidence=0.9, via="group", chat_id=chat, user_id=alice
        )
        assert await repos.faq.vote(answer, alice, HELPFUL, T0) is None
        assert await repos.faq.vote(answer, alice, HELPFUL, T0) == HELPFUL  # no change
        assert await repos.faq.vote(answer, bob, UNHELPFUL, T0) is None
        assert await repos.faq.vote(answer, alice, UNHELPFUL, T0) == HELPFUL
        stored = await repos.faq.get_answer(answer)
        assert (stored.helpful, stored.unhelpful) == (0, 2)
        assert await repos.faq.usage([entry.id]) == {entry.id: (1, 0, 2)}
        assert await repos.faq.last_answer_at(chat) == T0
        assert await repos.faq.last_answer_at(chat, via="ask") is None


async def test_most_asked_counts_recent_live_entries(storage: Storage) -> None:
    chat, _, _ = await _people(storage)
    async with storage.transaction() as repos:
        popular = await repos.faq.add("热门？", "答", T0)
        quiet = await repos.faq.add("冷门？", "答", T0)
        gone = await repos.faq.add("已删？", "答", T0)
        for entry, times in ((popular, 3), (quiet, 1), (gone, 5)):
            for _ in range(times):
                await repos.faq.record_answer(
                    entry.id, T0, question="q", confidence=1, via="ask", chat_id=chat
                )
        await repos.faq.record_answer(
            quiet.id, T0 - timedelta(days=40), question="q", confidence=1, via="ask"
        )
        await repos.faq.delete(gone.id, T0)
        asked = await repos.faq.most_asked(T0 - timedelta(days=30))
    assert [(u.question, u.count) for u in asked] == [("热门？", 3), ("冷门？", 1)]


async def test_misses_newest_first_within_the_window(storage: Storage) -> None:
    chat, alice, _ = await _people(storage)
    async with storage.transaction() as repos:
        await repos.faq.record_miss("旧问题", "unanswered", T0 - timedelta(days=40), chat_id=chat)
        await repos.faq.record_miss("发票？", "unanswered", T0, chat_id=chat, user_id=alice)
        await repos.faq.record_miss("长" * 5000, "ask", T0 + timedelta(minutes=1))
        misses = await repos.faq.misses(T0 - timedelta(days=30))
    assert [m.reason for m in misses] == ["ask", "unanswered"]
    assert len(misses[0].text) == 1000


async def _liked_answer(repos: Repositories, chat: int, user: int) -> tuple[FaqEntryRecord, int]:
    """An entry and an answer with it that ``user`` marked helpful."""
    entry = await repos.faq.add("直播有回放吗？", "有", T0)
    liked = await repos.faq.record_answer(
        entry.id, T0, question="回放在哪", confidence=0.9, via="group", chat_id=chat
    )
    await repos.faq.vote(liked, user, HELPFUL, T0)
    return entry, liked


async def test_feedback_newest_first_with_staff_verdicts_first(storage: Storage) -> None:
    """What the FAQ calibration learns from: 👍 answers to members' own questions (not a
    picked suggestion), answers that failed (👎, "talk to staff"), and questions staff
    answered with an entry; at the same moment staff's verdict comes first."""
    chat, alice, bob = await _people(storage)
    async with storage.transaction() as repos:
        entry, liked = await _liked_answer(repos, chat, alice)
        picked = await repos.faq.record_answer(
            entry.id, T0, question="直播有回放吗？", confidence=1, via="suggestion"
        )
        await repos.faq.vote(picked, alice, HELPFUL, T0)
        later = T0 + timedelta(minutes=5)
        await repos.faq.record_miss("要等多久", "human", later, user_id=bob, entry_id=entry.id)
        await repos.faq.record_miss("要等多久", "answered", later, user_id=bob, entry_id=entry.id)
        await repos.faq.record_miss("没人理", "unanswered", later, user_id=bob)
        feedback = await repos.faq.feedback()
        last = await repos.faq.last_miss_of(bob, later)
        assert await repos.faq.last_miss_of(bob, T0) is None
        assert await repos.faq.last_miss_of(alice, later) is None
        misses = await repos.faq.misses(T0)
    assert [(f.question, f.helpful) for f in feedback] == [
        ("要等多久", True),
        ("要等多久", False),
        ("回放在哪", True),
    ]
    assert last is not None and last.reason == "human" and last.text == "要等多久"
    assert [m.reason for m in misses] == ["unanswered", "human"]  # a taught one is no miss
    assert [f.kind for f in feedback] == ["staff", "wrong", "helpful"]
    assert feedback[2].ref == f"a{liked}" and feedback[2].at == T0


async def test_an_operator_leaves_a_verdict_out_and_takes_it_back(storage: Storage) -> None:
    chat, alice, bob = await _people(storage)
    async with storage.transaction() as repos:
        entry, _ = await _liked_answer(repos, chat, alice)
        await repos.faq.record_miss("要等多久", "human", T0, user_id=bob, entry_id=entry.id)
        [wrong, helpful] = await repos.faq.feedback()
        assert await repos.faq.exclude_feedback(wrong.ref, T0)
        assert [f.ref for f in await repos.faq.feedback()] == [helpful.ref]
        listed = await repos.faq.feedback(with_excluded=True)
        assert [(f.ref, f.excluded) for f in listed] == [(wrong.ref, True), (helpful.ref, False)]
        assert await repos.faq.exclude_feedback(wrong.ref, None)  # taken back in
        assert [f.ref for f in await repos.faq.feedback()] == [wrong.ref, helpful.ref]
        for unknown in ("m999999", "x1", "a", "", "m1; drop table faq_misses"):
            assert not await repos.faq.exclude_feedback(unknown, T0)
        # Only what the calibration learns from: not a question nobody answered, nor a
        # suggestion picked in private (its question is the entry's own).
        await repos.faq.record_miss("没人理我", "unanswered", T0, user_id=bob)
        [unanswered] = [m for m in await repos.faq.misses(T0) if m.reason == "unanswered"]
        picked = await repos.faq.record_answer(
            entry.id, T0, question=entry.question, confidence=1, via="suggestion"
        )
        await repos.faq.vote(picked, alice, HELPFUL, T0)
        assert not await repos.faq.exclude_feedback(f"m{unanswered.id}", T0)
        assert not await repos.faq.exclude_feedback(f"a{picked}", T0)


async def test_conversations_replace_expire_and_finish(storage: Storage) -> None:
    chat, alice, _ = await _people(storage)
    async with storage.transaction() as repos:
        later = T0 + timedelta(minutes=15)
        await repos.conversations.start(chat, alice, "faq.add", {"step": "question"}, later)
        await repos.conversations.start(
            chat, alice, "faq.add", {"step": "answer", "q": "问"}, later
        )
        talk = await repos.conversations.get(chat, alice, T0)
        assert talk is not None and talk.state == {"step": "answer", "q": "问"}
        assert await repos.conversations.get(chat, alice, later) is None  # expired
        assert await repos.conversations.forget_expired(later) == 1
        assert await repos.conversations.finish(chat, alice) is False
