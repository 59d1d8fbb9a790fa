"""Moderation that stays true (issue 15): an agreed score remembers the lowest agency score it was
agreed against; when that lowest score changes, the agreed score is flagged — on the grid, the
statement page, the audit page and in the API — until someone confirms it (saves it again) or
changes it, and the confirmation is in the history."""

import pytest

from hsbtrack.audits import services
from tests.audits.moderation_helpers import (
    history_rows,
    make_audit,
    matrix_url,
    row,
    score,
    statement_url,
    text_of,
)
from tests.audits.test_moderation import flags, post_agreed
from tests.conftest import api_headers, login


@pytest.fixture()
def t(world):
    """1.1 scored 2 (Police), 3 (Health), 2 (Education): lowest 2; the board raised it to 3, justified."""
    t = make_audit(world)
    for name, value in (("Police", 2), ("Health", 3), ("Education", 2)):
        score(t.audit, t.agencies[name], "1.1", value, user=t.board)
    services.set_agreed_score(t.audit, "1.1", 3, "Police's new pathway started in March", user=t.board)
    return t


def test_a_lower_score_after_moderation_flags_the_agreed_score_until_it_is_confirmed(client, t):
    login(client, t.board)
    assert not services.consolidated(t.audit).by_code["1.1"].stale
    assert "To confirm again" not in client.get(matrix_url(t.area, t.audit)).get_data(as_text=True)

    score(t.audit, t.agencies["Police"], "1.1", 1, user=t.lead)  # Police now scores lower

    result = services.consolidated(t.audit).by_code["1.1"]
    assert (result.agreed, result.lowest, result.stale) == (3, 1, True)
    grid = client.get(matrix_url(t.area, t.audit)).get_data(as_text=True)
    assert "To confirm again" in flags(row(grid, "1.1"))
    assert "To confirm again" not in flags(row(grid, "1.2") or "")
    assert "To confirm again: the lowest score has changed 1" in text_of(grid)
    only = client.get(matrix_url(t.area, t.audit, stale=1)).get_data(as_text=True)
    assert row(only, "1.1") is not None and row(only, "1.2") is None

    statement = text_of(client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True))
    assert ("The agreed score was agreed when the lowest agency score was 2; it is now 1. "
            "Confirm the agreed score (save it again) or change it.") in statement
    detail = text_of(client.get(f"/areas/{t.area.id}/audits/{t.audit.id}/").get_data(as_text=True))
    assert "1 agreed score was agreed against a lowest agency score that has changed since." in detail

    scores = client.get(f"/api/v1/audits/{t.audit.id}/scores", headers=api_headers(t.board)).get_json()
    by_code = {s["code"]: s for s in scores["statements"]}
    assert by_code["1.1"]["stale"] is True and by_code["1.2"]["stale"] is False

    # the board confirms it, with the same score and justification: no longer stale, and on record
    version = services.agreed_rows(t.audit)["1.1"].version
    response = post_agreed(client, t, {"score": "3", "justification": "Police's new pathway started in March",
                                       "version": str(version)})
    assert response.status_code == 302
    assert not services.consolidated(t.audit).by_code["1.1"].stale
    page = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    assert "The agreed score was agreed when" not in text_of(page)
    assert any("confirmed against the lowest score 2 1" in r for r in history_rows(page)), history_rows(page)


def test_changing_the_agreed_score_clears_the_flag_and_a_higher_lowest_flags_it_too(client, t):
    score(t.audit, t.agencies["Education"], "1.1", 3, user=t.board)
    score(t.audit, t.agencies["Police"], "1.1", 3, user=t.board)  # lowest rises from 2 to 3
    assert services.consolidated(t.audit).by_code["1.1"].stale
    services.set_agreed_score(t.audit, "1.1", 3, "", user=t.board)  # now simply the lowest: no justification
    assert not services.consolidated(t.audit).by_code["1.1"].stale


def test_the_dashboard_roll_up_sees_the_same_flag(t):
    score(t.audit, t.agencies["Police"], "1.1", 1, user=t.board)
    assert services.agreed_many([t.audit])[t.audit.id].by_code["1.1"].stale
    assert [s.code for s in services.consolidated_many([t.audit])[t.audit.id].stale()] == ["1.1"]
