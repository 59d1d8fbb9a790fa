"""The core's scans. Each reads due dates from the database and is safe to run any number of
times, in any number of processes: every reminder carries an idempotency key (see
:func:`hsbtrack.notifications.services.notify`), so it is sent once.

Which reminder is due is a function of the due date and the day, so a scan that did not run on a
given day (the server was down) catches up with the reminder of the current stage, never with a
burst of stale ones. Days are counted in the install's time zone (``HSBTRACK_TIMEZONE``).

Keys (one notification each):

* ``reaudit:<slot>:<due date>:<stage>:<user>`` — stages ``30d`` (from 30 days before), ``7d``
  (from 7 days before), ``due`` (on the day), ``overdue-<n>`` (the day after, then weekly),
  until the re-audit is opened; to the area's board managers.
* ``action:<action>:<stage>:<due date>`` — ``due-soon`` (from 7 days before), ``overdue-<n>``
  (the day after, then weekly), until the action is done or cancelled; to its owner. A new due
  date starts again.
* ``return:<audit>:<agency>:<due date>:<stage>:<user>`` — stages ``7d`` (from 7 days before the
  date the returns are due) and ``overdue`` (from the day after, once), while the agency's return is
  not submitted; to its agency leads. A new date starts again. Each stage sent is also recorded as a
  reminder about the return (``audit_return_reminders``, sent by nobody), which the board's tracker shows.
* ``digest:<user>:<ISO week>`` — on Mondays, to everyone who owns open actions or manages an area
  with a re-audit coming up.

Nobody is told about an area where they no longer hold a role.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hsbtrack.actions.models import CLOSED_STATUSES, Action
from hsbtrack.actions.services import may_see
from hsbtrack.areas.models import Area, Membership
from hsbtrack.audits import returns
from hsbtrack.audits.models import OPEN, Audit, AuditAgency, ReturnReminder, ScheduledAudit
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.notifications.services import DIGEST, existing_keys, in_language_of, notify

REAUDIT_WARNINGS = (30, 7)  # days before the due date
DUE_SOON_DAYS = 7
RETURN_WARNING_DAYS = 7  # agency leads are reminded this many days before their return is due
DATE_FORMAT = "d MMMM yyyy"


def local_day(app, now: datetime) -> date:
    """The calendar day ``now`` (naive UTC, or aware) falls on in the install's time zone."""
    aware = now if now.tzinfo else now.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")).date()


def _date(day: date) -> str:
    return format_date(day, DATE_FORMAT)


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


def action_stage(due_on, day) -> str | None:
    days_left = (due_on - day).days
    if days_left < 0:
        return f"overdue-{(-days_left - 1) // 7}"
    if days_left <= DUE_SOON_DAYS:
        return "due-soon"
    return None


def _board_managers(area_ids) -> dict[int, list[User]]:
    if not area_ids:
        return {}
    rows = db.session.execute(
        select(Membership.area_id, User).join(User, User.id == Membership.user_id)
        .where(Membership.area_id.in_(list(area_ids)), Membership.role == "board_manager", User.active.is_(True))
        .order_by(User.id)
    )
    out = {}
    for area_id, user in rows:
        if user not in out.setdefault(area_id, []):
            out[area_id].append(user)
    return out


def _areas_of(users) -> dict[int, set[int] | None]:
    """``{user id: ids of the areas where they hold a role}`` (None: every area, administrators)."""
    users = list(users)
    out = {u.id: (None if u.is_admin else set()) for u in users}
    ids = [u.id for u in users if not u.is_admin]
    if not ids:
        return out
    regions = {}
    for user_id, area_id, region_id in db.session.execute(
            select(Membership.user_id, Membership.area_id, Membership.region_id).where(Membership.user_id.in_(ids))):
        if area_id is not None:
            out[user_id].add(area_id)
        elif region_id is not None:
            regions.setdefault(region_id, set()).add(user_id)
    if regions:
        for area_id, region_id in db.session.execute(select(Area.id, Area.region_id).where(Area.region_id.in_(regions))):
            for user_id in regions[region_id]:
                out[user_id].add(area_id)
    return out


def _may_hear_about(access, user_id, area_id) -> bool:
    areas = access.get(user_id, set())
    return areas is None or area_id in areas


def _open_reaudits(day):
    """Re-audits not yet opened that are due within 30 days or overdue, with their areas."""
    slots = list(db.session.scalars(
        select(ScheduledAudit).where(ScheduledAudit.audit_id.is_(None),
                                     ScheduledAudit.due_on <= day + timedelta(days=REAUDIT_WARNINGS[0]))
        .order_by(ScheduledAudit.due_on, ScheduledAudit.id)))
    areas = {}
    if slots:
        areas = {a.id: a for a in db.session.scalars(select(Area).where(Area.id.in_({s.area_id for s in slots})))}
    return slots, areas


