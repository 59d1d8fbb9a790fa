"""A small plugin that lives in the tests and implements every hook, to prove each one works.

It keeps notes per area (table ``example_notes``, its own migration branch), adds a page under
``/areas/<id>/example/``, a menu item, a dashboard widget, evidence for statement 1.1, a role, a
CLI command, a scheduled job, a settings form, terminology and a record-saved listener.
"""

from pathlib import Path

import click
from flask import render_template, url_for
from wtforms import IntegerField
from wtforms.validators import NumberRange

from hsbtrack.areas.roles import Perm, Permission, Role
from hsbtrack.forms import FlaskForm, GovSubmitInput, GovTextInput, SubmitField
from hsbtrack.permissions import requires
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.blueprints import area_plugin_blueprint
from hsbtrack.plugins.types import (
    DataBlock,
    Evidence,
    NarrativeSection,
    NavItem,
    PersonalData,
    ReportSection,
    RetentionRule,
    ScanVerdict,
    ScheduledJob,
    Widget,
    YearlyReportKind,
)

PLUGIN = {"title": "Example plugin", "version": "1.2.3", "description": "Proves every hook in the tests."}

HERE = Path(__file__).parent
saved_events = []  # (area id, change kind) seen by hsbtrack_record_saved
job_runs = []

bp = area_plugin_blueprint("example", __name__)


@bp.route("/")
@requires(Perm.VIEW_AREA)
def home():
    from sqlalchemy import select

    from hsbtrack.extensions import db
    from hsbtrack.views_support import current_area
    from tests.example_plugin.models import ExampleNote

    notes = db.session.scalars(select(ExampleNote).where(ExampleNote.area_id == current_area().id)).all()
    return render_template("example/home.html", notes=notes)


class ExampleSettings(FlaskForm):
    review_days = IntegerField("Review every (days)", widget=GovTextInput(),
                               validators=[NumberRange(min=1, max=365, message="Enter a number from 1 to 365")])
    submit = SubmitField("Save", widget=GovSubmitInput())


def run_job(app, now):
    job_runs.append(now)


@hookimpl
def hsbtrack_load_blueprints(app, api):
    from tests.example_plugin import models  # noqa: F401  (register the table)

    app.register_blueprint(bp)


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]


@click.command("example-hello")
def hello_command():
    """Say hello (proves the CLI hook)."""
    click.echo("hello from the example plugin")


@hookimpl
def hsbtrack_cli(cli):
    cli.add_command(hello_command)


@hookimpl
def hsbtrack_roles():
    return [Permission("example.notes", "Keep the example plugin's notes"),
            Role("example_role", "Example role", permissions=frozenset({Perm.VIEW_AREA, "example.notes"}), order=90)]


@hookimpl
def hsbtrack_frameworks():
    return [HERE / "mini-framework.yaml"]


@hookimpl
def hsbtrack_scheduled_jobs():
    return [ScheduledJob("example.job", run_job, hours=1)]


@hookimpl
def hsbtrack_settings_form(area):
    return ExampleSettings


@hookimpl
def hsbtrack_nav_items(area, user):
    return [NavItem("Example", url_for("example.home", area_id=area.id), order=50)]


@hookimpl
def hsbtrack_region_links(region, user):
    # the second one only administrators may open: the region page leaves it out for others
    return [NavItem("Example region link", url_for("plugins.region_plugins", region_id=region.id), order=20),
            NavItem("Example admin link", url_for("admin.index"), order=30)]


@hookimpl
def hsbtrack_dashboard_widgets(area, user):
    return [Widget("Example widget", "example/widget.html", {"greeting": f"Hello {user.email}"}, order=10)]


@hookimpl
def hsbtrack_report_sections(area, audit, user):
    return [ReportSection("Example report section", "example-report", "example/report.html",
                          {"greeting": f"Report on {audit.label}"}, order=90)]


@hookimpl
def hsbtrack_statement_evidence(area, audit, codes):
    if "1.1" in codes:
        return [Evidence("1.1", "Example evidence", "3 example records support 1.1")]
    return []


@hookimpl
def hsbtrack_terminology(area):
    return {"partnership": "example committee", "Partnership": "Example committee"}


@hookimpl
def hsbtrack_record_saved(area, record, change):
    saved_events.append((area.id, change.kind))


@hookimpl
def hsbtrack_demo_data(area):
    pass


@hookimpl
def hsbtrack_benchmarks(scale, settings):
    return []


@hookimpl
def hsbtrack_bench_data(bench):
    pass


@hookimpl
def hsbtrack_bench_pages(data):
    return []


@hookimpl
def hsbtrack_scan_document(open_stream, filename, content_type, size):
    # by name only, so that every other upload of the suite costs nothing more
    if filename == "example-virus.txt":
        return ScanVerdict(found="Example.Plugin.Virus", scanner="example")
    return None


def assemble_example_region_report(report, user):
    """The example region kind's data draft: the number of member areas."""
    return {"heading": "Example figures", "areas": len(report.region.areas)}


@hookimpl
def hsbtrack_yearly_report_kinds():
    return [YearlyReportKind("example.regional", "region", lambda: "Example regional report",
                             sections=(NarrativeSection("summary", "Summary", "The region's year"),),
                             assemble=assemble_example_region_report, draft_template="example/yearly_draft.html",
                             read_permission=Perm.VIEW_REGION, write_permission=Perm.MANAGE_REGION)]


@hookimpl
def hsbtrack_yearly_report_data(area, period_start, period_end, user):
    return [DataBlock("Example notes", "example-notes", paragraphs=("Example paragraph.",),
                      columns=("Example kind", "Example count"), rows=(("Example row", "0"),), numeric=(1,))]


@hookimpl
def hsbtrack_shared_return_audit_sets(organisation):
    return []  # (offers no set of audits to partner organisations)


@hookimpl
def hsbtrack_area_archive_types():
    # the example plugin's notes travel with their area's archive (tests/area_archive)
    from hsbtrack.area_archive.rows import model_type
    from hsbtrack.area_archive.schema import col, key, ref

    from .models import ExampleNote

    return [model_type("example.notes", ExampleNote, (key(), ref("area_id", "area"), col("text", "text", "the note")),
                       lambda area: ExampleNote.area_id == area.id, title="The example plugin's notes.")]


@hookimpl
def hsbtrack_personal_data(user):
    # (the example plugin's notes name no one: it holds nothing about a person)
    return [PersonalData("example.notes", "Example notes", columns=(("note", "Note"),), rows=())]


@hookimpl
def hsbtrack_erase_person(user, replacement):
    return [("example notes", 0)]


@hookimpl
def hsbtrack_retention_rules():
    return [RetentionRule("example.notes", "Example notes", "never", "Example notes, never deleted",
                          due=lambda cutoff: [], delete=lambda keys: [])]
