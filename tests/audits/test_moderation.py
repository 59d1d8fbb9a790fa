"""The moderation pages: the statements × agencies matrix, the statement page and the agreed score."""

import re

import pytest
from sqlalchemy import func, select

from hsbtrack.audits import services
from hsbtrack.audits.models import AgreedScore, Response
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from tests.audits.moderation_helpers import (
    cell,
    field_error,
    history_rows,
    make_audit,
    matrix_url,
    row,
    score,
    statement_url,
    text_of,
)
from tests.conftest import count_queries, csrf_token, login, post_form


@pytest.fixture()
def t(world):
    """Riverside's open audit with 1.1 scored 3 (Police), 1 (Health), 2 (Education): lowest 1, spread 2."""
    t = make_audit(world)
    for name, value in (("Police", 3), ("Health", 1), ("Education", 2)):
        score(t.audit, t.agencies[name], "1.1", value, user=t.board, evidence=f"{name} evidence for 1.1")
    return t


def agreed_count(audit):
    return db.session.scalar(select(func.count()).select_from(AgreedScore).where(AgreedScore.audit_id == audit.id))


def agreed_history(audit, code="1.1"):
    return db.session.scalars(select(HistoryEntry).where(
        HistoryEntry.audit_id == audit.id, HistoryEntry.code == code, HistoryEntry.entity == "agreed_score")).all()


def flags(row_html):
    match = re.search(r'data-col="flags">(.*?)</span>\s*<span class="hsb-matrix__text">', row_html, re.S)
    return text_of(match.group(1)) if match else ""


def post_agreed(client, t, data, code="1.1"):
    return post_form(client, statement_url(t.area, t.audit, code, "agreed"), data,
                     page=statement_url(t.area, t.audit, code))


# -- the lowest-score rule --------------------------------------------------------------------


def test_agreed_score_is_the_lowest_unless_moderated(client, t):
    assert services.consolidated(t.audit).by_code["1.1"].agreed == 1
    login(client, t.board)
    page = client.get(matrix_url(t.area, t.audit)).get_data(as_text=True)
    r = row(page, "1.1")
    assert cell(r, "lowest") == "1"
    assert cell(r, "agreed").startswith("1")
    assert "lowest" in cell(r, "agreed") and "moderated" not in cell(r, "agreed")
    statement = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    assert "The lowest agency score (the framework&#39;s rule)" in statement or \
        "The lowest agency score (the framework's rule)" in statement
    # The form starts at the current agreed score.
    assert re.search(r'<input class="govuk-radios__input" id="[^"]*" name="score" type="radio" value="1" checked', statement)


