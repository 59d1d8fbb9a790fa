"""The demo area's action plan: some of the baseline audit's findings, in different states."""

from datetime import timedelta

from hsbtrack.actions import services as actions
from hsbtrack.audits.models import CLOSED, Audit
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.timeutil import today

PLAN = (  # owner, due in days (negative: overdue), status, progress
    ("police@example.org", 60, "in_progress", 40),
    ("health@example.org", -10, "not_started", 0),
    ("education@example.org", 30, "blocked", 20),
    ("social@example.org", -40, "done", 100),
    ("board@example.org", 120, "not_started", 0),
)


def load_demo_actions(area) -> None:
    """Turn some of the baseline's (T1's) findings into actions, one of them overdue."""
    baseline = db.session.scalar(db.select(Audit).where(Audit.area_id == area.id, Audit.status == CLOSED)
                                 .order_by(Audit.cycle).limit(1))
    if baseline is None:
        return
    board = db.session.scalar(db.select(User).where(User.email == "board@example.org"))
    owners = {u.email: u for u in db.session.scalars(db.select(User).where(User.email.like("%@example.org")))}
    for finding, (email, days, status, progress) in zip(actions.findings(baseline), PLAN, strict=False):
        action = actions.accept_findings(baseline, [finding.code], owner=owners[email],
                                         due_on=today() + timedelta(days=days), user=board)[0]
        if status != "not_started":
            actions.update_action(action, {"status": status, "progress": progress}, user=board)
            actions.add_update(action, f"Progress reported at the partnership meeting ({progress}%).", progress,
                               user=owners[email])
