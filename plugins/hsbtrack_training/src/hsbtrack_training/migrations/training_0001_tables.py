"""training plugin: courses, people, sessions, completions, headcounts

Revision ID: training_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "training_0001"
down_revision = None
branch_labels = ("training",)
depends_on = "0003_actions"


def _fk(table, column, referred, ondelete="CASCADE"):
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"),
                                   ondelete=ondelete)


def _indexes(table, columns):
    with op.batch_alter_table(table) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade():
    op.create_table(
        "training_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("length_hours", sa.Float(), nullable=True),
        sa.Column("refresher_months", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("training_courses", "area_id", "areas"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
    )
    _indexes("training_courses", ["area_id"])
    op.create_table(
        "training_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("discipline", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("training_people", "area_id", "areas"),
        _fk("training_people", "agency_id", "agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_people")),
    )
    _indexes("training_people", ["agency_id", "area_id"])
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("training_sessions", "area_id", "areas"),
        _fk("training_sessions", "course_id", "training_courses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    _indexes("training_sessions", ["area_id", "course_id"])
    op.create_table(
        "training_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        _fk("training_completions", "area_id", "areas"),
        _fk("training_completions", "person_id", "training_people"),
        _fk("training_completions", "course_id", "training_courses"),
        _fk("training_completions", "session_id", "training_sessions", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_completions")),
        sa.UniqueConstraint("person_id", "course_id", "completed_on",
                            name=op.f("uq_training_completions_person_id_course_id_completed_on")),
    )
    _indexes("training_completions", ["area_id", "course_id", "person_id", "session_id"])
    op.create_table(
        "training_headcounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("discipline", sa.String(length=50), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        _fk("training_headcounts", "area_id", "areas"),
        _fk("training_headcounts", "agency_id", "agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_headcounts")),
        sa.UniqueConstraint("agency_id", "discipline", name=op.f("uq_training_headcounts_agency_id_discipline")),
    )
    _indexes("training_headcounts", ["agency_id", "area_id"])


def downgrade():
    for table in ("training_headcounts", "training_completions", "training_sessions", "training_people",
                  "training_courses"):
        op.drop_table(table)
