"""Beyond Referrals schools: Beyond Referrals: school self-assessments of the response to harmful sexual behaviour, and the multi-agency checklist."""

from pathlib import Path

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hsbtrack.areas.roles import Perm, Permission, Role
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import DataBlock, NavItem, Widget

from . import api as schools_api
from . import archive, privacy, services
from .services import ASSESS, ROLE, demo, evidence
from .views import bp

PLUGIN = {
    "title": _l("Beyond Referrals schools"),
    "description": _l("Beyond Referrals: school self-assessments of the response to harmful sexual behaviour, and the multi-agency checklist."),
}

HERE = Path(__file__).parent

from . import models  # noqa: E402,F401  (the tables are on the metadata before migrations and tests run)


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(bp)
    api.register_blueprint(schools_api.bp)


@hookimpl
def hsbtrack_roles():
    # A school lead sees its own school's checklist and scorecard, nothing of the audit or the plan
    # (area.view is the area's home, which sends them on to their schools).
    return [Permission(ASSESS, _l("Assess your own school (self-assessment and scorecard)"), reveals=Perm.VIEW_AREA,
                       implied_by=frozenset({Perm.MANAGE_AREA})),
            Role(ROLE, _l("School lead"), permissions=frozenset({Perm.VIEW_AREA, ASSESS}), order=60)]


@hookimpl
def hsbtrack_nav_items(area, user):
    from flask import url_for


    url = url_for("schools.home", area_id=area.id)
    return [NavItem(_l("Schools"), url, order=60, active_prefix=url)]


@hookimpl
def hsbtrack_dashboard_widgets(area, user):
    if not services.can_view_all(user, area):
        return []
    return [Widget(_l("Schools' self-assessments"), "schools/widget.html", {"data": services.rollup(area)}, order=60)]


@hookimpl
def hsbtrack_statement_evidence(area, audit, codes):
    return evidence(area, codes)


@hookimpl
def hsbtrack_demo_data(area):
    demo(area)


@hookimpl
def hsbtrack_yearly_report_data(area, period_start, period_end, user):
    """Schools' self-assessments completed in the period, for the yearly report (readers of every school's)."""
    if not services.can_view_all(user, area):
        return []
    done = services.completed_in_period(area, period_start, period_end)
    labels = services.rating_labels()
    rows = tuple((d["school"].name, format_date(d["completed_on"], "d MMMM yyyy"), str(d["counts"]["green"]),
                  str(d["counts"]["amber"]), str(d["counts"]["red"])) for d in done)
    paragraph = (ngettext("%(num)d school completed a self-assessment in the period.",
                          "%(num)d schools completed a self-assessment in the period.", len(done)) if done else
                 _("No school completed a self-assessment in the period."))
    return [DataBlock(_l("Schools' self-assessments"), "schools-self-assessments", paragraphs=(paragraph,),
                      columns=(_("School"), _("Date completed"), str(labels["green"]), str(labels["amber"]),
                               str(labels["red"])),
                      rows=rows, numeric=(2, 3, 4), order=50)]


@hookimpl
def hsbtrack_area_archive_types():
    return archive.archive_types()  # the area's schools' records travel with its archive


@hookimpl
def hsbtrack_personal_data(user):
    return privacy.personal_data(user)  # the schools they lead, or are the DSL of (by email)


@hookimpl
def hsbtrack_erase_person(user, replacement):
    return privacy.erase_person(user, replacement)
