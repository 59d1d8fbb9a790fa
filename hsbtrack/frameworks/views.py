from flask import Blueprint, abort, current_app, render_template
from flask_babel import get_locale

from hsbtrack.areas.roles import Perm
from hsbtrack.permissions import requires

bp = Blueprint("frameworks", __name__, url_prefix="/frameworks")


def catalogue():
    return current_app.extensions["hsbtrack_catalogue"]


@bp.route("/")
@requires(Perm.SIGNED_IN)
def index():
    return render_template("frameworks/index.html", frameworks=catalogue().all())


@bp.route("/<slug>")
@requires(Perm.SIGNED_IN)
def detail(slug):
    try:
        framework = catalogue().get(slug)
    except KeyError:
        abort(404)
    return render_template("frameworks/detail.html", framework=framework, lang=str(get_locale()))
