"""example plugin: notes table (its own branch, depending on the core)

Revision ID: ex01_example
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "ex01_example"
down_revision = None
branch_labels = ("example",)
depends_on = "0001_core"


def upgrade():
    op.create_table(
        "example_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_example_notes_area_id_areas"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_notes")),
    )
    with op.batch_alter_table("example_notes") as batch_op:
        batch_op.create_index(batch_op.f("ix_example_notes_area_id"), ["area_id"], unique=False)


def downgrade():
    with op.batch_alter_table("example_notes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_example_notes_area_id"))
    op.drop_table("example_notes")
