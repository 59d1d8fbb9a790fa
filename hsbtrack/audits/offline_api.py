"""The API of data that comes from outside the app: an agency's offline return workbook and the imported
baseline. Thin: the rules are in :mod:`hsbtrack.audits.workbook` and :mod:`hsbtrack.audits.baselines`."""

import marshmallow as ma
from flask import request
from flask_babel import gettext as _

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import (
    baselines,
    loaders,  # noqa: F401  (the audit_id loader)
    services,
    workbook,
)
from hsbtrack.audits.offline_views import workbook_response
from hsbtrack.errors import NotFoundError
from hsbtrack.permissions import loaded, requires

bp = api_blueprint("api_offline", __name__, "Offline return workbooks and imported baselines")


class FileSchema(ma.Schema):
    file = ma.fields.Raw(load_default=None, metadata={"type": "string", "format": "binary"})


class WorkbookQuerySchema(ma.Schema):
    apply = ma.fields.Boolean(load_default=False, metadata={
        "description": "Save the changes now (the answers changed online since the download are not overwritten)"})
    token = ma.fields.String(load_default=None, metadata={
        "description": "Save the changes of an upload previewed before (its token), without sending the file again"})


class AnswerSchema(ma.Schema):
    score = ma.fields.Integer(allow_none=True)
    evidence = ma.fields.String()
    assurance = ma.fields.String()


class ChangeSchema(ma.Schema):
    code = ma.fields.String()
    statement = ma.fields.String()
    old = ma.fields.Nested(AnswerSchema, metadata={"description": "The answer online now"})
    new = ma.fields.Nested(AnswerSchema, metadata={"description": "The answer in the workbook"})
    conflict = ma.fields.Boolean(metadata={
        "description": "The answer was changed online after the download: it is not overwritten"})


class WorkbookResultSchema(ma.Schema):
    token = ma.fields.String(allow_none=True, metadata={
        "description": "Send it back (``?token=…``) within an hour to save these changes; null once saved"})
    saved = ma.fields.Boolean()
    changes = ma.fields.List(ma.fields.Nested(ChangeSchema))
    saved_codes = ma.fields.List(ma.fields.String())
    conflicts = ma.fields.List(ma.fields.String(), metadata={"description": "Statements not saved: changed online"})


_WORKBOOK_BODY = {"required": False, "content": {"multipart/form-data": {"schema": FileSchema}}}
_XLSX = {200: {"description": "The agency's return as an offline workbook",
               "content": {workbook.XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}}}}


def _agency(audit, agency_id):
    agency = next((a for _p, a in services.participants(audit) if a.id == agency_id), None)
    if agency is None:
        raise NotFoundError.field("agency_id", _("This agency is not taking part in the audit"))
    return agency


def _answer(values):
    return {"score": values[0], "evidence": values[1], "assurance": values[2]}


@bp.get("/audits/<int:audit_id>/agencies/<int:agency_id>/workbook")
@requires(Perm.SCORE)
@bp.response(200)
@bp.doc(responses=_XLSX)
@bp.alt_response(404, response="NOT_FOUND")
def get_workbook(audit_id, agency_id):
    """The agency's return as an offline workbook (XLSX): a sheet per domain with the statements, the
    current answers and their versions, a 0–4 drop-down on score cells, instructions in the request's
    language. Those who score for the agency."""
    audit = loaded("audit_id")
    return workbook_response(audit, _agency(audit, agency_id))


