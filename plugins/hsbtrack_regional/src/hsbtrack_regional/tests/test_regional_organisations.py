"""Issue 20 in the regional roll-up: a partner organisation answering the round once (North Wales Police for
the six authorities) is listed once, with its shared return's areas, statements answered and exceptions by
authority; the roll-up's figures are each authority's own audit's (the shared answers and Wrexham's
exception included); the round page runs the same number of queries for 6 and 32 linked authorities."""

import re

from sqlalchemy import select

from hsbtrack.areas.models import Agency
from hsbtrack.audits import services as audits
from hsbtrack.extensions import db
from hsbtrack.organisations import services as organisations
from hsbtrack.testing import count_queries, login


def _coordinator(world, region):
    return world.user(f"coordinator{region.id}@example.org", region=region, role="regional_coordinator")


def _forget_figures(app):
    for name in ("hsbtrack_regional_figures", "hsbtrack_audit_figures"):
        cache = app.extensions.get(name)
        if cache is not None:
            cache.clear()


def _cells(page: str, table_id: str, label: str) -> list[str]:
    """The authorities' cells (as text) of the row headed ``label`` in one of the round page's tables."""
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr")[1:] if re.search(rf">\s*{re.escape(label)}(?=[\s<])", r))
    return [re.sub(r"<[^>]+>", "", cell).split("no score")[0].strip()
            for cell in re.findall(r'<td class="[^"]*hsb-heat[^"]*">(.*?)</td>', row)]


def _north_wales(world):
    import importlib

    from hsbtrack_regional import services

    demo = importlib.import_module("hsbtrack_regional.demo")  # (the package exports a function named demo)
    region, round_ = demo.build(finished=())  # every authority's audit open
    made = demo.link_partners(region, round_, answer=False)
    police = made["North Wales Police"]
    lead = organisations.members(police.organisation)[0].user
    members = services.round_status(round_)
    return region, round_, members, police, lead


def test_the_roll_up_lists_the_organisation_once_and_agrees_with_the_six_audits(app, client, world):
    from hsbtrack.audits.overview import format_mean, format_score

    region, round_, members, police, lead = _north_wales(world)
    for code, score in (("1.1", 3), ("1.2", 2), ("2.3", 4)):
        organisations.save_shared_response(police, code, score=score, evidence="Force-wide", user=lead)
    wrexham = next(m for m in members if m.area.name == "Wrexham")
    organisations.set_exception(police, wrexham.area.id, "1.1", score=1, evidence="Own custody suite",
                                reason="Separate contract", user=lead)
    # another agency of Conwy scores lower on 1.2: its agreed score is its lowest, whatever the police said
    conwy = next(m for m in members if m.area.name == "Conwy")
    education = db.session.scalar(select(Agency).where(Agency.area_id == conwy.area.id, Agency.name == "Education"))
    audits.save_response(conwy.audit, education.id, "1.2", score=0)

    login(client, _coordinator(world, region))
    _forget_figures(app)
    page = client.get(f"/regions/{region.id}/regional/rounds/{round_.id}/").get_data(as_text=True)

    # the organisation once, with its areas, answers and Wrexham's exception; the health board once too
    partners = page.split('id="round-partners"', 1)[1].split("</table>", 1)[0]
    assert partners.count("North Wales Police") == 1 and partners.count("Betsi Cadwaladr") == 1
    row = partners.split(f'data-organisation="{police.organisation_id}"', 1)[1].split("</tr>", 1)[0]
    assert "6 of 6" in row and "3 of 46" in row and "In progress" in row
    assert "Wrexham: 1.1" in re.sub(r"<[^>]+>", "", row)
    assert "Separate contract" not in page and "Own custody suite" not in page  # (no reason or evidence)
    assert 'href="/organisations/' not in partners  # (a coordinator is not one of its members)

    # each authority's column is its own audit's agreed score and domain mean
    for code in ("1.1", "1.2", "2.3", "1.3"):
        cells = _cells(page, "statement-rollup", code)
        wanted = [audits.consolidated(m.audit).by_code[code].agreed for m in members]
        assert cells == [format_score(v) if v is not None else "–" for v in wanted], code
    assert _cells(page, "statement-rollup", "1.1")[[m.area.name for m in members].index("Wrexham")] == "1"
    assert _cells(page, "statement-rollup", "1.2")[[m.area.name for m in members].index("Conwy")] == "0"
    for domain_result in audits.consolidated(members[0].audit).domains[:2]:
        label = f"{domain_result.number}."
        cells = _cells(page, "domain-rollup", label)
        wanted = [audits.consolidated(m.audit).domains[domain_result.number - 1].mean for m in members]
        assert cells == [format_mean(v) if v is not None else "–" for v in wanted], label


