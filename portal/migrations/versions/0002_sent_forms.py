"""sent report forms and the receipt's one-time hand-over

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sent_forms',
    sa.Column('id_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('wrapped_receipt', sa.LargeBinary(), nullable=True),
    sa.Column('purge_day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_sent_forms'))
    )
    with op.batch_alter_table('sent_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_forms_purge_day'), ['purge_day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sent_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_forms_purge_day'))
    op.drop_table('sent_forms')
