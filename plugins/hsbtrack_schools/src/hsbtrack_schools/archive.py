"""The schools plugin's records in an area's archive (``hsbtrack_area_archive_types``, docs/area-archive.md):
the area's schools and their leads, its local checklist items, every self-assessment round with its ratings,
harm counts and the core actions made from its red items."""

from sqlalchemy import select

from hsbtrack.area_archive.rows import model_type
from hsbtrack.area_archive.schema import col, key, ref

from .models import HarmCount, ItemAction, LocalItem, Rating, Round, School, SchoolLead


def _of_rounds(column):
    return lambda area: column.in_(select(Round.id).where(Round.area_id == area.id))


SCHOOLS = model_type("schools.schools", School, (
    key(), ref("area_id", "area"), col("name", "text", "its name (unique in the area)"),
    col("phase", "text", "secondary, further_education or other"),
    col("dsl_name", "text", "its designated safeguarding lead"), col("dsl_email", "text", "their email"),
    col("created_at", "datetime", "when it was added"),
), lambda area: School.area_id == area.id, title="Schools and colleges of the area.",
    history_entities=("schools_school",))

LEADS = model_type("schools.leads", SchoolLead, (
    key(), ref("user_id", "users", "the school lead (a user with the school_lead role)"),
    ref("school_id", "schools.schools"), col("created_at", "datetime", "when"),
), lambda area: SchoolLead.school_id.in_(select(School.id).where(School.area_id == area.id)),
    title="Which school each school lead leads.", history_entities=("schools_lead",))

LOCAL_ITEMS = model_type("schools.local_items", LocalItem, (
    key(), ref("area_id", "area"), col("checklist", "text", "school or partnership"),
    col("section", "text", "its area of the checklist"), col("code", "text", "its code"), col("text", "text", "its text"),
    col("created_at", "datetime", "when it was added"),
), lambda area: LocalItem.area_id == area.id, title="Items the area added to the checklists.",
    history_entities=("schools_local_item",))

ROUNDS = model_type("schools.rounds", Round, (
    key(), ref("area_id", "area"),
    ref("school_id", "schools.schools", "the school (empty: the partnership's own)", nullable=True),
    col("checklist", "text", "school or partnership"), col("checklist_version", "text", "the checklist's version"),
    col("number", "int", "1, 2, 3... per school"), col("started_at", "datetime", "when it started"),
    col("completed_at", "datetime", "when it was completed", nullable=True),
    ref("created_by_id", "users", "who started it", nullable=True),
), lambda area: Round.area_id == area.id, title="Self-assessments.", history_entities=("schools_round",))

RATINGS = model_type("schools.ratings", Rating, (
    key(), ref("round_id", "schools.rounds"), col("item_code", "text", "the checklist item"),
    col("rating", "text", "green, amber, red or not_assessed"), col("sources", "json", "its evidence sources"),
    col("notes", "text", "notes"), col("updated_at", "datetime", "when it was last saved"),
    ref("updated_by_id", "users", "who saved it", nullable=True),
), _of_rounds(Rating.round_id), title="The rating of each item in each self-assessment.",
    history_entities=("schools_rating",))

HARM_COUNTS = model_type("schools.harm_counts", HarmCount, (
    key(), ref("round_id", "schools.rounds"), col("category", "text", "the form of harm"),
    col("count", "int", "how many reports"),
), _of_rounds(HarmCount.round_id), title="Reports of each form of harm a school counted in a round.")

ITEM_ACTIONS = model_type("schools.item_actions", ItemAction, (
    key(), ref("round_id", "schools.rounds"), col("item_code", "text", "the red item"),
    ref("action_id", "actions", "the core action made from it"),
), _of_rounds(ItemAction.round_id), title="Core actions made from red items.")


def archive_types():
    return [SCHOOLS, LEADS, LOCAL_ITEMS, ROUNDS, RATINGS, HARM_COUNTS, ITEM_ACTIONS]
