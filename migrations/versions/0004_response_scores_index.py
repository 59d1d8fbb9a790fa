"""covering index for consolidating scores (make bench: roll-ups read 16,000 responses a page)

Revision ID: 0004_response_scores_index
Revises: 0003_actions
Create Date: 2026-11-25 04:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004_response_scores_index'
down_revision = '0003_actions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_responses', schema=None) as batch_op:
        batch_op.create_index('ix_audit_responses_scores', ['audit_id', 'code', 'agency_id', 'score'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_responses_scores')
