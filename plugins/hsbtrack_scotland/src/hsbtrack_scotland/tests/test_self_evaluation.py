"""The Child Protection Committee's self-evaluation, a kind of yearly report: offered only where the plugin is on
(and there in place of England's report), its three questions as the sections, its draft with the area's audits
and the CARM case figures (small counts suppressed), made through the core's API and file job."""

import html
import io
import re
from datetime import date

import pytest

from hsbtrack.testing import api_headers, login

CASE = {"age_at_referral": "14", "gender": "male", "learning_needs": False, "hackett": "abusive",
        "setting": "home", "referral_source": "Police Scotland"}
QUESTIONS = ("How good are we now?", "How do we know?", "What do we plan to do next?")


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture()
def committee(world):
    from hsbtrack.plugins.services import set_area_plugin
    from hsbtrack_scotland import services

    area = world.area("Glenmore")
    elsewhere = world.area("Riverside")  # an English partnership: the plugin is off there
    set_area_plugin(area, "scotland", True)
    board = world.user("board@example.org", area, "board_manager")
    for i in range(6):  # six referrals in the year (five abusive, one problematic), one earlier
        services.create_case(area, {**CASE, "reference": f"GLN-{i}", "referral_on": date(2025, 5, 1 + i),
                                    "hackett": "problematic" if i == 5 else "abusive"})
    services.create_case(area, {**CASE, "reference": "GLN-OLD", "referral_on": date(2024, 1, 5)})
    return {"area": area, "elsewhere": elsewhere, "board": board,
            "board_elsewhere": world.user("board@riverside.example", elsewhere, "board_manager")}


def test_the_self_evaluation_is_offered_only_where_the_plugin_is_on(app, client, committee):
    from hsbtrack.yearly_reports import services

    with app.test_request_context("/"):
        assert [k.name for k in services.kinds_for(committee["area"])] == ["scotland.self_evaluation"]
        assert [k.name for k in services.kinds_for(committee["elsewhere"])] == ["england.yearly"]
    refused = client.post(f"/api/v1/areas/{committee['elsewhere'].id}/yearly-reports",
                          headers=api_headers(committee["board_elsewhere"]),
                          json={"kind": "scotland.self_evaluation", "period_start": "2025-04-01",
                                "period_end": "2026-03-31"})
    assert refused.status_code == 422 and "kind" in refused.get_json()["error"]["fields"]
    login(client, committee["board"])
    page = text_of(client.get(f"/areas/{committee['area'].id}/yearly-reports/new").get_data(as_text=True))
    assert "Child Protection Committee self-evaluation" in page and "Safeguarding partnership" not in page


def test_the_three_questions_and_the_carm_figures_in_the_page_and_the_pdf(client, committee):
    import pdfplumber

    from hsbtrack.jobs import services as jobs

    area, board = committee["area"], committee["board"]
    base = f"/api/v1/areas/{area.id}/yearly-reports"
    sections = {"how_good_now": "Strong multi-agency screening; weak workforce development.",
                "how_do_we_know": "Domain 5 scored lowest in the audit; CARM referrals doubled.",
                "plan_next": "Tiered HSB training for every agency by March."}
    made = client.post(base, headers=api_headers(board), json={"period_start": "2025-04-01",
                                                               "period_end": "2026-03-31", "sections": sections,
                                                               "format": "pdf"})
    assert made.status_code == 202, made.get_json()
    body = made.get_json()
    assert body["status"] == "queued" and jobs.run_pending() == 1
    job = client.get(f"/api/v1/jobs/{body['id']}", headers=api_headers(board)).get_json()
    assert job["status"] == "done" and job["download_url"]

    login(client, board)
    page = text_of(client.get(f"/areas/{area.id}/yearly-reports/{body['report_id']}").get_data(as_text=True))
    for words in QUESTIONS:
        assert words in page, words
    assert "CARM cases" in page
    assert "Referred in the period 6" in page  # the 2024 case is before the period
    assert "Open at the end of the period 7" in page
    assert "Closed in the period fewer than 5" in page
    # the one problematic referral is hidden, as are the categories with none (the plugin's suppression rule)
    assert "Referred in the period: Abusive 5" in page
    assert "Referred in the period: Problematic fewer than 5" in page and "Violent fewer than 5" in page
    pdf_bytes = client.get(job["download_url"]).data
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        text = " ".join(" ".join((p.extract_text() or "") for p in pdf.pages).split())
    for words in (*QUESTIONS, *sections.values(), "Child Protection Committee self-evaluation", "CARM cases"):
        assert words in text, words
