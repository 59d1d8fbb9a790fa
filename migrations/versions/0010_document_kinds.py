"""Documents of the partnership and of actions: a document's kind, links without an audit, a link's purpose

Revision ID: 0010_document_kinds
Revises: 0009_documents
Create Date: 2026-12-05 22:00:00

Documents were an agency's only (linked to its responses). Now a document also evidences a statement at
partnership level or an action and its completion: ``documents.kind`` (existing rows are agencies'
documents: 'response'), ``document_links.audit_id`` may be empty (an action without an audit) and
``document_links.purpose`` marks completion evidence.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_document_kinds'
down_revision = '0009_documents'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='response', nullable=False))
    with op.batch_alter_table('document_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20), nullable=True))
        batch_op.alter_column('audit_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # (links without an audit cannot survive the older schema)
    op.execute("DELETE FROM document_links WHERE audit_id IS NULL")
    with op.batch_alter_table('document_links', schema=None) as batch_op:
        batch_op.alter_column('audit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('purpose')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('kind')
