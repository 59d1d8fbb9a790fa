"""The plugin administration pages, registered through the core's own hooks."""

from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    from hsbtrack.plugins.views import bp

    app.register_blueprint(bp)
