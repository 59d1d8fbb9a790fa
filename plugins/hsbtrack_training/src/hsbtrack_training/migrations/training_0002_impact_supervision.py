"""training plugin: impact instrument and responses, supervision log

Revision ID: training_0002
Revises: training_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "training_0002"
down_revision = "training_0001"
branch_labels = None
depends_on = None


def _fk(table, column, referred):
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"),
                                   ondelete="CASCADE")


def _indexes(table, columns):
    with op.batch_alter_table(table) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade():
    op.create_table(
        "training_impact_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("subscale", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("training_impact_items", "area_id", "areas"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_impact_items")),
    )
    _indexes("training_impact_items", ["area_id"])
    op.create_table(
        "training_impact_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=4), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        _fk("training_impact_responses", "area_id", "areas"),
        _fk("training_impact_responses", "person_id", "training_people"),
        _fk("training_impact_responses", "course_id", "training_courses"),
        _fk("training_impact_responses", "item_id", "training_impact_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_impact_responses")),
        sa.UniqueConstraint("person_id", "course_id", "phase", "item_id",
                            name=op.f("uq_training_impact_responses_person_id_course_id_phase_item_id")),
    )
    _indexes("training_impact_responses", ["area_id", "course_id", "item_id", "person_id"])
    op.create_table(
        "training_supervision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        _fk("training_supervision", "area_id", "areas"),
        _fk("training_supervision", "person_id", "training_people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_supervision")),
    )
    _indexes("training_supervision", ["area_id", "person_id"])


def downgrade():
    for table in ("training_supervision", "training_impact_responses", "training_impact_items"):
        op.drop_table(table)
