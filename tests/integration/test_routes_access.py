"""Every route of the app, walked three ways.

docs/architecture.md: "Data of one area never reaches a user without a role there (tests enumerate every
route)" and "CSRF on every form". The walk reads ``app.url_map``, so routes added later (audits,
actions, plugin pages under ``/areas/<area_id>/<plugin>/``) are covered without editing this file:

* an anonymous visitor is sent to sign in (HTML) or gets a 401 JSON error (API);
* a user with roles only in area A (and region A) gets 404 for anything of area B, region B or
  another user — pages and API alike — and for the admin pages;
* a state-changing HTML request without a CSRF token is refused with 400 and changes nothing,
  even from a user allowed to make it.

Every URL argument needs a value in ``CONVERTERS`` below. A route with an argument this file does
not know fails with "add a value for converter X": add the object it names, one of area A (the
user's own) and one of area B (someone else's).
"""

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import api_headers, csrf_token, login, make_app

# Endpoints anyone may use without signing in, each with the reason. Keep it small.
PUBLIC_ENDPOINTS = {
    "static": "CSS, JavaScript and images of the GOV.UK design system",
    "auth.login": "the sign-in page itself",
    "auth.language": "choosing English or Cymraeg before signing in; it only sets a cookie",
    "auth.request_reset": "asking for a reset link; the answer is the same whether or not the address has an account",
    "auth.reset_password": "the emailed reset link: its one-time token is the credential",
    "auth.accept_invite": "the emailed invitation link: its one-time token is the credential",
    "api-docs.openapi_json": "the API's description (paths and schemas), which holds no data",
    "healthz": "liveness for load balancers: answers 'ok', touches no session and no database",
    "session.ended": "where the timeout warning sends a page whose session has ended: the sign-in page with a message",
    "auth.two_factor_code": "the second step of signing in: opens only with the pending state a right password leaves",
    "auth.two_factor_setup": "setting up two factors before the first sign-in (required roles): the same pending state",
    "sso.login": "starting single sign-on with a provider: a redirect to it, with state, nonce and PKCE",
    "sso.callback": "the provider's answer: the session's state says which sign-in it finishes",
}
# Endpoints outside /api/ that answer a page's own script with JSON: an anonymous caller gets a
# 401 JSON error (the script then leaves the page) instead of a redirect to the sign-in page.
SCRIPT_ENDPOINTS = {
    "session.status": "how long the session has left, for the timeout warning",
    "session.extend": "the timeout warning's \"Stay signed in\"",
}

MARKER = "zebrafield"  # in the name of everything that belongs to area B, region B or user B
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "missing its security token"


# -- the objects the walk points at ---------------------------------------------------------------


