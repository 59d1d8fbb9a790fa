"""regional plugin: rounds, regional actions, shared commissioning (its own branch)

Revision ID: regional_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "regional_0001"
down_revision = None
branch_labels = ("regional",)
depends_on = "0003_actions"


def upgrade():
    op.create_table(
        "regional_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("framework", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"], name=op.f("fk_regional_rounds_opened_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_regional_rounds_region_id_regions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_rounds")),
        sa.UniqueConstraint("region_id", "framework", "cycle", name=op.f("uq_regional_rounds_region_id_framework_cycle")),
    )
    with op.batch_alter_table("regional_rounds") as batch_op:
        batch_op.create_index(batch_op.f("ix_regional_rounds_region_id"), ["region_id"], unique=False)

    op.create_table(
        "regional_round_audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_regional_round_audits_area_id_areas"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], name=op.f("fk_regional_round_audits_audit_id_audits"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["regional_rounds.id"],
                                name=op.f("fk_regional_round_audits_round_id_regional_rounds"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_round_audits")),
        sa.UniqueConstraint("round_id", "area_id", name=op.f("uq_regional_round_audits_round_id_area_id")),
    )
    with op.batch_alter_table("regional_round_audits") as batch_op:
        batch_op.create_index(batch_op.f("ix_regional_round_audits_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_regional_round_audits_audit_id"), ["audit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_regional_round_audits_round_id"), ["round_id"], unique=False)

    op.create_table(
        "regional_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_regional_actions_created_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_regional_actions_region_id_regions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_actions")),
    )
    with op.batch_alter_table("regional_actions") as batch_op:
        batch_op.create_index(batch_op.f("ix_regional_actions_region_id"), ["region_id"], unique=False)

    op.create_table(
        "regional_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regional_action_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["actions.id"], name=op.f("fk_regional_assignments_action_id_actions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_regional_assignments_area_id_areas"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["regional_action_id"], ["regional_actions.id"],
                                name=op.f("fk_regional_assignments_regional_action_id_regional_actions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_assignments")),
        sa.UniqueConstraint("regional_action_id", "area_id", name=op.f("uq_regional_assignments_regional_action_id_area_id")),
    )
    with op.batch_alter_table("regional_assignments") as batch_op:
        batch_op.create_index(batch_op.f("ix_regional_assignments_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_regional_assignments_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_regional_assignments_regional_action_id"), ["regional_action_id"],
                              unique=False)

    op.create_table(
        "regional_commissioning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("arrangement", sa.String(length=300), nullable=False),
        sa.Column("service", sa.String(length=300), nullable=False),
        sa.Column("partner_area_ids", sa.JSON(), nullable=False),
        sa.Column("cost_share", sa.String(length=300), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"],
                                name=op.f("fk_regional_commissioning_region_id_regions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_commissioning")),
    )
    with op.batch_alter_table("regional_commissioning") as batch_op:
        batch_op.create_index(batch_op.f("ix_regional_commissioning_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_regional_commissioning_review_on"), ["review_on"], unique=False)


def downgrade():
    op.drop_table("regional_commissioning")
    op.drop_table("regional_assignments")
    op.drop_table("regional_actions")
    op.drop_table("regional_round_audits")
    op.drop_table("regional_rounds")
