"""The privacy feature registering itself through the plugin hooks, as a plugin would: its pages, the
``core.retention`` scan, the core's retention rules and the core's part of a subject access export."""

from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import ScheduledJob
from hsbtrack.privacy import (
    models,  # noqa: F401  (register the tables)
    retention,
    subject_access,
)
from hsbtrack.privacy.views import bp


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(bp)


@hookimpl
def hsbtrack_scheduled_jobs():
    return [ScheduledJob("core.retention", retention.scan_retention, hours=24, order=60)]


@hookimpl
def hsbtrack_retention_rules():
    return retention.core_rules()


@hookimpl
def hsbtrack_personal_data(user):
    return subject_access.core_parts(user)
