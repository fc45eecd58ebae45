"""onboarding state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 21:10:40.403306
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('welcome_template', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('onboarding_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('onboarding_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('welcomer', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('welcomed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('activation_source', sa.String(length=32), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('activation_source')
        batch_op.drop_column('activated_at')
        batch_op.drop_column('welcomed_at')
        batch_op.drop_column('welcomer')
        batch_op.drop_column('onboarding_started_at')

    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('onboarding_enabled')
        batch_op.drop_column('welcome_template')


