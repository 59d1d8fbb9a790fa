"""The action parts of the API: the action plan, actions, progress updates, findings to actions.

Thin: every rule lives in :mod:`hsbtrack.actions.services`; this module parses, checks who may
do what (the same rules as the pages) and serialises. Values the service validates (dates,
statements, owners, statuses, progress) are taken as they come (``Raw``) so that a bad one gets
the service's own message in ``fields``. Checks that depend only on the URL run before the body is
parsed: an action or audit of an area the caller cannot see answers 404, never 422.
"""


import marshmallow as ma
from flask import abort, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hsbtrack.actions import documents as action_documents
from hsbtrack.actions import (
    loaders,  # noqa: F401  (the action_id loader)
    services,
)
from hsbtrack.actions.models import STATUSES, Action, ActionUpdate
from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.api.errors import conflict_shows
from hsbtrack.api.schemas import Count, Id, Text, UtcDateTime
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.audits.services import DEFAULT_FRAMEWORK, get_audit
from hsbtrack.auth.models import User
from hsbtrack.auth.services import normalise_email
from hsbtrack.documents.api import DocumentFormSchema, DocumentSchema, FileInSchema
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.permissions import loaded, requires
from hsbtrack.storage.limits import takes_documents
from hsbtrack.timeutil import today

bp = api_blueprint("api_actions", __name__, "Actions, progress updates and the action plan")




# -- access: ``requires`` names each operation's permission; the shared loaders (the action_id
# loader in hsbtrack.actions.loaders, the audit_id one in hsbtrack.audits.loaders) find and check
# the records before the body is parsed ----------------------------------------------------------


def _action(action_id) -> Action:
    return loaded("action_id")


def _owner_or_editor(view):
    """Progress updates: the action's owner, or those who edit actions (403 for other readers),
    checked before the body is parsed."""
    import functools

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not services.can_update(current_api_user(), loaded("action_id")):
            abort(403, description=_("Only the owner or the board can change this action"))
        return view(*args, **kwargs)

    return wrapper


# -- schemas ----------------------------------------------------------------------------------


def _raw(description, **kwargs):
    return ma.fields.Raw(metadata={"description": description, **kwargs.pop("metadata", {})}, **kwargs)


class OwnerSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = Text()


