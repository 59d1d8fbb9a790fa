"""Moderation that stays true: the lowest agency score an agreed score was agreed against

Revision ID: 0007_moderation_basis
Revises: 0006_access
Create Date: 2026-12-05 14:30:00

An agreed score is stale when the lowest agency score of its statement is no longer the one it was
agreed (and justified) against. Existing agreed scores are taken as agreed against today's lowest
score: nothing is flagged by the upgrade itself.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_moderation_basis'
down_revision = '0006_access'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_agreed_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('basis_lowest', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE audit_agreed_scores SET basis_lowest = ("
        " SELECT MIN(r.score) FROM audit_responses r"
        " JOIN audit_agencies aa ON aa.audit_id = r.audit_id AND aa.agency_id = r.agency_id"
        " WHERE r.audit_id = audit_agreed_scores.audit_id AND r.code = audit_agreed_scores.code"
        " AND r.score IS NOT NULL)"
    )


def downgrade():
    with op.batch_alter_table('audit_agreed_scores', schema=None) as batch_op:
        batch_op.drop_column('basis_lowest')
