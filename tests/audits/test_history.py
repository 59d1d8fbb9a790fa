"""History is complete: every change to a score, evidence, assurance, agreed score and justification
is recorded (who, when, old, new) and shown on the statement's page, newest first."""

import pytest

from hsbtrack.audits import services
from hsbtrack.history.services import entries_for_statement
from tests.audits.moderation_helpers import history_rows, make_audit, statement_url
from tests.conftest import login


@pytest.fixture()
def t(world):
    return make_audit(world)


def test_a_score_changed_three_times_has_three_entries_with_old_new_and_user(client, t):
    police = t.agencies["Police"]
    for value in (1, 2, 4):
        services.save_response(t.audit, police.id, "2.3", score=value, user=t.lead, fields=("score",))

    entries = entries_for_statement(t.audit.id, "2.3")
    assert [(e.entity, e.field, e.old_value, e.new_value, e.user_id) for e in entries] == [
        ("response", "score", 2, 4, t.lead.id),  # newest first
        ("response", "score", 1, 2, t.lead.id),
        ("response", "score", None, 1, t.lead.id),
    ]
    assert all(e.at is not None for e in entries)

    login(client, t.board)
    page = client.get(statement_url(t.area, t.audit, "2.3")).get_data(as_text=True)
    rows = history_rows(page)
    assert len(rows) == 3
    assert rows[0].endswith("lead@riverside.example.org Police: score 2 4"), rows
    assert rows[1].endswith("lead@riverside.example.org Police: score 1 2"), rows
    assert rows[2].endswith("lead@riverside.example.org Police: score none 1"), rows


def test_saving_the_same_value_again_adds_nothing(t):
    police = t.agencies["Police"]
    services.save_response(t.audit, police.id, "2.3", score=2, evidence="Audit of 20 cases", user=t.lead)
    services.save_response(t.audit, police.id, "2.3", score=2, evidence="Audit of 20 cases", user=t.lead)
    assert len(entries_for_statement(t.audit.id, "2.3")) == 2  # score and evidence, once


def test_evidence_assurance_agreed_score_and_justification_are_all_recorded(client, t):
    police, health = t.agencies["Police"], t.agencies["Health"]
    services.save_response(t.audit, police.id, "3.1", score=3, evidence="Case audit", assurance="Quarterly QA",
                           user=t.lead)
    services.save_response(t.audit, health.id, "3.1", score=1, user=t.board)
    services.save_response(t.audit, police.id, "3.1", evidence="Case audit of 40 files", user=t.lead,
                           fields=("evidence",))
    services.set_agreed_score(t.audit, "3.1", 2, "Health's pathway changed in March", user=t.board)
    services.reset_agreed_score(t.audit, "3.1", user=t.board)

    entries = entries_for_statement(t.audit.id, "3.1")
    recorded = {(e.entity, e.field) for e in entries}
    assert recorded == {("response", "score"), ("response", "evidence"), ("response", "assurance"),
                        ("agreed_score", "score"), ("agreed_score", "justification")}
    evidence_changes = [(e.old_value, e.new_value) for e in entries if e.field == "evidence"]
    assert evidence_changes == [("Case audit", "Case audit of 40 files"), ("", "Case audit")]
    agreed_changes = [(e.old_value, e.new_value) for e in entries if e.entity == "agreed_score" and e.field == "score"]
    assert agreed_changes == [(2, 1), (1, 2)]  # reset back to the lowest, then the moderation

    login(client, t.board)  # every agency's evidence history: those who read every agency's responses
    page = client.get(statement_url(t.area, t.audit, "3.1")).get_data(as_text=True)
    rows = history_rows(page)
    assert len(rows) == len(entries)
    text = "\n".join(rows)
    assert "Police: evidence Case audit Case audit of 40 files" in text
    assert "Police: assurance blank Quarterly QA" in text
    assert "Health: score none 1" in text
    assert "board@riverside.example.org Agreed score 1 2" in text
    assert "Agreed score: justification blank Health's pathway changed in March" in text
    assert "board@riverside.example.org Agreed score 2 1" in text

    # A viewer reads the agreed score's history, never an agency's evidence or its changes.
    viewer = app_client(client)
    login(viewer, t.viewer)
    text = "\n".join(history_rows(viewer.get(statement_url(t.area, t.audit, "3.1")).get_data(as_text=True)))
    assert "board@riverside.example.org Agreed score 1 2" in text
    assert "Case audit" not in text and "Quarterly QA" not in text


def app_client(client):
    return client.application.test_client()


def test_history_is_per_statement_and_per_audit(client, t, world):
    police = t.agencies["Police"]
    services.save_response(t.audit, police.id, "1.1", score=1, user=t.lead)
    services.save_response(t.audit, police.id, "1.2", score=3, user=t.lead)
    services.save_domain_response(t.audit, police.id, 1, comments="Domain comment", user=t.lead)
    login(client, t.board)
    rows = history_rows(client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True))
    assert len(rows) == 1 and rows[0].endswith("Police: score none 1")


def test_long_texts_fold_away_in_the_history(client, t):
    police = t.agencies["Police"]
    long_text = "Evidence " * 40
    services.save_response(t.audit, police.id, "1.1", evidence=long_text, user=t.lead, fields=("evidence",))
    login(client, t.board)
    page = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    assert '<details class="govuk-details' in page
    assert long_text.strip() in " ".join(page.split())
