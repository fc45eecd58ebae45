"""what channels with limits remember: cursors, shared tokens, reply windows, held messages

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channel_state',
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('channel', 'key', name=op.f('pk_channel_state')),
    )
    op.create_table(
        'access_tokens',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('token', sa.Text(), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_access_tokens')),
    )
    op.create_table(
        'reply_windows',
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('servicer', sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint('platform', 'user_id', name=op.f('pk_reply_windows')),
    )
    op.create_table(
        'held_messages',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_messages')),
    )
    op.create_index('ix_held_messages_member', 'held_messages', ['platform', 'user_id', 'released_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_held_messages_member', table_name='held_messages')
    op.drop_table('held_messages')
    op.drop_table('reply_windows')
    op.drop_table('access_tokens')
    op.drop_table('channel_state')
