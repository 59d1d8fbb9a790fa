"""The audit parts of the API: audits, responses, scores, moderation, close, schedule, radar, exports."""

from hsbtrack.api.auth import api_blueprint

bp = api_blueprint("api_audits", __name__, "Audits, responses, agreed scores, schedule, graphs and exports")
