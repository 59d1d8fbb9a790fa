"""The plugin administration pages, registered through the core's own hooks."""

from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.views import bp


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(bp)
