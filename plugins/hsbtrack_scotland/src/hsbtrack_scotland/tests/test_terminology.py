"""The national variant: with the plugin on, no page of the area says "safeguarding partnership";
with it off, none says "Child Protection Committee". Every GET page of an area is walked."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from hsbtrack.testing import login

ON_WORD, OFF_WORD = "child protection committee", "safeguarding partnership"


def values(scene):
    return {
        "area_id": scene["area"].id, "audit_id": scene["audit"].id, "action_id": scene["action"].id,
        "agency_id": scene["area"].agencies[0].id, "membership_id": scene["membership"].id,
        "code": "1.1", "number": 1, "domain": 1, "slug": "nspcc-hsb-2019", "framework": "nspcc-hsb-2019",
        "plugin": "scotland", "name": "scotland", "case_id": scene["case_id"],
    }


@pytest.fixture()
def scene(world):
    from sqlalchemy import select

    from hsbtrack.actions.services import create_action
    from hsbtrack.areas.models import Membership
    from hsbtrack.audits.services import open_audit
    from hsbtrack.extensions import db

    area = world.area("Glenmore")
    board = world.user("board@example.org", area, "board_manager")
    worker = world.user("worker@example.org", area, "case_worker")
    audit = open_audit(area)
    action = create_action(area, title="Refresh the HSB pathway", owner=board, due_on=date(2030, 1, 1),
                           statements=["1.1"], audit=audit)
    membership = db.session.scalar(select(Membership).filter_by(user_id=worker.id, area_id=area.id))
    return {"area": area, "board": board, "worker": worker, "audit": audit, "action": action,
            "membership": membership, "case_id": 1}


def area_get_urls(app, scene):
    known = values(scene)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or "area_id" not in rule.arguments:
            continue
        if not set(rule.arguments) <= set(known):
            continue
        url = re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", lambda m: str(known[m.group(1)]), rule.rule)
        urls.append((rule.endpoint, url))
    return sorted(urls)


def walk(app, client, scene):
    """Every GET page of the area: {url: text} for HTML pages, {url: bytes} for the rest."""
    pages = {}
    for _endpoint, url in area_get_urls(app, scene):
        response = client.get(url)
        if response.status_code != 200:
            continue
        pages[url] = (response.mimetype, response.get_data())
    return pages


def xlsx_text(data: bytes) -> str:
    workbook = load_workbook(io.BytesIO(data))
    return " ".join(str(cell) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True)
                    for cell in row if cell is not None)


def text_of(mimetype, body) -> str:
    if mimetype.endswith("spreadsheetml.sheet"):
        return xlsx_text(body)
    return body.decode("utf-8", "replace")


def test_terms_come_from_the_hook_only_where_the_plugin_is_on(ctx, world):
    from hsbtrack.plugins.services import set_area_plugin
    from hsbtrack.views_support import term

    on, off = world.area("Glenmore"), world.area("Riverside")
    set_area_plugin(on, "scotland", True)
    with ctx.test_request_context():
        assert term("partnership", on) == "Child Protection Committee"
        assert term("lead_professional", on) == "Lead Professional"
        assert term("childs_plan", on) == "Child's Plan"
        assert term("partnership", off) == "safeguarding partnership"


@pytest.mark.parametrize("enabled", [True, False])
def test_no_page_of_the_area_uses_the_other_variants_words(app, client, scene, enabled):
    from hsbtrack.plugins.services import set_area_plugin

    set_area_plugin(scene["area"], "scotland", enabled)
    login(client, scene["board"])
    pages = walk(app, client, scene)
    # the walk is real: the core's main pages and both exports are in it
    area_id, audit_id = scene["area"].id, scene["audit"].id
    for url in (f"/areas/{area_id}/", f"/areas/{area_id}/actions/",
                f"/areas/{area_id}/audits/{audit_id}/export.xlsx", f"/areas/{area_id}/actions/export.xlsx"):
        assert url in pages, f"{url} not walked: {sorted(pages)}"
    assert len(pages) > 15
    forbidden = OFF_WORD if enabled else ON_WORD
    wanted = ON_WORD if enabled else OFF_WORD
    for url, (mimetype, body) in pages.items():
        assert forbidden not in text_of(mimetype, body).lower(), url
    # the area's own words are used: dashboard caption and both exports
    for url in (f"/areas/{area_id}/", f"/areas/{area_id}/audits/{audit_id}/export.xlsx",
                f"/areas/{area_id}/actions/export.xlsx"):
        assert wanted in text_of(*pages[url]).lower(), url


def test_case_worker_pages_are_walked_too(app, client, scene):
    """The plugin's own pages (as a case worker, with a case) use the Scottish words."""
    from hsbtrack.plugins.services import set_area_plugin
    from hsbtrack_scotland import services

    set_area_plugin(scene["area"], "scotland", True)
    case = services.create_case(scene["area"], {
        "reference": "GLN-1", "age_at_referral": "14", "gender": "male", "hackett": "abusive", "setting": "home",
        "lead_professional_id": str(scene["worker"].id), "referral_source": "Police", "referral_on": date(2026, 1, 5)})
    scene["case_id"] = case.id
    login(client, scene["worker"])
    pages = walk(app, client, scene)
    case_url = f"/areas/{scene['area'].id}/scotland/cases/{case.id}"
    assert case_url in pages
    assert "Lead Professional" in text_of(*pages[case_url])
    assert "Child&#39;s Plan" in text_of(*pages[case_url]) or "Child's Plan" in text_of(*pages[case_url])
    for url, (mimetype, body) in pages.items():
        assert OFF_WORD not in text_of(mimetype, body).lower(), url
