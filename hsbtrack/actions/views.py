"""Action plan pages: the plan, an action, findings to actions, my actions."""

from flask import Blueprint, abort

bp = Blueprint("actions", __name__)


@bp.route("/areas/<int:area_id>/actions/")
def plan(area_id):
    abort(404)  # placeholder until the pages land


@bp.route("/areas/<int:area_id>/actions/<int:action_id>")
def detail(area_id, action_id):
    abort(404)


@bp.route("/my-actions")
def mine():
    abort(404)
