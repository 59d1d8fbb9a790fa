"""The audit parts of the API: audits, responses, scores, moderation, close, schedule, radar, exports.

Thin: every rule lives in :mod:`hsbtrack.audits.services`; this module parses, checks who may do
what (the same rules as the pages) and serialises. Permission checks that depend only on the URL
run *before* the request body is parsed, so that a caller without the right gets 404/403 and never
a validation message about a record they may not touch.
"""


import marshmallow as ma
from flask import abort
from flask_babel import gettext as _

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.api.errors import ProblemSchema, conflict_shows
from hsbtrack.api.schemas import Count, Id, Text, UtcDateTime
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import (
    exports,
    loaders,  # noqa: F401  (the audit_id loader)
    overview,
    report_files,
    returns,
    services,
)
from hsbtrack.audits.models import AgreedScore, DomainResponse, Response
from hsbtrack.errors import ServiceError
from hsbtrack.jobs.api import JobSchema, job_out
from hsbtrack.permissions import can_read_responses_of, loaded, requires

bp = api_blueprint("api_audits", __name__, "Audits, responses, agreed scores, schedule, graphs and exports")


# -- access: ``requires`` names each operation's permission; the shared loaders find and check the
# records before the body is parsed (hsbtrack.permissions) ----------------------------------------


def _readable_agencies(audit) -> set[int]:
    """Agencies whose responses the caller may read in this audit."""
    participants = services.participants(audit)
    all_submitted = all(p.submitted_at is not None for p, _a in participants)
    return {a.id for _p, a in participants
            if can_read_responses_of(current_api_user(), audit.area, a.id, all_submitted)}


def _version(value):
    """The version the client read, as the services expect it: "0" means "I saw no record", so a record
    saved since is a conflict (the services skip the check for None only)."""
    return None if value is None else str(value)


# -- schemas ----------------------------------------------------------------------------------


class AuditAgencySchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    submitted_at = UtcDateTime(allow_none=True)
    signed_off_at = UtcDateTime(allow_none=True, metadata={
        "description": "When a senior officer of the agency signed the return off (where the area asks for it)"})


class AuditInSchema(ma.Schema):
    framework = ma.fields.String(load_default=services.DEFAULT_FRAMEWORK,
                                 metadata={"description": "Framework slug, e.g. nspcc-hsb-2019"})
    title = ma.fields.String(allow_none=True, load_default=None)
    agency_ids = ma.fields.List(ma.fields.Raw(), allow_none=True, load_default=None,
                                metadata={"description": "Participating agencies (default: every agency of the area)"})


class AuditSchema(ma.Schema):
    id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    framework = ma.fields.String()
    framework_version = ma.fields.String()
    title = ma.fields.String()
    cycle = ma.fields.Integer()
    label = ma.fields.String(metadata={"description": "T1 (baseline), T2, T3, ...; \"T1 (imported baseline)\" for a "
                                                     "baseline done elsewhere"})
    status = ma.fields.String(metadata={"description": "open or closed"})
    imported = ma.fields.Boolean(metadata={
        "description": "A baseline done elsewhere, recorded with agreed scores only (POST /areas/<id>/imported-baselines)"})
    previous_id = ma.fields.Integer(allow_none=True)
    agencies = ma.fields.List(ma.fields.Nested(AuditAgencySchema))
    opened_at = UtcDateTime()
    completed_on = ma.fields.Date(allow_none=True)
    return_due_on = ma.fields.Date(allow_none=True, metadata={"description": "When the agencies' returns are due"})
    returns_sign_off = ma.fields.Boolean(metadata={
        "description": "The area asks for each submitted return to be signed off by a senior officer"})
    data_version = ma.fields.Integer(metadata={"description": "Changes whenever a score or agreed score changes"})
    provisional = ma.fields.Boolean(metadata={
        "description": "The audit is open: its figures (scores, agreed scores, means) can still change"})
    returns_in = ma.fields.Integer(metadata={"description": "Participating agencies that have submitted their return"})
    returns_total = ma.fields.Integer(metadata={"description": "Participating agencies"})


