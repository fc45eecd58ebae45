"""The tickets repository on SQLite and PostgreSQL, including two staff members
claiming one ticket in concurrent transactions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.database import Storage
from tests.helpers import stored_people

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


async def _people(storage: Storage) -> tuple[int, list[int]]:
    async with storage.transaction() as repos:
        chat = await repos.chats.upsert("testnet", "-1", kind="group", title="群", at=T0)
        users = await stored_people(repos, 3, T0)
    return chat.id, users


async def test_one_ongoing_ticket_per_member_and_its_history(storage: Storage) -> None:
    chat, (member, staff, _) = await _people(storage)
    async with storage.transaction() as repos:
        first, new, _ = await repos.tickets.open_or_append(chat, member, "general", "慢", "low", T0)
        again, new_again, raised = await repos.tickets.open_or_append(
            chat, member, "general", "骗子", "crisis", T0 + timedelta(minutes=1)
        )
        assert new and not new_again and again.id == first.id and again.severity == "crisis"
        assert raised
        assert await repos.tickets.replied(first.id, staff, "在处理", T0 + timedelta(minutes=5))
        assert await repos.tickets.resolve(first.id, staff, T0 + timedelta(minutes=9))
        assert not await repos.tickets.replied(first.id, staff, "晚了", T0)
        assert await repos.tickets.rate(first.id, member, 4, T0)
        assert not await repos.tickets.rate(first.id, member, 5, T0)
        done = await repos.tickets.get(first.id)
        assert done is not None and done.assignee_id == staff and done.rating == 4
        kinds = [event.kind for event in await repos.tickets.history(first.id)]
        assert kinds == ["opened", "appended", "raised", "replied", "resolved", "rated"]
        later, fresh, _ = await repos.tickets.open_or_append(
            chat, member, "general", "又", "low", T0
        )
        assert fresh and later.id != first.id  # a resolved ticket is not reopened
        assert await repos.tickets.mark(later.id, "reminded_at", T0)
        assert not await repos.tickets.mark(later.id, "reminded_at", T0)


async def test_two_staff_claim_at_once_and_one_wins(storage: Storage) -> None:
    chat, (member, staff_a, staff_b) = await _people(storage)
    async with storage.transaction() as repos:
        ticket, _, _ = await repos.tickets.open_or_append(chat, member, "general", "慢", "low", T0)

    async def claim(staff: int, delay: float) -> bool:
        await asyncio.sleep(delay)
        async with storage.transaction() as repos:
            won = await repos.tickets.claim(ticket.id, staff, T0)
            await asyncio.sleep(0.2)  # keep the transaction open while the other tries
            return won

    results = await asyncio.gather(claim(staff_a, 0), claim(staff_b, 0.05))
    assert sorted(results) == [False, True]
    async with storage.transaction() as repos:
        claimed = await repos.tickets.get(ticket.id)
    assert claimed is not None and claimed.assignee_id == (staff_a if results[0] else staff_b)


async def test_cards_never_posted_are_found_until_one_is_remembered(storage: Storage) -> None:
    chat, (member, staff, other) = await _people(storage)
    async with storage.transaction() as repos:
        ticket, _, _ = await repos.tickets.open_or_append(chat, member, "general", "慢", "low", T0)
        resolved, _, _ = await repos.tickets.open_or_append(chat, other, "general", "卡", "low", T0)
        await repos.tickets.resolve(resolved.id, staff, T0)
    later = T0 + timedelta(minutes=2)
    async with storage.transaction() as repos:
        assert (
            await repos.tickets.without_card("ticket_card", T0 - timedelta(minutes=1), later) == []
        )
        [lost] = await repos.tickets.without_card("ticket_card", T0, later)
        assert lost.id == ticket.id  # resolved tickets need no card
        await repos.tickets.card_retried(ticket.id, 1, later + timedelta(minutes=1))
        assert await repos.tickets.without_card("ticket_card", T0, later) == []  # not yet due
        due = later + timedelta(minutes=1)
        assert [t.id for t in await repos.tickets.without_card("ticket_card", T0, due)] == [
            ticket.id
        ]
        gave_up = T0 + timedelta(seconds=1)  # older than the window: no more tries
        assert await repos.tickets.without_card("ticket_card", T0, due, created_after=gave_up) == []
        # A note about the ticket is not its card; the card, remembered, ends the search.
        await repos.sent.remember("testnet", "-9", "70", kind="ticket", key=ticket.id, at=due)
        assert len(await repos.tickets.without_card("ticket_card", T0, due)) == 1
        await repos.sent.remember("testnet", "-9", "71", kind="ticket_card", key=ticket.id, at=due)
        await repos.sent.remember("testnet", "-9", "71", kind="ticket_card", key=ticket.id, at=due)
        assert await repos.tickets.without_card("ticket_card", T0, due) == []
        assert await repos.sent.tag_of("testnet", "-9", "71") == ("ticket_card", ticket.id)
        assert await repos.sent.tag_of("testnet", "-8", "71") is None  # ids are per chat
        # The card wherever it is, with its platform (a claim elsewhere edits it there).
        assert await repos.sent.places_of("ticket_card", ticket.id) == [("testnet", "-9", "71")]
        assert await repos.sent.forget_before(due + timedelta(seconds=1)) == 2
        assert await repos.sent.tag_of("testnet", "-9", "71") is None


async def test_a_member_answering_puts_the_ticket_back_with_staff(storage: Storage) -> None:
    chat, (member, staff, _) = await _people(storage)
    async with storage.transaction() as repos:
        ticket, _, _ = await repos.tickets.open_or_append(chat, member, "general", "慢", "low", T0)
        await repos.tickets.replied(ticket.id, staff, "试试刷新", T0)
        waiting = await repos.tickets.get(ticket.id)
        assert waiting is not None and waiting.status == "waiting"
        again, new, _ = await repos.tickets.open_or_append(
            chat, member, "general", "不行", "low", T0
        )
        assert not new and again.status == "claimed" and again.assignee_id == staff
        assert await repos.tickets.count_events(ticket.id, "appended", T0) == 1
        assert (
            await repos.tickets.count_events(ticket.id, "appended", T0 + timedelta(seconds=1)) == 0
        )
