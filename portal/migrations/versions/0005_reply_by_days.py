"""the accused's time limits to reply (§10.2) for the office dashboard

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reply_by_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_reply_by_days')),
    sqlite_with_rowid=False
    )


def downgrade() -> None:
    op.drop_table('reply_by_days')
