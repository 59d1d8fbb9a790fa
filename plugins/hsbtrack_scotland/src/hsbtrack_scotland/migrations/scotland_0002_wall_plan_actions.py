"""scotland plugin: risk-management-plan actions carry the case wall (actions.restricted_to)

Plan actions made before the core's access model were plain actions of the area's plan: from now
on only those who may see cases see them.

Revision ID: scotland_0002
Revises: scotland_0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "scotland_0002"
down_revision = "scotland_0001"
branch_labels = None
depends_on = "0006_access"

CASE_PERMISSION = "scotland.cases"  # hsbtrack_scotland.services.CASE_PERM, as it was at this revision


def upgrade():
    actions = sa.table("actions", sa.column("id", sa.Integer), sa.column("restricted_to", sa.String))
    plan = sa.table("scotland_plan_actions", sa.column("action_id", sa.Integer))
    op.execute(actions.update().where(actions.c.id.in_(sa.select(plan.c.action_id)))
               .values(restricted_to=CASE_PERMISSION))


def downgrade():
    actions = sa.table("actions", sa.column("id", sa.Integer), sa.column("restricted_to", sa.String))
    plan = sa.table("scotland_plan_actions", sa.column("action_id", sa.Integer))
    op.execute(actions.update().where(actions.c.id.in_(sa.select(plan.c.action_id))).values(restricted_to=None))
