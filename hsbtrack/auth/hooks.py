"""The accounts feature, registered through the core's own hooks."""

from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    from hsbtrack.auth import session_timeout
    from hsbtrack.auth.views import bp

    app.register_blueprint(bp)
    session_timeout.init_app(app)
