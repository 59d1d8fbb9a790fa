"""The audit commands check the access model themselves, as the action commands do: whatever calls
them (a page, the API, a plugin acting for a person), a person without the permission is refused
with ForbiddenError and nothing is written. The system (scheduler, imports, demo) passes no user."""

import pytest

from hsbtrack.audits import services
from hsbtrack.audits.models import AgreedScore, Response
from hsbtrack.errors import ForbiddenError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from tests.audits.moderation_helpers import make_audit


@pytest.fixture()
def t(world):
    return make_audit(world)


def _written():
    return (db.session.query(Response).count(), db.session.query(AgreedScore).count(),
            db.session.query(HistoryEntry).count())


def test_people_without_the_permission_are_refused_and_nothing_is_written(t):
    police, health = t.agencies["Police"], t.agencies["Health"]
    before = _written()
    refused = [
        lambda: services.save_response(t.audit, police.id, "1.1", score=2, user=t.viewer),
        lambda: services.save_response(t.audit, health.id, "1.1", score=2, user=t.lead),  # not their agency
        lambda: services.save_domain_response(t.audit, health.id, 1, comments="x", user=t.lead),
        lambda: services.submit_agency(t.audit, health.id, user=t.lead),
        lambda: services.set_agreed_score(t.audit, "1.1", 3, "Agreed", user=t.lead),
        lambda: services.reset_agreed_score(t.audit, "1.1", user=t.viewer),
        lambda: services.close_audit(t.audit, user=t.lead),
    ]
    for command in refused:
        with pytest.raises(ForbiddenError):
            command()
        db.session.rollback()
    assert _written() == before
    assert t.audit.status == "open"


def test_the_holders_of_the_permission_and_the_system_are_let_through(t):
    police, health = t.agencies["Police"], t.agencies["Health"]
    services.save_response(t.audit, police.id, "1.1", score=2, user=t.lead)  # their own agency
    services.save_response(t.audit, health.id, "1.1", score=1, user=t.board)  # the board, any agency
    services.save_response(t.audit, health.id, "1.2", score=3)  # the system (an import, the demo)
    services.set_agreed_score(t.audit, "1.1", 1, user=t.board)
    assert {(r.agency_id, r.code, r.score) for r in db.session.query(Response)} == {
        (police.id, "1.1", 2), (health.id, "1.1", 1), (health.id, "1.2", 3)}
    services.close_audit(t.audit, user=t.board, override_reason="the test closes it with statements unscored")
    assert t.audit.status == "closed"
