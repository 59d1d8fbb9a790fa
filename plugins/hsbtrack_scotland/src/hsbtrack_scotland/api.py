"""CARM cases through the JSON API, for case workers (and admins) only (``scotland.cases``, as the
case pages): the area's cases a page at a time, and one case as its page shows it. Every read of
one case is written to the case's access log, as a read of its page is."""

import marshmallow as ma
from sqlalchemy import select

from hsbtrack.api.schemas import Id
from hsbtrack.extensions import db
from hsbtrack.permissions import current_actor, loaded, record_loader, requires
from hsbtrack.plugins.blueprints import area_plugin_api_blueprint

from . import services
from .models import CarmCase
from .services import CASE_PERM
from .views import _load_case

bp = area_plugin_api_blueprint("scotland", __name__, "CARM cases of an area (the Scotland plugin), for case workers")
record_loader("case_id", blueprint=bp.name)(_load_case)  # the case pages' loader, for this blueprint too

MAX_PAGE = 1000
CASE_FIELDS = ("id", "reference", "stage", "classification", "next_review_on", "age_at_referral", "age_reason",
               "gender", "learning_needs", "hackett", "setting", "referral_source", "referral_on", "ird_on",
               "ird_outcome", "stage_on", "closure_reason")


class CaseSummarySchema(ma.Schema):
    """A row of the case list on the CARM page."""

    id = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": "The case reference (never the child's name)"})
    stage = ma.fields.String(metadata={"description": ", ".join(services.STAGES)})
    classification = ma.fields.String(allow_none=True, metadata={"description": ", ".join(services.LEVELS)})
    next_review_on = ma.fields.Date(allow_none=True)


class CasePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CaseSummarySchema))
    next_after_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "Pass as after_id for the next page; null on the last page"})


class CaseQuerySchema(ma.Schema):
    after_id = Id(load_default=None, allow_none=True, strict=False,
                  metadata={"description": "Only cases with a greater id (the previous page's next_after_id)"})
    limit = ma.fields.Integer(load_default=200, strict=False, validate=ma.validate.Range(min=1, max=MAX_PAGE),
                              metadata={"description": f"At most {MAX_PAGE} a page"})


class StageEventSchema(ma.Schema):
    stage = ma.fields.String()
    on = ma.fields.Date()
    note = ma.fields.String()


class MeetingSchema(ma.Schema):
    held_on = ma.fields.Date()
    agencies = ma.fields.List(ma.fields.String(), attribute="agency_keys")
    missing_core = ma.fields.Method("_missing", metadata={"description": "Core agencies nobody came from"})
    child_participation = ma.fields.String()
    parents_participation = ma.fields.String()
    decisions = ma.fields.String()

    def _missing(self, meeting):
        return services.missing_core(meeting)


class ClassificationSchema(ma.Schema):
    level = ma.fields.String()
    on = ma.fields.Date()
    reason = ma.fields.String()


class PlanActionSchema(ma.Schema):
    section = ma.fields.String(metadata={"description": ", ".join(services.PLAN_SECTIONS)})
    action_id = ma.fields.Integer()
    title = ma.fields.String()
    owner_name = ma.fields.String(allow_none=True)
    due_on = ma.fields.Date()


class CaseSchema(CaseSummarySchema):
    """Everything the case page shows: no more."""

    age_at_referral = ma.fields.Integer()
    age_reason = ma.fields.String()
    gender = ma.fields.String()
    learning_needs = ma.fields.Boolean()
    hackett = ma.fields.String(metadata={"description": "Behaviour on Hackett's continuum"})
    setting = ma.fields.String()
    lead_professional = ma.fields.String(allow_none=True, metadata={"description": "The lead professional's name"})
    referral_source = ma.fields.String()
    referral_on = ma.fields.Date()
    ird_on = ma.fields.Date(allow_none=True)
    ird_outcome = ma.fields.String()
    stage_on = ma.fields.Date(metadata={"description": "When the case reached its stage (closed: the closure)"})
    closure_reason = ma.fields.String(allow_none=True)
    stages = ma.fields.List(ma.fields.Nested(StageEventSchema))
    meetings = ma.fields.List(ma.fields.Nested(MeetingSchema))
    classifications = ma.fields.List(ma.fields.Nested(ClassificationSchema), metadata={"description": "Newest first"})
    plan = ma.fields.List(ma.fields.Nested(PlanActionSchema), metadata={"description": "The risk management plan"})


@bp.get("/areas/<int:area_id>/scotland/cases")
@requires(CASE_PERM)
@bp.arguments(CaseQuerySchema, location="query")
@bp.response(200, CasePageSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_cases(query, area_id):
    """The area's cases as the case list shows them, oldest first, a page at a time (``after_id``, ``limit``).

    Reading the list is not logged (as the list on the CARM page); reading one case is."""
    area = loaded("area_id")
    statement = (select(CarmCase.id, CarmCase.reference, CarmCase.stage, CarmCase.classification,
                        CarmCase.next_review_on)
                 .where(CarmCase.area_id == area.id).order_by(CarmCase.id).limit(query["limit"] + 1))
    if query["after_id"] is not None:
        statement = statement.where(CarmCase.id > query["after_id"])
    rows = db.session.execute(statement).all()
    page = rows[:query["limit"]]
    return {"items": page, "next_after_id": page[-1].id if len(rows) > query["limit"] else None}


@bp.get("/areas/<int:area_id>/scotland/cases/<int:case_id>")
@requires(CASE_PERM)
@bp.response(200, CaseSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_case(area_id, case_id):
    """One case with its stages, meetings, risk classifications and risk management plan.

    What the case page shows, no more. The read is written to the case's access log, as a read of
    the case page is."""
    case = loaded("case_id")
    services.log_read(case, current_actor(), "case")
    plan = services.plan_actions(case)
    return {
        **{name: getattr(case, name) for name in CASE_FIELDS},
        "lead_professional": case.lead_professional.display_name if case.lead_professional else None,
        "stages": services.stage_events(case), "meetings": services.meetings(case),
        "classifications": services.classifications(case),
        "plan": [{"section": section, "action_id": a.id, "title": a.title, "due_on": a.due_on,
                  "owner_name": a.owner.display_name if a.owner else None}
                 for section, actions in plan.items() for a in actions],
    }
