"""Jobs: long work (the board report as PDF and Word) done off the request by the scheduler

Revision ID: 0014_jobs
Revises: 0013_single_sign_on
Create Date: 2026-12-10 10:00:00

One new table, ``jobs``: what was asked (kind, area or region, who, parameters), how far it is (status,
progress, message, heartbeat) and its result in the documents' storage (key, file name, content type,
expiry). Nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_jobs'
down_revision = '0013_single_sign_on'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('region_id', sa.Integer(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.Column('result_key', sa.String(length=200), nullable=True),
        sa.Column('result_filename', sa.String(length=200), nullable=True),
        sa.Column('result_content_type', sa.String(length=100), nullable=True),
        sa.Column('runner', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_jobs_area_id_areas'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_jobs_region_id_regions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_jobs_requested_by_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index('ix_jobs_status_created_at', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_created_at')
        batch_op.drop_index(batch_op.f('ix_jobs_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_region_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_area_id'))
    op.drop_table('jobs')