class ActionSchema(ma.Schema):
    id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    audit_id = ma.fields.Integer(allow_none=True)
    framework = ma.fields.String()
    title = ma.fields.String()
    description = Text()
    owner = ma.fields.Nested(OwnerSchema, allow_none=True)
    agency_id = ma.fields.Integer(allow_none=True)
    due_on = ma.fields.Date()
    priority = ma.fields.String(metadata={"description": "high, medium or low"})
    status = ma.fields.String(metadata={"description": ", ".join(STATUSES)})
    progress = Count(metadata={"description": "Per cent, 0-100"})
    completion_evidence = Text()
    completed_on = ma.fields.Date(allow_none=True)
    statements = ma.fields.List(ma.fields.String(), attribute="codes", metadata={"description": "Linked statement codes"})
    overdue = ma.fields.Method("_overdue", metadata={"type": "boolean",
                               "description": "Past its due date and neither done nor cancelled"})
    version = ma.fields.Integer(metadata={"description": "Send it back with PATCH: a newer one answers 409"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()

    def _overdue(self, action) -> bool:
        return action.is_overdue(today())


class ActionInSchema(ma.Schema):
    title = ma.fields.String(load_default="")
    description = ma.fields.String(load_default="", allow_none=True)
    owner_email = ma.fields.String(load_default="", metadata={"description": "A user with a role in the area"})
    agency_id = _raw("An agency of the area", allow_none=True, load_default=None, metadata={"type": "integer"})
    due_on = _raw("ISO date, e.g. 2027-03-31: today or later unless record_overdue", load_default=None,
                  metadata={"type": "string", "format": "date"})
    record_overdue = ma.fields.Boolean(load_default=False, metadata={
        "description": "The action is being recorded late (from an earlier plan): its due date may be in the past"})
    priority = _raw("high, medium (default) or low", load_default="medium", metadata={"type": "string"})
    status = _raw("Default not_started", load_default="not_started", metadata={"type": "string"})
    completion_evidence = ma.fields.String(load_default="", allow_none=True,
                                           metadata={"description": "Needed when status is done"})
    statements = ma.fields.List(ma.fields.Raw(), load_default=list,
                                metadata={"description": "Scored statement codes, e.g. [\"1.6a\", \"2.3\"]"})
    audit_id = _raw("The audit the action answers (of the same area)", allow_none=True, load_default=None,
                    metadata={"type": "integer"})


class ActionPatchSchema(ma.Schema):
    title = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    owner_email = ma.fields.String(metadata={"description": "Board only: hand the action to someone else"})
    agency_id = _raw("Board only", allow_none=True, metadata={"type": "integer"})
    due_on = _raw("Board only. ISO date: a new due date in the past needs record_overdue",
                  metadata={"type": "string", "format": "date"})
    record_overdue = ma.fields.Boolean(metadata={"description": "A new due date may be in the past (recorded late)"})
    priority = _raw("Board only", metadata={"type": "string"})
    status = _raw("Owner or board: done needs completion evidence", metadata={"type": "string"})
    progress = _raw("Owner or board: a whole number 0-100", metadata={"type": "integer"})
    completion_evidence = ma.fields.String(allow_none=True, metadata={
        "description": "Owner or board: what shows the action is done (needed to mark it done)"})
    statements = ma.fields.List(ma.fields.Raw(), metadata={"description": "Board only"})
    version = ma.fields.Integer(allow_none=True, strict=True,
                                metadata={"description": "The version you read: a newer one answers 409"})


class PlanQuerySchema(ma.Schema):
    # (the values are checked by the plan's one rule, actions.services.plan_filter, as on the page)
    status = ma.fields.String(load_default=None, metadata={"description": ", ".join(STATUSES)})
    overdue = ma.fields.Boolean(load_default=False)
    statement = ma.fields.String(load_default=None, metadata={"description": "Linked to this statement code"})
    domain = ma.fields.Integer(load_default=None, metadata={"description": "Linked to a statement of this domain"})
    owner_email = ma.fields.String(load_default=None)
    agency_id = Id(load_default=None, strict=False)
    sort = ma.fields.String(load_default="due_on", metadata={"description": ", ".join(services.PLAN_SORTS)})


class UpdateInSchema(ma.Schema):
    note = ma.fields.String(load_default="", metadata={"description": "What has happened"})
    progress = _raw("Optional: a whole number 0-100", allow_none=True, load_default=None,
                    metadata={"type": "integer"})


class UpdateSchema(ma.Schema):
    id = ma.fields.Integer()
    action_id = ma.fields.Integer()
    note = Text()
    progress = ma.fields.Integer(allow_none=True)
    created_at = UtcDateTime()
    user = ma.fields.Nested(OwnerSchema, allow_none=True)


class DecisionSchema(ma.Schema):
    decision = ma.fields.String(metadata={"description": "accepted or dismissed"})
    reason = ma.fields.String()
    action_id = ma.fields.Integer(allow_none=True)
    decided_at = UtcDateTime()


class OpenActionSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    status = ma.fields.String()
    due_on = ma.fields.Date()
    audit_id = ma.fields.Integer(allow_none=True)


class FindingSchema(ma.Schema):
    code = ma.fields.String()
    domain = ma.fields.Integer()
    text = ma.fields.String()
    agreed = ma.fields.Integer(allow_none=True)
    lowest = ma.fields.Integer(allow_none=True)
    spread = ma.fields.Integer(allow_none=True)
    low = ma.fields.Boolean(metadata={"description": "Agreed score at or below the area's threshold"})
    disagreement = ma.fields.Boolean(metadata={"description": "Agencies differ by 2 or more"})
    draft_title = ma.fields.String(metadata={"description": "The domain's short title and the statement's short text"})
    decision = ma.fields.Nested(DecisionSchema, allow_none=True)
    open_actions = ma.fields.List(ma.fields.Nested(OpenActionSchema), metadata={
        "description": "Open actions of the area already linked to the statement (this cycle or earlier): "
                       "add the finding to one with POST …/findings/<code>/link"})


class AcceptInSchema(ma.Schema):
    codes = ma.fields.List(ma.fields.String(), load_default=list)
    owner_email = ma.fields.String(load_default="")
    due_on = _raw("ISO date", load_default=None, metadata={"type": "string", "format": "date"})
    merge = ma.fields.Boolean(load_default=False, metadata={"description": "One action linked to every code"})
    title = ma.fields.String(load_default=None, allow_none=True,
                             metadata={"description": "Title of the merged action (or of the only one)"})
    titles = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), load_default=None, allow_none=True,
                            metadata={"description": "Titles by finding code, replacing the draft titles"})
    description = ma.fields.String(load_default="", allow_none=True)
    agency_id = _raw("An agency of the area", allow_none=True, load_default=None, metadata={"type": "integer"})
    priority = _raw("high, medium (default) or low", load_default="medium", metadata={"type": "string"})
    record_overdue = ma.fields.Boolean(load_default=False, metadata={
        "description": "The actions are being recorded late (from an earlier plan): the due date may be in the past"})