class Scene:
    """Area A (region A) where the user is board manager and regional coordinator; area B (region
    B) where someone else is. Every installed plugin is on in both regions (so in both areas): its
    pages exist on both sides, and a 404 comes from the access rule, not from the plugin being off."""

    def __init__(self, world):
        from hsbtrack.areas.services import add_area_member, add_region_member
        from hsbtrack.auth.services import issue_api_token, issue_one_time_token
        from hsbtrack.extensions import db
        from hsbtrack.plugins.services import registry, set_region_plugin

        self.db = db
        self.region_a = world.region("Northvale Region")
        self.region_b = world.region("Zebrafield Region")
        self.area_a = world.area("Riverside", self.region_a)
        self.area_b = world.area("Zebrafield Partnership", self.region_b, agencies=("Zebrafield Police",))
        self.agency_a = world.agency(self.area_a, "Police")
        self.agency_b = world.agency(self.area_b, "Zebrafield Police")

        self.user_a = world.user("board.a@example.org", self.area_a, "board_manager")
        add_region_member(self.region_a, self.user_a.email, "regional_coordinator")
        add_area_member(self.area_a, self.user_a.email, "training_lead")  # training plugin's forms
        add_area_member(self.area_a, self.user_a.email, "case_worker")  # scotland plugin's case pages
        # signing a return off needs a senior officer of the agency (the sign-off page)
        add_area_member(self.area_a, self.user_a.email, "senior_officer", agency_id=self.agency_a.id)
        self.viewer_a = world.user("viewer.a@example.org", self.area_a, "viewer")
        self.user_b = world.user("board@zebrafield.example", self.area_b, "board_manager")
        add_region_member(self.region_b, self.user_b.email, "regional_coordinator")
        self.admin = world.user("admin@example.org", admin=True)

        self.membership_a = self._membership(self.viewer_a, self.area_a)
        self.membership_b = self._membership(self.user_b, self.area_b)
        issue_api_token(self.user_a, "own token")
        issue_api_token(self.user_b, "zebrafield token")
        self.token_a_id = self._token_id(self.user_a)
        self.token_b_id = self._token_id(self.user_b)

        _m, pending, _c = add_area_member(self.area_a, "invited.a@example.org", "viewer")
        self.invite_token = issue_one_time_token(pending, "invite")
        self.reset_token = issue_one_time_token(self.user_a, "reset")
        db.session.commit()

        for plugin in registry().plugins():
            set_region_plugin(self.region_a, plugin.name, True)
            set_region_plugin(self.region_b, plugin.name, True)
        self._made = {}

    def _membership(self, user, area):
        from hsbtrack.areas.models import Membership

        return self.db.session.scalar(select(Membership).filter_by(user_id=user.id, area_id=area.id))

    def _token_id(self, user):
        from hsbtrack.auth.models import ApiToken

        return self.db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))

    # Objects of later features, made the first time a route asks for one.
    def _once(self, kind, side, make):
        if (kind, side) not in self._made:
            self._made[kind, side] = make()
        return self._made[kind, side]

    def audit(self, side):
        from hsbtrack.audits.services import open_audit

        return self._once("audit", side, lambda: open_audit(self.area_a if side == OWN else self.area_b))

    def action(self, side):
        from datetime import date

        from hsbtrack.actions.services import create_action

        area, owner = (self.area_a, self.user_a) if side == OWN else (self.area_b, self.user_b)
        return self._once("action", side, lambda: create_action(
            area, title=f"Action of {area.name}", owner=owner, due_on=date(2030, 1, 1), statements=["1.1"]))

    def notification(self, side):
        from hsbtrack.notifications.services import notify

        user = self.user_a if side == OWN else self.user_b
        return self._once("notification", side, lambda: notify(
            user, key=f"test-{side}", kind="test", subject=f"For {user.email}", link="/", email=False))


OWN, FOREIGN = "own", "foreign"


@dataclass(frozen=True)
class Owned:
    """An argument naming an object: user A's own one, or one of area B / another user."""

    own: object
    foreign: object


def _training_import(s, side):
    from hsbtrack_training.uploads import save_upload

    area = s.area_a if side == OWN else s.area_b
    return s._once("training_import", side, lambda: save_upload(area, None, "t.csv", b"Name,Agency\nAnn,Police\n"))


def _document(s, side):
    from io import BytesIO

    from hsbtrack.documents.services import upload_to_response

    audit = s.audit(side)
    return s._once("document", side, lambda: upload_to_response(
        audit, audit.area.agencies[0].id, "1.1", BytesIO(b"%PDF-1.4\n"), "a.pdf").id)


def _job(s, side):
    """A finished board report job of user A (own) or user B (foreign), its file in storage."""
    import io
    from datetime import timedelta

    from hsbtrack.extensions import db
    from hsbtrack.jobs.models import DONE, Job
    from hsbtrack.storage import storage
    from hsbtrack.timeutil import utcnow

    def make():
        user, audit = (s.user_a, s.audit(OWN)) if side == OWN else (s.user_b, s.audit(FOREIGN))
        key = f"jobs/routes-{side}.pdf"
        storage().put(key, io.BytesIO(b"%PDF-1.7 routes"))
        job = Job(kind="audit.report", area_id=audit.area_id, requested_by_id=user.id, status=DONE, progress=100,
                  message="", attempt=1, parameters={"audit_id": audit.id, "format": "pdf", "lang": "en"},
                  result_key=key, result_filename="report.pdf", result_content_type="application/pdf",
                  finished_at=utcnow(), expires_at=utcnow() + timedelta(days=7))
        db.session.add(job)
        db.session.commit()
        return job.id

    return s._once("job", side, make)