def test_the_round_page_says_so_when_an_organisation_answers_for_itself_nowhere(app, client, world):
    from hsbtrack.plugins.services import set_region_plugin
    from hsbtrack_regional import services

    region = services.preset_north_wales().region
    set_region_plugin(region, "regional", True)
    round_ = services.open_round(region)
    organisation = organisations.create_organisation("North Wales Fire and Rescue", region_id=region.id)
    for area in services.member_areas(region)[:2]:
        organisations.link_area(organisation, area.id)
    login(client, _coordinator(world, region))
    page = client.get(f"/regions/{region.id}/regional/rounds/{round_.id}/").get_data(as_text=True)
    row = page.split(f'data-organisation="{organisation.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Linked to 2 authorities of the region, but not answering this round once" in row
    # in Welsh too
    client.get("/language/cy")
    page = client.get(f"/regions/{region.id}/regional/rounds/{round_.id}/").get_data(as_text=True)
    assert 'id="round-partners"' in page and "Partner organisations answering once for the region" not in page


def _region_with_partner(world, name, size):
    from hsbtrack.plugins.services import set_region_plugin
    from hsbtrack_regional import services

    region = world.region(name)
    areas = [world.area(f"{name} {i}", region, agencies=("Police", "Health")) for i in range(size)]
    set_region_plugin(region, "regional", True)
    round_ = services.open_round(region)
    admin = world.user(f"admin-{size}@example.org", admin=True)
    organisation = organisations.create_organisation(f"{name} Police", region_id=region.id, user=admin)
    for area in areas:
        organisations.link_area(organisation, area.id, world.agency(area, "Police").id, user=admin)
    _m, lead, _c = organisations.add_member(organisation, f"lead-{size}@police.example", user=admin)
    offered = next(s for s in organisations.offered_audit_sets(organisation) if s.key == f"regional:round:{round_.id}")
    shared = organisations.open_shared_return(organisation, offered.audit_ids, str(offered.title), offered.key,
                                              user=lead)
    for code in ("1.1", "1.2"):
        organisations.save_shared_response(shared, code, score=2, user=lead)
    organisations.set_exception(shared, areas[-1].id, "1.1", score=1, evidence="", reason="Own", user=lead)
    return region, round_


def test_the_round_page_runs_the_same_queries_for_6_and_32_linked_authorities(app, client, world):
    small_region, small_round = _region_with_partner(world, "Small", 6)
    large_region, large_round = _region_with_partner(world, "Large", 32)
    login(client, world.user("rollup-admin@example.org", admin=True))
    counts = []
    for region, round_, size in ((small_region, small_round, 6), (large_region, large_round, 32)):
        path = f"/regions/{region.id}/regional/rounds/{round_.id}/"
        client.get(path)
        _forget_figures(app)
        with count_queries(app) as n:
            page = client.get(path)
        assert page.status_code == 200
        assert f"{size} of {size}" in page.get_data(as_text=True).split('id="round-partners"', 1)[1]
        counts.append(n())
    assert counts[0] == counts[1], counts