class AuditPatchSchema(ma.Schema):
    return_due_on = ma.fields.String(allow_none=True, metadata={
        "description": "ISO date the returns are due, not in the past; null removes it", "format": "date"})


class ReturnSchema(ma.Schema):
    agency_id = ma.fields.Integer()
    agency = ma.fields.Function(lambda row: row.agency.name, metadata={"type": "string"})
    scored = ma.fields.Integer(metadata={"description": "Statements the agency has scored"})
    total = ma.fields.Integer(metadata={"description": "Statements to score"})
    submitted_at = UtcDateTime(allow_none=True)
    signed_off_at = UtcDateTime(allow_none=True)
    last_activity_at = UtcDateTime(allow_none=True, metadata={"description": "The agency's latest change to a response"})
    last_reminder_at = UtcDateTime(allow_none=True, metadata={"description": "The latest reminder sent about it"})


class ReminderSchema(ma.Schema):
    id = ma.fields.Integer()
    audit_id = ma.fields.Integer()
    agency_id = ma.fields.Integer()
    sent_at = UtcDateTime()
    sent_by_id = ma.fields.Integer(allow_none=True, metadata={"description": "Null for the scheduler's reminders"})
    kind = ma.fields.String(metadata={"description": "manual, before_deadline or after_deadline"})


class ResponseInSchema(ma.Schema):
    # Raw on purpose: the service decides what a valid score is, and says so in its own words.
    score = ma.fields.Raw(allow_none=True, metadata={"description": "A whole number 0-4, or null to clear it",
                                                     "type": "integer", "nullable": True})
    evidence = ma.fields.String(allow_none=True)
    assurance = ma.fields.String(allow_none=True)
    version = ma.fields.Integer(allow_none=True, strict=True,
                                metadata={"description": "The version you read: a newer one answers 409"})


class AgencyResponseSchema(ma.Schema):
    agency_id = ma.fields.Integer()
    code = ma.fields.String()
    score = ma.fields.Integer(allow_none=True)
    evidence = Text()
    assurance = Text()
    version = Count(metadata={"description": "0 before the first answer"})
    updated_at = UtcDateTime(allow_none=True)
    source = ma.fields.String(allow_none=True, dump_default="agency", metadata={
        "description": "agency: answered in this audit; shared: from the organisation's shared return; "
                       "exception: this area's own answer within that shared return; null where there is "
                       "no answer (cleared, or never given)"})
    shared_return_id = ma.fields.Integer(allow_none=True, dump_default=None, metadata={
        "description": "The shared return the answer came from (source shared)"})


class ProgressCountSchema(ma.Schema):
    scored = ma.fields.Integer()
    total = ma.fields.Integer()


class AgencyProgressSchema(ProgressCountSchema):
    domains = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(ProgressCountSchema),
                             metadata={"description": "Per domain number"})


class SavedResponseSchema(AgencyResponseSchema):
    progress = ma.fields.Nested(AgencyProgressSchema, metadata={
        "description": "How many statements the agency has scored now, in all and per domain"})


class ResponsesQuerySchema(ma.Schema):
    agency_id = Id(load_default=None, strict=False, metadata={"description": "Only this agency's responses"})


class DomainResponseInSchema(ma.Schema):
    comments = ma.fields.String(allow_none=True)
    date_completed = ma.fields.String(allow_none=True, metadata={"description": "ISO date, e.g. 2026-03-31",
                                                                 "format": "date"})
    version = ma.fields.Integer(allow_none=True, strict=True)


class DomainResponseSchema(ma.Schema):
    agency_id = ma.fields.Integer()
    domain = ma.fields.Integer()
    comments = Text()
    date_completed = ma.fields.Date(allow_none=True)
    version = Count()
    updated_at = UtcDateTime(allow_none=True)


