"""The Scotland plugin's records in an area's archive (``hsbtrack_area_archive_types``, docs/area-archive.md):
CARM cases (pseudonymised: a reference, never a child's name) with their stages, meetings, classifications,
risk management plan actions (core actions that keep their wall, ``restricted_to``) and the log of who read
each case. The plugin's settings (review intervals) travel with the core's ``plugin_states``."""

from sqlalchemy import select

from hsbtrack.area_archive.rows import model_type
from hsbtrack.area_archive.schema import col, key, ref

from .models import AccessLog, CarmCase, Classification, Meeting, PlanAction, StageEvent


def _of_cases(column):
    return lambda area: column.in_(select(CarmCase.id).where(CarmCase.area_id == area.id))


CASES = model_type("scotland.cases", CarmCase, (
    key(), ref("area_id", "area"), col("reference", "text", "the case reference (unique in the area)"),
    col("age_at_referral", "int", "age at referral"), col("age_reason", "text", "why a case outside the age range"),
    col("gender", "text", "gender"), col("learning_needs", "bool", "learning needs"),
    col("hackett", "text", "Hackett's continuum"), col("setting", "text", "where it happened"),
    ref("lead_professional_id", "users", "the lead professional", nullable=True),
    col("ird_on", "date", "the inter-agency referral discussion", nullable=True),
    col("ird_outcome", "text", "its outcome"), col("referral_source", "text", "who referred"),
    col("referral_on", "date", "when"), col("stage", "text", "the current stage"),
    col("stage_on", "date", "since when"), col("closure_reason", "text", "why it closed", nullable=True),
    col("classification", "text", "the current risk classification", nullable=True),
    col("next_review_on", "date", "the next review", nullable=True), col("created_at", "datetime", "when recorded"),
    col("version", "int", "its edit counter"),
), lambda area: CarmCase.area_id == area.id, title="CARM cases (pseudonymised).",
    history_entities=("scotland_case",))

STAGES = model_type("scotland.stage_events", StageEvent, (
    key(), ref("case_id", "scotland.cases"), col("stage", "text", "the stage reached"), col("on", "date", "when"),
    col("note", "text", "a note"), ref("user_id", "users", "who recorded it", nullable=True),
), _of_cases(StageEvent.case_id), title="The stages each case reached, dated.")

MEETINGS = model_type("scotland.meetings", Meeting, (
    key(), ref("case_id", "scotland.cases"), col("held_on", "date", "when"),
    col("agencies", "text", "the agencies present (keys, comma-separated)"),
    col("other_attendees", "text", "others present"), col("child_participation", "text", "the child's participation"),
    col("parents_participation", "text", "the parents' participation"), col("decisions", "text", "decisions"),
    ref("user_id", "users", "who recorded it", nullable=True),
), _of_cases(Meeting.case_id), title="CARM meetings.", history_entities=("scotland_meeting",))

CLASSIFICATIONS = model_type("scotland.classifications", Classification, (
    key(), ref("case_id", "scotland.cases"), col("level", "text", "aware, attentive, active or alert"),
    col("on", "date", "when"), col("reason", "text", "why"), ref("user_id", "users", "who", nullable=True),
), _of_cases(Classification.case_id), title="Each case's risk classifications.")

PLAN_ACTIONS = model_type("scotland.plan_actions", PlanAction, (
    key(), ref("case_id", "scotland.cases"), col("section", "text", "the plan's section"),
    ref("action_id", "actions", "the core action (walled: restricted_to scotland.cases)"),
), _of_cases(PlanAction.case_id), title="Risk management plan actions.")

ACCESS_LOG = model_type("scotland.access_log", AccessLog, (
    key(), ref("area_id", "area"), ref("case_id", "scotland.cases"),
    ref("user_id", "users", "who read it", nullable=True), col("page", "text", "what they read"),
    col("at", "datetime", "when"),
), lambda area: AccessLog.area_id == area.id, title="Every read of a case.")


def archive_types():
    return [CASES, STAGES, MEETINGS, CLASSIFICATIONS, PLAN_ACTIONS, ACCESS_LOG]
