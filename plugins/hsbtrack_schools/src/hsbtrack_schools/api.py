"""The schools plugin's records through the JSON API, behind the same wall as its pages: the area's
schools the caller may see (every school for those who read the area's audit, a school lead only
the schools they lead), and a school's self-assessment ratings, item by item."""

import marshmallow as ma
from flask import abort
from sqlalchemy import select

from hsbtrack.api.schemas import Id, UtcDateTime
from hsbtrack.areas.roles import Perm
from hsbtrack.extensions import db
from hsbtrack.permissions import current_actor, loaded, record_loader, requires
from hsbtrack.plugins.blueprints import area_plugin_api_blueprint

from . import services
from .models import RATINGS, Round
from .views import _load_school

bp = area_plugin_api_blueprint("schools", __name__, "Schools and their self-assessments (the schools plugin)")
record_loader("school_id", blueprint=bp.name)(_load_school)  # the school pages' loader and wall


class SchoolSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phase = ma.fields.String(metadata={"description": "secondary, further_education or other"})
    dsl_name = ma.fields.String(metadata={"description": "The designated safeguarding lead"})
    dsl_email = ma.fields.String()


class RoundSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    checklist_version = ma.fields.String()
    started_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)


class ItemRatingSchema(ma.Schema):
    code = ma.fields.String()
    area = ma.fields.String(metadata={"description": "structures, prevention, identification or response"})
    text = ma.fields.String()
    local = ma.fields.Boolean(metadata={"description": "An item this area added to the checklist"})
    rating = ma.fields.String(metadata={"description": ", ".join(RATINGS)})
    sources = ma.fields.List(ma.fields.String(), metadata={"description": "The evidence the rating rests on"})
    notes = ma.fields.String()


class RatingsSchema(ma.Schema):
    school_id = ma.fields.Integer()
    round = ma.fields.Nested(RoundSchema, allow_none=True, metadata={"description": "null before the first round"})
    items = ma.fields.List(ma.fields.Nested(ItemRatingSchema))


class RatingsQuerySchema(ma.Schema):
    round = Id(load_default=None, allow_none=True, strict=False,
               metadata={"description": "The round's number (default: the latest round)"})


@bp.get("/areas/<int:area_id>/schools/schools")
@requires(Perm.VIEW_AREA)
@bp.response(200, SchoolSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_schools(area_id):
    """The area's schools the caller may see, by name.

    All of them for those who read the area's audit; a school lead only the schools they lead."""
    return services.visible_schools(current_actor(), loaded("area_id"))


@bp.get("/areas/<int:area_id>/schools/schools/<int:school_id>/ratings")
@requires(Perm.VIEW_AREA)
@bp.arguments(RatingsQuerySchema, location="query")
@bp.response(200, RatingsSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def school_ratings(query, area_id, school_id):
    """A school's self-assessment ratings, item by item, in one round.

    The latest round unless ``round`` names another (404 if the school has no such round). Every
    item of the area's school checklist is listed; an item nobody rated yet is ``not_assessed``."""
    area, school = loaded("area_id"), loaded("school_id")
    statement = select(Round).where(Round.area_id == area.id, Round.checklist == "school",
                                    Round.school_id == school.id)
    if query["round"] is not None:
        statement = statement.where(Round.number == query["round"])
    round_ = db.session.scalar(statement.order_by(Round.number.desc()).limit(1))
    if round_ is None and query["round"] is not None:
        abort(404)
    ratings = services.ratings_for([round_.id])[round_.id] if round_ is not None else {}
    definition = services.checklist_for(area, "school")
    items = []
    for item in definition.items:
        rated = ratings.get(item.code)
        items.append({"code": item.code, "area": item.area, "text": item.text, "local": item.local,
                      "rating": rated.rating if rated else "not_assessed", "sources": rated.sources if rated else [],
                      "notes": rated.notes if rated else ""})
    return {"school_id": school.id, "round": round_, "items": items}
