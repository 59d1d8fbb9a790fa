"""The area dashboard: latest radar against the previous cycle, actions by status, what is due, the next
re-audit, plugin widgets; a constant number of queries as actions grow."""

from datetime import date, timedelta

from tests.actions.pages_support import PageScene
from tests.conftest import count_queries, login


def _dashboard(client, area):
    response = client.get(f"/areas/{area.id}/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_dashboard_shows_radar_status_counts_due_and_overdue(client, world):
    scene = PageScene(world, close_t1=True)
    scene.action(title="Overdue thing", due_on=date.today() - timedelta(days=3), record_overdue=True)
    scene.action(title="Soon thing", due_on=date.today() + timedelta(days=2))
    scene.action(title="Later thing", due_on=date.today() + timedelta(days=90), status="in_progress")
    login(client, scene.board)
    html = _dashboard(client, scene.area)
    assert 'data-testid="overdue-count">1<' in html
    assert "Overdue thing" in html and "Soon thing" in html and "Later thing" not in html
    assert 'data-status="not_started">2<' in html and 'data-status="in_progress">1<' in html
    # T1 closed: T2 is the next re-audit, six months after completion
    assert "next re-audit (T2)" in html
    assert f"/areas/{scene.area.id}/audits/{scene.audit.id}/charts/domains.svg" in html


def test_action_status_chart_is_cached_with_an_etag(client, world):
    scene = PageScene(world)
    scene.action()
    login(client, scene.board)
    first = client.get(f"/areas/{scene.area.id}/actions-by-status.svg")
    assert first.status_code == 200 and first.mimetype == "image/svg+xml"
    assert b"<script" not in first.data
    again = client.get(f"/areas/{scene.area.id}/actions-by-status.svg", headers={"If-None-Match": first.get_etag()[0]})
    assert again.status_code == 304
    scene.action(title="Another")
    changed = client.get(f"/areas/{scene.area.id}/actions-by-status.svg", headers={"If-None-Match": first.get_etag()[0]})
    assert changed.status_code == 200 and changed.get_etag()[0] != first.get_etag()[0]


def test_dashboard_queries_do_not_grow_with_actions(app, client, world):
    scene = PageScene(world, close_t1=True)
    login(client, scene.board)
    for i in range(3):
        scene.action(title=f"Action {i}", due_on=date.today() + timedelta(days=i - 1), record_overdue=True)
    _dashboard(client, scene.area)
    with count_queries(app) as small:
        _dashboard(client, scene.area)
    for i in range(30):
        scene.action(title=f"More {i}", due_on=date.today() + timedelta(days=i % 9 - 2), record_overdue=True)
    with count_queries(app) as large:
        _dashboard(client, scene.area)
    assert large() == small(), (small(), large())


def test_dashboard_shows_enabled_plugin_widgets_only(client, world):
    from hsbtrack.plugins.services import set_area_plugin

    scene = PageScene(world)
    login(client, scene.board)
    assert 'data-testid="example-widget"' not in _dashboard(client, scene.area)
    set_area_plugin(scene.area, "example", True)
    assert 'data-testid="example-widget"' in _dashboard(client, scene.area)