class StatementScoreSchema(ma.Schema):
    code = ma.fields.String()
    domain = ma.fields.Integer()
    agency_scores = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                                   metadata={"description": "Agency id (as a string) to that agency's score"})
    lowest = ma.fields.Integer(allow_none=True)
    highest = ma.fields.Integer(allow_none=True)
    agreed = ma.fields.Integer(allow_none=True, metadata={"description": "The lowest score unless moderated"})
    spread = ma.fields.Integer(allow_none=True)
    disagreement = ma.fields.Boolean(metadata={"description": "Agencies differ by 2 or more"})
    justification = ma.fields.String()
    moderated = ma.fields.Boolean()
    stale = ma.fields.Boolean(metadata={"description": "Moderated when the lowest agency score was another: "
                                                       "to be confirmed (set again) or changed"})
    version = ma.fields.Integer(allow_none=True, metadata={"description": "Version of the moderated score, if any"})


class DomainScoreSchema(ma.Schema):
    number = ma.fields.Integer()
    mean = ma.fields.Float(allow_none=True)
    percent = ma.fields.Float(allow_none=True, metadata={"description": "The mean as % of the scale's maximum"})


class ScoresSchema(ma.Schema):
    statements = ma.fields.List(ma.fields.Nested(StatementScoreSchema))
    domains = ma.fields.List(ma.fields.Nested(DomainScoreSchema))
    overall_mean = ma.fields.Float(allow_none=True)
    provisional = ma.fields.Boolean(metadata={"description": "The audit is open: these figures can still change"})
    returns_in = ma.fields.Integer(metadata={"description": "Participating agencies that have submitted their return"})
    returns_total = ma.fields.Integer(metadata={"description": "Participating agencies"})


class AgreedInSchema(ma.Schema):
    score = ma.fields.Raw(allow_none=True, metadata={"type": "integer", "description": "The agreed score 0-4"})
    justification = ma.fields.String(allow_none=True, load_default="",
                                     metadata={"description": "Required when above the lowest agency score"})
    version = ma.fields.Integer(allow_none=True, strict=True)


class VersionQuerySchema(ma.Schema):
    version = ma.fields.Integer(load_default=None, metadata={"description": "The version you read (409 if newer)"})


class CloseInSchema(ma.Schema):
    completed_on = ma.fields.String(allow_none=True, load_default=None, metadata={
        "description": "ISO date (default: today), neither in the future nor before the audit opened", "format": "date"})
    override_reason = ma.fields.String(allow_none=True, load_default=None, metadata={
        "description": "Why the audit closes with problems outstanding (see close-check); recorded in the history"})


class CloseCheckSchema(ma.Schema):
    ready = ma.fields.Boolean(metadata={"description": "True when nothing is outstanding"})
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema))


class ReopenInSchema(ma.Schema):
    reason = ma.fields.String(load_default="", metadata={"description": "Why it is reopened (required)"})


class ScheduleSchema(ma.Schema):
    id = ma.fields.Integer()
    framework = ma.fields.String()
    kind = ma.fields.String()
    cycle = ma.fields.Integer()
    label = ma.fields.Function(lambda slot: f"T{slot.cycle}", metadata={"type": "string"})
    due_on = ma.fields.Date()
    baseline_id = ma.fields.Integer(allow_none=True)
    audit_id = ma.fields.Integer(allow_none=True)


class RadarQuerySchema(ma.Schema):
    compare = ma.fields.String(load_default="", metadata={
        "description": "Comma-separated ids of other audits of the same area to overlay, e.g. 3,5"})


# -- serialisers ------------------------------------------------------------------------------


def _audit_out(audit, participants):
    return {
        **_provisional_out(audit, participants),
        "id": audit.id, "area_id": audit.area_id, "framework": audit.framework,
        "framework_version": audit.framework_version, "title": audit.title, "cycle": audit.cycle,
        "label": audit.label, "status": audit.status, "previous_id": audit.previous_id, "imported": audit.imported,
        "opened_at": audit.opened_at, "completed_on": audit.completed_on, "data_version": audit.data_version,
        "return_due_on": audit.return_due_on, "returns_sign_off": services.sign_off_required(audit.area),
        "agencies": [{"id": agency.id, "name": agency.name, "submitted_at": link.submitted_at,
                      "signed_off_at": link.signed_off_at}
                     for link, agency in participants],
    }


