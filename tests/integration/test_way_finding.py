"""Way-finding (issue 15, finding 8): the header's area picker shows the area you are in (and no area
where you are in none); a plugin's "Settings" link appears only where the plugin has a settings form;
the region page links to its plugins' pages (the regional board, its rounds' roll-ups); every menu link
of every role in every area opens (the menu asks each page's own ``requires``); the home page lists
each area with its status, in the same number of queries for 3 areas as for 30, 25 to a page."""

import re
from urllib.parse import urlsplit

from hsbtrack.plugins.services import set_area_plugin
from tests.conftest import csrf_token, login


def selected_area(html: str) -> str:
    select = re.search(r'<select[^>]*id="area-switcher".*?</select>', html, re.S).group(0)
    return re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", select).group(1)


def test_the_area_picker_shows_where_you_are(client, world):
    alder = world.area("Alderley")
    zeal = world.area("Zeals")
    board = world.user("board@example.org", alder, "board_manager")
    world.user("board@example.org", zeal, "board_manager")
    login(client, board)
    assert selected_area(client.get(f"/areas/{zeal.id}/").get_data(as_text=True)) == "Zeals"
    assert selected_area(client.get(f"/areas/{alder.id}/agencies").get_data(as_text=True)) == "Alderley"
    assert selected_area(client.get("/my/actions").get_data(as_text=True)) == "Choose an area"
    response = client.get("/areas/switch?area_id=")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"  # the list of areas


def test_settings_only_for_plugins_that_have_a_settings_form(client, world):
    area = world.area("Glenmore")
    board = world.user("board@example.org", area, "board_manager")
    for name in ("scotland", "training"):
        set_area_plugin(area, name, True)
    login(client, board)
    page = client.get(f"/areas/{area.id}/plugins").get_data(as_text=True)
    assert f"/areas/{area.id}/plugins/scotland/settings" in page  # CARM review intervals
    assert f"/areas/{area.id}/plugins/training/settings" not in page
    assert client.get(f"/areas/{area.id}/plugins/training/settings").status_code == 404


# -- the region page links to its plugins' pages (the regional board, its rounds and roll-up) -------


