from hsbtrack.frameworks.views import bp
from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(bp)
