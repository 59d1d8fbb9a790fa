"""What the area dashboard shows, gathered in a fixed number of queries."""

from flask import Response
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from hsbtrack.actions import services as actions
from hsbtrack.actions.charts import status_bar
from hsbtrack.areas.models import Agency, Membership
from hsbtrack.audits import services as audits
from hsbtrack.audits.overview import cached_svg_response, chart_url
from hsbtrack.extensions import db


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
        results = audits.agreed_many(overlaid)
        framework = audits.framework_of(latest)
        for domain in framework.domains:
            means = [results[a.id].domains[domain.number - 1].mean for a in overlaid]
            domain_rows.append({"domain": domain, "means": means})
        chart = chart_url(area, latest, overlaid)
    due_soon, overdue = actions.due_soon_and_overdue(area.id, reader=user)
    upcoming = [s for s in audits.schedule(area.id) if s.audit_id is None]
    return {
        "latest": latest,
        "overlaid": overlaid,
        "domain_rows": domain_rows,
        "radar_url": chart,
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
