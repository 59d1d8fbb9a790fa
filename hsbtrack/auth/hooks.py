"""The accounts feature, registered through the core's own hooks."""

from hsbtrack.auth import session_timeout, sso_admin, sso_views
from hsbtrack.auth.views import bp
from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(bp)
    app.register_blueprint(sso_views.bp)
    app.register_blueprint(sso_admin.bp)
    session_timeout.init_app(app)
