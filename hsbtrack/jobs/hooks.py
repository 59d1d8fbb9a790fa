"""Jobs, registered through the core's own hooks: the job page and API, the scans that work the queue and
purge expired files (run by the scheduler: embedded, or ``hsbtrack scheduler``), and ``hsbtrack jobs run``."""

import click
from flask.cli import AppGroup

from hsbtrack.jobs import api as jobs_api
from hsbtrack.jobs import services, views
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import ScheduledJob

POLL_SECONDS = 5  # how often the scheduler looks for queued jobs


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    api.register_blueprint(jobs_api.bp)


@hookimpl
def hsbtrack_scheduled_jobs():
    return [
        ScheduledJob(services.SCAN_NAME, services.work_queued, hours=POLL_SECONDS / 3600, order=5),
        ScheduledJob("core.jobs_purge", services.purge_expired, hours=1, order=50),
    ]


jobs_cli = AppGroup("jobs", help="Jobs: papers made off the request.")


@jobs_cli.command("run")
def run_command():
    """Run every queued job now, in this process (the scheduler does this by itself)."""
    click.echo(f"jobs run: {services.run_pending()}")


@hookimpl
def hsbtrack_cli(cli):
    cli.add_command(jobs_cli)
