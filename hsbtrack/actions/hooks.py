"""Action plans, registered through the core's own hooks."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from hsbtrack.actions import api as actions_api
from hsbtrack.actions import documents as action_documents  # noqa: F401  (registers the "action" kind of document)
from hsbtrack.actions import services, views
from hsbtrack.actions.demo import load_demo_actions
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services as audits
from hsbtrack.i18n import current_language
from hsbtrack.permissions import can
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import NavItem, ReportSection


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    api.register_blueprint(actions_api.bp)


@hookimpl
def hsbtrack_nav_items(area, user):
    # (shown only to those the page lets in: hsbtrack.views_support.area_nav_items)
    return [NavItem(_l("Action plan"), url_for("actions.plan", area_id=area.id), order=20,
                    active_prefix=f"/areas/{area.id}/actions")]


@hookimpl
def hsbtrack_report_sections(area, audit, user):
    """The board report's "What we did": the cycle's actions by statement, with each statement's
    change since the cycle before (provisional while the audit is open). Five queries at most,
    whatever the number of actions."""
    if not can(user, Perm.READ_ACTIONS, area.id):
        return []  # the report's readers may not all read the plan
    earlier = [a for a in audits.comparable_audits(audit) if a.cycle < audit.cycle]
    previous = earlier[-1] if earlier else None
    by_code = services.cycle_actions_by_statement(audit, previous, reader=user)
    framework = audits.framework_of(audit)
    results = audits.agreed_many([a for a in (previous, audit) if a is not None])
    lang = current_language()
    rows = []
    for statement in framework.scored_statements:
        if statement.code not in by_code:
            continue
        now = results[audit.id].by_code.get(statement.code)
        before = results[previous.id].by_code.get(statement.code) if previous is not None else None
        agreed, was = (now.agreed if now else None), (before.agreed if before else None)
        rows.append({"code": statement.code, "text": statement.text_for(lang), "actions": by_code[statement.code],
                     "previous": was, "agreed": agreed, "change": views.score_change(was, agreed)})
    provisional = audits.provisional_status([audit])[audit.id]
    return [ReportSection(_l("What we did"), "report-what-we-did", "actions/_report_what_we_did.html",
                          {"rows": rows, "audit": audit, "previous": previous, "provisional": provisional,
                           "statuses": services.status_labels(), "count": len({a.id for r in rows for a in r["actions"]})},
                          order=10)]


@hookimpl(tryfirst=True)
def hsbtrack_demo_data(area):
    # First after the audits demo (a wrapper around every demo), before the plugins' demos.

    load_demo_actions(area)
