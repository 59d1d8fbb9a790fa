"""The dashboard, registered through the core's own hooks."""

from hsbtrack.dashboard import api as dashboard_api
from hsbtrack.dashboard import (
    inspection_pack,  # (the job kind area.inspection_pack and its page)
    views,  # (views import the app's features: loaded when the app is built)
)
from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    app.register_blueprint(inspection_pack.bp)  # the inspection pack (a job kind too)
    api.register_blueprint(dashboard_api.bp)