def test_raising_above_the_lowest_needs_a_justification(client, t):
    login(client, t.board)
    response = post_agreed(client, t, {"score": "3", "justification": "  ", "version": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "justification") == (
        "Explain why the agreed score is higher than the lowest agency score (1)")
    assert "There is a problem" in page  # the error summary links to the field
    assert 'href="#justification"' in page
    assert agreed_count(t.audit) == 0
    assert agreed_history(t.audit) == []
    assert services.consolidated(t.audit).by_code["1.1"].agreed == 1


def test_raising_with_a_justification_is_saved_shown_and_in_the_history(client, t):
    login(client, t.board)
    response = post_agreed(client, t, {"score": "3", "justification": "Health's pathway was replaced in March.",
                                       "version": "0"})
    assert response.status_code == 302
    result = services.consolidated(t.audit).by_code["1.1"]
    assert (result.agreed, result.moderated, result.justification) == (3, True, "Health's pathway was replaced in March.")

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The agreed score of 1.1 is 3" in page  # the confirmation
    assert "Health&#39;s pathway was replaced in March." in page
    assert "Moderated by board@riverside.example.org" in page
    rows = history_rows(page)
    assert any(r.endswith("board@riverside.example.org Agreed score 1 3") for r in rows), rows
    assert any("Agreed score: justification blank Health's pathway was replaced in March." in r for r in rows), rows

    matrix = client.get(matrix_url(t.area, t.audit)).get_data(as_text=True)
    assert "moderated" in cell(row(matrix, "1.1"), "agreed")
    assert cell(row(matrix, "1.1"), "agreed").startswith("3")


def test_lowering_or_keeping_the_lowest_needs_no_justification(client, t):
    login(client, t.board)
    assert post_agreed(client, t, {"score": "0", "justification": "", "version": "0"}).status_code == 302
    assert services.consolidated(t.audit).by_code["1.1"].agreed == 0


@pytest.mark.parametrize("bad", ["5", "-1", "2.5", "x"])
def test_an_agreed_score_off_the_scale_is_refused(client, t, bad):
    services.set_agreed_score(t.audit, "1.1", 2, "Agreed at the meeting", user=t.board)
    login(client, t.board)
    response = post_agreed(client, t, {"score": bad, "justification": "Because", "version": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "score") == "Score must be a whole number from 0 to 4"
    db.session.expire_all()
    row_ = db.session.scalar(select(AgreedScore).where(AgreedScore.audit_id == t.audit.id))
    assert (row_.score, row_.justification, row_.version) == (2, "Agreed at the meeting", 1)
    assert len(agreed_history(t.audit)) == 2  # only the first save: score and justification


def test_no_choice_is_refused(client, t):
    login(client, t.board)
    response = post_agreed(client, t, {"justification": "", "version": "0"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "score") == "Choose the agreed score"
    assert agreed_count(t.audit) == 0


def test_a_stale_version_is_a_conflict_and_nothing_is_overwritten(client, t):
    login(client, t.board)
    token = csrf_token(client, statement_url(t.area, t.audit, "1.1"))  # the page is read at version 0
    # Meanwhile another board manager moderates the statement.
    services.set_agreed_score(t.audit, "1.1", 2, "Agreed with Health by phone", user=t.board)
    response = client.post(statement_url(t.area, t.audit, "1.1", "agreed"),
                           data={"score": "4", "justification": "Mine", "version": "0", "csrf_token": token})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed the agreed score of 1.1" in field_error(page, "score")
    db.session.expire_all()
    assert services.consolidated(t.audit).by_code["1.1"].agreed == 2
    assert services.consolidated(t.audit).by_code["1.1"].justification == "Agreed with Health by phone"
    # The page now shows their version, and the form carries it: submitting again is deliberate.
    assert "Agreed with Health by phone" in page
    assert re.search(r'name="version" type="hidden" value="1"|type="hidden" name="version" value="1"|'
                     r'id="version" name="version" type="hidden" value="1"', page), page[:200]

    # The same on an existing row: version 1 was read, someone saved version 2.
    services.set_agreed_score(t.audit, "1.1", 3, "Changed again", user=t.board)
    response = client.post(statement_url(t.area, t.audit, "1.1", "agreed"),
                           data={"score": "4", "justification": "Mine", "version": "1", "csrf_token": token})
    assert response.status_code == 409
    db.session.expire_all()
    assert services.consolidated(t.audit).by_code["1.1"].agreed == 3


def test_go_back_to_the_lowest_score(client, t):
    services.set_agreed_score(t.audit, "1.1", 3, "Agreed at the meeting", user=t.board)
    login(client, t.board)
    page = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    assert "Go back to the lowest score (1)" in page
    response = post_form(client, statement_url(t.area, t.audit, "1.1", "reset"), {"version": "1"},
                         page=statement_url(t.area, t.audit, "1.1"))
    assert response.status_code == 302
    result = services.consolidated(t.audit).by_code["1.1"]
    assert (result.agreed, result.moderated) == (1, False)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "back to the lowest agency score" in page
    assert "Go back to the lowest score" not in page
    assert history_rows(page)[0].endswith("Agreed score: justification Agreed at the meeting blank") or \
        history_rows(page)[1].endswith("Agreed score 3 1")


def test_a_stale_reset_is_a_conflict(client, t):
    services.set_agreed_score(t.audit, "1.1", 3, "Agreed at the meeting", user=t.board)
    services.set_agreed_score(t.audit, "1.1", 4, "Changed since", user=t.board)  # version 2
    login(client, t.board)
    response = post_form(client, statement_url(t.area, t.audit, "1.1", "reset"), {"version": "1"},
                         page=statement_url(t.area, t.audit, "1.1"))
    assert response.status_code == 409
    assert "Someone else changed the agreed score of 1.1" in field_error(response.get_data(as_text=True), "score")
    db.session.expire_all()
    assert services.consolidated(t.audit).by_code["1.1"].agreed == 4


# -- the matrix -------------------------------------------------------------------------------


def test_disagreement_flag_for_a_spread_of_two_not_one(client, t):
    police, health = t.agencies["Police"], t.agencies["Health"]
    score(t.audit, police, "1.2", 2)
    score(t.audit, health, "1.2", 1)  # spread 1
    login(client, t.board)
    page = client.get(matrix_url(t.area, t.audit)).get_data(as_text=True)
    assert cell(row(page, "1.1"), "spread") == "2"
    assert "Disagreement" in flags(row(page, "1.1"))  # in words, not colour alone
    assert cell(row(page, "1.2"), "spread") == "1"
    assert "Disagreement" not in flags(row(page, "1.2"))
    statement = client.get(statement_url(t.area, t.audit, "1.2")).get_data(as_text=True)
    assert "no disagreement" in statement
    statement = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    assert "Disagreement: agencies differ by 2 or more" in statement


def test_each_agency_score_links_to_its_evidence(client, t):
    login(client, t.board)
    page = client.get(matrix_url(t.area, t.audit)).get_data(as_text=True)
    police = t.agencies["Police"]
    href = f'{statement_url(t.area, t.audit, "1.1")}#agency-{police.id}'
    assert f'href="{href}"' in row(page, "1.1")
    statement = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    section = statement[statement.index(f'id="agency-{police.id}"'):]
    assert "Police evidence for 1.1" in section[:3000]
    assert "3 – To a fair extent/frequently/good evidence of this" in text_of(section[:3000])


def test_matrix_groups_by_domain_and_shows_headings(client, t):
    login(client, t.board)
    page = client.get(matrix_url(t.area, t.audit)).get_data(as_text=True)
    for number in range(1, 6):
        assert f'id="domain-{number}"' in page
    assert "hsb-matrix__heading-row" in page and row(page, "1.6") is not None  # heading row
    assert row(page, "1.6a") is not None
    assert page.count('class="govuk-table__row') >= 46
    assert "Police" in page and "Health" in page and "Education" in page


def test_filters_only_disagreements_and_only_low_scores(client, t, world):
    police, health = t.agencies["Police"], t.agencies["Health"]
    score(t.audit, police, "1.2", 2)
    score(t.audit, health, "1.2", 2)  # agreed 2: not low at the default threshold 1
    score(t.audit, police, "2.2", 0)  # agreed 0, no disagreement
    login(client, t.board)
    page = client.get(matrix_url(t.area, t.audit, disagreements=1)).get_data(as_text=True)
    assert row(page, "1.1") is not None and row(page, "1.2") is None and row(page, "2.2") is None
    assert "Showing 1 of 46 statements." in page
    page = client.get(matrix_url(t.area, t.audit, low=1)).get_data(as_text=True)
    assert row(page, "1.1") is not None and row(page, "2.2") is not None and row(page, "1.2") is None
    page = client.get(matrix_url(t.area, t.audit, low=1, disagreements=1)).get_data(as_text=True)
    assert row(page, "1.1") is not None and row(page, "2.2") is None
    # The threshold comes from the area's settings.
    t.area.settings = {"low_score_threshold": 2}
    db.session.commit()
    page = client.get(matrix_url(t.area, t.audit, low=1)).get_data(as_text=True)
    assert row(page, "1.2") is not None
    assert "Low agreed scores (2 or lower)" in page


def test_filtered_out_headings_are_not_shown(client, t):
    login(client, t.board)
    page = client.get(matrix_url(t.area, t.audit, disagreements=1)).get_data(as_text=True)
    assert row(page, "1.6") is None
    score(t.audit, t.agencies["Police"], "1.6b", 4)
    score(t.audit, t.agencies["Health"], "1.6b", 0)
    page = client.get(matrix_url(t.area, t.audit, disagreements=1)).get_data(as_text=True)
    assert row(page, "1.6") is not None and row(page, "1.6b") is not None and row(page, "1.6a") is None


# -- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead", "viewer"])
def test_agency_leads_and_viewers_read_but_do_not_moderate(client, t, who):
    login(client, getattr(t, who))
    # the grid of every agency's scores and evidence is the board's (it does not exist for them)...
    assert client.get(matrix_url(t.area, t.audit)).status_code == 404
    # ...the statement's agreed score is theirs to read
    page = client.get(statement_url(t.area, t.audit, "1.1"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Only board managers can change the agreed score." in text
    assert 'name="justification"' not in text
    token = csrf_token(client, statement_url(t.area, t.audit, "1.1"))
    for action in ("agreed", "reset"):
        response = client.post(statement_url(t.area, t.audit, "1.1", action),
                               data={"score": "3", "justification": "x", "version": "0", "csrf_token": token})
        assert response.status_code == 403
    assert agreed_count(t.audit) == 0


def test_people_without_a_role_in_the_area_get_404(client, t, world):
    other = world.area("Hillside")
    outsider = world.user("board@hillside.example.org", other, "board_manager")
    login(client, outsider)
    token = csrf_token(client, f"/areas/{other.id}/")
    for path in (matrix_url(t.area, t.audit), statement_url(t.area, t.audit, "1.1")):
        assert client.get(path).status_code == 404
    for action in ("agreed", "reset"):
        response = client.post(statement_url(t.area, t.audit, "1.1", action),
                               data={"score": "3", "justification": "x", "version": "0", "csrf_token": token})
        assert response.status_code == 404
    # An audit of another area, addressed under an area the user can see: 404 as well.
    assert client.get(matrix_url(other, t.audit)).status_code == 404
    assert client.get(statement_url(other, t.audit, "1.1")).status_code == 404
    response = client.post(statement_url(other, t.audit, "1.1", "agreed"),
                           data={"score": "3", "justification": "x", "version": "0", "csrf_token": token})
    assert response.status_code == 404
    assert agreed_count(t.audit) == 0


def test_headings_and_unknown_codes_have_no_statement_page(client, t):
    login(client, t.board)
    assert client.get(statement_url(t.area, t.audit, "1.6")).status_code == 404
    assert client.get(statement_url(t.area, t.audit, "9.9")).status_code == 404
    assert client.get(matrix_url(t.area, type("A", (), {"id": 99999})())).status_code == 404


def test_posting_without_a_csrf_token_is_refused(client, t):
    login(client, t.board)
    response = client.post(statement_url(t.area, t.audit, "1.1", "agreed"),
                           data={"score": "1", "justification": "", "version": "0"})
    assert response.status_code == 400
    assert agreed_count(t.audit) == 0


def test_a_closed_audit_is_read_only(client, t):
    login(client, t.board)
    token = csrf_token(client, statement_url(t.area, t.audit, "1.1"))
    services.close_audit(t.audit, user=t.board, override_reason="closed as the test sets it up")
    page = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    assert "This audit is closed" in page and 'name="justification"' not in page
    response = client.post(statement_url(t.area, t.audit, "1.1", "agreed"),
                           data={"score": "1", "justification": "", "version": "0", "csrf_token": token})
    assert response.status_code == 409
    assert "This audit is closed" in response.get_data(as_text=True)
    assert agreed_count(t.audit) == 0


# -- the statement page -----------------------------------------------------------------------


def test_statement_page_shows_text_scale_labels_and_previous_next(client, t):
    login(client, t.board)
    page = client.get(statement_url(t.area, t.audit, "1.6a")).get_data(as_text=True)
    framework = services.framework_of(t.audit)
    assert framework.statement("1.6a").text.split("\n")[0][:60] in page.replace("&#39;", "'")
    assert framework.statement("1.6").text[:40] in page.replace("&#39;", "'")  # its heading, for context
    assert f'href="{statement_url(t.area, t.audit, "1.5")}"' in page  # previous (headings skipped)
    assert f'href="{statement_url(t.area, t.audit, "1.6b")}"' in page  # next
    assert "Not scored yet" in page and "Not started" in page


def test_plugin_evidence_only_where_the_plugin_is_enabled(client, t):
    from hsbtrack.plugins.services import set_area_plugin

    login(client, t.board)
    page = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    assert "Evidence from other tools" not in page and "Example evidence" not in page
    set_area_plugin(t.area, "example", True)
    page = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    assert "Evidence from other tools" in page
    assert "3 example records support 1.1" in page
    page = client.get(statement_url(t.area, t.audit, "1.2")).get_data(as_text=True)
    assert "Example evidence" not in page


# -- query counts -----------------------------------------------------------------------------


def _filled_audit(world, n_agencies, name):
    """An audit with every agency scoring every statement (inserted in bulk), a moderated statement,
    and history on 1.1 from every agency."""
    t = make_audit(world, agencies=tuple(f"Agency {i:02d}" for i in range(n_agencies)), name=name)
    framework = services.framework_of(t.audit)
    for i, agency in enumerate(t.agencies.values()):
        for j, statement in enumerate(framework.scored_statements):
            if statement.code != "1.1":
                db.session.add(Response(audit_id=t.audit.id, agency_id=agency.id, code=statement.code,
                                        score=(i + j) % 5, evidence="Evidence", assurance="Assurance",
                                        updated_by_id=t.board.id))
    db.session.commit()
    for i, agency in enumerate(t.agencies.values()):
        score(t.audit, agency, "1.1", i % 5, user=t.lead if i == 0 else t.board, evidence=f"Evidence {i}")
        score(t.audit, agency, "1.1", (i + 1) % 5, user=t.board)
    services.set_agreed_score(t.audit, "1.1", 4, "Agreed at the meeting", user=t.board)
    return t


def test_query_counts_do_not_grow_with_agencies(app, client, world):
    counts = {}
    for n, name in ((2, "Small"), (8, "Large")):
        t = _filled_audit(world, n, name)
        login(client, t.board)
        for page, path in (("matrix", matrix_url(t.area, t.audit)),
                           ("matrix filtered", matrix_url(t.area, t.audit, disagreements=1, low=1)),
                           ("statement", statement_url(t.area, t.audit, "1.1")),
                           ("statement 5.8", statement_url(t.area, t.audit, "5.8"))):
            client.get(path)  # warm caches that are per process, not per request
            with count_queries(app) as queries:
                response = client.get(path)
            assert response.status_code == 200
            counts.setdefault(page, []).append(queries())
        client.post("/logout", data={"csrf_token": csrf_token(client, f"/areas/{t.area.id}/")})
    print("query counts (2 agencies, 8 agencies):", counts)
    for page, (small, large) in counts.items():
        assert small == large, f"{page}: {small} queries with 2 agencies, {large} with 8"
        assert large <= 20, f"{page}: {large} queries"