@bp.post("/audits/<int:audit_id>/agencies/<int:agency_id>/workbook")
@requires(Perm.SCORE)
@bp.arguments(WorkbookQuerySchema, location="query")
@bp.arguments(FileSchema, location="files")
@bp.doc(requestBody=_WORKBOOK_BODY)
@bp.response(200, WorkbookResultSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def post_workbook(query, files, audit_id, agency_id):
    """Upload a filled-in offline workbook (multipart ``file``): 200 with the changes it would make and the
    conflicts (answers changed online since the download, never overwritten), and a ``token``; nothing is
    saved. ``?apply=1`` with the file saves at once; ``?token=…`` without a file saves an upload previewed
    before. A bad workbook answers 422 with ``fields.file`` and one field per bad cell ("Domain 2!C7": "Domain
    2, C7: 5 is not a score from 0 to 4"); another audit's or agency's workbook, or a file that is not an
    XLSX workbook, answers 422 with ``fields.file``. Those who score for the agency."""
    audit = loaded("audit_id")
    agency = _agency(audit, agency_id)
    user = current_api_user()
    if query["token"]:
        upload = workbook.get_upload(audit, agency, query["token"], user=user)
    else:
        data = workbook.upload_from_request_file(files["file"] or request.files.get("file"))
        upload = workbook.stage_upload(audit, agency, data, user=user)
    rows = workbook.preview(audit, upload)
    changes = [{"code": r.code, "statement": r.text, "old": _answer(r.old), "new": _answer(r.new),
                "conflict": r.conflict} for r in rows]
    if not (query["apply"] or query["token"]):
        return {"token": upload.token, "saved": False, "changes": changes, "saved_codes": [],
                "conflicts": [r.code for r in rows if r.conflict]}
    result = workbook.apply_upload(audit, agency, upload, user=user)
    return {"token": None, "saved": True,  # nosec B105  # no preview token: the upload was saved at once
            "changes": changes, "saved_codes": result.saved,
            "conflicts": result.conflicts}


# -- imported baselines ----------------------------------------------------------------------------


class ImportedBaselineInSchema(ma.Schema):
    framework = ma.fields.String(load_default=services.DEFAULT_FRAMEWORK)
    completed_on = ma.fields.String(required=True, metadata={
        "format": "date", "description": "ISO date the audit was completed: a real date, not in the future"})
    title = ma.fields.String(load_default=None, allow_none=True)
    note = ma.fields.String(load_default=None, allow_none=True, metadata={"description": "Where it was done"})
    scores = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True), load_default=dict,
                            metadata={"description": "Agreed score per statement code, 0-4 (blank or null: none)"})
    comments = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True), load_default=dict,
                              metadata={"description": "An optional comment per statement code"})
    schedule_reaudits = ma.fields.Boolean(load_default=False, metadata={
        "description": "Schedule T2 at +6 and T3 at +12 months from its date (default: no re-audit is scheduled)"})


class ImportedBaselineSchema(ma.Schema):
    id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    framework = ma.fields.String()
    title = ma.fields.String()
    cycle = ma.fields.Integer()
    label = ma.fields.String(metadata={"description": "T1 (imported baseline)"})
    status = ma.fields.String()
    imported = ma.fields.Boolean()
    note = ma.fields.String(attribute="import_note")
    completed_on = ma.fields.Date()
    scores = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(allow_none=True))


@bp.post("/areas/<int:area_id>/imported-baselines")
@requires(Perm.MANAGE_AREA)
@bp.arguments(ImportedBaselineInSchema)
@bp.response(201, ImportedBaselineSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def post_imported_baseline(data, area_id):
    """Record a past audit done elsewhere (on paper, in the NSPCC's spreadsheet) as the area's closed first
    cycle, labelled "imported baseline": its date, agreed scores and comments. Only while the area has no
    audit of the framework (409 otherwise). It schedules no re-audit unless ``schedule_reaudits``."""
    audit = baselines.create_imported_baseline(
        loaded("area_id"), completed_on=data["completed_on"], scores=data["scores"], comments=data["comments"],
        note=data["note"], title=data["title"], framework_slug=data["framework"],
        schedule_reaudits=data["schedule_reaudits"], user=current_api_user())
    return {"id": audit.id, "area_id": audit.area_id, "framework": audit.framework, "title": audit.title,
            "cycle": audit.cycle, "label": audit.label, "status": audit.status, "imported": True,
            "import_note": audit.import_note, "completed_on": audit.completed_on,
            "scores": {code: row.score for code, row in services.agreed_rows(audit).items()}}
