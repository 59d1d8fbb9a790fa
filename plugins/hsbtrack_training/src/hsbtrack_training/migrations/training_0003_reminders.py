"""training plugin: reminders sent to people

Revision ID: training_0003
Revises: training_0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "training_0003"
down_revision = "training_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "training_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_training_reminders_area_id_areas"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_reminders")),
        sa.UniqueConstraint("key", name=op.f("uq_training_reminders_key")),
    )
    with op.batch_alter_table("training_reminders") as batch_op:
        batch_op.create_index(batch_op.f("ix_training_reminders_area_id"), ["area_id"], unique=False)


def downgrade():
    op.drop_table("training_reminders")
