"""The data draft of England's yearly report (``england.yearly``): what the figures say about a period.

- **Audits closed in the period**: each with its completion date, framework, every domain's mean and its
  change since the cycle before — the overview's own rows (:func:`hsbtrack.audits.overview._domain_rows` over
  :func:`hsbtrack.audits.services.consolidated_many`), so that no figure is worked out a second way. Audits
  still open are named, with their figures left out: they are provisional.
- **Actions** completed in the period, and those overdue in it (due before the period's end — and before
  today — and not done by their due date, unless done before the period began), for readers of the plan only,
  behind each action's wall.
- **Blocks from the plugins** enabled in the area (``hsbtrack_yearly_report_data``): training reach, schools'
  self-assessments...

A fixed number of queries whatever the data: the area's audits, their consolidation (two), the actions (two),
then each plugin's own."""

from datetime import timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from hsbtrack.actions import services as actions
from hsbtrack.actions.models import Action
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import overview
from hsbtrack.audits import services as audits
from hsbtrack.extensions import db
from hsbtrack.i18n import current_language
from hsbtrack.permissions import can
from hsbtrack.plugins.services import collect
from hsbtrack.timeutil import local_date, today

DATE = "d MMMM yyyy"


def when(day) -> str:
    return format_date(day, DATE) if day else ""


def _previous(audit, area_audits):
    earlier = [a for a in area_audits if a.framework == audit.framework and a.cycle < audit.cycle]
    return earlier[-1] if earlier else None


def audits_in_period(area, start, end, user) -> dict | None:
    """The audits closed in the period, with their domain means and changes; the open ones named. None when
    ``user`` may not read the area's audits."""
    if not can(user, Perm.READ_AUDIT, area.id):
        return None
    area_audits = audits.audits_for_area(area.id)
    closed = [a for a in area_audits
              if not a.is_open and a.completed_on is not None and start <= a.completed_on <= end]
    pairs = [(a, _previous(a, area_audits)) for a in closed]
    results = audits.consolidated_many(list({x.id: x for pair in pairs for x in pair if x is not None}.values()))
    lang = current_language()
    entries = []
    for audit, previous in sorted(pairs, key=lambda p: (p[0].completed_on, p[0].id)):
        framework = audits.framework_of(audit)
        shown = [previous, audit] if previous is not None else [audit]
        rows = []
        for row in overview._domain_rows(framework, shown, results, lang):
            rows.append({"number": row["number"], "title": row["short_title"], "mean": row["shown"][-1],
                         "percent": overview.format_percent(None if row["values"][-1] is None
                                                            else row["values"][-1] * 25),
                         "previous": row["shown"][0] if previous is not None else None,
                         "change": row["changes"][0] if previous is not None else None})
        entries.append({"audit": audit, "title": audit.title, "label": audit.label,
                        "framework": framework.title_for(lang), "completed_on": when(audit.completed_on),
                        "previous": previous, "previous_provisional": previous is not None and previous.is_open,
                        "rows": rows})
    still_open = [{"audit": a, "label": a.label, "title": a.title, "opened_on": when(local_date(a.opened_at))}
                  for a in area_audits if a.is_open and local_date(a.opened_at) <= end]
    return {"closed": entries, "open": still_open}


def actions_in_period(area, start, end, user) -> dict | None:
    """Actions completed in the period and actions overdue in it, as ``user`` may see them (None: they may
    not read the plan)."""
    if not can(user, Perm.READ_ACTIONS, area.id):
        return None
    walls = actions.walls(user, area.id)
    options = (joinedload(Action.owner), joinedload(Action.agency), selectinload(Action.statements))
    completed = list(db.session.scalars(
        select(Action).where(Action.area_id == area.id, walls, Action.status == "done",
                             Action.completed_on >= start, Action.completed_on <= end)
        .options(*options).order_by(Action.completed_on, Action.id)))
    last_day = min(end, today() - timedelta(days=1))
    overdue = list(db.session.scalars(
        select(Action).where(
            Action.area_id == area.id, walls, Action.status != "cancelled", Action.due_on <= last_day,
            or_(Action.completed_on.is_(None),
                and_(Action.completed_on > Action.due_on, Action.completed_on >= start)))
        .options(*options).order_by(Action.due_on, Action.id)))
    labels = actions.status_labels()

    def row(action):
        return {"action": action, "title": action.title, "owner": action.owner.display_name if action.owner else "",
                "agency": action.agency.name if action.agency else "", "due_on": when(action.due_on),
                "completed_on": when(action.completed_on), "status": labels.get(action.status, action.status),
                "statements": ", ".join(action.codes)}

    return {"completed": [row(a) for a in completed], "overdue": [row(a) for a in overdue]}


def plugin_blocks(area, start, end, user) -> list:
    """The blocks of the plugins enabled in ``area`` (``hsbtrack_yearly_report_data``), in their order."""
    return collect("hsbtrack_yearly_report_data", area, period_start=start, period_end=end, user=user)


def assemble_england(report, user) -> dict:
    area, start, end = report.area, report.period_start, report.period_end
    return {"period_start": when(start), "period_end": when(end),
            "audits": audits_in_period(area, start, end, user),
            "actions": actions_in_period(area, start, end, user),
            "blocks": plugin_blocks(area, start, end, user),
            "heading": _("The figures for the period")}
