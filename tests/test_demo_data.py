"""The demo reads like a real partnership: dates in order and in the past, several people writing, and
evidence that sounds like evidence (issue 15, finding 10)."""

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.conftest import login


def test_demo_dates_are_in_order_and_in_the_past(ctx, client):
    from hsbtrack.actions.models import Action, ActionUpdate
    from hsbtrack.areas.models import Area
    from hsbtrack.audits.models import AgreedScore, Audit, AuditAgency, DomainResponse, Response
    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry
    from hsbtrack.timeutil import today, utcnow

    result = ctx.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    now = utcnow() + timedelta(seconds=1)
    area = db.session.scalar(select(Area).where(Area.name == "Riverside Safeguarding Partnership"))
    t1, t2 = db.session.scalars(select(Audit).where(Audit.area_id == area.id).order_by(Audit.cycle)).all()

    # T1: opened, scored, submitted, moderated, completed, in that order; T2 opened after T1 was completed.
    def span(model, column, audit):
        stamp = getattr(model, column)
        return db.session.execute(select(func.min(stamp), func.max(stamp)).where(model.audit_id == audit.id)).one()

    first, last = span(Response, "updated_at", t1)
    _submitted_first, submitted_last = span(AuditAgency, "submitted_at", t1)
    moderated = db.session.scalar(select(AgreedScore.moderated_at).where(AgreedScore.audit_id == t1.id))
    assert t1.opened_at < first <= last < submitted_last < moderated
    for link in db.session.scalars(select(AuditAgency).where(AuditAgency.audit_id == t1.id)):
        own_last = db.session.scalar(select(func.max(Response.updated_at)).where(
            Response.audit_id == t1.id, Response.agency_id == link.agency_id))
        assert own_last < link.submitted_at  # each agency submits after its last answer
    assert moderated.date() <= t1.completed_on < t2.opened_at.date() <= today()
    assert t1.completed_on <= today() - timedelta(days=90)  # a six-month re-audit follows a baseline months old
    domain_dates = db.session.scalars(select(DomainResponse.date_completed).where(DomainResponse.audit_id == t1.id))
    assert all(t1.opened_at.date() <= d <= t1.completed_on for d in domain_dates)
    t2_first, t2_last = span(Response, "updated_at", t2)
    assert t2.opened_at < t2_first <= t2_last < now

    # Actions come from T1's findings after it was completed, and are updated after that, never ahead.
    plan = db.session.scalars(select(Action).where(Action.area_id == area.id)).all()
    assert plan
    for action in plan:
        assert t1.completed_on <= action.created_at.date() <= action.updated_at.date() <= today()
        for update in db.session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action.id)):
            assert action.created_at < update.created_at < now
        if action.completed_on:
            assert action.created_at.date() <= action.completed_on <= today()
    # Nothing anywhere in the future, history included; the history tells the same story.
    assert db.session.scalar(select(func.max(HistoryEntry.at)).where(HistoryEntry.area_id == area.id)) < now
    audit_history = db.session.execute(select(HistoryEntry.field, HistoryEntry.at).where(
        HistoryEntry.entity == "audit", HistoryEntry.entity_id == t1.id).order_by(HistoryEntry.id)).all()
    assert [h.at.date() for h in audit_history if h.field == "status"] == [t1.completed_on]
    response_history = db.session.scalar(select(func.min(HistoryEntry.at)).where(
        HistoryEntry.entity == "response", HistoryEntry.audit_id == t1.id))
    assert response_history == first
    for model, column in ((Audit, "opened_at"), (Response, "updated_at"), (ActionUpdate, "created_at")):
        assert db.session.scalar(select(func.max(getattr(model, column)))) < now


def test_demo_answers_are_written_by_several_people_with_real_sounding_evidence(ctx, client):
    from hsbtrack.actions.models import ActionUpdate
    from hsbtrack.areas.demo import DEMO_PASSWORD
    from hsbtrack.areas.models import Area
    from hsbtrack.audits.models import Audit, Response
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db

    result = ctx.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    area = db.session.scalar(select(Area).where(Area.name == "Riverside Safeguarding Partnership"))
    audit_ids = db.session.scalars(select(Audit.id).where(Audit.area_id == area.id)).all()
    rows = db.session.execute(select(Response.agency_id, Response.evidence, Response.assurance, Response.updated_by_id)
                              .where(Response.audit_id.in_(audit_ids))).all()
    evidence = {r.evidence for r in rows}
    authors = {r.updated_by_id for r in rows}
    assert len(rows) == 46 * 7
    assert len(evidence) > 200  # not "X: updated evidence" over and over
    assert not [e for e in evidence if re.search(r"updated evidence|evidence for \d", e)]
    assert sum(1 for e in evidence if re.search(r"\b\d+ of \d+\b", e)) > 150  # counts, as evidence has
    assert sum(1 for e in evidence if re.search(r"(January|February|March|April|May|June|July|August|September|"
                                                r"October|November|December) 20\d\d", e)) > 150
    assert len({r.assurance for r in rows}) >= 4
    assert len(authors) >= 8  # each agency's lead and a colleague, not the board manager for everyone
    board = db.session.scalar(select(User.id).where(User.email == "board@example.org"))
    assert board not in authors
    for agency_id in {r.agency_id for r in rows}:
        assert len({r.updated_by_id for r in rows if r.agency_id == agency_id}) >= 2
    updates = db.session.execute(select(ActionUpdate.user_id, ActionUpdate.note)).all()
    assert len({u.user_id for u in updates}) >= 4 and len({u.note for u in updates}) == len(updates)

    # the demo's own people need no password and are not printed; the printed logins still sign in
    assert "riverside.example" not in result.output
    login(client, "police@example.org", DEMO_PASSWORD)
    assert client.get(f"/areas/{area.id}/").status_code == 200


def test_demo_evidence_is_deterministic_and_varied():
    from datetime import date

    from hsbtrack.audits.demo import evidence_for

    class Statement:
        def __init__(self, code):
            self.code, self.domain_number = code, int(code[0])

    on = date(2026, 4, 10)
    texts = {evidence_for(agency, Statement(f"{d}.{n}"), 1, on)[0]
             for agency in ("Police", "Health", "Education") for d in range(1, 6) for n in range(1, 9)}
    assert len(texts) == 3 * 5 * 8
    assert evidence_for("Police", Statement("1.1"), 1, on) == evidence_for("Police", Statement("1.1"), 1, on)
    for text in texts:  # every date it mentions is before the day it was written
        month = re.search(r"(\w+) (20\d\d)", text)
        assert month and datetime.strptime(" ".join(month.groups()), "%B %Y").date() < on, text