def _yearly_report(s, side, region=False):
    """A yearly report of area A or B (England's kind) — or of region A or B (the example plugin's region kind) —
    with a version 1 (the ``number`` of its version page)."""
    from datetime import date

    from hsbtrack.yearly_reports.services import create_report, kinds_for

    def make():
        if region:
            place, user = (s.region_a, s.user_a) if side == OWN else (s.region_b, s.user_b)
        else:
            place, user = (s.area_a, s.user_a) if side == OWN else (s.area_b, s.user_b)
        # (England's kind where the area is a partnership; a national variant's own where its plugin is on)
        kind = next(k for k in kinds_for(place) if k.name in ("example.regional", "england.yearly",
                                                               "scotland.self_evaluation"))
        report, _created = create_report(place, kind=kind.name, period_start=date(2025, 4, 1),
                                         period_end=date(2026, 3, 31), user=user,
                                         sections={kind.sections[0].key: "routes"})
        return report.id

    return s._once("yearly_region" if region else "yearly", side, make)


def _organisation(s, side):
    """A partner organisation linked to Police of area A (user A leads it) or of area B (user B leads it),
    with a shared return of that area's audit; (organisation id, shared return id)."""
    from hsbtrack.organisations import services as organisations

    def make():
        area, agency, user = (s.area_a, s.agency_a, s.user_a) if side == OWN else (s.area_b, s.agency_b, s.user_b)
        organisation = organisations.create_organisation(f"Partner of {area.name}")
        organisations.link_area(organisation, area.id, agency.id)
        organisations.add_member(organisation, user.email)
        shared = organisations.open_shared_return(organisation, [s.audit(side).id])
        return organisation.id, shared.id

    return s._once("organisation", side, make)


def _provider(s):
    from hsbtrack.auth import sso

    return s._once("provider", OWN, lambda: sso.save_provider({
        "slug": "zebrafield-council", "label": "Zebrafield Council", "issuer": "https://login.zebrafield.example",
        "client_id": "hsbtrack", "client_secret": "not-a-secret", "allowed_domains": "zebrafield.example",
        "enabled": True}).id)


