"""The action parts of the API."""

from hsbtrack.api.auth import api_blueprint

bp = api_blueprint("api_actions", __name__, "Actions, progress updates and the action plan")
