"""The demo area's action plan: some of the baseline audit's findings, in different states.

The actions were agreed a week after the baseline was completed and their owners (and the board) have
reported progress since, each update on its own day, in the past (see :class:`hsbtrack.audits.demo.Timeline`).
"""

from datetime import timedelta

from hsbtrack.actions import services as actions
from hsbtrack.actions.models import Action, ActionUpdate
from hsbtrack.audits.demo import Timeline, at
from hsbtrack.audits.models import CLOSED, Audit
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.timeutil import today

PLAN = (  # owner, due in days (negative: overdue), status, progress, updates (days after agreeing, note, %)
    ("police@example.org", 60, "in_progress", 40, (
        (21, "Draft joint HSB referral flowchart circulated to the Public Protection Unit for comment.", 15),
        (64, "Flowchart agreed with children's social care; briefing for response officers booked.", 30),
        (150, "Briefings delivered to 3 of 5 shifts; the rest are booked for next month.", 40))),
    ("nia.roberts@health.riverside.example", -10, "not_started", 0, (
        (30, "School nursing leads asked for their current HSB screening questions before the work starts.", None),)),
    ("education@example.org", 30, "blocked", 20, (
        (14, "Schools' HSB toolkit reviewed with two secondary DSLs.", 10),
        (95, "Waiting for the local authority's revised behaviour policy before the toolkit can be finalised.", 20))),
    ("social@example.org", -40, "done", 100, (
        (10, "AIM3 assessment timescales added to the front door's weekly performance report.", 30),
        (70, "Two months of figures: 11 of 13 assessments within timescale.", 80),
        (120, "Reported to the partnership board; the measure stays in the monthly report.", 100))),
    ("board@example.org", 120, "not_started", 0, ()),
)
COMPLETION_EVIDENCE = "AIM3 timescales reported monthly to the partnership board since the spring (board minutes)."


def load_demo_actions(area) -> None:
    """Turn some of the baseline's (T1's) findings into actions, one of them overdue."""
    baseline = db.session.scalar(db.select(Audit).where(Audit.area_id == area.id, Audit.status == CLOSED)
                                 .order_by(Audit.cycle).limit(1))
    if baseline is None:
        return
    board = db.session.scalar(db.select(User).where(User.email == "board@example.org"))
    owners = {u.email: u for u in db.session.scalars(db.select(User).where(
        User.email.in_([email for email, *_rest in PLAN])))}
    on = today()
    agreed_on = min(baseline.completed_on + timedelta(days=7), on)
    timeline = Timeline()
    for finding, (email, days, status, progress, updates) in zip(actions.findings(baseline), PLAN, strict=False):
        owner = owners.get(email, board)
        when = at(agreed_on, 11)
        with timeline.during(when):
            action = actions.accept_findings(baseline, [finding.code], owner=owner,
                                             due_on=on + timedelta(days=days), user=board,
                                             record_overdue=days < 0)[0]
        timeline.stamp(Action, "created_at", action.id, when)
        timeline.stamp(Action, "updated_at", action.id, when)
        for index, (after, note, percent) in enumerate(updates):
            when = at(min(agreed_on + timedelta(days=after), on - timedelta(days=1)), 10 + index)
            author = board if index % 3 == 2 and status != "done" else owner  # the board reports some
            with timeline.during(when):
                update = actions.add_update(action, note, percent, user=author)
            timeline.stamp(ActionUpdate, "created_at", update.id, when)
            timeline.stamp(Action, "updated_at", action.id, when)
        if status not in ("not_started", "in_progress"):
            change = {"status": status, "progress": progress}
            if status == "done":
                change["completion_evidence"] = COMPLETION_EVIDENCE
            with timeline.during(when):
                actions.update_action(action, change, user=owner)
            if status == "done":
                timeline.stamp(Action, "completed_on", action.id, when.date())
    timeline.apply()
