"""What channels report back after carrying out actions: scheduled deliveries are
closed as sent or failed, tagged messages are remembered under their
platform ids so that replies to them can be routed (a staff member answering
a ticket card by replying to it), and a private message refused until the
member starts the bot is kept for their /start. A feature may have something to
say about how its messages went (staff told that their answer did not reach the
member): its hook returns those follow-ups, which the caller delivers once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from handlers.actions import Action, Receipt
from handlers.i18n import Texts
from storage.records import DeliveryStatus
from storage.repositories import Repositories

#: Why a message is held until the member starts the bot (``held_messages.reason``).
HELD_FOR_START = "needs_start"

#: A feature's follow-up on the receipts of messages it tagged with its kind: what it
#: records, and the messages it has to send about them (in the community's texts).
ReceiptHook = Callable[[Repositories, Receipt, datetime, Texts], Awaitable[list[Action]]]


async def record_receipts(
    repos: Repositories,
    receipts: list[Receipt],
    now: datetime,
    hooks: Mapping[str, ReceiptHook],
    texts: Texts,
) -> list[Action]:
    """Records what ``receipts`` report; returns the hooks' follow-ups."""
    follow_ups: list[Action] = []
    for receipt in receipts:
        status = DeliveryStatus.SENT if receipt.ok else DeliveryStatus.FAILED
        if receipt.skipped:
            status = DeliveryStatus.SKIPPED
        for delivery_id in receipt.deliveries:
            await repos.deliveries.finish(
                delivery_id, status, now, receipt.error, reached=receipt.reached
            )
        if receipt.refused is not None:
            user = receipt.refused.user
            await repos.held.hold(
                user.platform, user.id, str(receipt.refused.text), HELD_FOR_START, now
            )
        tag = receipt.tag
        if tag is None:
            continue
        for sent in receipt.sent:
            await repos.sent.remember(
                sent.platform, sent.chat_id, sent.message_id, kind=tag.kind, key=tag.key, at=now
            )
        hook = hooks.get(tag.kind)
        if hook is not None:
            follow_ups += await hook(repos, receipt, now, texts)
    return follow_ups
