"""feedback an operator left out of the FAQ calibration (an answer's votes, a miss)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 05:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('faq_answers', 'faq_misses'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('excluded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ('faq_misses', 'faq_answers'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('excluded_at')