conflict_shows(Response, lambda row: AgencyResponseSchema().dump(row))
conflict_shows(DomainResponse, lambda row: DomainResponseSchema().dump(row))
conflict_shows(AgreedScore, lambda row: StatementScoreSchema().dump(_statement_now(services.get_audit(row.audit_id),
                                                                                   row.code)))


def _statement_out(result, agreed_row=None):
    return {
        "code": result.code, "domain": result.domain,
        "agency_scores": {str(agency_id): score for agency_id, score in result.agency_scores.items()},
        "lowest": result.lowest, "highest": result.highest, "agreed": result.agreed, "spread": result.spread,
        "disagreement": result.disagreement, "justification": result.justification, "moderated": result.moderated,
        "stale": result.stale,
        "version": agreed_row.version if agreed_row is not None else None,
    }


# -- audits -----------------------------------------------------------------------------------


@bp.post("/areas/<int:area_id>/audits")
@requires(Perm.MANAGE_AREA)
@bp.arguments(AuditInSchema)
@bp.response(201, AuditSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def open_audit(data, area_id):
    """Open the area's next audit (T1 first, then re-audits).

    Board managers and administrators. ``agency_ids`` defaults to every agency of the area; a
    re-audit starts from the previous cycle with empty scores. 409 while another audit of the
    framework is open.
    """
    area = loaded("area_id")
    audit = services.open_audit(area, data["framework"], title=data["title"], agency_ids=data["agency_ids"],
                                user=current_api_user())
    return _audit_out(audit, services.participants(audit))


@bp.get("/areas/<int:area_id>/audits")
@requires(Perm.READ_AUDIT)
@bp.response(200, AuditSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_audits(area_id):
    """The area's audits, oldest cycle first."""
    area = loaded("area_id")
    audits = services.audits_for_area(area.id)
    by_audit = services.participants_by_audit([a.id for a in audits])
    return [_audit_out(a, by_audit.get(a.id, [])) for a in audits]


@bp.get("/audits/<int:audit_id>")
@requires(Perm.READ_AUDIT)
@bp.response(200, AuditSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_audit(audit_id):
    """One audit with its participating agencies."""
    audit = loaded("audit_id")
    return _audit_out(audit, services.participants(audit))


@bp.patch("/audits/<int:audit_id>")
@requires(Perm.MANAGE_AREA)
@bp.arguments(AuditPatchSchema)
@bp.response(200, AuditSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def patch_audit(data, audit_id):
    """Change an open audit: ``return_due_on``, the date the agencies' returns are due (not in the past:
    422; null removes it; in the history). Board managers and administrators; 409 once closed."""
    audit = loaded("audit_id")
    if "return_due_on" in data:
        returns.set_return_due(audit, data["return_due_on"], user=current_api_user())
    return _audit_out(audit, services.participants(audit))


@bp.get("/audits/<int:audit_id>/returns")
@requires(Perm.READ_RESPONSES)
@bp.response(200, ReturnSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_returns(audit_id):
    """The returns tracker: each participating agency's statements scored of total, latest change,
    submission, sign-off and latest reminder, by agency name. Those who read every agency's responses."""
    return returns.returns_status(loaded("audit_id"))


@bp.post("/audits/<int:audit_id>/returns/<int:agency_id>/reminders")
@requires(Perm.MANAGE_AREA)
@bp.response(201, ReminderSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def send_reminder(audit_id, agency_id):
    """Remind an agency's leads of its return (a notification and an email each, in their language).
    At most one an agency every 24 hours, by anyone: 409 with when the last went; 409 once it is
    submitted; 422 when the agency has no lead."""
    return returns.send_reminder(loaded("audit_id"), agency_id, user=current_api_user())


@bp.post("/audits/<int:audit_id>/agencies/<int:agency_id>/sign-off")
@requires(Perm.SIGN_OFF)
@bp.response(200, AuditSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def sign_off(audit_id, agency_id):
    """A senior officer of the agency signs its submitted return off (where the area asks for it; 409
    otherwise, before it is submitted, or when it is signed off already). In the history."""
    audit = loaded("audit_id")
    returns.sign_off(audit, agency_id, user=current_api_user())
    return _audit_out(audit, services.participants(audit))


@bp.post("/audits/<int:audit_id>/close")
@requires(Perm.MANAGE_AREA)
@bp.arguments(CloseInSchema, required=False)
@bp.response(200, AuditSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def close_audit(data, audit_id):
    """Close an audit; closing the baseline (T1) schedules T2 at +6 and T3 at +12 months.

    Board managers and administrators. ``completed_on`` defaults to today; a date in the future or
    before the audit opened answers 422. With problems outstanding (``close-check``) it answers 409
    with ``problems`` unless ``override_reason`` says why it closes anyway. 409 if already closed.
    """
    audit = loaded("audit_id")
    services.close_audit(audit, user=current_api_user(), completed_on=data["completed_on"],
                         override_reason=data["override_reason"])
    return _audit_out(audit, services.participants(audit))


@bp.get("/audits/<int:audit_id>/close-check")
@requires(Perm.READ_AUDIT)
@bp.response(200, CloseCheckSchema)
@bp.alt_response(404, response="NOT_FOUND")
def close_check(audit_id):
    """What stands between the audit and closing: returns not submitted (``missing_return``), agreed
    scores to confirm again (``stale_moderation``), statements no agency scored (``unscored``)."""
    problems = services.close_check(loaded("audit_id"))
    return {"ready": not problems, "problems": problems}


@bp.post("/audits/<int:audit_id>/reopen")
@requires(Perm.MANAGE_AREA)
@bp.arguments(ReopenInSchema)
@bp.response(200, AuditSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def reopen_audit(data, audit_id):
    """Open the latest closed audit again, with a ``reason`` (in the history). 409 when it is open, or a
    later audit of the framework exists; 422 without a reason. Re-audits scheduled from it and not yet
    opened are dropped until it closes again."""
    audit = loaded("audit_id")
    services.reopen_audit(audit, user=current_api_user(), reason=data["reason"])
    return _audit_out(audit, services.participants(audit))


@bp.get("/areas/<int:area_id>/schedule")
@requires(Perm.READ_AUDIT)
@bp.response(200, ScheduleSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def area_schedule(area_id):
    """Re-audits due in the area (T2 at +6 months, T3 at +12 months), soonest first."""
    area = loaded("area_id")
    return services.schedule(area.id)


# -- agency responses -------------------------------------------------------------------------


@bp.put("/audits/<int:audit_id>/responses/<int:agency_id>/<code>")
@requires(Perm.SCORE)
@bp.arguments(ResponseInSchema)
@bp.response(200, SavedResponseSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def put_response(data, audit_id, agency_id, code):
    """Save one agency's score, evidence and assurance for a statement.

    Agency leads for their own agency; board managers for any. Fields left out keep their value;
    ``score: null`` clears the score. Send the ``version`` you read to be told (409) when someone
    else changed it meanwhile. A score outside 0-4 or not a whole number answers 422 with
    ``fields.score``; an unknown code 404; a heading (e.g. 1.6) 422; a closed audit 409.
    """
    audit = loaded("audit_id")
    fields = tuple(name for name in ("score", "evidence", "assurance") if name in data)
    row = services.save_response(audit, agency_id, code, score=data.get("score"), evidence=data.get("evidence"),
                                 assurance=data.get("assurance"), user=current_api_user(),
                                 expected_version=_version(data.get("version")), fields=fields)
    # the saved answer (read by the schema, field by field) with the agency's progress beside it
    return {**{name: getattr(row, name) for name in AgencyResponseSchema().fields},
            "progress": _progress_out(services.progress(audit)[agency_id])}


def _progress_out(done):
    return {"scored": done["scored"], "total": done["total"],
            "domains": {str(n): {"scored": s, "total": t} for n, (s, t) in done["domains"].items()}}


@bp.get("/audits/<int:audit_id>/responses")
@requires(Perm.READ_OWN_RESPONSES)
@bp.arguments(ResponsesQuerySchema, location="query")
@bp.response(200, AgencyResponseSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_responses(query, audit_id):
    """The responses the caller may read (every agency's for board managers; an agency lead its own), optionally
    one agency's, in the framework's printed order."""
    audit = loaded("audit_id")
    agency_id = query["agency_id"]
    readable = _readable_agencies(audit)
    if agency_id is not None and agency_id not in readable:
        abort(404, description=_("This agency is not taking part in the audit"))
    return [r for r in services.audit_responses(audit, agency_id) if r.agency_id in readable]


@bp.put("/audits/<int:audit_id>/domain-responses/<int:agency_id>/<int:number>")
@requires(Perm.SCORE)
@bp.arguments(DomainResponseInSchema)
@bp.response(200, DomainResponseSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def put_domain_response(data, audit_id, agency_id, number):
    """Save an agency's comments and date completed for one domain (the boxes at the foot of its tool).

    Fields left out keep their value.
    """
    audit = loaded("audit_id")
    row = services.save_domain_response(audit, agency_id, number, comments=data.get("comments"),
                                        date_completed=data.get("date_completed"), user=current_api_user(),
                                        expected_version=_version(data.get("version")),
                                        fields=tuple(name for name in ("comments", "date_completed") if name in data))
    return row


@bp.get("/audits/<int:audit_id>/domain-responses")
@requires(Perm.READ_OWN_RESPONSES)
@bp.response(200, DomainResponseSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_domain_responses(audit_id):
    """Every agency's domain comments and dates completed."""
    audit = loaded("audit_id")
    readable = _readable_agencies(audit)
    return [r for r in services.audit_domain_responses(audit) if r.agency_id in readable]


@bp.post("/audits/<int:audit_id>/agencies/<int:agency_id>/submit")
@requires(Perm.SCORE)
@bp.response(200, AuditSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def submit_agency(audit_id, agency_id):
    """An agency says its scores are complete (every scored statement must have a score)."""
    audit = loaded("audit_id")
    services.submit_agency(audit, agency_id, user=current_api_user())
    return _audit_out(audit, services.participants(audit))


# -- consolidated and agreed scores -----------------------------------------------------------


@bp.get("/audits/<int:audit_id>/scores")
@requires(Perm.READ_AUDIT)
@bp.response(200, ScoresSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_scores(audit_id):
    """The partnership's picture: per statement every agency's score, the lowest, the agreed score
    (the lowest unless moderated), the spread and the disagreement flag; per domain the mean of the
    agreed scores and its % of the maximum."""
    audit = loaded("audit_id")
    result = services.consolidated(audit)
    versions = services.agreed_rows(audit)
    return {
        "statements": [_statement_out(s, versions.get(s.code)) for s in result.statements],
        "domains": [{"number": d.number, "mean": d.mean, "percent": d.percent} for d in result.domains],
        "overall_mean": result.overall_mean,
        **_provisional_out(audit),
    }


def _provisional_out(audit, participants=None) -> dict:
    """``provisional`` (the audit is open: its figures can still change) with ``returns_in`` of
    ``returns_total`` (participants that submitted, of all); one query unless given the participants."""
    participants = services.participants(audit) if participants is None else participants
    return {"provisional": services.provisional_from_participants(audit, participants).provisional,
            "returns_in": sum(1 for link, _agency in participants if link.submitted_at is not None),
            "returns_total": len(participants)}


def _statement_now(audit, code):
    result = services.consolidated(audit).by_code[code]
    return _statement_out(result, services.agreed_rows(audit).get(code))


@bp.put("/audits/<int:audit_id>/scores/<code>")
@requires(Perm.MODERATE)
@bp.arguments(AgreedInSchema)
@bp.response(200, StatementScoreSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def put_agreed_score(data, audit_id, code):
    """Set the partnership's agreed score for a statement (moderators).

    Above the lowest agency score it needs a ``justification`` (422 ``fields.justification``
    otherwise); every change is kept in the history.
    """
    audit = loaded("audit_id")
    services.set_agreed_score(audit, code, data.get("score"), data.get("justification") or "",
                              user=current_api_user(), expected_version=_version(data.get("version")))
    return _statement_now(audit, code)


@bp.delete("/audits/<int:audit_id>/scores/<code>")
@requires(Perm.MODERATE)
@bp.arguments(VersionQuerySchema, location="query")
@bp.response(200, StatementScoreSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def reset_agreed_score(query, audit_id, code):
    """Drop a moderated score: the agreed score goes back to the lowest agency score."""
    audit = loaded("audit_id")
    services.scored_statement(services.framework_of(audit), code)
    services.reset_agreed_score(audit, code, user=current_api_user(), expected_version=_version(query["version"]))
    return _statement_now(audit, code)


# -- graphs and exports -----------------------------------------------------------------------


def _file_content(content_type, description):
    """OpenAPI: a 200 answer that is a file of ``content_type``, not JSON."""
    return {"200": {"description": description,
                    "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}}


def _compare_ids(raw):
    ids = []
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():

            raise ServiceError.field("compare", _("List audit ids separated by commas, like 3,5"))
        ids.append(int(part))
    return ids


@bp.get("/audits/<int:audit_id>/radar.svg")
@requires(Perm.READ_AUDIT)
@bp.arguments(RadarQuerySchema, location="query")
@bp.response(200)
@bp.doc(responses=_file_content("image/svg+xml", "The 5-axis domain radar (means of the agreed scores), with "
                                                 "the compared cycles overlaid"))
@bp.alt_response(304, description="Not modified (the ETag still matches)")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def radar_svg(query, audit_id):
    """The domain radar graph as SVG, optionally with up to two other cycles of the same area overlaid.

    Served from the overview's chart cache with an ETag (``If-None-Match`` answers 304).
    """

    audit = loaded("audit_id")
    _compare_ids(query["compare"])  # 422 for anything but ids; unknown or foreign ids answer 404 below
    return overview.chart_response(overview.compare_audits(audit, query["compare"]), "domains")


def _export_response(audit, kind):
    return exports.download(audit, kind)


@bp.get("/audits/<int:audit_id>/export.xlsx")
@requires(Perm.READ_RESPONSES)
@bp.response(200)
@bp.doc(responses=_file_content("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                "The audit laid out like the printed audit tool: a summary, a sheet per domain, "
                                "a sheet per agency, with the framework's attribution"))
@bp.alt_response(404, response="NOT_FOUND")
def export_xlsx(audit_id):
    """The audit as an Excel workbook."""
    return _export_response(loaded("audit_id"), "xlsx")


@bp.get("/audits/<int:audit_id>/export.csv")
@requires(Perm.READ_RESPONSES)
@bp.response(200)
@bp.doc(responses=_file_content("text/csv", "One row per scored statement and agency: audit, cycle, domain, code, "
                                            "statement, agency, score, evidence, assurance, agreed, lowest, spread, "
                                            "disagreement (UTF-8 with a BOM)"))
@bp.alt_response(404, response="NOT_FOUND")
def export_csv(audit_id):
    """The audit as CSV: one row per scored statement and agency."""
    return _export_response(loaded("audit_id"), "csv")



# -- the board report as a file ----------------------------------------------------------------------


class ReportFileInSchema(ma.Schema):
    format = ma.fields.String(required=True, validate=ma.validate.OneOf(sorted(report_files.FORMATS)),
                              metadata={"description": "pdf or docx"})


@bp.post("/audits/<int:audit_id>/report")
@requires(Perm.READ_AUDIT)
@bp.arguments(ReportFileInSchema)
@bp.response(202, JobSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def start_report_file(data, audit_id):
    """Start making the board report as PDF or Word (a job, off the request): answers the job; follow
    ``GET /jobs/<id>`` until ``download_url`` is there. The file is made as the caller (it shows what
    they may read, in the language of this request) and only they may download it."""
    job = report_files.start_report_job(loaded("audit_id"), data["format"], current_api_user())
    return job_out(job)
