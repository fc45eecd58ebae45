"""staff console: one-time sign-in links, sessions, and the audit log of changes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_links',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('account', sa.String(length=160), nullable=False),
        sa.Column('chats', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_console_links')),
    )
    op.create_table(
        'console_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('account', sa.String(length=160), nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('chats', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_console_sessions')),
    )
    op.create_index('ix_console_sessions_account', 'console_sessions', ['account'], unique=False)
    op.create_table(
        'audit_log',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('actor', sa.String(length=160), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=191), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index('ix_console_sessions_account', table_name='console_sessions')
    op.drop_table('console_sessions')
    op.drop_table('console_links')
