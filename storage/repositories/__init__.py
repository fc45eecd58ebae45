"""Repositories: one per aggregate, all bound to the same transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories.channel_state import AccessTokenRepository, ChannelStateRepository
from storage.repositories.chats import ChatRepository
from storage.repositories.console import ConsoleRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.deliveries import DeliveryRepository
from storage.repositories.events import EventLogRepository
from storage.repositories.faq import FaqRepository
from storage.repositories.figures import FiguresRepository
from storage.repositories.gauges import GaugeRepository
from storage.repositories.links import LinkRepository
from storage.repositories.members import MemberRepository
from storage.repositories.points import PointsRepository
from storage.repositories.privacy import PrivacyRepository
from storage.repositories.replicas import ReplicaRepository
from storage.repositories.reply_windows import HeldMessageRepository, ReplyWindowRepository
from storage.repositories.sent import SentMessageRepository
from storage.repositories.tickets import TicketRepository
from storage.repositories.topics import TopicRepository
from storage.repositories.updates import ProcessedUpdateRepository
from storage.repositories.users import UserRepository


@dataclass(frozen=True, slots=True)
class Repositories:
    """The repositories of one unit of work (one database transaction)."""

    chats: ChatRepository
    users: UserRepository
    members: MemberRepository
    events: EventLogRepository
    updates: ProcessedUpdateRepository
    deliveries: DeliveryRepository
    faq: FaqRepository
    conversations: ConversationRepository
    points: PointsRepository
    topics: TopicRepository
    tickets: TicketRepository
    sent: SentMessageRepository
    channel_state: ChannelStateRepository
    access_tokens: AccessTokenRepository
    reply_windows: ReplyWindowRepository
    held: HeldMessageRepository
    links: LinkRepository
    privacy: PrivacyRepository
    console: ConsoleRepository
    figures: FiguresRepository
    replicas: ReplicaRepository
    gauges: GaugeRepository

    @classmethod
    def bind(cls, db: AsyncConnection, holder: str | None = None) -> Repositories:
        """The repositories on ``db``; ``holder``: this process's replica id, which
        marks the deliveries it takes to send."""
        return cls(
            chats=ChatRepository(db),
            users=UserRepository(db),
            members=MemberRepository(db),
            events=EventLogRepository(db),
            updates=ProcessedUpdateRepository(db),
            deliveries=DeliveryRepository(db, holder),
            faq=FaqRepository(db),
            conversations=ConversationRepository(db),
            points=PointsRepository(db),
            topics=TopicRepository(db),
            tickets=TicketRepository(db),
            sent=SentMessageRepository(db),
            channel_state=ChannelStateRepository(db),
            access_tokens=AccessTokenRepository(db),
            reply_windows=ReplyWindowRepository(db),
            held=HeldMessageRepository(db),
            links=LinkRepository(db),
            privacy=PrivacyRepository(db),
            console=ConsoleRepository(db),
            figures=FiguresRepository(db),
            replicas=ReplicaRepository(db),
            gauges=GaugeRepository(db),
        )
