"""The job page (progress, then the download link) and the download of its file."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _

from hsbtrack.areas.roles import Perm
from hsbtrack.jobs import (
    kinds,
    loaders,  # noqa: F401  (the job_id loader)
    services,
)
from hsbtrack.jobs.models import DONE, FAILED, QUEUED
from hsbtrack.permissions import current_actor, loaded, requires
from hsbtrack.storage import storage
from hsbtrack.views_support import set_current_area

bp = Blueprint("jobs", __name__)


def status_text(job) -> str:
    status = services.shown_status(job)
    if status == QUEUED:
        return _("Waiting to start")
    if status == FAILED:
        return _("It did not finish")
    if status == DONE:
        return _("This file has expired") if services.is_expired(job) else _("Ready")
    return _("Being made: %(percent)d%% done", percent=job.progress)


@bp.route("/jobs/<int:job_id>")
@requires(Perm.READ_AUDIT)
def detail(job_id):
    job = loaded("job_id")
    if job.area is not None:
        set_current_area(job.area)
    kind = kinds.kind_named(job.kind)
    status = services.shown_status(job)
    return render_template("jobs/job.html", job=job, title=kind.title(job), status=status,
                           status_text=status_text(job), ready=services.download_ready(job),
                           expired=services.is_expired(job), again=services.may_run_again(job),
                           back=kind.back(job) if kind.back else None,
                           working=status in (QUEUED, "running"))


@bp.route("/jobs/<int:job_id>/download")
@requires(Perm.READ_AUDIT)
def download(job_id):
    job = loaded("job_id")
    if not services.download_ready(job):
        abort(404)
    return storage().download_response(job.result_key, job.result_filename, job.result_content_type)


@bp.route("/jobs/<int:job_id>/again", methods=["POST"])
@requires(Perm.READ_AUDIT)
def again(job_id):
    job = loaded("job_id")
    if not services.may_run_again(job):
        return redirect(url_for("jobs.detail", job_id=job.id))
    new = services.run_again(job, current_actor())
    return redirect(url_for("jobs.detail", job_id=new.id))
