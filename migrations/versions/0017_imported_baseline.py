"""Imported baselines and offline return workbooks (issue 21)

Revision ID: 0017_imported_baseline
Revises: 0016_shared_returns
Create Date: 2026-12-15 10:00:00

``audits`` gains ``imported`` (false for every existing audit: each was run here) and ``import_note``
("" for every existing audit). New table ``audit_workbook_uploads``: offline return workbooks read and
waiting for their preview to be confirmed (empty). Nothing existing changes value.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_imported_baseline'
down_revision = '0016_shared_returns'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('import_note', sa.Text(), server_default='', nullable=False))
    op.create_table(
        'audit_workbook_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('downloaded_at', sa.DateTime(), nullable=True),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_workbook_uploads_audit_id_audits'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_audit_workbook_uploads_agency_id_agencies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_workbook_uploads_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_workbook_uploads')),
        sa.UniqueConstraint('token', name=op.f('uq_audit_workbook_uploads_token')),
    )
    with op.batch_alter_table('audit_workbook_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_workbook_uploads_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_workbook_uploads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_workbook_uploads_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_workbook_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_workbook_uploads_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_workbook_uploads_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_workbook_uploads_audit_id'))
    op.drop_table('audit_workbook_uploads')
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_column('import_note')
        batch_op.drop_column('imported')
