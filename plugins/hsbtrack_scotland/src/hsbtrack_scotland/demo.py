"""Demo: a separate Scottish area (the English demo keeps its own words), with the plugin on, a case
worker and two cases."""

from datetime import timedelta

from hsbtrack.areas import services as areas
from hsbtrack.areas.demo import demo_password_hash
from hsbtrack.areas.models import Area
from hsbtrack.extensions import db
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.timeutil import today, utcnow

from . import services

DEMO_AREA = "Glenmore Child Protection Committee"
CASE_WORKER = "caseworker@example.org"


def create_demo(english_area):
    from sqlalchemy import select



    if db.session.scalar(select(Area.id).where(Area.name == DEMO_AREA)) is not None:
        return
    area = areas.create_area(DEMO_AREA, None)
    for name in ("Police Scotland", "NHS Glenmore", "Glenmore Council Social Work", "Glenmore Council Education"):
        areas.create_agency(area, name)
    worker = _user(CASE_WORKER, "Morag Campbell", area, "case_worker")
    _user("board@example.org", None, area, "board_manager")
    db.session.commit()
    set_area_plugin(area, "scotland", True)
    on = today()
    first = services.create_case(area, {
        "reference": "GLN-2026-001", "age_at_referral": "14", "gender": "male", "learning_needs": True,
        "hackett": "abusive", "setting": "home", "lead_professional_id": str(worker.id),
        "ird_on": on - timedelta(days=62), "ird_outcome": "Referred to CARM", "referral_source": "Police Scotland",
        "referral_on": on - timedelta(days=60)}, user=worker)
    services.move_to(first, "decision", on - timedelta(days=55), user=worker)
    services.add_meeting(first, {"held_on": on - timedelta(days=45), "agencies": ["police", "health", "social_work"],
                                 "child_participation": "views_given", "parents_participation": "attended",
                                 "decisions": "Risk assessment by social work within four weeks."}, user=worker)
    services.move_to(first, "initial_meeting", on - timedelta(days=45), user=worker)
    services.move_to(first, "risk_assessment", on - timedelta(days=40), user=worker)
    services.classify(first, "attentive", on - timedelta(days=30), "Assessment completed", user=worker)
    services.move_to(first, "risk_management_plan", on - timedelta(days=30), user=worker)
    services.add_plan_action(area, first, "supervision", title="Agree school supervision arrangements",
                             owner=worker, due_on=on + timedelta(days=10), user=worker)
    services.create_case(area, {
        "reference": "GLN-2026-002", "age_at_referral": "16", "gender": "female", "learning_needs": False,
        "hackett": "problematic", "setting": "care", "lead_professional_id": str(worker.id), "ird_on": None,
        "ird_outcome": "", "referral_source": "Residential care provider", "referral_on": on - timedelta(days=5)},
        user=worker)


def _user(email, name, area, role):
    """A demo login with the same password as the core's demo logins."""

    _membership, user, created = areas.add_area_member(area, email, role, None, name or "")
    if created or user.activated_at is None:
        user.password_hash = demo_password_hash()
        user.activated_at = user.activated_at or utcnow()
    return user
