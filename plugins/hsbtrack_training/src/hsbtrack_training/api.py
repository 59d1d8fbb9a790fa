"""The training plugin's records through the JSON API: courses and completions of an area, for
those who read training (``training.read``), paged for areas with many records."""

import marshmallow as ma
from sqlalchemy import select

from hsbtrack.api.schemas import Id
from hsbtrack.areas.roles import Perm
from hsbtrack.extensions import db
from hsbtrack.permissions import loaded, requires
from hsbtrack.plugins.blueprints import area_plugin_api_blueprint

from .models import TrainingCompletion, TrainingCourse, TrainingPerson

bp = area_plugin_api_blueprint("training", __name__, "Training records of an area (the training plugin)")

MAX_PAGE = 1000


class CourseSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    tier = ma.fields.Integer()
    provider = ma.fields.String()
    length_hours = ma.fields.Float(allow_none=True)
    refresher_months = ma.fields.Integer(allow_none=True)


class CompletionSchema(ma.Schema):
    id = ma.fields.Integer()
    person_id = ma.fields.Integer()
    person_name = ma.fields.String()
    agency_id = ma.fields.Integer()
    discipline = ma.fields.String()
    course_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "completed, attended or did not attend"})
    completed_on = ma.fields.Date()
    expires_on = ma.fields.Date(allow_none=True)


class CompletionPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CompletionSchema))
    next_after_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "Pass as after_id for the next page; null on the last page"})


class CompletionQuerySchema(ma.Schema):
    after_id = Id(load_default=None, allow_none=True, strict=False,
                  metadata={"description": "Only completions with a greater id (the previous page's next_after_id)"})
    limit = ma.fields.Integer(load_default=200, strict=False, validate=ma.validate.Range(min=1, max=MAX_PAGE),
                              metadata={"description": f"At most {MAX_PAGE} a page"})


@bp.get("/areas/<int:area_id>/training/courses")
@requires(Perm.READ_TRAINING)
@bp.response(200, CourseSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_courses(area_id):
    """The area's courses, by tier and title."""
    area = loaded("area_id")
    return db.session.scalars(select(TrainingCourse).where(TrainingCourse.area_id == area.id)
                              .order_by(TrainingCourse.tier, TrainingCourse.title, TrainingCourse.id)).all()


@bp.get("/areas/<int:area_id>/training/completions")
@requires(Perm.READ_TRAINING)
@bp.arguments(CompletionQuerySchema, location="query")
@bp.response(200, CompletionPageSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_completions(query, area_id):
    """Who did which course when, oldest record first, a page at a time (``after_id``, ``limit``)."""
    area = loaded("area_id")
    statement = (select(TrainingCompletion, TrainingPerson)
                 .join(TrainingPerson, TrainingPerson.id == TrainingCompletion.person_id)
                 .where(TrainingCompletion.area_id == area.id)
                 .order_by(TrainingCompletion.id).limit(query["limit"] + 1))
    if query["after_id"] is not None:
        statement = statement.where(TrainingCompletion.id > query["after_id"])
    rows = db.session.execute(statement).all()
    page = rows[:query["limit"]]
    items = [{"id": c.id, "person_id": p.id, "person_name": p.name, "agency_id": p.agency_id,
              "discipline": p.discipline, "course_id": c.course_id, "status": c.status,
              "completed_on": c.completed_on, "expires_on": c.expires_on} for c, p in page]
    return {"items": items, "next_after_id": page[-1][0].id if len(rows) > query["limit"] else None}
