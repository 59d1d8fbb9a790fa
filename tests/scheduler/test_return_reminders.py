"""Reminders about returns (issue 15, finding 4) with the clock moved: agency leads whose return is not
submitted hear 7 days before the date returns are due and the day after it, once each, in their own
language; a submitted return and another agency's leads hear nothing; each stage is recorded as a
reminder the board's tracker shows."""

from datetime import date, timedelta

import pytest
import time_machine

from tests.scheduler.conftest import at, days, notifications, run_day

DUE = date(2027, 1, 15)
OPENED = date(2026, 12, 1)


@pytest.fixture()
def returns_scene(world):
    from hsbtrack.audits import services

    area = world.area("Riverside")
    police, health = (next(a for a in area.agencies if a.name == n) for n in ("Police", "Health"))
    scene = type("ReturnsScene", (), {})()
    scene.area, scene.police, scene.health = area, police, health
    scene.board = world.user("board@example.org", area, "board_manager")
    scene.police_lead = world.user("police@example.org", area, "agency_lead", agency=police)
    scene.heddlu = world.user("heddlu@example.org", area, "agency_lead", agency=police, locale="cy")
    scene.health_lead = world.user("health@example.org", area, "agency_lead", agency=health)
    with time_machine.travel(at(OPENED), tick=False):
        scene.audit = services.open_audit(area, user=scene.board, agency_ids=[police.id, health.id],
                                          return_due_on=DUE)
        for statement in services.framework_of(scene.audit).scored_statements:
            services.save_response(scene.audit, health.id, statement.code, score=2, user=scene.board)
        services.submit_agency(scene.audit, health.id, user=scene.board)
        services.save_response(scene.audit, police.id, "1.1", score=2, user=scene.board)
    return scene


def test_agency_leads_are_reminded_seven_days_before_and_the_day_after_once_each(app, returns_scene, outbox):
    from sqlalchemy import select

    from hsbtrack.audits.models import ReturnReminder
    from hsbtrack.extensions import db

    s = returns_scene
    made = {}
    for day in days(OPENED + timedelta(days=1), DUE + timedelta(days=20)):
        for hour in (9, 15):
            run_day(app, day, hour, jobs={"core.returns"})
        new = [n for n in notifications(kind="return") if n.id not in {m.id for ms in made.values() for m in ms}]
        if new:
            made[day] = new
    assert sorted(made) == [DUE - timedelta(days=7), DUE + timedelta(days=1)]
    before, after = made[DUE - timedelta(days=7)], made[DUE + timedelta(days=1)]
    for batch in (before, after):
        assert sorted(n.user_id for n in batch) == sorted([s.police_lead.id, s.heddlu.id])  # Health submitted
    english = {n.user_id: n for n in before}[s.police_lead.id]
    assert english.subject == "The T1 return of Police is due on 15 January 2027"
    assert "Police has 45 statements still to score" in english.body
    welsh = {n.user_id: n for n in before}[s.heddlu.id]
    assert "Ionawr" in welsh.subject and "Police has" not in welsh.body
    late = {n.user_id: n for n in after}[s.police_lead.id]
    assert late.subject == "The T1 return of Police was due on 15 January 2027"
    assert sorted(m["To"] for m in outbox) == sorted([s.police_lead.email, s.heddlu.email] * 2)

    reminders = list(db.session.scalars(select(ReturnReminder).order_by(ReturnReminder.id)))
    assert [(r.agency_id, r.kind, r.sent_by_id) for r in reminders] == [
        (s.police.id, "before_deadline", None), (s.police.id, "after_deadline", None)]


def test_a_new_date_starts_again_and_a_submitted_return_stops_the_reminders(app, returns_scene):
    from hsbtrack.audits import returns, services
    from hsbtrack.extensions import db

    s = returns_scene
    run_day(app, DUE - timedelta(days=6), jobs={"core.returns"})
    assert len(notifications(kind="return")) == 2
    with time_machine.travel(at(DUE - timedelta(days=5)), tick=False):
        returns.set_return_due(s.audit, (DUE + timedelta(days=14)).isoformat(), user=s.board)
    run_day(app, DUE - timedelta(days=5), jobs={"core.returns"})
    assert len(notifications(kind="return")) == 2  # the new date is three weeks off
    run_day(app, DUE + timedelta(days=8), jobs={"core.returns"})
    assert len(notifications(kind="return")) == 4  # 7 days before the new date
    with time_machine.travel(at(DUE + timedelta(days=9)), tick=False):
        for statement in services.framework_of(s.audit).scored_statements:
            services.save_response(s.audit, s.police.id, statement.code, score=1, user=s.board)
        services.submit_agency(db.session.merge(s.audit), s.police.id, user=s.board)
    run_day(app, DUE + timedelta(days=16), jobs={"core.returns"})
    assert len(notifications(kind="return")) == 4