def region_links(html: str) -> dict[str, str]:
    found = re.search(r'<ul[^>]*id="region-links".*?</ul>', html, re.S)
    if found is None:
        return {}
    return {label.strip(): href for href, label in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', found.group(0))}


def test_the_region_page_links_to_the_regional_board_and_its_roll_ups(client, world):
    from hsbtrack_regional.services import open_round

    from hsbtrack.plugins.services import set_region_plugin

    north, south = world.region("North Wales"), world.region("South")
    world.area("Conwy", north)
    world.area("Gwynedd", north)
    world.area("Cardiff", south)
    set_region_plugin(north, "regional", True)
    round_ = open_round(north, title="Regional audit 2026")
    coordinator = world.user("coordinator@example.org", region=north, role="regional_coordinator")
    world.user("coordinator@example.org", region=south, role="regional_coordinator")
    login(client, coordinator)
    links = region_links(client.get(f"/regions/{north.id}/").get_data(as_text=True))
    assert links["Regional board"] == f"/regions/{north.id}/regional/"
    assert links["Roll-up of T1: Regional audit 2026"] == f"/regions/{north.id}/regional/rounds/{round_.id}/"
    assert f"/regions/{north.id}/regional/actions/" in links.values()
    for href in links.values():
        assert client.get(href).status_code == 200, href
    # a region without the plugin offers none of its pages
    assert region_links(client.get(f"/regions/{south.id}/").get_data(as_text=True)) == {}


# -- the menu offers only pages that open --------------------------------------------------------


def menu_links(html: str) -> dict[str, str]:
    """The area menu's links, ``{label: href}``."""
    nav = re.search(r'<nav[^>]*class="govuk-service-navigation__wrapper.*?</nav>', html, re.S)
    assert nav is not None, "no menu on the page"
    links = re.findall(r'<a class="govuk-service-navigation__link" href="([^"]+)"[^>]*>(.*?)</a>', nav.group(0), re.S)
    return {re.sub(r"<[^>]+>", "", inner).strip(): href for href, inner in links}


def test_every_menu_link_of_every_role_in_every_area_opens(app, client, world):
    """Every role (the core's and the plugins', an admin, a regional coordinator) in an area where
    every plugin is on through its region and in one where each is on by itself: every menu link opens."""
    from hsbtrack.areas.roles import AREA
    from hsbtrack.audits.services import open_audit
    from hsbtrack.plugins.services import registry, set_area_plugin, set_region_plugin

    region = world.region("Northvale")
    regional = world.area("Riverside", region)
    alone = world.area("Lakeside")
    for plugin in registry().plugins():
        set_region_plugin(region, plugin.name, True)
        set_area_plugin(alone, plugin.name, True)
    board = world.user("board@example.org", regional, "board_manager")
    open_audit(regional, user=board)
    roles = {r.id: r for r in app.extensions["hsbtrack_roles"].values() if r.scope == AREA}
    users = {"admin": world.user("admin@example.org", admin=True),
             "regional_coordinator": world.user("coordinator@example.org", region=region, role="regional_coordinator")}
    for role, definition in sorted(roles.items()):
        email = f"{role.replace('_', '.')}@example.org"
        for area in (regional, alone):
            agency = area.agencies[0] if definition.needs_agency else None
            users[role] = world.user(email, area, role, agency=agency)
    menus = {}
    for who, user in users.items():
        login(client, user)
        for area in (regional, alone):
            if who == "regional_coordinator" and area is alone:
                continue
            page = client.get(f"/areas/{area.id}/", follow_redirects=True)
            assert page.status_code == 200, (who, area.name)
            menu = menu_links(page.get_data(as_text=True))
            menus[who, area.name] = menu
            for label, href in menu.items():
                answer = client.get(href, follow_redirects=True)
                assert answer.status_code not in (403, 404), f"{who} in {area.name}: {label} ({href}) answered {answer.status_code}"
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    # the walk saw real menus, and each role's is its own
    assert {"Audits", "Action plan", "Members", "Plugins"} <= set(menus["board_manager", "Riverside"])
    assert len(menus["admin", "Lakeside"]) >= 8
    school_lead = set(menus["school_lead", "Riverside"])
    assert "Schools" in school_lead
    assert not school_lead & {"Audits", "Action plan", "Training", "Members", "Plugins", "Regional board"}
    assert "Training" not in menus["viewer", "Riverside"] or "training.read" in app.extensions["hsbtrack_roles"]["viewer"].permissions


def test_a_menu_item_the_route_would_refuse_is_left_out(app, client, world):
    """The hooks' own checks are not the rule: an item whose route ``requires`` more is dropped."""
    from hsbtrack.permissions import may_open

    area = world.area("Riverside")
    viewer = world.user("viewer@example.org", area, "viewer")
    with app.test_request_context():
        from flask_login import login_user

        login_user(viewer)
        assert may_open(viewer, f"/areas/{area.id}/")
        assert not may_open(viewer, f"/areas/{area.id}/members")  # members.read: a viewer does not hold it
        assert not may_open(viewer, f"/areas/{area.id + 1000}/")  # no such area
        assert not may_open(viewer, "/admin/")
        assert not may_open(viewer, "/no/such/page")


# -- the home page: each area with its status, grouped queries, paged --------------------------------


def _area_with_status(world, name, board, *, agencies=5, submitted=3, overdue=2, reaudit=None):
    from datetime import date, datetime

    from hsbtrack.actions.models import Action
    from hsbtrack.actions.services import create_action
    from hsbtrack.areas.services import add_area_member
    from hsbtrack.audits.models import AuditAgency, ScheduledAudit
    from hsbtrack.audits.services import open_audit
    from hsbtrack.extensions import db

    area = world.area(name, agencies=[f"Agency {n}" for n in range(1, agencies + 1)])
    add_area_member(area, board.email, "board_manager")
    audit = open_audit(area, title=f"{name} audit", user=board)
    for row in db.session.scalars(db.select(AuditAgency).where(AuditAgency.audit_id == audit.id)
                                  .order_by(AuditAgency.id).limit(submitted)):
        row.submitted_at = datetime(2026, 3, 1, 12, 0)
    for n in range(overdue + 1):  # one more, done: never overdue
        action = create_action(area, title=f"Action {n}", owner=board, due_on=date(2099, 1, 1), statements=["1.1"])
        action.due_on = date(2021, 1, 1)
        if n == overdue:
            action.status = "done"
            action.completion_evidence = "Done"
    if reaudit:
        db.session.add(ScheduledAudit(area_id=area.id, framework=audit.framework, cycle=2, due_on=reaudit))
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(Action).where(Action.area_id == area.id)) == overdue + 1
    return area, audit


