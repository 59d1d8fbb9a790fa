from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from hsbtrack.notifications import services
from hsbtrack.views_support import is_safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    return render_template("notifications/index.html", notifications=services.recent(current_user))


@bp.route("/read", methods=["POST"])
@login_required
def read_all():
    services.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id):
    note = services.mark_read(current_user, notification_id)
    if note is None:
        abort(404)
    return redirect(note.link if is_safe_next(note.link) else url_for("notifications.index"))
