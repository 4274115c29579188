"""no rowid tables, random office user ids; rate counters, spent proofs of work, pending
shreds (docs/THREAT-MODEL.md, requirement 2 and "Floods")

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

NO_ROWID = {'sqlite_with_rowid': False}
# SQLite's hidden rowid records the order rows were written: rebuild every table without it
# (portal.db.upgrade runs migrations with foreign keys off, so no rebuild cascades).
TABLES = ['threads', 'submissions', 'attachments', 'replies', 'reporter_sessions',
          'transfer_state', 'sent_forms']


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('office_users', recreate='always',
                                  table_kwargs=NO_ROWID) as batch_op:
            batch_op.alter_column('id', existing_type=sa.Integer(), type_=sa.String(64))
        for table in TABLES:
            with op.batch_alter_table(table, recreate='always', table_kwargs=NO_ROWID):
                pass
    else:
        op.alter_column('office_users', 'id', existing_type=sa.Integer(),
                        type_=sa.String(64), postgresql_using='id::text',
                        server_default=None)
    op.create_table('pow_spent',
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('forget_after', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pow_spent')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('pow_spent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pow_spent_forget_after'), ['forget_after'], unique=False)
    op.create_table('rate_counters',
    sa.Column('bucket', sa.String(length=32), nullable=False),
    sa.Column('client', sa.LargeBinary(length=16), nullable=False),
    sa.Column('ends', sa.BigInteger(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('bucket', 'client', 'ends', name=op.f('pk_rate_counters')),
    sqlite_with_rowid=False
    )
    op.create_table('shred_pending',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shred_pending')),
    sqlite_with_rowid=False
    )


def downgrade() -> None:
    op.drop_table('shred_pending')
    op.drop_table('rate_counters')
    with op.batch_alter_table('pow_spent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pow_spent_forget_after'))
    op.drop_table('pow_spent')
