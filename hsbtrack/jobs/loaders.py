"""How a ``job_id`` in a URL finds its job for the permission check (hsbtrack.permissions): the job's area
(or region), its kind's permission for what the route names (every job route names ``audit.read``, the
board report's; another kind maps it to its own through ``Target.permission_for``), and the job's wall:
only the person who asked for it, and administrators, see a job (it was made as them: it shows what they
may read). Anyone else — a board manager of the same area too — is answered 404."""

from hsbtrack.areas.roles import Perm
from hsbtrack.jobs import kinds, services
from hsbtrack.permissions import Target, record_loader


@record_loader("job_id")
def load_job(job_id):
    job = services.get_job(job_id)
    if job is None:
        return None
    kind = kinds.kind_named(job.kind)
    if kind is None:
        return None
    permission = kind.permission_for(job)
    mapping = None if permission == Perm.READ_AUDIT else {Perm.READ_AUDIT: permission}
    return Target(job, area_id=job.area_id, region_id=job.region_id,
                  visible=lambda user: services.may_download(job, user), permission_for=mapping)
