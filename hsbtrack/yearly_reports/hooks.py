"""Yearly reports, registered through the core's own hooks: the pages and API, the area's menu item, the
region page's link (only where a region kind is offered), and the core's own kind: England's safeguarding
partnership yearly report (Working Together to Safeguard Children 2023: the safeguarding partners publish,
at least every 12 months, a report on what they did and how effective it was)."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hsbtrack.areas.roles import Perm
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.services import terminology
from hsbtrack.plugins.types import NarrativeSection, NavItem, YearlyReportKind
from hsbtrack.yearly_reports import api as yearly_api
from hsbtrack.yearly_reports import (
    files,  # noqa: F401  (registers the yearly_report.file job kind)
    services,
    views,
)
from hsbtrack.yearly_reports.drafts import assemble_england

ENGLAND = "england.yearly"


def england_kind() -> YearlyReportKind:
    return YearlyReportKind(
        ENGLAND, services.AREA, lambda: _("Safeguarding partnership yearly report"),
        sections=(
            NarrativeSection("summary", _l("Summary"),
                             _l("The year in a few paragraphs: what the partners set out to do, what they did and "
                                "what difference it made to children.")),
            NarrativeSection("what_we_did", _l("What we did"),
                             _l("What the safeguarding partners and the relevant agencies did in the period: the "
                                "audits, the actions taken on their findings, training, work with schools.")),
            NarrativeSection("effectiveness", _l("How effective it was"),
                             _l("How you know the arrangements worked: the change in the audit scores, actions "
                                "completed and still overdue, what children, families and practitioners said.")),
            NarrativeSection("learning", _l("Learning and priorities for next year"),
                             _l("What you learnt, including from reviews, and the priorities and actions for the "
                                "year ahead.")),
        ),
        assemble=assemble_england, draft_template="yearly_reports/_england_draft.html",
        read_permission=Perm.READ_AUDIT, write_permission=Perm.MANAGE_AREA, order=10, applies=is_a_partnership)


def is_a_partnership(area) -> bool:
    """England's report is offered where the area is a safeguarding partnership: not where a national variant's
    plugin names it otherwise (a Scottish Child Protection Committee self-evaluates with its own kind)."""
    return "partnership" not in terminology(area)


@hookimpl
def hsbtrack_yearly_report_kinds():
    return [england_kind()]


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    app.register_blueprint(views.region_bp)
    api.register_blueprint(yearly_api.bp)


@hookimpl
def hsbtrack_nav_items(area, user):
    # (shown only to those the page lets in: hsbtrack.views_support.area_nav_items)
    return [NavItem(_l("Yearly reports"), url_for("yearly_reports.index", area_id=area.id), order=35,
                    active_prefix=f"/areas/{area.id}/yearly-reports")]


@hookimpl
def hsbtrack_region_links(region, user):
    if not services.kinds_for(region) and not services.reports_for(region):
        return []  # (no region kind offered here: a Welsh board's annual report comes with its plugin)
    return [NavItem(_l("Yearly reports"), url_for("yearly_reports_region.index", region_id=region.id), order=30)]
