"""The training plugin's records in an area's archive (``hsbtrack_area_archive_types``, docs/area-archive.md):
courses, the people trained (not users: names and work emails of practitioners), sessions, completions,
headcounts, the evaluation instrument and its answers, supervision, and the reminders already sent to people
(their keys name completions, remapped on import, so that nobody is reminded twice). Pending spreadsheet
imports (files waiting for their preview) stay behind."""

import re

from hsbtrack.area_archive.rows import insert_rows, model_rows, model_type
from hsbtrack.area_archive.schema import RecordType, col, key, ref

from .models import (
    TrainingCompletion,
    TrainingCourse,
    TrainingHeadcount,
    TrainingImpactItem,
    TrainingImpactResponse,
    TrainingPerson,
    TrainingReminder,
    TrainingSession,
    TrainingSupervision,
)


def _in_area(model):
    return lambda area: model.area_id == area.id


COURSES = model_type("training.courses", TrainingCourse, (
    key(), ref("area_id", "area"), col("title", "text", "the course's title"), col("tier", "int", "its tier, 1 to 4"),
    col("provider", "text", "who runs it"), col("length_hours", "float", "its length in hours", nullable=True),
    col("refresher_months", "int", "after how many months it must be refreshed", nullable=True),
    col("created_at", "datetime", "when it was added"),
), _in_area(TrainingCourse), title="Training courses.", history_entities=("training_course", "training_settings=area",
                                                                          "training_import=area"))

PEOPLE = model_type("training.people", TrainingPerson, (
    key(), ref("area_id", "area"), ref("agency_id", "agencies", "their agency"), col("name", "text", "their name"),
    col("email", "text", "their work email (they are not users)", nullable=True),
    col("discipline", "text", "their discipline (police, teacher...)"), col("created_at", "datetime", "when added"),
    col("left_on", "date", "the day they left their agency (retention counts from it)", nullable=True),
), _in_area(TrainingPerson), title="People trained (practitioners, not users of hsbtrack).",
    history_entities=("training_person", "training_impact=training.people", "training_headcount=agencies"))

SESSIONS = model_type("training.sessions", TrainingSession, (
    key(), ref("area_id", "area"), ref("course_id", "training.courses"), col("held_on", "date", "when it was held"),
    col("created_at", "datetime", "when it was added"),
), _in_area(TrainingSession), title="Sessions of the courses.", history_entities=("training_session",))

COMPLETIONS = model_type("training.completions", TrainingCompletion, (
    key(), ref("area_id", "area"), ref("person_id", "training.people"), ref("course_id", "training.courses"),
    ref("session_id", "training.sessions", nullable=True),
    col("status", "text", "attended, completed or did_not_attend"), col("completed_on", "date", "when"),
    col("expires_on", "date", "when it must be refreshed", nullable=True),
), _in_area(TrainingCompletion), title="Each person's outcome of each course.")

HEADCOUNTS = model_type("training.headcounts", TrainingHeadcount, (
    key(), ref("area_id", "area"), ref("agency_id", "agencies"), col("discipline", "text", "the discipline"),
    col("headcount", "int", "how many people the agency employs in it"),
), _in_area(TrainingHeadcount), title="How many people each agency employs per discipline.")

IMPACT_ITEMS = model_type("training.impact_items", TrainingImpactItem, (
    key(), ref("area_id", "area"), col("subscale", "text", "attitudes, knowledge or self_efficacy"),
    col("text", "text", "the statement"), col("position", "int", "its place in the list"),
), _in_area(TrainingImpactItem), title="The area's evaluation instrument.", history_entities=("training_impact_item",))

IMPACT_RESPONSES = model_type("training.impact_responses", TrainingImpactResponse, (
    key(), ref("area_id", "area"), ref("person_id", "training.people"), ref("course_id", "training.courses"),
    ref("item_id", "training.impact_items"), col("phase", "text", "pre or post"), col("score", "int", "1 to 5"),
    col("answered_on", "date", "when"),
), _in_area(TrainingImpactResponse), title="Answers to the evaluation instrument, before and after a course.")

SUPERVISION = model_type("training.supervision", TrainingSupervision, (
    key(), ref("area_id", "area"), ref("person_id", "training.people"), col("held_on", "date", "when"),
    col("kind", "text", "individual or group"),
), _in_area(TrainingSupervision), title="Reflective supervision received.", history_entities=("training_supervision",))

# A reminder's key: "training-person:<completion id>:<stage>" (hsbtrack_training.reminders); others kept as they are.
PERSON_KEY = re.compile(r"^training-person:(\d+):(\w+)$")
REMINDER_FIELDS = (
    key(), ref("area_id", "area"),
    col("key", "text", "what was sent (training-person:<completion id>:<stage>; the completion is remapped)"),
    col("sent_at", "datetime", "when"),
)


def _import_reminders(area, rows, context):
    def values(row, context):
        match = PERSON_KEY.match(row["key"])
        if match is None:
            return {"key": row["key"]}
        completion = context.new_id("training.completions", int(match.group(1)), field="training.reminders.key")
        return {"key": f"training-person:{completion}:{match.group(2)}"}

    return insert_rows(TrainingReminder, "training.reminders", REMINDER_FIELDS, rows, context, values=values)


REMINDERS = RecordType("training.reminders", "Reminders already sent to people (so that none is sent twice).",
                       REMINDER_FIELDS,
                       lambda area, context: model_rows(TrainingReminder, REMINDER_FIELDS,
                                                        TrainingReminder.area_id == area.id),
                       _import_reminders, model=TrainingReminder)


def archive_types():
    return [COURSES, PEOPLE, SESSIONS, COMPLETIONS, HEADCOUNTS, IMPACT_ITEMS, IMPACT_RESPONSES, SUPERVISION,
            REMINDERS]

