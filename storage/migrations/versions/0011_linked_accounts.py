"""linked accounts: one person on several platforms, and the one-time codes that link them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch.create_index('ix_users_person_id', ['person_id'], unique=False)
        batch.create_foreign_key(op.f('fk_users_person_id_users'), 'users', ['person_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'link_codes',
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('used_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_link_codes_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['used_by'], ['users.id'], name=op.f('fk_link_codes_used_by_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_link_codes')),
    )
    op.create_index('ix_link_codes_user_id', 'link_codes', ['user_id'], unique=False)
    op.create_index('ix_event_log_user_kind', 'event_log', ['user_id', 'kind', 'occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_log_user_kind', table_name='event_log')
    op.drop_index('ix_link_codes_user_id', table_name='link_codes')
    op.drop_table('link_codes')
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('fk_users_person_id_users'), type_='foreignkey')
        batch.drop_index('ix_users_person_id')
        batch.drop_column('person_id')
