from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.extensions import db
from hsbtrack.notifications import services
from hsbtrack.permissions import requires
from hsbtrack.views_support import is_safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@requires(Perm.SIGNED_IN)
def index():
    return render_template("notifications/index.html", notifications=services.recent(current_user))


@bp.route("/read", methods=["POST"])
@requires(Perm.SIGNED_IN)
def read_all():
    services.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@requires(Perm.SIGNED_IN)
def open_one(notification_id):
    note = services.mark_read(current_user, notification_id)
    if note is None:
        abort(404)
    return redirect(note.link if is_safe_next(note.link) else url_for("notifications.index"))


def register_header_count(app) -> None:
    """``unread_notifications()`` in templates: the signed-in user's unread count for the header
    (one query, made only when the layout asks, at most once per request)."""
    from flask import g
    from sqlalchemy.exc import SQLAlchemyError


    def unread_notifications() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        if "_unread_notifications" not in g:
            try:
                g._unread_notifications = services.unread_count(current_user)
            except SQLAlchemyError:  # an error page for a broken database must still render
                db.session.rollback()
                g._unread_notifications = 0
        return g._unread_notifications

    @app.context_processor
    def inject_unread_notifications():
        return {"unread_notifications": unread_notifications}