def scan_reaudits(app, now) -> int:
    """Prompt board managers 30 and 7 days before a re-audit is due, on the day, and weekly when
    overdue, until the re-audit has been opened."""
    day = local_day(app, now)
    slots, areas = _open_reaudits(day)
    if not slots:
        return 0
    managers = _board_managers(areas)
    planned = []
    for slot in slots:
        stage = reaudit_stage(slot.due_on, day)
        if stage is None:
            continue
        for user in managers.get(slot.area_id, []):
            planned.append((f"reaudit:{slot.id}:{slot.due_on.isoformat()}:{stage}:{user.id}", slot, stage, user))
    done = existing_keys(k for k, *_rest in planned)
    sent = 0
    for key, slot, stage, user in planned:
        if key in done:
            continue
        area = areas[slot.area_id]
        with in_language_of(user):
            values = {"cycle": slot.cycle, "area": area.display_name, "date": _date(slot.due_on)}
            if stage.startswith("overdue"):
                subject = _("The T%(cycle)d re-audit of %(area)s is overdue (it was due on %(date)s)", **values)
            elif stage == "due":
                subject = _("The T%(cycle)d re-audit of %(area)s is due today", **values)
            else:
                subject = _("The T%(cycle)d re-audit of %(area)s is due on %(date)s", **values)
            body = _("The framework asks partnerships to repeat the audit after six and twelve months to show "
                     "progress. Open the re-audit from the audits page of %(area)s when you are ready.", **values)
            link = url_for("audits.index", area_id=area.id)
        if notify(user, key=key, kind="reaudit", subject=subject, body=body, link=link, area_id=area.id):
            sent += 1
    return sent


def scan_actions(app, now) -> int:
    """Remind owners of actions due within 7 days (once) and of overdue actions (weekly)."""
    day = local_day(app, now)
    actions = list(db.session.scalars(
        select(Action).where(Action.status.not_in(CLOSED_STATUSES), Action.due_on <= day + timedelta(days=DUE_SOON_DAYS))
        .options(selectinload(Action.owner), selectinload(Action.area)).order_by(Action.due_on, Action.id)))
    access = _areas_of({a.owner for a in actions if a.owner.active})
    planned = []
    for action in actions:
        stage = action_stage(action.due_on, day)
        if stage is None or not action.owner.active or not _may_hear_about(access, action.owner_id, action.area_id):
            continue
        if not may_see(action.owner, action):  # a walled action reaches only people behind its wall
            continue
        planned.append((f"action:{action.id}:{stage}:{action.due_on.isoformat()}", action, stage))
    done = existing_keys(k for k, *_rest in planned)
    sent = 0
    for key, action, stage in planned:
        if key in done:
            continue
        owner = action.owner
        with in_language_of(owner):
            values = {"date": _date(action.due_on), "title": action.title, "area": action.area.display_name}
            if stage == "due-soon":
                subject = _("Action due on %(date)s: %(title)s", **values)
            else:
                subject = _("Overdue action (due %(date)s): %(title)s", **values)
            body = _("You own this action in %(area)s. Post an update, or change its status.", **values)
            link = url_for("actions.detail", area_id=action.area_id, action_id=action.id)
        if notify(owner, key=key, kind="action", subject=subject, body=body, link=link, area_id=action.area_id):
            sent += 1
    return sent


def return_stage(due_on, day) -> str | None:
    """Which reminder about a return is due on ``day``: 7d (from 7 days before until the date),
    overdue (from the day after), or None."""
    days_left = (due_on - day).days
    if days_left < 0:
        return "overdue"
    if days_left <= RETURN_WARNING_DAYS:
        return "7d"
    return None