# URL argument -> value. ``Owned`` values pick the own or the other object; plain values (strings
# naming catalogue entries or plugins) are the same for everyone. Functions receive the Scene.
CONVERTERS = {
    "area_id": Owned(lambda s: s.area_a.id, lambda s: s.area_b.id),
    "region_id": Owned(lambda s: s.region_a.id, lambda s: s.region_b.id),
    "agency_id": Owned(lambda s: s.agency_a.id, lambda s: s.agency_b.id),
    "membership_id": Owned(lambda s: s.membership_a.id, lambda s: s.membership_b.id),
    "token_id": Owned(lambda s: s.token_a_id, lambda s: s.token_b_id),
    "user_id": Owned(lambda s: s.viewer_a.id, lambda s: s.user_b.id),
    "audit_id": Owned(lambda s: s.audit(OWN).id, lambda s: s.audit(FOREIGN).id),
    "action_id": Owned(lambda s: s.action(OWN).id, lambda s: s.action(FOREIGN).id),
    "notification_id": Owned(lambda s: s.notification(OWN).id, lambda s: s.notification(FOREIGN).id),
    "import_id": Owned(lambda s: _training_import(s, OWN), lambda s: _training_import(s, FOREIGN)),
    "document_id": Owned(lambda s: _document(s, OWN), lambda s: _document(s, FOREIGN)),
    "job_id": Owned(lambda s: _job(s, OWN), lambda s: _job(s, FOREIGN)),
    "report_id": Owned(lambda s: _yearly_report(s, OWN), lambda s: _yearly_report(s, FOREIGN)),
    "provider_id": Owned(lambda s: _provider(s), lambda s: _provider(s)),  # (install-wide: admins only)
    "organisation_id": Owned(lambda s: _organisation(s, OWN)[0], lambda s: _organisation(s, FOREIGN)[0]),
    "shared_return_id": Owned(lambda s: _organisation(s, OWN)[1], lambda s: _organisation(s, FOREIGN)[1]),
    "slug": "nspcc-hsb-2019",
    "framework": "nspcc-hsb-2019",
    "name": "example",
    "plugin": "example",
    "code": "1.1",
    "number": 1,  # a domain of the framework
    "domain": 1,
    "token": lambda s: s.invite_token,
    "case_id": Owned(lambda s: __import__("hsbtrack_scotland.testing", fromlist=["x"]).scene_case(s, s.area_a),
                     lambda s: __import__("hsbtrack_scotland.testing", fromlist=["x"]).scene_case(s, s.area_b)),
    "school_id": Owned(lambda s: __import__("hsbtrack_schools.tests.helpers", fromlist=["x"]).route_scene(s, "own")[0].id,
                       lambda s: __import__("hsbtrack_schools.tests.helpers", fromlist=["x"]).route_scene(s, "foreign")[0].id),
    "round_id": Owned(lambda s: __import__("hsbtrack_schools.tests.helpers", fromlist=["x"]).route_scene(s, "own")[1].id,
                      lambda s: __import__("hsbtrack_schools.tests.helpers", fromlist=["x"]).route_scene(s, "foreign")[1].id),
    "section": "structures",  # an area of the schools plugin's checklist
}
# Where one argument name means different things on different endpoints.
ENDPOINT_VALUES = {
    ("schools.item_action", "code"): "S1",  # a red item of the schools plugin's round
    ("auth.reset_password", "token"): lambda s: s.reset_token,
    ("auth.language", "code"): "cy",
}


def _regional_on(region):
    """The regional plugin's pages exist only where it is on (for the region): switch it on first."""
    from hsbtrack.plugins.services import set_region_plugin

    set_region_plugin(region, "regional", True)
    return region


def _regional_round(region):
    from hsbtrack_regional.services import open_round, rounds_for_region

    return (rounds_for_region(region.id) or [None])[0] or open_round(region)


ENDPOINT_VALUES.update({
    (f"regional_region.{name}", "region_id"): Owned(lambda s: _regional_on(s.region_a).id,
                                                     lambda s: _regional_on(s.region_b).id)
    for name in ("home", "round_detail", "round_radar", "trend_radar", "actions", "commissioning", "figures")
})
ENDPOINT_VALUES.update({
    (f"regional_region.{name}", "round_id"): Owned(lambda s: _regional_round(s.region_a).id,
                                                    lambda s: _regional_round(s.region_b).id)
    for name in ("round_detail", "round_radar")
})
ENDPOINT_VALUES[("regional.area_home", "area_id")] = Owned(lambda s: _regional_on(s.region_a) and s.area_a.id,
                                                           lambda s: _regional_on(s.region_b) and s.area_b.id)
ENDPOINT_VALUES.update({  # a member of the organisation (its lead) to remove
    (endpoint, "user_id"): Owned(lambda s: _organisation(s, OWN) and s.user_a.id,
                                 lambda s: _organisation(s, FOREIGN) and s.user_b.id)
    for endpoint in ("organisations.remove_member", "api_organisations.remove_member")
})
ENDPOINT_VALUES.update({  # a region's yearly report (the example plugin's region kind)
    (f"yearly_reports_region.{name}", "report_id"): Owned(lambda s: _yearly_report(s, OWN, region=True),
                                                                 lambda s: _yearly_report(s, FOREIGN, region=True))
    for name in ("detail", "version", "file")
})
ENDPOINT_VALUES[("regional_region.figures", "report_id")] = Owned(  # a region report's figures (XLSX)
    lambda s: _regional_on(s.region_a) and _yearly_report(s, OWN, region=True),
    lambda s: _regional_on(s.region_b) and _yearly_report(s, FOREIGN, region=True))
