"""What the area dashboard shows, gathered in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date

from flask import Response
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from hsbtrack.actions import services as actions
from hsbtrack.actions.charts import status_bar
from hsbtrack.actions.models import CLOSED_STATUSES, Action
from hsbtrack.areas.models import Agency, Membership
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import figures
from hsbtrack.audits import services as audits
from hsbtrack.audits.models import OPEN, Audit, AuditAgency, ScheduledAudit
from hsbtrack.audits.overview import cached_svg_response, chart_url
from hsbtrack.extensions import db
from hsbtrack.permissions import can, is_admin, permissions_in_area
from hsbtrack.timeutil import local_today


def latest_pair(area):
    """The newest audit of the area's main framework and the cycle before it (or None)."""
    found = audits.audits_for_area(area.id, audits.DEFAULT_FRAMEWORK)
    if not found:
        return None, None
    latest = found[-1]
    previous = found[-2] if len(found) > 1 else None
    return latest, previous


def dashboard_data(area, user=None) -> dict:
    """The dashboard's figures (the page shows the audit part to audit readers, the plan part to plan readers)."""
    latest, previous = latest_pair(area)
    overlaid = [a for a in (previous, latest) if a is not None]
    domain_rows = []
    chart = None
    if latest is not None:
        results = figures.figures_many(overlaid)  # domain means by the database, kept by data version
        framework = audits.framework_of(latest)
        for domain in framework.domains:
            means = [results[a.id].domain_means[domain.number - 1] for a in overlaid]
            domain_rows.append({"domain": domain, "means": means})
        chart = chart_url(area, latest, overlaid)
    due_soon, overdue = actions.due_soon_and_overdue(area.id, reader=user)
    upcoming = [s for s in audits.schedule(area.id) if s.audit_id is None]
    return {
        "latest": latest,
        "overlaid": overlaid,
        "domain_rows": domain_rows,
        "radar_url": chart,
        "provisional": audits.provisional_status(overlaid),
        "status_counts": actions.status_counts(area.id, reader=user),
        "status_labels": actions.status_labels(),
        "due_soon": due_soon,
        "overdue": overdue,
        "next_reaudit": upcoming[0] if upcoming else None,
        "agency_count": db.session.scalar(select(func.count()).select_from(Agency).where(Agency.area_id == area.id)),
        "member_count": db.session.scalar(
            select(func.count(func.distinct(Membership.user_id))).where(Membership.area_id == area.id)),
    }


def actions_chart_response(area, user=None) -> Response:
    """The status chart, rendered once per distinct set of counts (the counts are the cache key)."""
    counts = actions.status_counts(area.id, reader=user)
    labels = actions.status_labels()
    key = ("action-status", str(get_locale()), tuple(counts.items()))
    return cached_svg_response(key, lambda: status_bar(counts, labels, _("Actions by status")))


# -- the list of areas (the home page) ---------------------------------------------------------

AREAS_PER_PAGE = 25


@dataclass
class AreaStatus:
    """What the list of areas says about one area. ``None`` where there is nothing to say, or where
    the reader may not see it (the audit part needs ``audit.read``, the overdue count ``actions.read``)."""

    area: object
    read_audit: bool = False  # may the reader see the area's audits?
    audit: Audit | None = None  # the audit in progress (the newest open one)
    returns_in: int = 0  # agencies that have submitted their return to it...
    returns_total: int = 0  # ...of the agencies taking part
    overdue: int | None = None
    next_reaudit: date | None = None


@dataclass
class AreasPage:
    rows: list[AreaStatus]
    page: int
    pages: int
    total: int
    per_page: int = AREAS_PER_PAGE


def areas_page(areas: list, user, page: int = 1, per_page: int = AREAS_PER_PAGE, on: date | None = None) -> AreasPage:
    """One page of ``areas`` (already in display order) with their status, in a fixed number of
    queries whatever the number of areas: the open audits with their returns, the overdue actions
    and the next re-audits, each one query grouped by area (the permissions are read from the grants
    the request already loaded)."""
    on = on or local_today()
    total = len(areas)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    shown = areas[(page - 1) * per_page:page * per_page]
    rows = [AreaStatus(area) for area in shown]
    for row in rows:
        row.read_audit = can(user, Perm.READ_AUDIT, row.area.id)
    audit_ids = [row.area.id for row in rows if row.read_audit]
    action_ids = [row.area.id for row in rows if can(user, Perm.READ_ACTIONS, row.area.id)]
    by_area = {row.area.id: row for row in rows}
    if audit_ids:
        found = db.session.execute(
            select(Audit, func.count(AuditAgency.id), func.count(AuditAgency.submitted_at))
            .outerjoin(AuditAgency, AuditAgency.audit_id == Audit.id)
            .where(Audit.area_id.in_(audit_ids), Audit.status == OPEN)
            .group_by(Audit.id).order_by(Audit.id))
        for audit, total_returns, submitted in found:  # the newest open audit of an area wins
            row = by_area[audit.area_id]
            row.audit, row.returns_total, row.returns_in = audit, total_returns, submitted
        for area_id, due_on in db.session.execute(
                select(ScheduledAudit.area_id, func.min(ScheduledAudit.due_on))
                .where(ScheduledAudit.area_id.in_(audit_ids), ScheduledAudit.audit_id.is_(None))
                .group_by(ScheduledAudit.area_id)):
            by_area[area_id].next_reaudit = due_on
    if action_ids:
        for area_id in action_ids:
            by_area[area_id].overdue = 0
        admin = is_admin(user)
        for area_id, wall, number in db.session.execute(
                select(Action.area_id, Action.restricted_to, func.count())
                .where(Action.area_id.in_(action_ids), Action.status.not_in(CLOSED_STATUSES), Action.due_on < on)
                .group_by(Action.area_id, Action.restricted_to)):
            # walled actions (a CARM plan's) count only for readers who may look behind the wall
            if wall is None or admin or wall in permissions_in_area(user, area_id):
                by_area[area_id].overdue += number
    return AreasPage(rows=rows, page=page, pages=pages, total=total, per_page=per_page)
