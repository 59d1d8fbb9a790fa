"""The plugin system: the example plugin (tests/example_plugin) proves every hook, area-scoped hooks
reach only plugins enabled in that area, results are sorted by (order, plugin name) whatever the
registration order, and entry-point discovery honours the allow-list."""

from types import SimpleNamespace

import pytest

import tests.example_plugin as example_plugin
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.registry import ENTRY_POINT_GROUP, PluginRegistry
from hsbtrack.plugins.types import Change, NavItem
from tests.conftest import app_config, login, post_form


@pytest.fixture()
def areas(world):
    """Riverside has the example plugin on, Hillside has it off; one board manager for both."""
    from hsbtrack.areas.services import add_area_member
    from hsbtrack.plugins.services import set_area_plugin

    on = world.area("Riverside")
    off = world.area("Hillside")
    board = world.user("board@example.org", on, "board_manager")
    add_area_member(off, board.email, "board_manager")
    set_area_plugin(on, "example", True)
    return SimpleNamespace(on=on, off=off, board=board)


def dashboard(client, area) -> str:
    response = client.get(f"/areas/{area.id}/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- each hook, through the example plugin --------------------------------------------------------


def test_menu_item_only_where_enabled(client, areas):
    login(client, areas.board)
    assert f'href="/areas/{areas.on.id}/example/"' in dashboard(client, areas.on)
    page = dashboard(client, areas.off)
    assert "/example/" not in page
    assert f'href="/areas/{areas.off.id}/members"' in page, "the core's own menu is still there"


def test_dashboard_widget_only_where_enabled(client, areas):
    login(client, areas.board)
    assert 'data-testid="example-widget">Hello board@example.org<' in dashboard(client, areas.on)
    assert "example-widget" not in dashboard(client, areas.off)


def test_plugin_page_only_where_enabled(client, areas):
    login(client, areas.board)
    response = client.get(f"/areas/{areas.on.id}/example/")
    assert response.status_code == 200
    assert "Example plugin in Riverside" in response.get_data(as_text=True)
    assert client.get(f"/areas/{areas.off.id}/example/").status_code == 404


def test_statement_evidence_only_where_enabled(areas):
    from hsbtrack.plugins.services import collect

    evidence = collect("hsbtrack_statement_evidence", areas.on, audit=None, codes=["1.1"])
    assert [(e.code, e.title, e.plugin) for e in evidence] == [("1.1", "Example evidence", "example")]
    assert collect("hsbtrack_statement_evidence", areas.on, audit=None, codes=["2.2"]) == []
    assert collect("hsbtrack_statement_evidence", areas.off, audit=None, codes=["1.1"]) == []


def test_terminology_only_where_enabled(client, areas):
    from hsbtrack.plugins.services import set_area_plugin
    from hsbtrack.views_support import term

    assert term("partnership", areas.on) == "example committee"
    assert term("partnership", areas.off) == "safeguarding partnership"
    login(client, areas.board)
    assert "Example committee" in dashboard(client, areas.on)
    assert "Safeguarding partnership" in dashboard(client, areas.off)

    set_area_plugin(areas.on, "example", False)
    assert term("partnership", areas.on) == "safeguarding partnership", "switching off takes effect at once"


def test_plugin_role_is_offered(client, areas):
    from hsbtrack.areas.roles import AREA
    from hsbtrack.areas.services import role_choices

    assert "example_role" in [r.id for r in role_choices(AREA)]
    login(client, areas.board)
    page = client.get(f"/areas/{areas.on.id}/members").get_data(as_text=True)
    assert '<option value="example_role">Example role</option>' in page
    response = post_form(client, f"/areas/{areas.on.id}/members", {"email": "ex@example.org", "role": "example_role"})
    assert response.status_code == 302


def test_plugin_cli_command(ctx):
    result = ctx.test_cli_runner().invoke(args=["example-hello"])
    assert result.exit_code == 0, result.output
    assert "hello from the example plugin" in result.output


def test_plugin_framework_is_in_the_catalogue(client, areas):
    catalogue = client.application.extensions["hsbtrack_catalogue"]
    mini = catalogue.get("example-mini")
    assert [s.code for d in mini.domains for s in d.statements] == ["1.1", "1.2"]
    login(client, areas.board)
    assert "Example mini framework" in client.get("/frameworks/").get_data(as_text=True)


def saved_settings(area):
    """The example plugin's settings as stored (requests run in their own database session)."""
    from flask import g

    from hsbtrack.extensions import db
    from hsbtrack.plugins.services import plugin_settings

    db.session.expire_all()
    g.pop("_plugin_states", None)
    return plugin_settings(area, "example")


def test_settings_form_validates_and_saves(client, areas):
    login(client, areas.board)
    path = f"/areas/{areas.on.id}/plugins/example/settings"
    assert client.get(path).status_code == 200

    response = post_form(client, path, {"review_days": "500"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a number from 1 to 365" in page and "govuk-error-summary" in page
    assert saved_settings(areas.on) == {}

    assert post_form(client, path, {"review_days": "30"}).status_code == 302
    assert saved_settings(areas.on) == {"review_days": 30}
    assert 'value="30"' in client.get(path).get_data(as_text=True)
    assert client.get(f"/areas/{areas.off.id}/plugins/example/settings").status_code == 404


def test_record_saved_reaches_only_plugins_enabled_in_the_area(areas):
    from hsbtrack.plugins.services import record_saved

    record_saved(areas.on, record=areas.on, change=Change("test.saved", user_id=areas.board.id))
    record_saved(areas.off, record=areas.off, change=Change("test.saved", user_id=areas.board.id))
    assert example_plugin.saved_events == [(areas.on.id, "test.saved")]


def test_each_business_event_reaches_the_plugin_by_its_one_name(areas):
    """pretix-style: each event has one name (hsbtrack.events.Event), sent after the commit, only to
    plugins enabled in the area."""
    from datetime import date

    from hsbtrack.actions import services as actions
    from hsbtrack.areas.services import add_area_member
    from hsbtrack.audits import returns
    from hsbtrack.audits import services as audits
    from hsbtrack.events import Event

    board = areas.board
    for area in (areas.on, areas.off):  # the same work in both areas; only Riverside's is heard
        audit = audits.open_audit(area, user=board)
        police = area.agencies[0]
        returns.set_sign_off_required(area, True, user=board)
        _m, senior, _c = add_area_member(area, f"senior.{area.id}@example.org", "senior_officer", agency_id=police.id)
        audit = audits.get_audit(audit.id)
        for statement in audits.framework_of(audit).scored_statements:
            audits.save_response(audit, police.id, statement.code, score=2, user=board)
        audits.set_agreed_score(audit, "1.1", 1, user=board)
        audits.submit_agency(audit, police.id, user=board)
        returns.sign_off(audit, police.id, user=senior)
        action = actions.create_action(area, title="Write the pathway", owner=board, due_on=date(2027, 3, 31),
                                       statements=["1.1"], user=board)
        actions.update_action(action, {"status": "in_progress"}, user=board)
        actions.add_update(action, "Draft shared", progress=40, user=board)
        audits.close_audit(audit, user=board, override_reason="closed as the test sets it up")
    kinds = [kind for area_id, kind in example_plugin.saved_events]
    assert {area_id for area_id, _kind in example_plugin.saved_events} == {areas.on.id}
    assert kinds.count(Event.RESPONSE_SCORED) == len(audits.framework_of(audit).scored_statements)
    assert [k for k in kinds if k != Event.RESPONSE_SCORED] == [
        Event.AUDIT_OPENED, Event.AGREED_SCORE_SET, Event.AGENCY_SUBMITTED, Event.RETURN_SIGNED_OFF, Event.ACTION_CREATED, Event.ACTION_SAVED,
        Event.ACTION_PROGRESS_POSTED, Event.AUDIT_CLOSED]
    assert all(isinstance(k, Event) for k in kinds)


def test_scheduled_job_is_listed(ctx):
    jobs = ctx.extensions["hsbtrack_plugins"].collect("hsbtrack_scheduled_jobs")
    job = next(j for j in jobs if j.name == "example.job")
    assert job.plugin == "example" and job.hours == 1
    job.func(ctx, "now")
    assert example_plugin.job_runs[-1] == "now"


def test_a_region_enables_a_plugin_for_its_areas(client, world):
    from hsbtrack.plugins.services import enabled_plugins, set_region_plugin

    region = world.region("North")
    inside, outside = world.area("Riverside", region), world.area("Lakeside")
    set_region_plugin(region, "example", True)
    assert "example" in enabled_plugins(inside)
    assert "example" not in enabled_plugins(outside)


def test_region_links_only_where_enabled_and_only_pages_the_user_may_open(client, world):
    from hsbtrack.areas.services import add_region_member
    from hsbtrack.plugins.services import set_region_plugin

    on, off = world.region("North"), world.region("South")
    world.area("Riverside", on)
    world.area("Lakeside", off)
    set_region_plugin(on, "example", True)
    coordinator = world.user("coordinator@example.org", region=on, role="regional_coordinator")
    add_region_member(off, coordinator.email, "regional_coordinator")
    login(client, coordinator)
    page = client.get(f"/regions/{on.id}/").get_data(as_text=True)
    assert f'href="/regions/{on.id}/plugins">Example region link<' in page
    assert "Example admin link" not in page, "a link to a page the coordinator may not open"
    assert "Example region link" not in client.get(f"/regions/{off.id}/").get_data(as_text=True)

    admin, as_admin = world.user("admin@example.org", admin=True), client.application.test_client()
    login(as_admin, admin)
    assert 'href="/admin/">Example admin link<' in as_admin.get(f"/regions/{on.id}/").get_data(as_text=True)


# -- sorting, subsets and discovery ---------------------------------------------------------------


class Zed:
    """A tiny plugin named zed."""

    @hookimpl
    def hsbtrack_nav_items(self, area, user):
        return [NavItem("zed-50", "/z50", order=50), NavItem("zed-10", "/z10", order=10)]


class Alpha:
    """A tiny plugin named alpha."""

    @hookimpl
    def hsbtrack_nav_items(self, area, user):
        return [NavItem("alpha-default", "/a"), NavItem("alpha-50", "/a50", order=50)]


def registry_with(*plugins):
    registry = PluginRegistry()
    for name, plugin in plugins:
        registry.register_plugin(name, plugin)
    return registry


@pytest.mark.parametrize("order", [("alpha", "zed"), ("zed", "alpha")])
def test_results_are_sorted_by_order_then_plugin_name(order):
    made = {"alpha": Alpha(), "zed": Zed()}
    registry = registry_with(*[(name, made[name]) for name in order])
    items = registry.collect("hsbtrack_nav_items", area=None, user=None)
    assert [i.label for i in items] == ["zed-10", "alpha-50", "zed-50", "alpha-default"]
    assert [i.plugin for i in items] == ["zed", "alpha", "zed", "alpha"]


def test_a_subset_reaches_only_the_enabled_plugins():
    registry = registry_with(("zed", Zed()), ("alpha", Alpha()))
    items = registry.collect("hsbtrack_nav_items", enabled={"alpha"}, area=None, user=None)
    assert [i.label for i in items] == ["alpha-50", "alpha-default"]
    assert registry.collect("hsbtrack_nav_items", enabled=set(), area=None, user=None) == []


def test_two_plugins_cannot_share_a_name():
    registry = registry_with(("zed", Zed()))
    with pytest.raises(ValueError, match="Two plugins are called 'zed'"):
        registry.register_plugin("zed", Alpha())


class FakeEntryPoint:
    def __init__(self, name, plugin, loads):
        self.name, self.plugin, self.loads = name, plugin, loads
        self.dist = SimpleNamespace(version=f"3.{len(name)}.0")  # the distribution's metadata

    def load(self):
        self.loads.append(self.name)
        return self.plugin


@pytest.fixture()
def installed(monkeypatch):
    """Two plugins "installed" under the hsbtrack.plugins entry-point group; records which load."""
    loads = []
    eps = [FakeEntryPoint("zed", Zed(), loads), FakeEntryPoint("alpha", Alpha(), loads)]

    def fake_entry_points(group):
        return list(eps) if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr("hsbtrack.plugins.registry.entry_points", fake_entry_points)
    return loads


@pytest.mark.parametrize("allow, expected", [
    ("*", ["alpha", "zed"]),
    ("alpha", ["alpha"]),
    (" zed , nothing-else ", ["zed"]),
    ("", []),
    ("none", []),
])
def test_entry_point_discovery_honours_the_allow_list(installed, allow, expected):
    registry = PluginRegistry()
    registry.load_entry_points(allow)
    assert [p.name for p in registry.plugins()] == expected
    assert sorted(installed) == expected, "plugins outside the allow-list are not even imported"
    # an installed plugin's version is its distribution's, not one written in its code
    assert [p.version for p in registry.plugins()] == [f"3.{len(name)}.0" for name in expected]


def test_create_app_loads_allowed_entry_point_plugins(installed, monkeypatch):
    from hsbtrack import create_app

    app = create_app(config=app_config(HSBTRACK_PLUGINS="alpha"))
    assert [p.name for p in app.extensions["hsbtrack_plugins"].plugins()] == ["alpha"]


# -- a broken framework file stops start-up, naming the file --------------------------------------


class BrokenFramework:
    def __init__(self, path):
        self.path = path

    @hookimpl
    def hsbtrack_frameworks(self):
        return [self.path]


@pytest.mark.parametrize("text, problem", [
    ("slug: broken\ndomains: [unclosed\n", "invalid YAML"),
    ("slug: broken\ntitle: Broken\n", ""),
])
def test_a_malformed_framework_file_stops_create_app(tmp_path, text, problem):
    from hsbtrack import create_app
    from hsbtrack.catalogue import FrameworkError

    path = tmp_path / "broken-framework.yaml"
    path.write_text(text)
    with pytest.raises(FrameworkError) as raised:
        create_app(config=app_config(HSBTRACK_PLUGINS=""), plugins={"broken": BrokenFramework(path)})
    assert str(path) in str(raised.value) or "broken-framework.yaml" in str(raised.value)
    assert problem in str(raised.value)
