"""The core's scans, declared through the core's own ``hsbtrack_scheduled_jobs`` hook."""

import signal
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from hsbtrack.notifications.views import bp, register_header_count
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import ScheduledJob
from hsbtrack.scheduler import api_tokens, jobs
from hsbtrack.scheduler.runner import build_scheduler, run_all


@hookimpl
def hsbtrack_scheduled_jobs():
    return [
        ScheduledJob("core.reaudits", jobs.scan_reaudits, hours=6, order=10),
        ScheduledJob("core.actions", jobs.scan_actions, hours=6, order=20),
        ScheduledJob("core.digests", jobs.send_digests, hours=6, order=30),
        ScheduledJob("core.returns", jobs.scan_returns, hours=6, order=15),
        ScheduledJob("core.api_tokens", api_tokens.scan_api_tokens, hours=6, order=40),
    ]


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit (cron-style)")
@with_appcontext
def scheduler_command(once):
    """Run the scheduler as its own process (production). Only one runs jobs at a time."""

    app = current_app._get_current_object()
    if once:
        results = run_all(app)
        if not results:
            click.echo("Another scheduler holds the lock: nothing ran.")
            return
        for name, result in results.items():
            click.echo(f"{name}: {result}")
        return
    click.echo("hsbtrack scheduler running (Ctrl+C to stop)")
    scheduler = build_scheduler(app, blocking=True)
    # A service manager stops it with SIGTERM: exit through ``finally`` so the lock is given back
    # at once (on SQLite a lock row left behind would hold the next scheduler off for minutes).
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        scheduler.hsbtrack_guard.release()


@hookimpl
def hsbtrack_cli(cli):
    cli.add_command(scheduler_command)


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(bp)
    register_header_count(app)