AREA_ARGUMENTS = {"area_id", "region_id"}
# Form fields some pages need to get past "which one?" (sent with a valid CSRF token only).
FORM_HINTS = {"plugin": "example", "enabled": "off"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    method: str
    arguments: tuple

    @property
    def is_api(self):
        return self.rule.startswith("/api/")

    @property
    def is_admin(self):
        return self.rule.startswith("/admin")

    @property
    def is_public(self):
        return self.endpoint in PUBLIC_ENDPOINTS

    @property
    def owned_arguments(self):
        """Arguments naming someone's object (unknown ones count, so that they fail loudly)."""
        return [a for a in self.arguments if isinstance(CONVERTERS.get(a, Owned(0, 0)), Owned)]

    @property
    def is_scoped(self):
        return self.is_admin or bool(self.owned_arguments)

    def url(self, scene, side=OWN, sides=None):
        """The rule with every argument filled in; ``sides`` overrides ``side`` per argument."""

        def value(match):
            name = match.group(1)
            spec = ENDPOINT_VALUES.get((self.endpoint, name), CONVERTERS.get(name))
            if spec is None:
                pytest.fail(
                    f"add a value for converter {name!r} to CONVERTERS in {__file__} "
                    f"(route {self.method} {self.rule}, endpoint {self.endpoint}): "
                    f"an object of area A and one of area B (``Owned``), or a plain value"
                )
            if isinstance(spec, Owned):
                spec = spec.own if (sides or {}).get(name, side) == OWN else spec.foreign
            if callable(spec):
                spec = spec(scene)
            return quote(str(spec), safe="")

        return re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", value, self.rule)

    def __str__(self):
        return f"{self.method} {self.rule}"


def all_routes() -> list[Route]:
    app = make_app()
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append(Route(rule.endpoint, rule.rule, method, tuple(sorted(rule.arguments))))
    return sorted(routes, key=lambda r: (r.rule, r.method))


ROUTES = all_routes()


def params(routes):
    return [pytest.param(r, id=str(r)) for r in routes]


# -- helpers --------------------------------------------------------------------------------------


def snapshot(db):
    """Every row of every table, to prove a refused request changed nothing."""
    with db.engine.connect() as conn:
        return {
            table.name: sorted(map(repr, conn.execute(table.select()).all())) for table in db.metadata.sorted_tables
        }


def call(client, route, url, headers=None, form=None):
    if route.is_api:
        body = {} if route.method in STATE_CHANGING else None
        return client.open(url, method=route.method, headers=headers or {}, json=body)
    data = form if route.method in STATE_CHANGING else None
    return client.open(url, method=route.method, data=data)


def assert_json_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json, response.get_data(as_text=True)[:500]
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)


@pytest.fixture()
def scene(world):
    return Scene(world)


# -- the allow-list stays honest ------------------------------------------------------------------


def test_public_endpoints_exist_and_everything_else_is_walked():
    endpoints = {r.endpoint for r in ROUTES}
    assert set(PUBLIC_ENDPOINTS) <= endpoints, "remove endpoints that no longer exist from PUBLIC_ENDPOINTS"
    assert set(SCRIPT_ENDPOINTS) <= endpoints, "remove endpoints that no longer exist from SCRIPT_ENDPOINTS"
    walked = [r for r in ROUTES if not r.is_public]
    # The core's own pages are in the walk (so a broken url_map read cannot pass vacuously).
    for endpoint in ("dashboard.area", "areas.members", "admin.users", "plugins.toggle_area_plugin",
                     "example.home", "api_core.add_member", "api_core.set_region_plugin",
                     "area_archive.index", "area_archive.start_export", "area_archive.import_archive"):
        assert endpoint in {r.endpoint for r in walked}


# -- (a) anonymous visitors -----------------------------------------------------------------------


