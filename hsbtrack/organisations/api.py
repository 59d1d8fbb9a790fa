"""Partner organisations and shared returns in the API (issue 20).

``POST /organisations``, ``POST /organisations/<id>/areas`` and ``POST /organisations/<id>/members`` are
for administrators; ``GET /organisations/<id>/returns``, ``POST /organisations/<id>/returns`` and the
shared return's answers and exceptions for the organisation's leads. An organisation's records answer
404 to anyone else."""

import marshmallow as ma

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.api.schemas import Count, Id, Text, UtcDateTime
from hsbtrack.areas.roles import Perm
from hsbtrack.audits.api import ResponseInSchema
from hsbtrack.organisations import (
    loaders,  # noqa: F401  (the organisation_id and shared_return_id loaders)
    services,
)
from hsbtrack.permissions import loaded, requires

bp = api_blueprint("api_organisations", __name__,
                   "Partner organisations serving several areas, and their shared returns (answered once)")


class OrganisationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True)
    name_cy = ma.fields.String(allow_none=True, load_default=None, metadata={"description": "Welsh name, if any"})
    region_id = Id(allow_none=True, load_default=None)


class OrganisationLinkInSchema(ma.Schema):
    area_id = Id(required=True)
    agency_id = Id(allow_none=True, load_default=None, metadata={
        "description": "The area's existing agency to link (it keeps its history); left out: the area's agency "
                       "of the organisation's name, made if it has none"})


class OrganisationLinkSchema(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    agency_id = ma.fields.Integer()


class OrganisationMemberInSchema(ma.Schema):
    email = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={
        "description": "organisation_lead (answers the shared returns) or organisation_senior_officer (signs them off)"})
    name = ma.fields.String(load_default="")


class OrganisationMemberSchema(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    email = ma.fields.String()
    role = ma.fields.String()
    created_user = ma.fields.Boolean()


class SharedReturnAuditSchema(ma.Schema):
    audit_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    agency_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "open or closed (a closed audit receives no more answers)"})


class SharedReturnSchema(ma.Schema):
    id = ma.fields.Integer()
    framework = ma.fields.String()
    title = ma.fields.String()
    source_key = ma.fields.String()
    submitted_at = UtcDateTime(allow_none=True)
    signed_off_at = UtcDateTime(allow_none=True)
    scored = ma.fields.Integer()
    total = ma.fields.Integer()
    audits = ma.fields.List(ma.fields.Nested(SharedReturnAuditSchema))


class SharedAuditSetSchema(ma.Schema):
    key = ma.fields.String()
    title = ma.fields.String()
    framework = ma.fields.String()
    audit_ids = ma.fields.List(ma.fields.Integer())


class SharedReturnsSchema(ma.Schema):
    returns = ma.fields.List(ma.fields.Nested(SharedReturnSchema))
    offered = ma.fields.List(ma.fields.Nested(SharedAuditSetSchema), metadata={
        "description": "Sets of open audits the organisation may answer once (POST them to open a return)"})


class SharedReturnInSchema(ma.Schema):
    audit_ids = ma.fields.List(Id(), required=True)
    title = ma.fields.String(load_default="")
    source_key = ma.fields.String(load_default="chosen")


class SharedResponseInSchema(ResponseInSchema):
    """The same body as an agency's own answer (score, evidence, assurance, version): one definition."""


class SharedResponseSchema(ma.Schema):
    shared_return_id = ma.fields.Integer()
    code = ma.fields.String()
    score = ma.fields.Integer(allow_none=True)
    evidence = Text()
    assurance = Text()
    version = Count(metadata={"description": "0 before the first answer"})
    updated_at = UtcDateTime(allow_none=True)


class SharedExceptionInSchema(ma.Schema):
    score = ma.fields.Raw(allow_none=True, metadata={"type": "integer", "nullable": True})
    evidence = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why this area's answer differs (required)"})
    version = ma.fields.Integer(allow_none=True, strict=True)


class SharedExceptionSchema(ma.Schema):
    shared_return_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    code = ma.fields.String()
    score = ma.fields.Integer(allow_none=True)
    evidence = Text()
    reason = Text()
    version = Count()


def _version(value):
    return None if value is None else str(value)


def return_out(shared_return) -> dict:
    done = services.progress(shared_return)
    return {"id": shared_return.id, "framework": shared_return.framework, "title": shared_return.title,
            "source_key": shared_return.source_key, "submitted_at": shared_return.submitted_at,
            "signed_off_at": shared_return.signed_off_at, **done,
            "audits": [{"audit_id": audit.id, "area_id": area.id, "agency_id": agency_id, "status": audit.status}
                       for audit, area, agency_id in services.return_audits(shared_return)]}


