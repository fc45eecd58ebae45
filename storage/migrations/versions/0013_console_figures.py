"""console figures: group messages, points earned, joins and leaves per chat and
hour; indexes for the funnel, answers and tickets by time, and for a person's
ledger and questions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 23:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'chat_hours',
        sa.Column('chat_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('hour', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('joins', sa.Integer(), nullable=False),
        sa.Column('leaves', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['chat_id'], ['chats.id'],
            name=op.f('fk_chat_hours_chat_id_chats'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('chat_id', 'hour', name=op.f('pk_chat_hours')),
    )
    op.create_index(
        'ix_members_onboarding', 'members', ['onboarding_started_at', 'activated_at', 'chat_id']
    )
    op.create_index(
        'ix_members_chat_onboarding', 'members', ['chat_id', 'onboarding_started_at', 'activated_at']
    )
    op.create_index('ix_points_ledger_user', 'points_ledger', ['user_id'])
    op.create_index('ix_faq_answers_time', 'faq_answers', ['answered_at', 'via', 'chat_id'])
    op.create_index('ix_faq_answers_user', 'faq_answers', ['user_id'])
    op.create_index('ix_tickets_created', 'tickets', ['created_at'])
    # Joins and leaves before the counters existed, from the event log (points earned
    # are counted from the ledger by a sweep; messages were not counted before).
    if op.get_bind().dialect.name == 'postgresql':
        def hour(column: str) -> str:
            return f"floor(extract(epoch from {column}) / 3600)::integer"
    else:
        def hour(column: str) -> str:
            return f"CAST(strftime('%s', {column}) AS INTEGER) / 3600"
    sources = {
        'joins': (
            "SELECT chat_id, {h} AS hour, COUNT(*) AS n FROM event_log "
            "WHERE kind = 'member_joined' AND chat_id IS NOT NULL GROUP BY chat_id, {h}",
            'occurred_at',
        ),
        'leaves': (
            "SELECT chat_id, {h} AS hour, COUNT(*) AS n FROM event_log "
            "WHERE kind = 'member_left' AND chat_id IS NOT NULL GROUP BY chat_id, {h}",
            'occurred_at',
        ),
    }
    for counter, (select, column) in sources.items():
        rows = select.format(h=hour(column))
        others = ", ".join(
            f"{'n' if name == counter else '0'}" for name in ('messages', 'points', 'joins', 'leaves')
        )
        op.execute(
            f"INSERT INTO chat_hours (chat_id, hour, messages, points, joins, leaves) "
            f"SELECT chat_id, hour, {others} FROM ({rows}) AS counted WHERE true "
            f"ON CONFLICT (chat_id, hour) DO UPDATE SET {counter} = excluded.{counter}"
        )


def downgrade() -> None:
    op.drop_index('ix_tickets_created', table_name='tickets')
    op.drop_index('ix_faq_answers_user', table_name='faq_answers')
    op.drop_index('ix_faq_answers_time', table_name='faq_answers')
    op.drop_index('ix_members_onboarding', table_name='members')
    op.drop_index('ix_members_chat_onboarding', table_name='members')
    op.drop_index('ix_points_ledger_user', table_name='points_ledger')
    op.drop_table('chat_hours')