def scan_returns(app, now) -> int:
    """Remind agency leads of returns not yet submitted: 7 days before the date they are due and the
    day after it (once each), in each lead's language; each stage is recorded as a reminder."""
    day = local_day(app, now)
    rows = db.session.execute(
        select(AuditAgency, Audit).join(Audit, Audit.id == AuditAgency.audit_id)
        .where(Audit.status == OPEN, Audit.return_due_on.is_not(None), AuditAgency.submitted_at.is_(None),
               Audit.return_due_on <= day + timedelta(days=RETURN_WARNING_DAYS))
        .options(selectinload(Audit.area)).order_by(Audit.return_due_on, Audit.id, AuditAgency.agency_id)).all()
    if not rows:
        return 0
    leads = {}
    for area_id in {audit.area_id for _link, audit in rows}:
        leads.update({(area_id, agency_id): users for agency_id, users in returns.agency_people(
            area_id, [link.agency_id for link, audit in rows if audit.area_id == area_id]).items()})
    planned = []
    for link, audit in rows:
        stage = return_stage(audit.return_due_on, day)
        prefix = f"return:{audit.id}:{link.agency_id}:{audit.return_due_on.isoformat()}:{stage}"
        for user in leads.get((audit.area_id, link.agency_id), []):
            planned.append((f"{prefix}:{user.id}", link, audit, stage, user))
    done = existing_keys(k for k, *_rest in planned)
    todo = [p for p in planned if p[0] not in done]
    if not todo:
        return 0
    status = {}  # (audit id, agency id) -> statements left, one tracker read per audit
    for audit in {p[2] for p in todo}:
        for row in returns.returns_status(audit):
            status[(audit.id, row.agency_id)] = row
    sent, recorded = 0, set()
    for key, link, audit, stage, user in todo:
        row = status[(audit.id, link.agency_id)]
        with in_language_of(user):
            kind = "after_deadline" if stage == "overdue" else "before_deadline"
            subject, body, url = returns.reminder_message(audit, audit.area, row.agency, row.left, kind)
        if notify(user, key=key, kind="return", subject=subject, body=body, link=url, area_id=audit.area_id):
            sent += 1
            if (audit.id, link.agency_id, stage) not in recorded:
                recorded.add((audit.id, link.agency_id, stage))
                db.session.add(ReturnReminder(audit_id=audit.id, agency_id=link.agency_id, sent_by_id=None, kind=kind,
                                              sent_at=now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now))
                db.session.commit()
    return sent


def _action_line(action) -> str:
    return f"- {action.title} ({action.area.display_name}, {_date(action.due_on)})"


def send_digests(app, now) -> int:
    """On Mondays, one digest per user: their open actions (what is overdue, what is due within 7
    days) and, for board managers, the re-audits coming up. Emailed to everyone who has email on,
    including those who asked for the digest only."""
    day = local_day(app, now)
    if day.weekday() != 0:
        return 0
    year, week, _weekday = day.isocalendar()
    actions = list(db.session.scalars(
        select(Action).where(Action.status.not_in(CLOSED_STATUSES))
        .options(selectinload(Action.area), selectinload(Action.owner)).order_by(Action.due_on, Action.id)))
    slots, areas = _open_reaudits(day)
    managers = _board_managers({s.area_id for s in slots})
    users = {a.owner.id: a.owner for a in actions if a.owner.active}
    for area_users in managers.values():
        users.update({u.id: u for u in area_users})
    if not users:
        return 0
    access = _areas_of(users.values())
    mine, reaudits = {}, {}
    for action in actions:
        if (action.owner_id in users and _may_hear_about(access, action.owner_id, action.area_id)
                and may_see(users[action.owner_id], action)):
            mine.setdefault(action.owner_id, []).append(action)
    for slot in slots:
        for user in managers.get(slot.area_id, []):
            reaudits.setdefault(user.id, []).append(slot)
    keys = {user_id: f"digest:{user_id}:{year}-W{week:02d}" for user_id in users}
    done = existing_keys(keys.values())
    sent = 0
    for user_id, user in sorted(users.items()):
        own, slots_due = mine.get(user_id, []), reaudits.get(user_id, [])
        if keys[user_id] in done or not (own or slots_due):
            continue
        overdue = [a for a in own if a.due_on < day]
        soon = [a for a in own if day <= a.due_on <= day + timedelta(days=DUE_SOON_DAYS)]
        with in_language_of(user):
            subject = _("Your week: %(open)d open actions, %(overdue)d overdue", open=len(own), overdue=len(overdue))
            lines = []
            if overdue:
                lines += [_("Overdue:")] + [_action_line(a) for a in overdue] + [""]
            if soon:
                lines += [_("Due in the next 7 days:")] + [_action_line(a) for a in soon] + [""]
            if own and not (overdue or soon):
                lines += [_("Nothing is overdue or due in the next 7 days."), ""]
            if slots_due:
                lines += [_("Re-audits coming up:")] + [
                    f"- T{s.cycle} {areas[s.area_id].name}: {_date(s.due_on)}" for s in slots_due]
            link = url_for("actions.mine")
        if notify(user, key=keys[user_id], kind="digest", subject=subject, body="\n".join(lines).strip(), link=link,
                  channel=DIGEST):
            sent += 1
    return sent
