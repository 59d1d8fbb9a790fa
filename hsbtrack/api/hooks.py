"""The core API, registered through the core's own hooks."""

from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    from hsbtrack.api.core import bp

    api.register_blueprint(bp)
