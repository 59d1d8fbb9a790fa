"""training plugin: the day a person left (UK GDPR retention of the training records of people who left)

Revision ID: training_0004
Revises: training_0003
Create Date: 2026-12-16

``training_people`` gains ``left_on`` (NULL for everyone: nobody is recorded as having left).
"""

import sqlalchemy as sa
from alembic import op

revision = "training_0004"
down_revision = "training_0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("training_people") as batch_op:
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("training_people") as batch_op:
        batch_op.drop_column("left_on")
