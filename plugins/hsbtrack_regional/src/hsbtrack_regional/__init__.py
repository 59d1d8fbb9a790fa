"""Regional safeguarding board: A regional board over several areas (North Wales first): audits in step, roll-ups, a regional action plan, shared commissioning and the annual report."""

from pathlib import Path

import click
from flask import url_for
from flask_babel import lazy_gettext as _l

from hsbtrack.areas.roles import Perm
from hsbtrack.permissions import can
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import AuditSet, Evidence, NavItem, ScheduledJob, Widget
from hsbtrack.scheduler.jobs import local_day
from hsbtrack_regional import (
    archive,
    models,  # noqa: F401  (register the tables)
    yearly,
)
from hsbtrack_regional.demo import demo
from hsbtrack_regional.services import (
    COMMISSIONING_CODE,
    _day,
    area_names,
    arrangements_for_area,
    chase_reviews,
    preset_north_wales,
    regional_actions_for_area,
    round_audit_sets,
    rounds_for_region,
)
from hsbtrack_regional.services import remind_annual_report as remind
from hsbtrack_regional.views import admin_bp, area_bp, region_bp

from .bench import bench_pages, write_bench_data

PLUGIN = {
    "title": _l("Regional safeguarding board"),
    "description": _l("A regional board over several areas (North Wales first): audits in step, roll-ups, a regional action plan, shared commissioning and the annual report."),
}

HERE = Path(__file__).parent


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(area_bp)
    app.register_blueprint(region_bp)
    app.register_blueprint(admin_bp)


@click.group("regional")
def regional_cli():
    """Regional safeguarding board."""

@regional_cli.command("preset-north-wales")
def preset_north_wales_command():
    """Create the North Wales region, its six authorities and their partners (safe to run again)."""

    result = preset_north_wales()
    click.echo(f"Region {result.region.name} (id {result.region.id}): {len(result.created)} records created")
    for name in result.created:
        click.echo(f"  + {name}")


@hookimpl
def hsbtrack_cli(cli):
    cli.add_command(regional_cli)


def chase_commissioning_reviews(app, now):
    return chase_reviews(local_day(app, now))


def remind_annual_report(app, now):
    return remind(local_day(app, now))


@hookimpl
def hsbtrack_scheduled_jobs():
    return [ScheduledJob("regional.commissioning_reviews", chase_commissioning_reviews, hours=24),
            ScheduledJob("regional.annual_report", remind_annual_report, hours=24)]


@hookimpl
def hsbtrack_nav_items(area, user):
    if area.region_id is None:  # (who may open it: the core asks the page's own permission)
        return []
    return [NavItem(_l("Regional board"), url_for("regional.area_home", area_id=area.id), order=60,
                    active_prefix=f"/areas/{area.id}/regional/")]


@hookimpl
def hsbtrack_region_links(region, user):
    # The region's page links here (the core shows only those the user may open).
    links = [NavItem(_l("Regional board"), url_for("regional_region.home", region_id=region.id), order=10)]
    for order, round_ in enumerate(rounds_for_region(region.id), start=11):
        links.append(NavItem(_l("Roll-up of %(round)s: %(title)s", round=round_.label, title=round_.title),
                             url_for("regional_region.round_detail", region_id=region.id, round_id=round_.id),
                             order=order))
    links += [NavItem(_l("Regional action plan"), url_for("regional_region.actions", region_id=region.id), order=70),
              NavItem(_l("Shared commissioning"), url_for("regional_region.commissioning", region_id=region.id),
                      order=80)]
    # (the annual report and plan: the region's yearly reports, linked by the core)
    return links


@hookimpl
def hsbtrack_yearly_report_kinds():
    return yearly.kinds()  # the annual report and the annual plan (Social Services and Well-being (Wales) Act 2014)


@hookimpl
def hsbtrack_dashboard_widgets(area, user):
    if not can(user, Perm.READ_ACTIONS, area.id):
        return []
    rows = regional_actions_for_area(area.id)
    if not rows:
        return []
    return [Widget(_l("Regional actions"), "regional/widget.html",
                   {"rows": rows, "url": url_for("regional.area_home", area_id=area.id)}, order=40)]


@hookimpl
def hsbtrack_statement_evidence(area, audit, codes):
    from flask_babel import gettext as _


    if COMMISSIONING_CODE not in codes or area.region_id is None:
        return []
    rows = arrangements_for_area(area)
    if not rows:
        return []
    names = area_names(area.region_id)
    return [Evidence(COMMISSIONING_CODE, _("Shared commissioning: %(name)s", name=row.arrangement),
                     _("%(service)s, with %(partners)s. Cost share: %(share)s. From %(start)s, review due %(review)s.",
                       service=row.service, partners=", ".join(names.get(i, "?") for i in row.partner_area_ids),
                       share=row.cost_share or "–", start=_day(row.start_on), review=_day(row.review_on)),
                     order=50)
            for row in rows]


@hookimpl
def hsbtrack_shared_return_audit_sets(organisation):
    # Each regional round's audits, offered to a partner organisation to answer once (the core keeps those
    # of its linked areas that are open); rounds of the organisation's region, or of every region.
    return [AuditSet(f"regional:round:{round_.id}", round_.title, round_.framework, tuple(audit_ids), order=10)
            for round_, audit_ids in round_audit_sets(organisation.region_id)]


@hookimpl
def hsbtrack_demo_data(area):
    demo(area)


@hookimpl
def hsbtrack_bench_data(bench):
    write_bench_data(bench)


@hookimpl
def hsbtrack_bench_pages(data):
    return bench_pages(data)


@hookimpl
def hsbtrack_area_archive_types():
    # the links of the area's audits and actions to the region's rounds and actions (the region stays behind)
    return archive.archive_types()
