"""The scene of issue 15's finding 3: T1 closed, T2 open with two of three returns in (Police has not
scored), and an action of the cycle on 1.1. Used by the page tests and the browser test."""

from datetime import date, timedelta
from types import SimpleNamespace

from hsbtrack.actions import services as actions
from hsbtrack.audits import services
from hsbtrack.extensions import db
from tests.conftest import OPENED_EARLIER


def score_every_statement(audit, agency, value):
    for statement in services.framework_of(audit).scored_statements:
        services.save_response(audit, agency.id, statement.code, score=value)


def finding_three(world, name="Riverside"):
    """Riverside (Police, Health, Education). T1, closed: every agency scored every statement 1
    (means 1.00). T2, open: Health scored 3 and Education 2 everywhere and both submitted; Police has
    not scored (2 of 3 returns in; T2's means read 2.00, "up 1.00", but they are provisional)."""
    area = world.area(name)
    slug = name.lower()
    board = world.user(f"board@{slug}.example.org", area, "board_manager")
    viewer = world.user(f"viewer@{slug}.example.org", area, "viewer")
    agencies = {a.name: a for a in area.agencies}
    t1 = services.open_audit(area, user=board)
    t1.opened_at = OPENED_EARLIER
    db.session.commit()
    for agency in agencies.values():
        score_every_statement(t1, agency, 1)
        services.submit_agency(t1, agency.id)
    services.close_audit(t1, user=board, completed_on=date(2024, 6, 1))
    t2 = services.open_audit(area, user=board)
    for agency_name, value in (("Health", 3), ("Education", 2)):
        score_every_statement(t2, agencies[agency_name], value)
        services.submit_agency(t2, agencies[agency_name].id)
    action = actions.create_action(area, title="Publish the harmful sexual behaviour pathway", owner=board,
                                   due_on=date.today() + timedelta(days=30), statements=["1.1", "1.2"],
                                   status="in_progress", audit=t1, user=board)
    return SimpleNamespace(area=area, board=board, viewer=viewer, agencies=agencies, t1=t1, t2=t2, action=action)
