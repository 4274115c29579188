"""numbered inbound downloads

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transfer_state', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('inbound_downloads', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('transfer_state', schema=None) as batch_op:
        batch_op.drop_column('inbound_downloads')
