"""The core API, registered through the core's own hooks."""

from hsbtrack.api.core import bp
from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    api.register_blueprint(bp)
