"""Shared returns: partner organisations above areas answer once for several partnerships (issue 20)

Revision ID: 0016_shared_returns
Revises: 0015_yearly_reports
Create Date: 2026-12-14 10:00:00

New tables: ``organisations``, ``organisation_areas`` (organisation -> area and the area's agency),
``organisation_members``, ``shared_returns``, ``shared_return_audits``, ``shared_responses`` and
``shared_exceptions``. ``audit_responses`` gains ``source`` ("agency" for every existing row) and
``shared_return_id`` (NULL for every existing row). Nothing existing changes value.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_shared_returns'
down_revision = '0015_yearly_reports'
branch_labels = None
depends_on = None


def _fk(table, column, referred, ondelete):
    return sa.ForeignKeyConstraint([column], [f'{referred}.id'], name=op.f(f'fk_{table}_{column}_{referred}'),
                                   ondelete=ondelete)


def upgrade():
    op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('name_cy', sa.String(length=200), nullable=True),
        _fk('organisations', 'region_id', 'regions', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
        sa.UniqueConstraint('name', name=op.f('uq_organisations_name')),
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_region_id'), ['region_id'], unique=False)
    op.create_table(
        'organisation_areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _fk('organisation_areas', 'organisation_id', 'organisations', 'CASCADE'),
        _fk('organisation_areas', 'area_id', 'areas', 'CASCADE'),
        _fk('organisation_areas', 'agency_id', 'agencies', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_areas')),
        sa.UniqueConstraint('organisation_id', 'area_id', name=op.f('uq_organisation_areas_organisation_id_area_id')),
        sa.UniqueConstraint('agency_id', name=op.f('uq_organisation_areas_agency_id')),
    )
    with op.batch_alter_table('organisation_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_areas_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_areas_area_id'), ['area_id'], unique=False)
    op.create_table(
        'organisation_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=50), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _fk('organisation_members', 'organisation_id', 'organisations', 'CASCADE'),
        _fk('organisation_members', 'user_id', 'users', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_members')),
        sa.UniqueConstraint('organisation_id', 'user_id', 'role',
                            name=op.f('uq_organisation_members_organisation_id_user_id_role')),
    )
    with op.batch_alter_table('organisation_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_members_organisation_id'), ['organisation_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_members_user_id'), ['user_id'], unique=False)
    op.create_table(
        'shared_returns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('framework', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('source_key', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('signed_off_at', sa.DateTime(), nullable=True),
        sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
        _fk('shared_returns', 'organisation_id', 'organisations', 'CASCADE'),
        _fk('shared_returns', 'created_by_id', 'users', 'SET NULL'),
        _fk('shared_returns', 'submitted_by_id', 'users', 'SET NULL'),
        _fk('shared_returns', 'signed_off_by_id', 'users', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_returns')),
    )
    with op.batch_alter_table('shared_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_returns_organisation_id'), ['organisation_id'], unique=False)
    op.create_table(
        'shared_return_audits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shared_return_id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        _fk('shared_return_audits', 'shared_return_id', 'shared_returns', 'CASCADE'),
        _fk('shared_return_audits', 'audit_id', 'audits', 'CASCADE'),
        _fk('shared_return_audits', 'area_id', 'areas', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_return_audits')),
        sa.UniqueConstraint('shared_return_id', 'audit_id',
                            name=op.f('uq_shared_return_audits_shared_return_id_audit_id')),
        sa.UniqueConstraint('shared_return_id', 'area_id',
                            name=op.f('uq_shared_return_audits_shared_return_id_area_id')),
    )
    with op.batch_alter_table('shared_return_audits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_return_audits_shared_return_id'), ['shared_return_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_shared_return_audits_audit_id'), ['audit_id'], unique=False)
    op.create_table(
        'shared_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shared_return_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('assurance', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('shared_responses', 'shared_return_id', 'shared_returns', 'CASCADE'),
        _fk('shared_responses', 'updated_by_id', 'users', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_responses')),
        sa.UniqueConstraint('shared_return_id', 'code', name=op.f('uq_shared_responses_shared_return_id_code')),
    )
    with op.batch_alter_table('shared_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_responses_shared_return_id'), ['shared_return_id'], unique=False)
    op.create_table(
        'shared_exceptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shared_return_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('shared_exceptions', 'shared_return_id', 'shared_returns', 'CASCADE'),
        _fk('shared_exceptions', 'area_id', 'areas', 'CASCADE'),
        _fk('shared_exceptions', 'updated_by_id', 'users', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_exceptions')),
        sa.UniqueConstraint('shared_return_id', 'area_id', 'code',
                            name=op.f('uq_shared_exceptions_shared_return_id_area_id_code')),
    )
    with op.batch_alter_table('shared_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_exceptions_shared_return_id'), ['shared_return_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_shared_exceptions_area_id'), ['area_id'], unique=False)
    with op.batch_alter_table('audit_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='agency', nullable=False))
        batch_op.add_column(sa.Column('shared_return_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_responses_shared_return_id'), ['shared_return_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_responses_shared_return_id_shared_returns'),
                                    'shared_returns', ['shared_return_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('audit_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_responses_shared_return_id_shared_returns'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_responses_shared_return_id'))
        batch_op.drop_column('shared_return_id')
        batch_op.drop_column('source')
    for table, indexes in (
            ('shared_exceptions', ('ix_shared_exceptions_area_id', 'ix_shared_exceptions_shared_return_id')),
            ('shared_responses', ('ix_shared_responses_shared_return_id',)),
            ('shared_return_audits', ('ix_shared_return_audits_audit_id', 'ix_shared_return_audits_shared_return_id')),
            ('shared_returns', ('ix_shared_returns_organisation_id',)),
            ('organisation_members', ('ix_organisation_members_user_id', 'ix_organisation_members_organisation_id')),
            ('organisation_areas', ('ix_organisation_areas_area_id', 'ix_organisation_areas_organisation_id')),
            ('organisations', ('ix_organisations_region_id',))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
