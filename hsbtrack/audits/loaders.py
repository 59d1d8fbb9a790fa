"""How the audit URLs' records are found for the permission check (see hsbtrack.permissions)."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hsbtrack.audits.models import Audit
from hsbtrack.extensions import db
from hsbtrack.permissions import Target, record_loader


@record_loader("audit_id")
def load_audit(audit_id):
    audit = db.session.scalar(select(Audit).where(Audit.id == audit_id).options(joinedload(Audit.previous)))
    return Target(audit, area_id=audit.area_id) if audit is not None else None