@bp.post("/organisations")
@requires(Perm.ADMIN)
@bp.arguments(OrganisationSchema)
@bp.response(201, OrganisationSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_organisation(data):
    """Add a partner organisation serving several areas (administrators)."""
    return services.create_organisation(data["name"], data.get("name_cy"), data.get("region_id"),
                                        user=current_api_user())


@bp.post("/organisations/<int:organisation_id>/areas")
@requires(Perm.ADMIN)
@bp.arguments(OrganisationLinkInSchema)
@bp.response(201, OrganisationLinkSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def link_area(data, organisation_id):
    """Link an area: the given agency of it, or the area's agency of the organisation's name (made if
    missing). The organisation's leads then hold their role there for that agency."""
    return services.link_area(loaded("organisation_id"), data["area_id"], data.get("agency_id"),
                              user=current_api_user())


@bp.post("/organisations/<int:organisation_id>/members")
@requires(Perm.ADMIN)
@bp.arguments(OrganisationMemberInSchema)
@bp.response(201, OrganisationMemberSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def add_member(data, organisation_id):
    """Give someone (created if new) the ``organisation_lead`` role on the organisation."""
    member, user, created = services.add_member(loaded("organisation_id"), data["email"], data["role"],
                                                data.get("name", ""), user=current_api_user())
    return {"id": member.id, "organisation_id": member.organisation_id, "user_id": user.id, "email": user.email,
            "role": member.role, "created_user": created}


@bp.get("/organisations/<int:organisation_id>/returns")
@requires(Perm.SIGNED_IN)
@bp.response(200, SharedReturnsSchema)
@bp.alt_response(404, response="NOT_FOUND")
def list_returns(organisation_id):
    """The organisation's shared returns with their audits, and the sets of open audits it may answer once.
    Its leads and administrators only."""
    organisation = loaded("organisation_id")
    return {"returns": [return_out(r) for r in services.shared_returns(organisation)],
            "offered": [{"key": s.key, "title": str(s.title), "framework": s.framework, "audit_ids": s.audit_ids}
                        for s in services.offered_audit_sets(organisation)]}


@bp.post("/organisations/<int:organisation_id>/returns")
@requires(Perm.SIGNED_IN)
@bp.arguments(SharedReturnInSchema)
@bp.response(201, SharedReturnSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def open_return(data, organisation_id):
    """Open a shared return for a set of open audits of one framework (one per linked area)."""
    row = services.open_shared_return(loaded("organisation_id"), data["audit_ids"], data.get("title"),
                                      data.get("source_key") or "chosen", user=current_api_user())
    return return_out(row)


@bp.put("/shared-returns/<int:shared_return_id>/responses/<code>")
@requires(Perm.SIGNED_IN)
@bp.arguments(SharedResponseInSchema)
@bp.response(200, SharedResponseSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def put_shared_response(data, shared_return_id, code):
    """The organisation's answer to a statement, written as its agency's response in every linked open
    audit (except the areas with an exception for it). Fields left out keep their value; send the
    ``version`` you read to be told (409) when someone changed it meanwhile."""
    fields = tuple(name for name in ("score", "evidence", "assurance") if name in data)
    return services.save_shared_response(loaded("shared_return_id"), code, score=data.get("score"),
                                         evidence=data.get("evidence"), assurance=data.get("assurance"),
                                         user=current_api_user(), expected_version=_version(data.get("version")),
                                         fields=fields)


@bp.put("/shared-returns/<int:shared_return_id>/responses/<code>/areas/<int:area_id>")
@requires(Perm.SIGNED_IN)
@bp.arguments(SharedExceptionInSchema)
@bp.response(200, SharedExceptionSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def put_exception(data, shared_return_id, code, area_id):
    """An exception: this area's own score and evidence for the statement, with a reason (required)."""
    return services.set_exception(loaded("shared_return_id"), area_id, code, score=data.get("score"),
                                  evidence=data.get("evidence"), reason=data.get("reason"), user=current_api_user(),
                                  expected_version=_version(data.get("version")))


@bp.delete("/shared-returns/<int:shared_return_id>/responses/<code>/areas/<int:area_id>")
@requires(Perm.SIGNED_IN)
@bp.response(204)
@bp.alt_response(404, response="NOT_FOUND")
def delete_exception(shared_return_id, code, area_id):
    """Remove the exception: the area follows the shared answer again."""
    services.remove_exception(loaded("shared_return_id"), area_id, code, user=current_api_user())


@bp.delete("/organisations/<int:organisation_id>/members/<int:user_id>")
@requires(Perm.ADMIN)
@bp.response(204)
@bp.alt_response(404, response="NOT_FOUND")
def remove_member(organisation_id, user_id):
    """Remove someone's roles on the organisation, and those made for it in its linked areas (their last
    role gone: tokens revoked, sessions ended)."""
    services.remove_member(loaded("organisation_id"), user_id, user=current_api_user())


@bp.delete("/organisations/<int:organisation_id>/areas/<int:area_id>")
@requires(Perm.ADMIN)
@bp.response(204)
@bp.alt_response(404, response="NOT_FOUND")
def unlink_area(organisation_id, area_id):
    """Unlink an area: shared answers stop reaching it; its existing answers stay as its agency's own (their
    ``source`` still says they came from the shared return)."""
    services.unlink_area(loaded("organisation_id"), area_id, user=current_api_user())


@bp.post("/shared-returns/<int:shared_return_id>/sign-off")
@requires(Perm.SIGNED_IN)
@bp.response(200, SharedReturnSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def sign_off(shared_return_id):
    """A senior officer of the organisation signs the submitted shared return off, once for every linked
    open audit whose area asks for sign-off. A later change to the shared answers withdraws it."""
    return return_out(services.sign_off_shared_return(loaded("shared_return_id"), user=current_api_user()))


@bp.post("/shared-returns/<int:shared_return_id>/submit")
@requires(Perm.SIGNED_IN)
@bp.response(200, SharedReturnSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def submit(shared_return_id):
    """The organisation's leads submit the shared return once: its agency's return in every linked open audit
    (every statement must be scored)."""
    return return_out(services.submit_shared_return(loaded("shared_return_id"), user=current_api_user()))
