"""Yearly reports in the API: ``GET|POST /api/v1/areas/<id>/yearly-reports`` and, for region-scoped kinds,
``GET|POST /api/v1/regions/<id>/yearly-reports``.

A ``POST`` makes the report of ``kind`` for the period (or finds the one made for that very period), saves
``sections`` as its next version when given (sections left out keep their text; send ``version``, the
number you edited, to be told 409 when someone saved since), and, with ``format``, queues its file: 202 with
the job (``id``, ``status``, ``progress``; follow ``GET /jobs/<id>``) and ``report_id``. Without ``format`` it
answers 201 with the report."""

import marshmallow as ma
from flask import jsonify

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.api.schemas import Id, Text, UtcDateTime
from hsbtrack.areas.roles import Perm
from hsbtrack.jobs.api import JobSchema, job_out
from hsbtrack.permissions import loaded, requires
from hsbtrack.yearly_reports import files, services

bp = api_blueprint("api_yearly_reports", __name__,
                   "Yearly reports: a period's data draft, narrative sections saved as versions, PDF and Word")


class ReportVersionSchema(ma.Schema):
    number = ma.fields.Integer(metadata={"description": "1, 2, 3… in the order they were saved"})
    saved_at = UtcDateTime()
    saved_by = Text(allow_none=True, metadata={"description": "Who saved it (their name or e-mail address)"})
    note = Text()


class YearlyReportSchema(ma.Schema):
    id = Id()
    kind = ma.fields.String(metadata={"description": "The kind of report, e.g. england.yearly"})
    title = ma.fields.String(metadata={"description": "The kind's name, in the language of the request"})
    area_id = ma.fields.Integer(allow_none=True)
    region_id = ma.fields.Integer(allow_none=True)
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    version = ma.fields.Integer(metadata={"description": "The newest version's number (0: nothing saved yet)"})
    sections = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), metadata={
        "description": "The newest version's text of each section, by section key"})
    versions = ma.fields.List(ma.fields.Nested(ReportVersionSchema))


class YearlyReportInSchema(ma.Schema):
    kind = ma.fields.String(load_default=None, metadata={
        "description": "The kind of report; may be left out when only one is offered here"})
    period_start = ma.fields.String(required=True, metadata={"description": "First day of the period (YYYY-MM-DD)"})
    period_end = ma.fields.String(required=True, metadata={"description": "Last day of the period (YYYY-MM-DD)"})
    sections = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True), load_default=None,
                              metadata={"description": "Text of the sections to save as a new version, by key"})
    version = ma.fields.Integer(load_default=None, metadata={
        "description": "The version number your text was based on (0: none): 409 when someone saved since"})
    note = ma.fields.String(load_default=None, metadata={"description": "What changed in this version"})
    format = ma.fields.String(load_default=None, validate=ma.validate.OneOf(sorted(files.FORMATS)), metadata={
        "description": "pdf or docx: also queue the report's file (a job)"})


class YearlyReportJobSchema(JobSchema):
    report_id = ma.fields.Integer(metadata={"description": "The yearly report the file is made from"})


def report_out(report) -> dict:
    latest = services.latest_version(report)
    return {"id": report.id, "kind": report.kind, "title": services.title_of(services.kind_of(report)),
            "area_id": report.area_id, "region_id": report.region_id, "period_start": report.period_start,
            "period_end": report.period_end, "version": latest.number if latest else 0,
            "sections": services.texts(report),
            "versions": [{"number": v.number, "saved_at": v.saved_at, "note": v.note,
                          "saved_by": v.saved_by.display_name if v.saved_by else None} for v in report.versions]}


def _post(place, data):
    user = current_api_user()
    report, _created = services.create_report(
        place, kind=data["kind"], period_start=data["period_start"], period_end=data["period_end"], user=user,
        sections=data["sections"], note=data["note"], based_on=data["version"])
    if data["format"]:
        job = files.start_file_job(report, data["format"], user)
        return {**job_out(job), "report_id": report.id}
    response = jsonify(YearlyReportSchema().dump(report_out(report)))
    response.status_code = 201
    return response


@bp.get("/areas/<int:area_id>/yearly-reports")
@requires(Perm.READ_AUDIT)
@bp.response(200, YearlyReportSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_area_reports(area_id):
    """The area's yearly reports, newest period first, with each one's newest text and its versions."""
    return [report_out(r) for r in services.reports_for(loaded("area_id"), reader=current_api_user())]


@bp.post("/areas/<int:area_id>/yearly-reports")
@requires(Perm.MANAGE_AREA)
@bp.arguments(YearlyReportInSchema)
@bp.response(202, YearlyReportJobSchema)
@bp.alt_response(201, schema=YearlyReportSchema, description="The report (no format was asked for)")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def post_area_report(data, area_id):
    """Make (or find) the area's report of ``kind`` for the period, save ``sections`` as a new version, and
    with ``format`` queue its file (202, the job). Errors: 422 at the field; 409 when ``version`` is stale."""
    return _post(loaded("area_id"), data)


@bp.get("/regions/<int:region_id>/yearly-reports")
@requires(Perm.VIEW_REGION)
@bp.response(200, YearlyReportSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_region_reports(region_id):
    """The region's yearly reports (region-scoped kinds: a Welsh board's annual report), newest first."""
    return [report_out(r) for r in services.reports_for(loaded("region_id"), reader=current_api_user())]


@bp.post("/regions/<int:region_id>/yearly-reports")
@requires(Perm.MANAGE_REGION)
@bp.arguments(YearlyReportInSchema)
@bp.response(202, YearlyReportJobSchema)
@bp.alt_response(201, schema=YearlyReportSchema, description="The report (no format was asked for)")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def post_region_report(data, region_id):
    """The same for a region-scoped kind (422 at ``kind`` while none is offered for the region)."""
    return _post(loaded("region_id"), data)
