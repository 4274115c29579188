"""attachment digests, computed when a blob is stored

Revision ID: 0006
Revises: 0005

Existing rows keep NULL: portal.transfer computes a missing digest from the blob file at
the row's first export and stores it (the blob directory is not known here).
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blake2b', sa.LargeBinary(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('blake2b')