@pytest.mark.parametrize("route", params(r for r in ROUTES if not r.is_public))
def test_anonymous_visitor_is_sent_to_sign_in(route, client, scene):
    url = route.url(scene)
    if route.is_api:
        assert_json_error(call(client, route, url), 401, "unauthorized")
        return
    token = csrf_token(client, "/login")  # a valid token, so that only the missing sign-in refuses
    response = call(client, route, url, form={"csrf_token": token})
    if route.endpoint in SCRIPT_ENDPOINTS:
        assert_json_error(response, 401, "unauthorized")
        return
    assert response.status_code == 302, f"{route} answered {response.status_code}"
    assert urlsplit(response.headers["Location"]).path == "/login"


# -- (b) a user of area A asks for area B's things ------------------------------------------------


@pytest.mark.parametrize("route", params(r for r in ROUTES if r.is_scoped and not r.is_public))
def test_other_areas_regions_and_users_answer_404(route, client, scene):
    url = route.url(scene, FOREIGN)
    if route.is_api:
        headers = api_headers(scene.user_a)
        before = snapshot(scene.db)
        response = call(client, route, url, headers=headers)
        assert_json_error(response, 404, "not_found")
    else:
        login(client, scene.user_a)
        form = {"csrf_token": csrf_token(client, "/account")}
        before = snapshot(scene.db)
        response = call(client, route, url, form=form)
        assert response.status_code == 404, f"{route} as {url} answered {response.status_code}"
    assert MARKER not in response.get_data(as_text=True).lower()
    assert snapshot(scene.db) == before


# State-changing routes whose URL names no area, region or object: each acts only on the caller's
# own account ("own"), or is install-wide and for administrators only ("admin"). A new one fails
# ``test_every_unscoped_write_is_classified`` until it is added here.
UNSCOPED_WRITES = {
    "auth.account": "own",
    "auth.account_two_factor": "own",
    "auth.two_factor_recovery_codes": "own",
    "auth.two_factor_turn_off": "own",
    "auth.logout": "own",
    "session.extend": "own",
    "notifications.read_all": "own",
    "api_core.create_area": "admin",
    "api_core.create_region": "admin",
    "api_organisations.create_organisation": "admin",
}


def test_every_unscoped_write_is_classified():
    unscoped = {r.endpoint for r in ROUTES if r.method in STATE_CHANGING and not r.is_scoped and not r.is_public}
    assert unscoped == set(UNSCOPED_WRITES), (
        f"classify in UNSCOPED_WRITES ({__file__}): {sorted(unscoped - set(UNSCOPED_WRITES))}; "
        f"remove: {sorted(set(UNSCOPED_WRITES) - unscoped)}"
    )


@pytest.mark.parametrize("route", params(r for r in ROUTES if r.method in STATE_CHANGING
                                         and UNSCOPED_WRITES.get(r.endpoint) == "admin"))
def test_install_wide_writes_are_for_administrators_only(route, client, scene):
    """A board manager and regional coordinator cannot create areas or regions; an admin can. Install
    administration answers 404 to everyone else, as the access matrix expects of ``install.admin``."""
    body = {"name": "Zebrafield Newly Made"}
    url = route.url(scene)
    if route.is_api:
        headers = api_headers(scene.user_a)
        before = snapshot(scene.db)
        response = client.open(url, method=route.method, headers=headers, json=body)
        assert_json_error(response, 404, "not_found")
    else:
        login(client, scene.user_a)
        form = {**body, "csrf_token": csrf_token(client, "/account")}
        before = snapshot(scene.db)
        response = client.open(url, method=route.method, data=form)
        assert response.status_code == 404, f"{route} answered {response.status_code}"
    assert snapshot(scene.db) == before
    if route.is_api:  # control: the same request from an administrator works
        response = client.open(url, method=route.method, headers=api_headers(scene.admin), json=body)
        assert response.status_code == 201, response.get_data(as_text=True)[:500]


