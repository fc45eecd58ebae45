"""how a delivery reached its member

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reached', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_deliveries_chat_kind', ['chat_id', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_chat_kind')
        batch_op.drop_column('reached')
