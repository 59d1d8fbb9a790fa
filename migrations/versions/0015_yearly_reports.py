"""Yearly reports: a data draft for a period, narrative sections saved as versions, PDF and Word by a job

Revision ID: 0015_yearly_reports
Revises: 0014_jobs
Create Date: 2026-12-12 10:00:00

Two new tables: ``yearly_reports`` (kind, area or region, period, who made it) and ``yearly_report_versions``
(the narrative, one row per save, numbered per report). Nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_yearly_reports'
down_revision = '0014_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'yearly_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=80), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('region_id', sa.Integer(), nullable=True),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_yearly_reports_area_id_areas'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_yearly_reports_region_id_regions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_yearly_reports_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_yearly_reports')),
    )
    with op.batch_alter_table('yearly_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_yearly_reports_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_yearly_reports_region_id'), ['region_id'], unique=False)
        batch_op.create_index('ix_yearly_reports_place', ['area_id', 'region_id', 'kind'], unique=False)
    op.create_table(
        'yearly_report_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('sections', sa.JSON(), nullable=False),
        sa.Column('saved_by_id', sa.Integer(), nullable=True),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['yearly_reports.id'],
                                name=op.f('fk_yearly_report_versions_report_id_yearly_reports'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['saved_by_id'], ['users.id'], name=op.f('fk_yearly_report_versions_saved_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_yearly_report_versions')),
        sa.UniqueConstraint('report_id', 'number', name=op.f('uq_yearly_report_versions_report_id_number')),
    )
    with op.batch_alter_table('yearly_report_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_yearly_report_versions_report_id'), ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('yearly_report_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_yearly_report_versions_report_id'))
    op.drop_table('yearly_report_versions')
    with op.batch_alter_table('yearly_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_yearly_reports_place')
        batch_op.drop_index(batch_op.f('ix_yearly_reports_region_id'))
        batch_op.drop_index(batch_op.f('ix_yearly_reports_area_id'))
    op.drop_table('yearly_reports')
