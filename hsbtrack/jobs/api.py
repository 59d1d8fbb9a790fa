"""The jobs in the API: ``GET /api/v1/jobs/<id>`` (how far it is, and where to download its file when
ready). Features answer their own ``POST`` that starts a job with :func:`job_out` (202)."""

import marshmallow as ma
from flask import url_for

from hsbtrack.api.auth import api_blueprint
from hsbtrack.api.schemas import Id
from hsbtrack.areas.roles import Perm
from hsbtrack.jobs import (
    loaders,  # noqa: F401  (the job_id loader)
    services,
)
from hsbtrack.jobs.models import STATUSES
from hsbtrack.permissions import loaded, requires

bp = api_blueprint("api_jobs", __name__, "Jobs: papers made off the request, their progress and their files")


class JobSchema(ma.Schema):
    id = Id()
    kind = ma.fields.String(metadata={"description": "What the job makes, e.g. audit.report"})
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES), metadata={
        "description": "queued, running, done or failed (a job whose runner stopped is failed: start it again)"})
    progress = ma.fields.Integer(metadata={"description": "0 to 100"})
    download_url = ma.fields.String(allow_none=True, metadata={
        "description": "Where to download the file, once done (until it expires); only for the person who "
                       "asked (and administrators)"})
    expired = ma.fields.Boolean(metadata={"description": "Done, but its file has expired"})


def job_out(job) -> dict:
    ready = services.download_ready(job)
    return {"id": job.id, "kind": job.kind, "status": services.shown_status(job), "progress": job.progress,
            "download_url": url_for("jobs.download", job_id=job.id) if ready else None,
            "expired": services.is_expired(job)}


@bp.get("/jobs/<int:job_id>")
@requires(Perm.READ_AUDIT)
@bp.response(200, JobSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_job(job_id):
    """How far a job is; ``download_url`` once its file is ready. Only the person who asked for the job
    (and administrators) see it: it was made as them."""
    return job_out(loaded("job_id"))
