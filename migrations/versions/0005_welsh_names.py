"""Welsh names for regions, areas and agencies (shown on Welsh pages, exports and emails)

Revision ID: 0005_welsh_names
Revises: 0004_response_scores_index
Create Date: 2026-12-04 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_welsh_names'
down_revision = '0004_response_scores_index'
branch_labels = None
depends_on = None

TABLES = ('regions', 'areas', 'agencies')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_cy', sa.String(length=200), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('name_cy')
