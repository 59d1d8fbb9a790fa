"""The dashboard, registered through the core's own hooks."""

from hsbtrack.dashboard import views  # (views import the app's features: loaded when the app is built)
from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
