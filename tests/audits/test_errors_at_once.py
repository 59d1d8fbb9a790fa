"""Every error at once (issue 15, finding 7; GOV.UK's error summary): the open-audit form and its API,
and the close page when its date cannot be read, report every problem together, each next to its
field; nothing is saved."""

import re

from hsbtrack.audits import services
from hsbtrack.audits.models import Audit
from hsbtrack.extensions import db
from tests.audits.test_api_audits import Scene, error_of
from tests.conftest import login, post_form


def error_next_to(html: str, field_id: str) -> str:
    match = re.search(rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def test_opening_an_audit_reports_every_problem_at_once(client, world):
    scene = Scene(world)
    login(client, scene.board)
    url = f"/areas/{scene.area.id}/audits/new"
    response = post_form(client, url, {"framework": "nope", "title": "T" * 201, "agency_ids": []})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "Choose a framework from the catalogue" in error_next_to(html, "framework")
    assert "Title must be 200 characters or fewer" in error_next_to(html, "title")
    assert "Choose at least one agency to take part" in error_next_to(html, "agency_ids")
    assert db.session.query(Audit).count() == 0

    error = error_of(client.post(f"/api/v1/areas/{scene.area.id}/audits", headers=scene.h(scene.board),
                                 json={"title": "T" * 201, "agency_ids": [scene.other_area.agencies[0].id]}), 422)
    assert error["fields"] == {"title": "Title must be 200 characters or fewer",
                               "agency_ids": "Choose agencies of Riverside"}


def test_the_close_page_says_what_else_is_missing_when_its_date_is_wrong(client, world):
    scene = Scene(world)
    audit = scene.open_audit()
    login(client, scene.board)
    close = f"/areas/{scene.area.id}/audits/{audit.id}/close"
    response = post_form(client, close, {"completed_on": ["31", "2", "2026"], "override_reason": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Date completed must be a real date" in html
    assert "Give a reason to close the audit with these problems outstanding" in error_next_to(html, "override_reason")
    # the summary links each error to where it can be put right: a date to its day box
    summary = html[html.index('data-module="govuk-error-summary"'):]
    summary = summary[:summary.index("</ul>")]
    assert 'href="#completed_on-day"' in summary and 'href="#override_reason"' in summary
    assert 'id="completed_on-day"' in html
    db.session.expire_all()
    assert services.get_audit(audit.id).is_open
