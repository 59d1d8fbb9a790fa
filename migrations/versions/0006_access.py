"""Access model: walled actions (a permission a reader must hold) and the download log

Revision ID: 0006_access
Revises: 0005_welsh_names
Create Date: 2026-12-05 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_access'
down_revision = '0005_welsh_names'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restricted_to', sa.String(length=80), nullable=True))
    op.create_table(
        'download_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('region_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=80), nullable=False),
        sa.Column('ref', sa.String(length=200), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('via', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('download_log', schema=None) as batch_op:
        batch_op.create_index('ix_download_log_at', ['at'], unique=False)
        batch_op.create_index('ix_download_log_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_download_log_area_id', ['area_id'], unique=False)


def downgrade():
    op.drop_table('download_log')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_column('restricted_to')
