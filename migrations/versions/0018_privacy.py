"""UK GDPR duties (issue 21): erased people, holds on erasure, the privacy log and the retention review

Revision ID: 0018_privacy
Revises: 0017_imported_baseline
Create Date: 2026-12-16 10:00:00

``users`` gains ``erased_at`` (NULL for everyone: nobody has been erased). Three new tables, empty:
``privacy_holds`` (a person who must not be erased, and why), ``privacy_log`` (subject access exports,
erasures, holds and retention deletions) and ``privacy_retention_items`` (the records a retention rule found
due, waiting for an administrator's confirmation). Nothing existing changes value.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_privacy'
down_revision = '0017_imported_baseline'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
    op.create_table(
        'privacy_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_privacy_holds_set_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_privacy_holds_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_holds')),
        sa.UniqueConstraint('user_id', name=op.f('uq_privacy_holds_user_id')),
    )
    op.create_table(
        'privacy_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('subject', sa.String(length=100), nullable=False),
        sa.Column('count', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_privacy_log_by_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_log')),
    )
    with op.batch_alter_table('privacy_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_log_at'), ['at'], unique=False)
    op.create_table(
        'privacy_retention_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=80), nullable=False),
        sa.Column('item_key', sa.String(length=80), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('since', sa.Date(), nullable=True),
        sa.Column('found_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_privacy_retention_items_area_id_areas'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_retention_items')),
        sa.UniqueConstraint('rule', 'item_key', name=op.f('uq_privacy_retention_items_rule_item_key')),
    )
    with op.batch_alter_table('privacy_retention_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_retention_items_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_retention_items_rule'), ['rule'], unique=False)


def downgrade():
    with op.batch_alter_table('privacy_retention_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_retention_items_rule'))
        batch_op.drop_index(batch_op.f('ix_privacy_retention_items_area_id'))
    op.drop_table('privacy_retention_items')
    with op.batch_alter_table('privacy_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_log_at'))
    op.drop_table('privacy_log')
    op.drop_table('privacy_holds')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
