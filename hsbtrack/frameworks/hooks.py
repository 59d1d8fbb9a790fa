from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    from hsbtrack.frameworks.views import bp

    app.register_blueprint(bp)