class LinkInSchema(ma.Schema):
    action_id = _raw("An open action of the area", load_default=None, metadata={"type": "integer"})


class DismissInSchema(ma.Schema):
    reason = ma.fields.String(load_default="", metadata={"description": "Why this finding needs no action"})


# -- serialisers ------------------------------------------------------------------------------


conflict_shows(Action, lambda action: ActionSchema().dump(action))


def _finding_out(finding, open_actions=None):
    decision = finding.decision
    return {
        "open_actions": (open_actions or {}).get(finding.code, []),
        "code": finding.code, "domain": finding.domain, "text": finding.text, "agreed": finding.agreed,
        "lowest": finding.lowest, "spread": finding.spread, "low": finding.low,
        "disagreement": finding.disagreement, "draft_title": finding.draft_title,
        "decision": None if decision is None else {
            "decision": decision.decision, "reason": decision.reason or "", "action_id": decision.action_id,
            "decided_at": decision.decided_at},
    }


def _reload(action_id) -> Action:
    """The action as saved, with its statements and owner (after a change)."""
    db.session.expire_all()
    return db.session.get(Action, action_id, options=[selectinload(Action.statements), selectinload(Action.owner)])


# -- the plan ---------------------------------------------------------------------------------


@bp.post("/areas/<int:area_id>/actions")
@requires(Perm.EDIT_ACTIONS)
@bp.arguments(ActionInSchema)
@bp.response(201, ActionSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_action(data, area_id):
    """Add an action to the area's plan (board managers, regional coordinators, administrators).

    ``owner_email`` must be a user with a role in the area; ``statements`` scored statement codes
    of the framework (headings such as 1.6 are refused); ``due_on`` an ISO date, today or later
    unless ``record_overdue`` (an action recorded late, from an earlier plan); a ``done`` action
    needs ``completion_evidence``. Bad values answer 422 with a message per field (all of them),
    and nothing is saved.
    """
    area = loaded("area_id")
    audit = None
    if data["audit_id"] not in (None, ""):

        try:
            audit = get_audit(int(data["audit_id"]))
        except (TypeError, ValueError):
            audit = None
        if audit is None or audit.area_id != area.id:
            raise ServiceError.field("audit_id", _("Choose an audit of %(area)s", area=area.display_name))
    action = services.create_action(
        area, title=data["title"], owner=data["owner_email"], due_on=data["due_on"], statements=data["statements"],
        description=data["description"] or "", agency_id=data["agency_id"], priority=data["priority"],
        status=data["status"], audit=audit, user=current_api_user(), record_overdue=data["record_overdue"],
        completion_evidence=data["completion_evidence"] or "")
    return _reload(action.id)


@bp.get("/areas/<int:area_id>/actions")
@requires(Perm.READ_ACTIONS)
@bp.arguments(PlanQuerySchema, location="query")
@bp.response(200, ActionSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_actions(query, area_id):
    """The area's action plan, soonest due first, filtered by status, overdue, statement, domain,
    owner or agency. Everyone with a role in the area."""
    area = loaded("area_id")
    owner_id = None
    if query["owner_email"]:

        owner_id = db.session.scalar(select(User.id).where(User.email == normalise_email(query["owner_email"])))
        if owner_id is None:
            return []
    filters = services.plan_filter(services.framework(DEFAULT_FRAMEWORK), status=query["status"],
                                   overdue=query["overdue"], statement=query["statement"], domain=query["domain"],
                                   owner_id=owner_id, agency_id=query["agency_id"], sort=query["sort"], strict=True)
    return list(db.session.scalars(services.plan_query(area.id, filters, today(), reader=current_api_user())))


# -- one action -------------------------------------------------------------------------------


@bp.get("/actions/<int:action_id>")
@requires(Perm.READ_ACTIONS)
@bp.response(200, ActionSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_action(action_id):
    """One action."""
    return _action(action_id)


@bp.patch("/actions/<int:action_id>")
@requires(Perm.READ_ACTIONS)
@_owner_or_editor
@bp.arguments(ActionPatchSchema)
@bp.response(200, ActionSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def patch_action(data, action_id):
    """Change an action. Send only the fields to change, and the ``version`` you read.

    The owner may change ``status``, ``progress`` and ``completion_evidence`` (anything else
    answers 403); the board may change everything. A newer version answers 409; bad values 422.
    Marking it ``done`` needs completion evidence (sent or already saved; 422 on
    ``completion_evidence`` otherwise) and sets progress to 100 unless given. A new ``due_on`` in
    the past needs ``record_overdue``.
    """
    action = _action(action_id)
    version = data.pop("version", None)
    services.update_action(action, data, user=current_api_user(), expected_version=version)
    return _reload(action.id)


@bp.post("/actions/<int:action_id>/updates")
@requires(Perm.READ_ACTIONS)
@_owner_or_editor
@bp.arguments(UpdateInSchema)
@bp.response(201, UpdateSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def post_update(data, action_id):
    """Post a dated progress update (the owner or the board). ``progress`` (0-100) also updates the
    action's progress; the first progress above 0 moves a not-started action to in progress."""
    action = _action(action_id)
    update = services.add_update(action, data["note"], data["progress"], user=current_api_user())
    return update


@bp.get("/actions/<int:action_id>/updates")
@requires(Perm.READ_ACTIONS)
@bp.response(200, UpdateSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_updates(action_id):
    """The action's progress updates, newest first."""
    action = _action(action_id)
    rows = db.session.scalars(
        select(ActionUpdate).where(ActionUpdate.action_id == action.id).options(selectinload(ActionUpdate.user))
        .order_by(ActionUpdate.created_at.desc(), ActionUpdate.id.desc()))
    return rows


# -- an action's documents ----------------------------------------------------------------------


class ActionDocumentSchema(DocumentSchema):
    purpose = ma.fields.Function(action_documents.purpose_of, allow_none=True, metadata={
        "type": "string", "nullable": True,
        "description": "completion: the evidence the action was completed with; null: other documents"})


class ActionDocumentFormSchema(DocumentFormSchema):
    purpose = ma.fields.String(load_default=None, allow_none=True, metadata={
        "description": "completion (the evidence the action was completed with), or none"})


class ActionDocumentUploadSchema(FileInSchema, ActionDocumentFormSchema):
    """The upload as the OpenAPI document shows it: one multipart body with the file and its fields."""


@bp.post("/actions/<int:action_id>/documents")
@requires(Perm.READ_ACTIONS)
@_owner_or_editor
@bp.arguments(FileInSchema, location="files")
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": ActionDocumentUploadSchema}}})
@bp.response(201, ActionDocumentSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@takes_documents
def upload_document(files, action_id):
    """Attach a document to an action (multipart: ``file``, ``title``, ``effective_on``, ``purpose``).

    The action's owner or the board (403 for other readers). ``purpose`` "completion": the evidence the
    action was completed with (it counts as completion evidence when the action is marked done). The
    type is decided from the content, as for responses' documents: a file whose content is not what its
    name says answers 422 with ``fields.file``.
    """
    upload = files["file"]
    form = ActionDocumentFormSchema().load(request.form)  # (the multipart body's other fields)
    return action_documents.upload_to_action(_action(action_id), upload.stream, upload.filename,
                                             title=form.get("title"), effective_on=form.get("effective_on"),
                                             purpose=form.get("purpose"), user=current_api_user())


@bp.get("/actions/<int:action_id>/documents")
@requires(Perm.READ_ACTIONS)
@bp.response(200, ActionDocumentSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_documents(action_id):
    """The action's documents: its completion documents first, then the others (each with its ``purpose``)."""
    docs = action_documents.documents_for_action(_action(action_id))
    return [*docs["completion"], *docs[None]]


# -- findings ---------------------------------------------------------------------------------


@bp.get("/audits/<int:audit_id>/findings")
@requires(Perm.READ_AUDIT)
@bp.response(200, FindingSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_findings(audit_id):
    """The audit's findings: agreed scores at or below the area's threshold (default 1) and
    disagreements (agencies 2 or more apart), each with the decision taken, if any."""
    audit = loaded("audit_id")
    items = services.findings(audit)
    linked = services.open_actions_for_findings(audit, [f.code for f in items], reader=current_api_user())
    return [_finding_out(f, linked) for f in items]


@bp.post("/audits/<int:audit_id>/findings/accept")
@requires(Perm.EDIT_ACTIONS)
@bp.arguments(AcceptInSchema)
@bp.response(201, ActionSchema(many=True))
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def accept_findings(data, audit_id):
    """Turn findings into actions: one per code, or one linked to all of them with ``merge``.

    409 if a code has already been accepted or dismissed; 422 for a code that is not a finding,
    an owner without a role in the area, a due date that is not a date, or one in the past without
    ``record_overdue``. A finding already answered by an open action: see ``…/link``.
    """
    audit = loaded("audit_id")
    actions = services.accept_findings(
        audit, data["codes"], owner=data["owner_email"], due_on=data["due_on"], title=data["title"],
        description=data["description"] or "", agency_id=data["agency_id"], priority=data["priority"],
        merge=data["merge"], titles=data["titles"], user=current_api_user(), record_overdue=data["record_overdue"])
    ids = [a.id for a in actions]
    db.session.expire_all()
    rows = {a.id: a for a in db.session.scalars(
        select(Action).where(Action.id.in_(ids)).options(selectinload(Action.statements), selectinload(Action.owner)))}
    return [rows[i] for i in ids]


@bp.post("/audits/<int:audit_id>/findings/<code>/dismiss")
@requires(Perm.EDIT_ACTIONS)
@bp.arguments(DismissInSchema)
@bp.response(200, FindingSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def dismiss_finding(data, audit_id, code):
    """Dismiss a finding with a reason (kept in the history). 404 if ``code`` is not a finding of
    the audit; 409 if it was already decided."""
    audit = loaded("audit_id")
    if code not in {f.code for f in services.findings(audit)}:
        abort(404, description=_("%(code)s is not a finding of this audit", code=code))
    services.dismiss_finding(audit, code, data["reason"], user=current_api_user())
    return _finding_out(next(f for f in services.findings(audit) if f.code == code))


@bp.post("/audits/<int:audit_id>/findings/<code>/link")
@requires(Perm.EDIT_ACTIONS)
@bp.arguments(LinkInSchema)
@bp.response(200, FindingSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def link_finding(data, audit_id, code):
    """Add a finding to an existing open action of the area instead of a new one ("Add to this
    action"): the finding is accepted and linked to the action, which gains the statement if it did
    not have it (in its history). 404 if ``code`` is not a finding of the audit; 409 if it was
    already decided; 422 for an action that is not an open action of the area."""
    audit = loaded("audit_id")
    if code not in {f.code for f in services.findings(audit)}:
        abort(404, description=_("%(code)s is not a finding of this audit", code=code))
    try:
        action = db.session.get(Action, int(data["action_id"]))
    except (TypeError, ValueError):
        action = None
    if action is None:
        raise ServiceError.field("action_id", _("Choose an action of %(area)s", area=audit.area.display_name))
    services.add_finding_to_action(audit, code, action, user=current_api_user())
    return _finding_out(next(f for f in services.findings(audit) if f.code == code))
