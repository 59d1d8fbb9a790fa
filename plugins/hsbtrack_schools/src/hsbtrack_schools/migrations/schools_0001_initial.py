"""schools plugin: schools, school leads, local items, rounds, ratings, harm counts, item actions

Revision ID: schools_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "schools_0001"
down_revision = None
branch_labels = ("schools",)
depends_on = "0003_actions"


def _fk(table, column, target, ondelete):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def _index(table, *columns):
    with op.batch_alter_table(table) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade():
    op.create_table(
        "schools_schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phase", sa.String(length=30), nullable=False),
        sa.Column("dsl_name", sa.String(length=200), nullable=False),
        sa.Column("dsl_email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("schools_schools", "area_id", "areas", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools_schools")),
        sa.UniqueConstraint("area_id", "name", name=op.f("uq_schools_schools_area_id_name")),
    )
    _index("schools_schools", "area_id")
    op.create_table(
        "schools_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("schools_leads", "user_id", "users", "CASCADE"),
        _fk("schools_leads", "school_id", "schools_schools", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools_leads")),
        sa.UniqueConstraint("user_id", "school_id", name=op.f("uq_schools_leads_user_id_school_id")),
    )
    _index("schools_leads", "user_id", "school_id")
    op.create_table(
        "schools_local_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.String(length=20), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("schools_local_items", "area_id", "areas", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools_local_items")),
        sa.UniqueConstraint("area_id", "checklist", "code", name=op.f("uq_schools_local_items_area_id_checklist_code")),
    )
    _index("schools_local_items", "area_id")
    op.create_table(
        "schools_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("checklist", sa.String(length=20), nullable=False),
        sa.Column("checklist_version", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _fk("schools_rounds", "area_id", "areas", "CASCADE"),
        _fk("schools_rounds", "school_id", "schools_schools", "CASCADE"),
        _fk("schools_rounds", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools_rounds")),
        sa.UniqueConstraint("area_id", "checklist", "school_id", "number",
                            name=op.f("uq_schools_rounds_area_id_checklist_school_id_number")),
    )
    _index("schools_rounds", "area_id", "school_id")
    op.create_table(
        "schools_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=10), nullable=False),
        sa.Column("rating", sa.String(length=20), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _fk("schools_ratings", "round_id", "schools_rounds", "CASCADE"),
        _fk("schools_ratings", "updated_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools_ratings")),
        sa.UniqueConstraint("round_id", "item_code", name=op.f("uq_schools_ratings_round_id_item_code")),
    )
    _index("schools_ratings", "round_id")
    op.create_table(
        "schools_harm_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _fk("schools_harm_counts", "round_id", "schools_rounds", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools_harm_counts")),
        sa.UniqueConstraint("round_id", "category", name=op.f("uq_schools_harm_counts_round_id_category")),
    )
    _index("schools_harm_counts", "round_id")
    op.create_table(
        "schools_item_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=10), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        _fk("schools_item_actions", "round_id", "schools_rounds", "CASCADE"),
        _fk("schools_item_actions", "action_id", "actions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools_item_actions")),
        sa.UniqueConstraint("round_id", "item_code", name=op.f("uq_schools_item_actions_round_id_item_code")),
    )
    _index("schools_item_actions", "round_id", "action_id")


def downgrade():
    for table in ("schools_item_actions", "schools_harm_counts", "schools_ratings", "schools_rounds",
                  "schools_local_items", "schools_leads", "schools_schools"):
        op.drop_table(table)
