"""Every GET page of the app (core and plugins), with real data behind it, for whole-app browser walks.

The URLs come from the route walk of ``tests/integration/test_routes_access.py`` (its ``CONVERTERS`` and
``ENDPOINT_VALUES``): a new route with an argument nobody gave a value for fails there and here.
The scene behind them is that walk's ``Scene`` (area A in region A, with every plugin on), filled
with data so that each page has something to show: a closed baseline audit with moderated scores
and actions from its findings, a re-audit under way (the audit the URLs name), the training
plugin's demo records, three schools with checklist rounds, a Scotland case and a regional round.

Use::

    scene = build_walk_scene(world)
    for stop in page_walk(scene):          # Stop(endpoint, url, user): user None = signed out
        ...

The walk lists only GET routes outside ``/api/`` and ``/static/``; whether a page is HTML is
decided by the response's content type when it is fetched (``is_html``), not by a list here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tests.integration.test_routes_access import OWN, PUBLIC_ENDPOINTS, ROUTES, Scene

# GET routes that are actions rather than pages, each with the reason it is not walked.
NOT_PAGES = {
    "auth.language": "sets the language cookie and redirects (it would turn the rest of the walk Welsh)",
    "areas.switch": "redirects to the chosen area's dashboard, which the walk visits itself",
    "static": "CSS, JavaScript and images",
    "sso.login": "redirects to the single sign-on provider (tests/test_sso.py and the SSO browser test follow it)",
    "sso.callback": "the provider's answer to a sign-in it started (tests/test_sso.py)",
}


@dataclass(frozen=True)
class Stop:
    endpoint: str
    url: str  # path and query, relative to the server
    user: str | None  # the email to sign in as; None: signed out


def is_html(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "text/html"


def build_walk_scene(world) -> Scene:
    """The route walk's scene, with data on every page of area A and region A."""
    from hsbtrack_regional.demo import seed_scores
    from hsbtrack_schools.services import demo as schools_demo
    from hsbtrack_training.demo import load as training_demo

    from hsbtrack.actions import services as actions
    from hsbtrack.audits import services as audits
    from hsbtrack.extensions import db
    from hsbtrack.timeutil import today, utcnow

    scene = Scene(world)
    area, board = scene.area_a, scene.user_a
    # T1: closed, every agency scored and submitted, one score moderated, actions from the findings
    t1 = audits.open_audit(area, title="Baseline audit (T1)", user=board, opened_at=utcnow() - timedelta(days=250))
    seed_scores(t1, (2, 3, 1, 2, 1), board)
    for agency_id in audits.participant_ids(t1):
        audits.submit_agency(t1, agency_id, user=board)
    audits.set_agreed_score(t1, "3.1", 2, "Agreed at the moderation meeting: the pathway was replaced in March.",
                            user=board)
    audits.close_audit(t1, user=board, completed_on=today() - timedelta(days=190))
    owners = [board, scene.viewer_a]
    for n, finding in enumerate(actions.findings(t1)[:4]):
        action = actions.accept_findings(t1, [finding.code], owner=owners[n % 2],
                                         due_on=today() + timedelta(days=60 - 40 * n), user=board,
                                         record_overdue=True)[0]  # (some overdue: recorded late)
        if n % 2:
            actions.update_action(action, {"status": "in_progress", "progress": 40}, user=board)
            actions.add_update(action, "Reported at the partnership meeting.", 40, user=board)
    # T2: under way, two agencies have scored (the audit the walk's URLs name)
    t2 = audits.open_audit(area, title="Six-month re-audit (T2)", user=board)
    seed_scores(t2, (3, 3, 2, 3, 2), board)
    audits.submit_agency(t2, audits.participant_ids(t2)[0], user=board)
    scene._made["audit", OWN] = t2
    action = scene.action(OWN)
    actions.add_update(action, "Draft pathway circulated to the agencies.", 20, user=board)
    scene.notification(OWN)
    training_demo(area)
    schools_demo(area)
    regional_round = _regional_round(scene.region_a)
    for member in regional_round:
        seed_scores(member, (2, 2, 3, 1, 2), board)
    db.session.commit()
    return scene


def _regional_round(region):
    from hsbtrack_regional import services

    from tests.integration.test_routes_access import _regional_on
    from tests.integration.test_routes_access import _regional_round as open_round

    _regional_on(region)
    return [m.audit for m in services.round_status(open_round(region)) if m.audit is not None]


def user_for(route, scene) -> str | None:
    """Who sees the page: signed out for public pages, the admin for /admin, else the board manager
    of area A (also its regional coordinator, training lead and case worker)."""
    if route.endpoint in PUBLIC_ENDPOINTS:
        return None
    if route.is_admin:
        return scene.admin.email
    return scene.user_a.email


def page_walk(scene):
    """Yield a ``Stop`` for every GET page route (sorted by URL rule), its URL filled in from ``scene``."""
    for route in ROUTES:
        if route.method != "GET" or route.is_api or route.endpoint in NOT_PAGES:
            continue
        yield Stop(route.endpoint, route.url(scene, OWN), user_for(route, scene))


def browser_sessions(browser, live_server, stops, *, language: str | None = None, **context_options):
    """One browser context per user of ``stops``, signed in as them: yields ``(page, user, their_stops)``.

    :param language: a language cookie to set once signed in (the sign-in form stays English).
    Server errors seen meanwhile are in ``live_server.errors`` (cleared before the first user).
    """
    from hsbtrack.testing_browser import TIMEOUT_MS, browser_login

    by_user: dict = {}
    for stop in stops:
        by_user.setdefault(stop.user, []).append(stop)
    live_server.errors.clear()
    host = live_server.url.split("//", 1)[1].split(":")[0]
    for user, user_stops in by_user.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                      base_url=live_server.url, **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            if user is not None:
                browser_login(page, live_server.url, user)
            if language:
                context.add_cookies([{"name": "hsbtrack_lang", "value": language, "domain": host, "path": "/"}])
            yield page, user, user_stops
        finally:
            context.close()


def server_errors(live_server) -> list[str]:
    errors = [f"server error at {where}:\n{trace}" for where, trace in live_server.errors]
    live_server.errors.clear()
    return errors
