"""Demo data: North Wales with the plugin on, a T1 round where three authorities have finished,
a regional action assigned to two authorities and a shared commissioning arrangement."""

from datetime import timedelta

from sqlalchemy import select

from hsbtrack.areas.models import Region
from hsbtrack.areas.services import add_region_member
from hsbtrack.audits import services as audits
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.plugins.services import set_region_plugin
from hsbtrack.timeutil import today
from hsbtrack_regional import services

DEMO_COORDINATOR = "board@example.org"
FINISHED = ("Conwy", "Gwynedd", "Wrexham")
# A score pattern per finished authority (cycled over the 46 statements), so the picture varies.
PATTERNS = {"Conwy": (2, 3, 1, 2, 3), "Gwynedd": (3, 2, 2, 4, 1), "Wrexham": (1, 2, 3, 1, 2)}


def seed_scores(audit, pattern, user=None) -> None:
    """Every participating agency scores every statement (pattern, minus one for the second agency)."""

    framework = audits.framework_of(audit)
    for index, agency_id in enumerate(audits.participant_ids(audit)):
        for i, statement in enumerate(framework.scored_statements):
            score = max(0, pattern[i % len(pattern)] - (1 if index == 1 and i % 4 == 0 else 0))
            evidence = f"Evidence of {audit.area.name} for {statement.code}" if i == 0 else None
            audits.save_response(audit, agency_id, statement.code, score=score, evidence=evidence, user=user)
        audits.submit_agency(audit, agency_id, user=user)


def build(user=None, finished=FINISHED):
    """The scenario the demo and the browser test share. Returns (region, round)."""

    region = services.preset_north_wales(user=user).region
    set_region_plugin(region, "regional", True, user=user)
    round_ = services.open_round(region, title="North Wales regional audit T1", user=user)
    for member in services.round_status(round_):
        if member.area.name in finished:
            # the member areas' own people would score and close; the demo has none there (the system)
            seed_scores(member.audit, PATTERNS.get(member.area.name, (2, 3, 1)))
            audits.close_audit(member.audit)
    return region, round_


def demo(area) -> None:
    if db.session.scalar(select(Region).where(Region.name == services.NORTH_WALES)) is not None:
        return
    user = db.session.scalar(select(User).where(User.email == DEMO_COORDINATOR))
    region, _round = build()  # set up by the system: the coordinator is appointed to the region it makes
    if user is not None:
        add_region_member(region, user.email, "regional_coordinator")
        members = {a.name: a for a in services.member_areas(region)}
        services.create_regional_action(
            region, title="Regional HSB pathway for children's services and police", due_on=today() + timedelta(days=90),
            statements=["3.1", "3.2"], area_ids=[members["Conwy"].id, members["Wrexham"].id], owner=user, user=user,
            description="One referral and assessment pathway across North Wales.")
        services.add_arrangement(
            region, arrangement="North Wales HSB assessment service", service="Specialist assessment and intervention",
            area_ids=[a.id for a in members.values()], cost_share="Equal sixths",
            start_on=today() - timedelta(days=365), review_on=today() + timedelta(days=20), user=user)
