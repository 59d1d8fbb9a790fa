"""hsbtrack: the NSPCC Harmful sexual behaviour framework audit, action plans and re-audits."""

from hsbtrack.version import __version__  # noqa: F401  (hsbtrack.__version__)


def create_app(config=None, plugins=None):
    """Build the Flask application. See :func:`hsbtrack.app.create_app`."""
    # (here, not at the top: importing any hsbtrack module must not build the whole app stack)
    from hsbtrack.app import create_app as _create_app

    return _create_app(config=config, plugins=plugins)
