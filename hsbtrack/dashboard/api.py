"""The dashboard's part of the API: ``POST /api/v1/areas/<id>/inspection-pack`` starts an area's inspection
pack (:mod:`hsbtrack.dashboard.inspection_pack`), a job followed through ``GET /api/v1/jobs/<id>``."""

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.dashboard import inspection_pack
from hsbtrack.jobs.api import JobSchema, job_out
from hsbtrack.permissions import loaded, requires

bp = api_blueprint("api_dashboard", __name__, "The area's papers: the inspection pack")


@bp.post("/areas/<int:area_id>/inspection-pack")
@requires(inspection_pack.PERMISSION)
@bp.response(202, JobSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def start_inspection_pack(area_id):
    """Start making the area's inspection pack (a ZIP: board reports as PDF, audit exports, evidence indexes,
    the action plan, the documents, and an index of every file), off the request: answers the job; follow
    ``GET /jobs/<id>`` until ``download_url`` is there. Made as the caller (it holds what they may read);
    only they may download it. Needs every agency's responses and the action plan: board managers."""
    return job_out(inspection_pack.start_pack(loaded("area_id"), current_api_user()))
