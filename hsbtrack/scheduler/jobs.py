"""The core's scans. Each reads due dates from the database and is safe to run any number of
times: every reminder carries an idempotency key, so it is sent once."""

from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hsbtrack.actions.models import CLOSED_STATUSES, Action
from hsbtrack.areas.models import Area, Membership
from hsbtrack.audits.models import ScheduledAudit
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.notifications.services import in_language_of, notify

REAUDIT_WARNINGS = (30, 7)  # days before the due date
DUE_SOON_DAYS = 7


def reaudit_stage(due_on, day) -> str | None:
    """Which re-audit reminder is due on ``day``: 30d, 7d, due, overdue-N (weekly), or None."""
    days_left = (due_on - day).days
    if days_left > REAUDIT_WARNINGS[0]:
        return None
    if days_left > REAUDIT_WARNINGS[1]:
        return "30d"
    if days_left > 0:
        return "7d"
    if days_left == 0:
        return "due"
    return f"overdue-{(-days_left - 1) // 7}"


def _board_managers(area_ids) -> dict[int, list[User]]:
    rows = db.session.execute(
        select(Membership.area_id, User).join(User, User.id == Membership.user_id)
        .where(Membership.area_id.in_(area_ids), Membership.role == "board_manager", User.active.is_(True))
    ).tuples()
    out = {}
    for area_id, user in rows:
        out.setdefault(area_id, []).append(user)
    return out


def scan_reaudits(app, now) -> int:
    """Prompt board managers 30 and 7 days before a re-audit is due, on the day, and weekly when overdue,
    until the re-audit has been started."""
    day = now.date()
    slots = list(db.session.scalars(
        select(ScheduledAudit).where(ScheduledAudit.audit_id.is_(None),
                                     ScheduledAudit.due_on <= day + timedelta(days=REAUDIT_WARNINGS[0]))))
    if not slots:
        return 0
    areas = {a.id: a for a in db.session.scalars(select(Area).where(Area.id.in_({s.area_id for s in slots})))}
    managers = _board_managers(list(areas))
    sent = 0
    for slot in slots:
        stage = reaudit_stage(slot.due_on, day)
        if stage is None:
            continue
        area = areas[slot.area_id]
        for user in managers.get(slot.area_id, []):
            with in_language_of(user):
                if stage.startswith("overdue"):
                    subject = _("The T%(cycle)d re-audit of %(area)s is overdue", cycle=slot.cycle, area=area.name)
                elif stage == "due":
                    subject = _("The T%(cycle)d re-audit of %(area)s is due today", cycle=slot.cycle, area=area.name)
                else:
                    subject = _("The T%(cycle)d re-audit of %(area)s is due on %(date)s", cycle=slot.cycle,
                                area=area.name, date=slot.due_on.isoformat())
                body = _("The framework asks partnerships to repeat the audit after six and twelve months to show "
                         "progress. Open the re-audit from the audits page when you are ready.")
                link = url_for("audits.index", area_id=area.id)
            if notify(user, key=f"reaudit:{slot.id}:{stage}:{user.id}", kind="reaudit", subject=subject, body=body,
                      link=link, area_id=area.id):
                sent += 1
    return sent


def action_stage(due_on, day) -> str | None:
    days_left = (due_on - day).days
    if days_left < 0:
        return f"overdue-{(-days_left - 1) // 7}"
    if days_left <= DUE_SOON_DAYS:
        return "due-soon"
    return None


def scan_actions(app, now) -> int:
    """Remind owners of actions due within 7 days (once) and of overdue actions (weekly)."""
    day = now.date()
    actions = list(db.session.scalars(
        select(Action).where(Action.status.not_in(CLOSED_STATUSES), Action.due_on <= day + timedelta(days=DUE_SOON_DAYS))
        .options(selectinload(Action.owner), selectinload(Action.area))))
    sent = 0
    for action in actions:
        stage = action_stage(action.due_on, day)
        owner = action.owner
        if stage is None or not owner.active:
            continue
        with in_language_of(owner):
            if stage == "due-soon":
                subject = _("Action due on %(date)s: %(title)s", date=action.due_on.isoformat(), title=action.title)
            else:
                subject = _("Overdue action (due %(date)s): %(title)s", date=action.due_on.isoformat(), title=action.title)
            body = _("You own this action in %(area)s. Post an update or change its status.", area=action.area.name)
            link = url_for("actions.detail", area_id=action.area_id, action_id=action.id)
        key = f"action:{action.id}:{stage}:{action.due_on.isoformat()}"
        if notify(owner, key=key, kind="action", subject=subject, body=body, link=link, area_id=action.area_id):
            sent += 1
    return sent


def send_digests(app, now) -> int:
    """On Mondays, one digest per user who owns open actions: what is overdue and what is due soon."""
    if now.weekday() != 0:
        return 0
    day = now.date()
    year, week, _weekday = day.isocalendar()
    actions = list(db.session.scalars(
        select(Action).where(Action.status.not_in(CLOSED_STATUSES)).options(selectinload(Action.area))
        .order_by(Action.due_on)))
    by_owner = {}
    for action in actions:
        by_owner.setdefault(action.owner_id, []).append(action)
    if not by_owner:
        return 0
    users = db.session.scalars(select(User).where(User.id.in_(list(by_owner)), User.active.is_(True)))
    sent = 0
    for user in users:
        mine = by_owner[user.id]
        overdue = [a for a in mine if a.due_on < day]
        soon = [a for a in mine if day <= a.due_on <= day + timedelta(days=DUE_SOON_DAYS)]
        with in_language_of(user):
            subject = _("Your week: %(open)d open actions, %(overdue)d overdue", open=len(mine), overdue=len(overdue))
            lines = [_("Overdue:")] + [f"- {a.title} ({a.area.name}, {a.due_on.isoformat()})" for a in overdue]
            lines += [_("Due in the next 7 days:")] + [f"- {a.title} ({a.area.name}, {a.due_on.isoformat()})" for a in soon]
            link = url_for("actions.mine")
        note = notify(user, key=f"digest:{user.id}:{year}-W{week:02d}", kind="digest", subject=subject,
                      body="\n".join(lines), link=link, email=False)
        if note and user.email_notifications:
            from hsbtrack.mail import send_email
            from hsbtrack.notifications.services import absolute
            from hsbtrack.timeutil import utcnow

            send_email(user.email, str(subject), "\n".join(lines) + f"\n\n{absolute(link)}\n")
            note.emailed_at = utcnow()
            db.session.commit()
        if note:
            sent += 1
    return sent