def area_entry(html: str, area_id: int) -> str:
    found = re.search(rf'<li class="hsb-area-list__item" data-area-id="{area_id}">.*?</li>', html, re.S)
    assert found is not None, f"area {area_id} is not on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


def test_the_home_page_shows_each_areas_status(client, world):
    from datetime import date

    board = world.user("board@example.org")
    busy, audit = _area_with_status(world, "Alderley", board, reaudit=date(2027, 5, 4))
    quiet = world.area("Zeals")
    world.user("board@example.org", quiet, "board_manager")
    login(client, board)
    html = client.get("/").get_data(as_text=True)
    busy_text = area_entry(html, busy.id)
    assert "Audit in progress T1: Alderley audit" in busy_text
    assert "Returns 3 of 5 submitted" in busy_text
    assert "Overdue actions 2" in busy_text
    assert "Next re-audit 4 May 2027" in busy_text
    assert f'href="/areas/{busy.id}/audits/{audit.id}/"' in html
    quiet_text = area_entry(html, quiet.id)
    assert "Audit in progress None open" in quiet_text and "Overdue actions None" in quiet_text
    assert "Next re-audit None scheduled" in quiet_text and "Returns" not in quiet_text


def test_the_home_page_shows_a_role_only_what_it_may_read(client, world):
    board = world.user("board@example.org")
    busy, _audit = _area_with_status(world, "Alderley", board)
    other = world.area("Zeals")
    school_lead = world.user("lead@example.org", busy, "school_lead")
    world.user("lead@example.org", other, "school_lead")
    login(client, school_lead)
    text = area_entry(client.get("/").get_data(as_text=True), busy.id)
    assert text == "Alderley", "a school lead reads neither the audit nor the action plan"


def test_the_home_page_runs_the_same_queries_for_3_and_30_areas_and_pages_them(app, client, world):
    from hsbtrack.testing import count_queries

    admin = world.user("admin@example.org", admin=True)
    board = world.user("board@example.org")
    for n in range(3):
        _area_with_status(world, f"Area {n:02d}", board, agencies=2, submitted=1, overdue=1)
    login(client, admin)
    client.get("/")
    with count_queries(app) as few:
        first = client.get("/")
    assert first.status_code == 200
    for n in range(3, 30):
        _area_with_status(world, f"Area {n:02d}", board, agencies=2, submitted=1, overdue=1)
    with count_queries(app) as many:
        html = client.get("/").get_data(as_text=True)
    assert many() == few(), f"{few()} queries with 3 areas, {many()} with 30"
    assert html.count('class="hsb-area-list__item"') == 25
    assert "Areas 1 to 25 of 30" in html and 'href="/?page=2"' in html
    second = client.get("/?page=2").get_data(as_text=True)
    listed = re.search(r'<ul class="govuk-list hsb-area-list".*?</ul>', second, re.S).group(0)
    assert listed.count('class="hsb-area-list__item"') == 5 and "Area 29" in listed and "Area 00" not in listed
    assert "Returns 1 of 2 submitted" in area_entry(second, int(re.search(r'data-area-id="(\d+)"', second).group(1)))
