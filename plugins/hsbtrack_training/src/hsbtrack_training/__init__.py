"""Workforce training: Tiered workforce training: courses, completions, coverage, impact and supervision, as audit evidence."""

from pathlib import Path

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hsbtrack.areas.roles import Perm
from hsbtrack.permissions import can
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import DataBlock, NavItem, ScheduledJob, Widget

from . import api as training_api
from . import (
    archive,
    models,  # noqa: F401  (register the tables)
    privacy,
)
from .bench import IMPORT_BUDGET, benchmark_row, write_bench_data
from .cli import training_cli
from .demo import load
from .evidence import statement_evidence
from .reminders import send_refresher_reminders
from .services import coverage, reach_in_period
from .views import bp

PLUGIN = {
    "title": _l("Workforce training"),
    "description": _l("Tiered workforce training: courses, completions, coverage, impact and supervision, as audit evidence."),
}

HERE = Path(__file__).parent


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(bp)
    api.register_blueprint(training_api.bp)


@hookimpl
def hsbtrack_cli(cli):
    cli.add_command(training_cli)


@hookimpl
def hsbtrack_nav_items(area, user):
    # (the core shows it only to those the page lets in: a school lead or a case worker does not see it)
    return [NavItem(_l("Training"), url_for("training.home", area_id=area.id), order=60,
                    active_prefix=f"/areas/{area.id}/training/")]


@hookimpl
def hsbtrack_statement_evidence(area, audit, codes):
    return statement_evidence(area, codes)


@hookimpl
def hsbtrack_scheduled_jobs():
    return [ScheduledJob("training.refreshers", send_refresher_reminders, hours=24, order=60)]


@hookimpl
def hsbtrack_demo_data(area):
    load(area)


@hookimpl
def hsbtrack_dashboard_widgets(area, user):
    if not can(user, Perm.READ_TRAINING, area.id):
        return []
    return [Widget(_l("Workforce training"), "training/widget.html",
                   {"coverage": coverage(area), "url": url_for("training.coverage", area_id=area.id)}, order=60)]


@hookimpl
def hsbtrack_benchmarks(scale, settings):
    rows = int(settings.get("training.import_rows") or max(1_000, round(100_000 * scale)))
    budget = float(settings.get("training.import_budget") or IMPORT_BUDGET)
    return [lambda: benchmark_row(rows, budget)]


@hookimpl
def hsbtrack_bench_data(bench):
    write_bench_data(bench)


@hookimpl
def hsbtrack_yearly_report_data(area, period_start, period_end, user):
    """Training reach by tier in the period, for the yearly report (readers of training records only)."""
    if not can(user, Perm.READ_TRAINING, area.id):
        return []
    rows = reach_in_period(area, period_start, period_end)
    total = sum(r["completions"] for r in rows)
    return [DataBlock(_l("Training reach"), "training-reach",
                      paragraphs=(_("People who completed HSB training in the period, by tier: each person counts "
                                    "once in a tier. %(n)d completions in all.", n=total),),
                      columns=(_("Tier"), _("People trained"), _("Completions")),
                      rows=tuple((f"{r['tier']}. {r['name']}", str(r["people"]), str(r["completions"])) for r in rows),
                      numeric=(1, 2), order=40)]


@hookimpl
def hsbtrack_area_archive_types():
    return archive.archive_types()  # the area's training records travel with its archive


@hookimpl
def hsbtrack_personal_data(user):
    return privacy.personal_data(user)  # training records matched by the work email address


@hookimpl
def hsbtrack_erase_person(user, replacement):
    return privacy.erase_person(user, replacement)


@hookimpl
def hsbtrack_retention_rules():
    return privacy.retention_rules()  # records of people who left, 3 years after by default
