"""scotland plugin: CARM cases, stages, meetings, classifications, plan actions, access log

Revision ID: scotland_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "scotland_0001"
down_revision = None
branch_labels = ("scotland",)
depends_on = "0003_actions"


def _fk(table, column, ref, ondelete):
    return sa.ForeignKeyConstraint([column], [f"{ref}.id"], name=op.f(f"fk_{table}_{column}_{ref}"), ondelete=ondelete)


def _user(table):
    return _fk(table, "user_id", "users", "SET NULL")


def _case(table):
    return _fk(table, "case_id", "scotland_cases", "CASCADE")


def _index(table, *columns, unique=False):
    with op.batch_alter_table(table) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=unique)


def upgrade():
    t = "scotland_cases"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("age_at_referral", sa.Integer(), nullable=False),
        sa.Column("age_reason", sa.Text(), nullable=False),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.Column("learning_needs", sa.Boolean(), nullable=False),
        sa.Column("hackett", sa.String(length=20), nullable=False),
        sa.Column("setting", sa.String(length=20), nullable=False),
        sa.Column("lead_professional_id", sa.Integer(), nullable=True),
        sa.Column("ird_on", sa.Date(), nullable=True),
        sa.Column("ird_outcome", sa.Text(), nullable=False),
        sa.Column("referral_source", sa.String(length=100), nullable=False),
        sa.Column("referral_on", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("stage_on", sa.Date(), nullable=False),
        sa.Column("closure_reason", sa.String(length=20), nullable=True),
        sa.Column("classification", sa.String(length=20), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk(t, "area_id", "areas", "CASCADE"),
        _fk(t, "lead_professional_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("area_id", "reference", name=op.f(f"uq_{t}_area_id_reference")),
    )
    _index(t, "area_id", "lead_professional_id", "next_review_on")

    t = "scotland_stage_events"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        _case(t), _user(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "case_id")

    t = "scotland_meetings"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("agencies", sa.Text(), nullable=False),
        sa.Column("other_attendees", sa.Text(), nullable=False),
        sa.Column("child_participation", sa.String(length=20), nullable=False),
        sa.Column("parents_participation", sa.String(length=20), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        _case(t), _user(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "case_id")

    t = "scotland_classifications"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        _case(t), _user(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "case_id")

    t = "scotland_plan_actions"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=30), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        _case(t), _fk(t, "action_id", "actions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("action_id", name=op.f(f"uq_{t}_action_id")),
    )
    _index(t, "case_id")

    t = "scotland_access_log"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("page", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk(t, "area_id", "areas", "CASCADE"), _case(t), _user(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "area_id", "case_id")


def downgrade():
    for table in ("scotland_access_log", "scotland_plan_actions", "scotland_classifications", "scotland_meetings",
                  "scotland_stage_events", "scotland_cases"):
        op.drop_table(table)