MIXED = [r for r in ROUTES if AREA_ARGUMENTS & set(r.arguments) and set(r.owned_arguments) - AREA_ARGUMENTS]


@pytest.mark.parametrize("route", params(r for r in MIXED if not r.is_public))
def test_other_areas_objects_inside_your_own_area_answer_404(route, client, scene):
    """``/areas/<A>/members/<membership of B>/remove`` must not reach B's membership: each object
    argument in turn names B's object while the area (and every other argument) is A's own."""
    if route.is_api:
        headers = api_headers(scene.user_a)
    else:
        login(client, scene.user_a)
        form = {"csrf_token": csrf_token(client, "/account")}
    others = [a for a in route.owned_arguments if a not in AREA_ARGUMENTS]
    for foreign in others:
        url = route.url(scene, OWN, sides={foreign: FOREIGN})
        before = snapshot(scene.db)
        if route.is_api:
            assert_json_error(call(client, route, url, headers=headers), 404, "not_found")
        else:
            response = call(client, route, url, form=form)
            assert response.status_code == 404, f"{route} as {url} ({foreign} of area B): {response.status_code}"
        assert snapshot(scene.db) == before, f"{route} as {url} changed data"


def test_the_mixed_walk_covers_member_removal():
    assert "areas.remove_member" in {r.endpoint for r in MIXED}


@pytest.mark.parametrize("route", params(r for r in ROUTES if r.method == "GET" and not r.is_scoped and not r.is_public))
def test_pages_without_an_area_do_not_show_other_areas(route, client, scene):
    for make in (scene.audit, scene.action, scene.notification):  # area B's records exist
        make(FOREIGN)
    if route.is_api:
        response = call(client, route, route.url(scene), headers=api_headers(scene.user_a))
    else:
        login(client, scene.user_a)
        response = call(client, route, route.url(scene))
    assert response.status_code < 500
    assert MARKER not in response.get_data(as_text=True).lower()


def test_the_leak_check_would_see_area_b(client, scene):
    """Control for the test above: someone allowed to see area B does see the marker."""
    login(client, scene.admin)
    assert MARKER in client.get("/").get_data(as_text=True).lower()
    response = client.get("/api/v1/areas", headers=api_headers(scene.user_b))
    assert MARKER in response.get_data(as_text=True).lower()


def test_area_switcher_does_not_jump_into_another_area(client, scene):
    login(client, scene.user_a)
    assert client.get(f"/areas/switch?area_id={scene.area_b.id}").status_code == 404
    response = client.get(f"/areas/switch?area_id={scene.area_a.id}")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/areas/{scene.area_a.id}/"


def test_a_plugins_pages_answer_404_where_it_is_off(client, scene):
    from hsbtrack.plugins.services import set_region_plugin

    login(client, scene.user_a)
    assert client.get(f"/areas/{scene.area_a.id}/example/").status_code == 200
    set_region_plugin(scene.region_a, "example", False)
    assert client.get(f"/areas/{scene.area_a.id}/example/").status_code == 404


# -- (c) CSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", params(r for r in ROUTES if r.method in STATE_CHANGING and not r.is_api))
def test_state_changing_pages_refuse_requests_without_csrf_token(route, client, scene):
    user = scene.admin if route.is_admin else scene.user_a
    login(client, user)
    url = route.url(scene, OWN)
    before = snapshot(scene.db)

    response = client.open(url, method=route.method, data={})
    assert response.status_code == 400, f"{route} as {url} answered {response.status_code}"
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert snapshot(scene.db) == before
    assert client.get("/account").status_code == 200, "a refused request must not sign the user out"

    # The same request with the token gets past the CSRF check: the user was allowed to make it.
    form = {"csrf_token": csrf_token(client, "/account"), **FORM_HINTS}
    response = client.open(url, method=route.method, data=form)
    assert response.status_code not in (403, 404), f"{route}: {user.email} should be allowed here"
    assert CSRF_MESSAGE.encode() not in response.get_data()  # (bytes: a POST may answer with a file, a ZIP)
