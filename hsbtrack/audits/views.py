"""Audit pages: the list, opening an audit, its home (progress), the scoring pages, closing."""

from flask import Blueprint

bp = Blueprint("audits", __name__)


@bp.route("/areas/<int:area_id>/audits/")
def index(area_id):
    """Placeholder until the audit pages land."""
    from flask import abort

    abort(404)
