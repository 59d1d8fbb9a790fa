"""Documents: files behind an agency's response (the evidence library, issue 16)

Revision ID: 0009_documents
Revises: 0008_returns
Create Date: 2026-12-05 19:30:00

Three new tables: documents (title, effective date, owning agency, the bin), their versions (the bytes'
storage key, name, type, size, SHA-256) and their links to agencies' responses. Nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_documents'
down_revision = '0008_returns'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_documents_agency_id_agencies'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_documents_area_id_areas'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_area_id'), ['area_id'], unique=False)
    op.create_table(
        'document_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_document_versions_document_id_documents'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_document_versions_uploaded_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_versions')),
        sa.UniqueConstraint('document_id', 'number', name=op.f('uq_document_versions_document_id_number')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_document_versions_storage_key')),
    )
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_versions_document_id'), ['document_id'], unique=False)
    op.create_table(
        'document_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=20), nullable=True),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('linked_at', sa.DateTime(), nullable=False),
        sa.Column('linked_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_document_links_action_id_actions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_document_links_agency_id_agencies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_document_links_audit_id_audits'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_links_document_id_documents'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_document_links_linked_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_links')),
    )
    with op.batch_alter_table('document_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_links_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_links_document_id'), ['document_id'], unique=False)
        batch_op.create_index('ix_document_links_response', ['audit_id', 'agency_id', 'code'], unique=False)


def downgrade():
    op.drop_table('document_links')
    op.drop_table('document_versions')
    op.drop_table('documents')
