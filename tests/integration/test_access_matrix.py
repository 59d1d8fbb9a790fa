"""The access matrix: every URL rule of the app (core and every plugin), every method, as every role
(core and plugin roles, the regional coordinator, an admin), with a browser session and, for the
API, with a bearer token and with the session plus the ``X-CSRFToken`` header; with the ids of the
user's own area, of another area, and of the same area but another agency, school or walled record.

What each answer should be is worked out from the permission table in code (the roles hook's
``Role``/``Permission`` objects and each view's ``requires``), never written here by hand:

* the role holds the permission (for per-agency permissions: for the agency in the URL) and may
  see the record (walls: a school lead's own school, a CARM plan action's case) -> allowed: not
  401/403/404 and no server error;
* behind a wall, or without the permission's read permission -> 404;
* with the read permission but not the write -> 403.

Every body is also searched for planted markers of data the role must not read (another agency's
evidence, a CARM plan action, member addresses, trainees' names, another school, another area).
A route that names no permission fails. One world is built for the module; every request runs in
a savepoint that is rolled back, so each starts from the same world.
"""

import io
import re
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import event

from tests.conftest import _empty_all_tables, csrf_token, login

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
DISCIPLINE = "police"  # (a discipline the training plugin knows)
ROLES = ("admin", "regional_coordinator", "board_manager", "agency_lead", "senior_officer", "training_lead", "viewer",
         "case_worker", "school_lead", "example_role", "organisation_lead")
# held for one agency (Police) of area A (the organisation lead: through its organisation, linked to Police of A)
AGENCY_ROLES = ("agency_lead", "senior_officer", "organisation_lead")
SSO_ROLE, SSO_SLUG = "viewer", "council"  # this role's user signs in through the test OpenID Provider only

# Markers planted in the world: (text, who may read it). ``may`` gets the role's effective
# permissions (a set) and the role id.
MARKERS = {
    "kestrel-police-evidence": lambda perms, role: "audit.responses.read" in perms or role in AGENCY_ROLES,
    "kestrel-health-evidence": lambda perms, role: "audit.responses.read" in perms,
    "kestrel-caseplan": lambda perms, role: "scotland.cases" in perms,
    "kestrel-member@": lambda perms, role: "members.read" in perms,
    "kestrel-trainee": lambda perms, role: "training.manage" in perms,
    "kestrel second school": lambda perms, role: "audit.read" in perms,
    "zebrafield": lambda perms, role: role == "admin",
}

# Where holding the route's permission is not the whole rule, each with the reason. Keep it short.
NOT_WALKED = {  # they end the walking user's session (each is proved in tests/test_auth.py)
    "auth.logout": "signs the user out", "auth.login": "signs the user in again, as someone else",
}
OWNER_OR_EDITOR = {  # progress on an action: its owner, or those who edit actions (403 for other readers)
    "actions.edit", "actions.add_update", "api_actions.patch_action", "api_actions.post_update",
    "actions.upload_document", "api_actions.upload_document",
}
ADMIN_ONLY_BODY = {"admin.users", "admin.downloads",  # lists every account: administrators only
                   # a person's data, their subject access export, their erasure (UK GDPR): administrators only
                   "privacy.person", "privacy.subject_access", "privacy.hold", "privacy.erase"}
# signing a shared return off: the organisation's senior officers (the API's 403 for its leads, who read it)
ORGANISATION_SIGN_OFF = {"api_organisations.sign_off"}


class World:
    """Area A (Riverside, region Northvale, every plugin on) where each role has one user; area B
    (Zebrafield, region Zebrafield) with its own records of every kind."""

    def __init__(self, app, oidc_provider):
        from hsbtrack_regional.services import open_round
        from hsbtrack_schools import services as schools
        from hsbtrack_scotland import services as scotland
        from hsbtrack_training.uploads import save_upload

        from hsbtrack.actions.services import create_action
        from hsbtrack.areas.services import add_area_member, add_region_member, create_region
        from hsbtrack.audits.services import open_audit, save_response
        from hsbtrack.auth.services import issue_api_token
        from hsbtrack.documents.services import upload_to_response, upload_to_statement
        from hsbtrack.extensions import db
        from hsbtrack.notifications.services import notify
        from hsbtrack.plugins.services import is_enabled, registry, set_region_plugin
        from tests.conftest import World as Builder

        build = Builder()
        self.app = app
        self.region_a, self.region_b = create_region("Northvale"), create_region("Zebrafield Region")
        self.area_a = build.area("Riverside", self.region_a, agencies=("Police", "Health"))
        self.area_b = build.area("Zebrafield Partnership", self.region_b, agencies=("Zebrafield Police",))
        for plugin in registry().plugins():
            set_region_plugin(self.region_a, plugin.name, True)
            set_region_plugin(self.region_b, plugin.name, True)
        self.police, self.health = build.agency(self.area_a, "Police"), build.agency(self.area_a, "Health")
        self.agency_b = self.area_b.agencies[0]

        self.users = {"admin": build.user("admin@example.org", admin=True)}
        for role in ROLES[2:]:
            agency = self.police if role in AGENCY_ROLES else None
            self.users[role] = build.user(f"{role.replace('_', '.')}@riverside.example", self.area_a, role,
                                          agency=agency)
        self.users["regional_coordinator"] = build.user("coordinator@northvale.example", region=self.region_a,
                                                        role="regional_coordinator")
        board_b = build.user("board@zebrafield.example", self.area_b, "board_manager")
        add_region_member(self.region_b, board_b.email, "regional_coordinator")
        quiet, _user, _created = add_area_member(self.area_a, "kestrel-member@example.org", "training_lead",
                                                 name="Quiet Member")

        # audits, with evidence only some may read
        self.audit_a, self.audit_b = open_audit(self.area_a), open_audit(self.area_b)
        save_response(self.audit_a, self.police.id, "1.1", score=1, evidence="kestrel-police-evidence")
        save_response(self.audit_a, self.health.id, "1.1", score=3, evidence="kestrel-health-evidence")
        save_response(self.audit_b, self.agency_b.id, "1.1", score=1, evidence="Zebrafield evidence")
        # documents behind those responses (their titles are evidence too)
        self.document_a = upload_to_response(self.audit_a, self.police.id, "1.1", io.BytesIO(b"%PDF-1.4\n"), "a.pdf",
                                             title="kestrel-police-evidence report")
        self.document_a2 = upload_to_response(self.audit_a, self.health.id, "1.1", io.BytesIO(b"%PDF-1.4\n"),
                                              "h.pdf", title="kestrel-health-evidence report")
        self.document_b = upload_to_response(self.audit_b, self.agency_b.id, "1.1", io.BytesIO(b"%PDF-1.4\n"),
                                             "z.pdf", title="Zebrafield report")
        # the partnership's, on the statement (read by every reader of the audit: on the pages every role walks)
        self.partnership_document_a = upload_to_statement(self.audit_a, "1.1", io.BytesIO(b"%PDF-1.4\n"), "p.pdf",
                                                          title="Riverside partnership report")
        board_a = self.users["board_manager"]
        self.action_a = create_action(self.area_a, title="Riverside pathway", owner=board_a, due_on=date(2030, 1, 1),
                                      statements=["1.1"])
        self.action_b = create_action(self.area_b, title="Zebrafield pathway", owner=board_b,
                                      due_on=date(2030, 1, 1), statements=["1.1"])
        # a CARM case whose plan action is walled
        worker = self.users["case_worker"]
        self.case_a = self._case(scotland, self.area_a, "RIV-1", worker)
        self.case_b = self._case(scotland, self.area_b, "ZEB-1", None)
        # (as add_plan_action makes it, without taking the case through its stages first)
        self.walled = create_action(self.area_a, title="kestrel-caseplan", owner=worker, due_on=date(2030, 1, 1),
                                    statements=["4.2"], restricted_to=scotland.CASE_PERM, commit=False)
        db.session.add(scotland.PlanAction(case_id=self.case_a.id, section="supervision", action_id=self.walled.id))
        db.session.commit()
        # documents on actions: the walled action's keeps its wall (its title is a marker)
        from hsbtrack.actions.documents import upload_to_action

        upload_to_action(self.action_a, io.BytesIO(b"%PDF-1.4\n"), "minutes.pdf", title="Riverside minutes",
                         purpose="completion")
        upload_to_action(self.walled, io.BytesIO(b"%PDF-1.4\n"), "plan.pdf", title="kestrel-caseplan minutes")
        # schools: the school lead leads the first only
        self.school_a = schools.create_school(self.area_a, "Riverside High", "secondary")
        self.school_a2 = schools.create_school(self.area_a, "Kestrel Second School", "secondary")
        self.school_b = schools.create_school(self.area_b, "Zebrafield School", "secondary")
        schools.add_lead(self.area_a, self.school_a, self.users["school_lead"].email)
        self.round_a = schools.start_round(self.area_a, self.school_a)
        self.round_a2 = schools.start_round(self.area_a, self.school_a2)
        self.round_b = schools.start_round(self.area_b, self.school_b)
        for area, round_ in ((self.area_a, self.round_a), (self.area_b, self.round_b)):
            schools.save_section(area, round_, "structures", {"S1": {"rating": "red", "sources": ["staff"]}})
        # training: a named trainee, an import waiting in each area
        self._trainee(self.area_a)
        self.import_a = save_upload(self.area_a, None, "t.csv", b"Name,Agency\nAnn,Police\n")
        self.import_b = save_upload(self.area_b, None, "t.csv", b"Name,Agency\nAnn,Police\n")
        # regional rounds
        self.regional_a, self.regional_b = open_round(self.region_a), open_round(self.region_b)
        # a partner organisation linked to Police of area A, led by the organisation lead, with a shared return
        from hsbtrack.organisations import services as organisations

        self.organisation = organisations.create_organisation("Kestrel Police Force")
        organisations.link_area(self.organisation, self.area_a.id, self.police.id)
        organisations.add_member(self.organisation, self.users["organisation_lead"].email)
        self.shared_return = organisations.open_shared_return(self.organisation, [self.audit_a.id])
        # its shared answer to 1.1 (Police's evidence, now from the shared return: in the statement's history)
        # and a document behind it (the shared kind: read where Police's responses are read, nowhere else)
        from hsbtrack.documents.shared import upload_to_shared_answer

        organisations.save_shared_response(self.shared_return, "1.1", score=1, evidence="kestrel-police-evidence")
        upload_to_shared_answer(self.shared_return, "1.1", io.BytesIO(b"%PDF-1.4\n"), "s.pdf",
                                title="kestrel-police-evidence shared policy")
        # yearly reports: England's of each area, the example plugin's region kind of each region (version 1 each)
        from hsbtrack.yearly_reports.services import create_report, kind_named

        for name, place, kind in (("yearly_a", self.area_a, "england.yearly"), ("yearly_b", self.area_b, "england.yearly"),
                                  ("yearly_region_a", self.region_a, "example.regional"),
                                  ("yearly_region_b", self.region_b, "example.regional")):
            if kind == "england.yearly" and is_enabled(place, "scotland"):
                kind = "scotland.self_evaluation"  # (a Scottish committee self-evaluates instead)
            report, _created = create_report(place, kind=kind, period_start=date(2025, 4, 1), period_end=date(2026, 3, 31),
                                             sections={kind_named(kind).sections[0].key: "Matrix"})
            setattr(self, name, report)
        # each user's own token and notification; someone else's too
        self.tokens, self.token_ids, self.notes = {}, {}, {}
        for role, user in self.users.items():
            self.tokens[role] = issue_api_token(user, "matrix")
            self.token_ids[role] = self._token_id(user)
            self.notes[role] = notify(user, key=f"matrix-{role}", kind="test", subject="Hello", link="/",
                                      email=False).id
        issue_api_token(board_b, "zebrafield")
        self.token_b = self._token_id(board_b)
        self.note_b = notify(board_b, key="matrix-b", kind="test", subject="Zebrafield", link="/", email=False).id
        # each user's own finished job (the board report as a file), another area's, and another user's of area A
        self.jobs = {role: self._job(user, self.area_a, self.audit_a) for role, user in self.users.items()}
        self.job_b = self._job(board_b, self.area_b, self.audit_b)
        from hsbtrack.areas.models import Membership

        self.membership_a = db.session.scalar(db.select(Membership).filter_by(user_id=quiet.user_id,
                                                                               area_id=self.area_a.id))
        self.membership_b = db.session.scalar(db.select(Membership).filter_by(user_id=board_b.id,
                                                                               area_id=self.area_b.id))
        self.quiet_user_id = quiet.user_id
        self.job_quiet = self._job(db.session.get(type(board_b), quiet.user_id), self.area_a, self.audit_a)
        self._sso_user(oidc_provider)
        db.session.commit()
        # Plain ids from here on: the walk runs outside this session.
        for name, record in list(vars(self).items()):
            if hasattr(record, "__table__"):
                setattr(self, name, record.id)
        self.users = {role: (user.id, user.email) for role, user in self.users.items()}

    def _sso_user(self, oidc_provider):
        """SSO users among the roles: the viewer has no password and is linked to the test provider's
        account "matrix" (it signs in through the provider in the ``world`` fixture)."""
        from hsbtrack.auth import sso
        from hsbtrack.auth.models import UserIdentity
        from hsbtrack.extensions import db

        self.provider = sso.save_provider({
            "slug": SSO_SLUG, "label": "Riverside Council", "issuer": oidc_provider["issuer"],
            "client_id": oidc_provider["client_id"], "client_secret": oidc_provider["client_secret"],
            "allowed_domains": "council.example.gov.uk", "enabled": True})
        viewer = self.users[SSO_ROLE]
        viewer.password_hash = None
        db.session.add(UserIdentity(user_id=viewer.id, provider_slug=SSO_SLUG, issuer=oidc_provider["issuer"],
                                    subject="matrix", email=viewer.email))

    @staticmethod
    def _job(user, area, audit):
        """A finished board report job of ``user``, its file in storage (it is only theirs: the jobs' wall)."""
        from hsbtrack.extensions import db
        from hsbtrack.jobs.models import DONE, Job
        from hsbtrack.storage import storage
        from hsbtrack.timeutil import utcnow

        key = f"jobs/matrix-{user.id}-{area.id}.pdf"
        storage().put(key, io.BytesIO(b"%PDF-1.7 matrix"))
        job = Job(kind="audit.report", area_id=area.id, requested_by_id=user.id, status=DONE, progress=100,
                  message="", attempt=1, parameters={"audit_id": audit.id, "format": "pdf", "lang": "en"},
                  result_key=key, result_filename="report.pdf", result_content_type="application/pdf",
                  finished_at=utcnow(), expires_at=utcnow() + timedelta(days=7))
        db.session.add(job)
        db.session.commit()
        return job.id

    @staticmethod
    def _case(scotland, area, reference, worker):
        return scotland.create_case(area, {
            "reference": reference, "age_at_referral": "14", "gender": "male", "hackett": "abusive",
            "setting": "home", "referral_source": "Police", "referral_on": date(2026, 1, 5)}, user=worker)

    @staticmethod
    def _trainee(area):
        from hsbtrack_training import services as training

        return training.create_person(area, name="kestrel-trainee Jones", agency_id=area.agencies[0].id,
                                      discipline=DISCIPLINE)

    @staticmethod
    def _token_id(user):
        from hsbtrack.auth.models import ApiToken
        from hsbtrack.extensions import db

        return db.session.scalar(db.select(ApiToken.id).where(ApiToken.user_id == user.id)
                                 .order_by(ApiToken.id.desc()))


# -- URL values -----------------------------------------------------------------------------------

OWN, FOREIGN, SIBLING = "own", "another area", "same area, another record"


def values(w, role):
    """argument -> {variant: value}; plain values are the same for every variant."""
    return {
        "area_id": {OWN: w.area_a, FOREIGN: w.area_b},
        "region_id": {OWN: w.region_a, FOREIGN: w.region_b},
        "agency_id": {OWN: w.police, FOREIGN: w.agency_b, SIBLING: w.health},
        "audit_id": {OWN: w.audit_a, FOREIGN: w.audit_b},
        "action_id": {OWN: w.action_a, FOREIGN: w.action_b, SIBLING: w.walled},
        "document_id": {OWN: w.document_a, FOREIGN: w.document_b, SIBLING: w.document_a2},  # (Police's, Health's)
        "case_id": {OWN: w.case_a, FOREIGN: w.case_b},
        "school_id": {OWN: w.school_a, FOREIGN: w.school_b, SIBLING: w.school_a2},
        "membership_id": {OWN: w.membership_a, FOREIGN: w.membership_b},
        "token_id": {OWN: w.token_ids[role], FOREIGN: w.token_b},
        "notification_id": {OWN: w.notes[role], FOREIGN: w.note_b},
        "import_id": {OWN: w.import_a, FOREIGN: w.import_b},
        "user_id": {OWN: w.quiet_user_id},
        "provider_id": {OWN: w.provider},
        "job_id": {OWN: w.jobs[role], FOREIGN: w.job_b, SIBLING: w.job_quiet},  # (another user's job: theirs only)
        # above areas: their members and administrators only (everyone else 404, as "signed in" expects)
        "organisation_id": {OWN: w.organisation},
        "shared_return_id": {OWN: w.shared_return},
    }


def report_values(w, endpoint):
    if endpoint.startswith(("yearly_reports_region.", "regional_region.")):  # (a region's report: its figures too)
        return {OWN: w.yearly_region_a, FOREIGN: w.yearly_region_b}
    return {OWN: w.yearly_a, FOREIGN: w.yearly_b}


def round_values(w, endpoint):
    if endpoint.startswith("regional_region."):
        return {OWN: w.regional_a, FOREIGN: w.regional_b}
    return {OWN: w.round_a, FOREIGN: w.round_b, SIBLING: w.round_a2}


PLAIN = {"slug": "nspcc-hsb-2019", "framework": "nspcc-hsb-2019", "name": "example", "plugin": "example",
         "code": "1.1", "number": 1, "domain": 1, "section": "structures"}
PLAIN_BY_ENDPOINT = {("schools.item_action", "code"): "S1", ("auth.language", "code"): "cy",
                     ("sso.login", "slug"): SSO_SLUG, ("sso.callback", "slug"): SSO_SLUG}
# an organisation's member (the organisation lead) and its linked areas: an area it is not linked to names
# no link, for administrators too (404)
ORGANISATION_MEMBER_ENDPOINTS = {"organisations.remove_member", "api_organisations.remove_member"}
ORGANISATION_AREA_ENDPOINTS = {"organisations.unlink_area", "api_organisations.unlink_area"}


# -- the expected answer, from the table in code ----------------------------------------------------


def effective(app, role) -> set[str]:
    from hsbtrack.permissions import effective_permissions

    with app.app_context():
        if role == "admin":
            return set(app.extensions["hsbtrack_permissions"])
        return effective_permissions(app.extensions["hsbtrack_roles"][role])


def expected(app, route, role, chosen) -> str | int:
    """"allow", 403 or 404 for ``role`` on ``route`` with the records ``chosen`` ({argument: variant})."""
    from hsbtrack.permissions import PUBLIC, required_permission

    permission = required_permission(app.view_functions[route.endpoint], route.method)
    variants = set(chosen.values())
    if permission in (PUBLIC, "account.own"):
        # open to everyone signed in (or not): only their own records, so another user's answer 404
        return 404 if FOREIGN in variants else "signed in"
    if route.endpoint in ORGANISATION_AREA_ENDPOINTS and chosen.get("area_id") == FOREIGN:
        return 404  # (an area the organisation is not linked to)
    if FOREIGN in variants:
        return "allow" if role == "admin" else 404
    if {"agency_id", "document_id"} <= set(chosen) and SIBLING in variants:
        return 404  # an agency and another agency's document: a URL naming two agencies names nothing (permissions)
    registry = app.extensions["hsbtrack_permissions"]
    perms = effective(app, role)
    if permission == "install.admin":
        return "allow" if role == "admin" else 404
    # walls of the records themselves
    if chosen.get("action_id") == SIBLING and "scotland.cases" not in perms:
        return 404
    if chosen.get("job_id") == SIBLING and role != "admin":
        return 404  # a job's file was made as the person who asked: theirs (and administrators') only
    if ("school_id" in chosen or (route.endpoint.startswith("schools.") and "round_id" in chosen)) \
            and "audit.read" not in perms and not (role == "school_lead" and SIBLING not in variants):
        return 404
    region_only = "area_id" not in route.arguments and route.endpoint.startswith(("regional_region.", "regions.",
                                                                                 "plugins.region", "api_core.set_region",
                                                                                 "api_core.add_region",
                                                                                 "yearly_reports_region.",
                                                                                 "api_yearly_reports.list_region",
                                                                                 "api_yearly_reports.post_region"))
    if region_only and role not in ("admin", "regional_coordinator"):
        return 404

    def holds(name):
        if name not in perms:
            return False
        definition = registry[name]
        if definition.per_agency and role in AGENCY_ROLES and SIBLING in (chosen.get("agency_id"),
                                                                          chosen.get("document_id")):
            return definition.any_agency in perms
        return True

    def held(name):
        definition = registry[name]
        return holds(name) or (definition.any_agency is not None and definition.any_agency in perms)

    if held(permission):
        return "allow"
    return 403 if held(registry[permission].read_permission) else 404


# -- the world, once per module, every request in a rolled-back savepoint ------------------------------


@pytest.fixture(scope="module")
def world(app, oidc_provider):
    from hsbtrack.extensions import db
    from hsbtrack.testing import oidc_provider_login

    with app.app_context():
        built = World(app, oidc_provider)
        db.session.remove()
    clients = {}
    for role, (_user_id, email) in built.users.items():
        client = app.test_client()
        if role == SSO_ROLE:  # no password: through the provider's sign-in, linked on (issuer, subject)
            authorize = client.get(f"/auth/oidc/{SSO_SLUG}/login").headers["Location"]
            assert client.get(oidc_provider_login(oidc_provider, authorize, "matrix")).status_code == 302
            assert email in client.get("/account").get_data(as_text=True)
        else:
            login(client, email)
        clients[role] = (client, csrf_token(client, "/account"))
    yield built, clients
    _empty_all_tables(app)


@contextmanager
def rolled_back(app):
    """Bind the app's session to one connection inside a transaction; each ``step()`` is a savepoint
    rolled back afterwards."""
    from hsbtrack.extensions import db

    with app.app_context():
        engine = db.engine
        engines = db.engines
    sqlite = engine.dialect.name == "sqlite"
    connection = engine.connect()
    if sqlite:  # pysqlite leaves BEGIN to the driver, which breaks SAVEPOINT: take it over (SQLAlchemy recipe)
        connection.connection.driver_connection.isolation_level = None

        def begin(conn):
            conn.exec_driver_sql("BEGIN")

        event.listen(connection, "begin", begin)
    outer = connection.begin()
    with app.app_context():
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
    engines[None] = connection

    @contextmanager
    def step():
        savepoint = connection.begin_nested()
        try:
            yield
        finally:
            with app.app_context():
                db.session.remove()
            if savepoint.is_active:
                savepoint.rollback()

    try:
        yield step
    finally:
        engines[None] = engine
        with app.app_context():
            db.session.remove()
            db.session.configure(join_transaction_mode="conditional_savepoint")  # (the default)
        outer.rollback()
        connection.close()


# -- the walk ----------------------------------------------------------------------------------------


class Route:
    def __init__(self, endpoint, rule, method, arguments):
        self.endpoint, self.rule, self.method, self.arguments = endpoint, rule, method, arguments

    @property
    def is_api(self):
        return self.rule.startswith("/api/")

    def __str__(self):
        return f"{self.method} {self.rule}"


def all_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("api-docs") or rule.endpoint in NOT_WALKED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append(Route(rule.endpoint, rule.rule, method, tuple(sorted(rule.arguments))))
    return sorted(routes, key=lambda r: (r.rule, r.method))


def url_for_route(w, route, role, chosen):
    table = values(w, role)

    def value(match):
        name = match.group(1)
        if (route.endpoint, name) in PLAIN_BY_ENDPOINT:
            return quote(str(PLAIN_BY_ENDPOINT[route.endpoint, name]), safe="")
        if name == "user_id" and route.endpoint in ORGANISATION_MEMBER_ENDPOINTS:
            return str(w.users["organisation_lead"][0])
        if name == "round_id":
            options = round_values(w, route.endpoint)
        elif name == "report_id":
            options = report_values(w, route.endpoint)
        elif name in table:
            options = table[name]
        elif name in PLAIN:
            return quote(str(PLAIN[name]), safe="")
        elif name == "token":
            return "not-a-token"
        else:
            raise AssertionError(f"the access matrix has no value for URL argument {name!r} ({route}): add it")
        return quote(str(options[chosen.get(name, OWN)]), safe="")

    return re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", value, route.rule)


def variants_of(w, route, role):
    """The choices of records to try: all own; every owned argument of another area; each argument
    that has a sibling (another agency/school/walled action of the same area)."""
    owned = [a for a in route.arguments if a in values(w, role) or a in ("round_id", "report_id")]
    out = [{a: OWN for a in owned}]
    if owned:
        out.append({a: FOREIGN for a in owned if a not in ("user_id", "provider_id", "organisation_id",
                                                           "shared_return_id")})  # (install-wide records)
    for argument in owned:
        options = (round_values(w, route.endpoint) if argument == "round_id" else
                   report_values(w, route.endpoint) if argument == "report_id" else values(w, role)[argument])
        if SIBLING in options:
            out.append({**{a: OWN for a in owned}, argument: SIBLING})
    return out


def answer(client, route, url, headers=None, token=None):
    if route.is_api:
        body = {} if route.method in STATE_CHANGING else None
        return client.open(url, method=route.method, headers=headers or {}, json=body)
    data = {"csrf_token": token, "enabled": "off", "plugin": "example"} if route.method in STATE_CHANGING else None
    return client.open(url, method=route.method, data=data)


def readable(response) -> str:
    """The body as text a marker could be found in (a workbook's sheets unzipped)."""
    import io
    import zipfile

    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = b"".join(archive.read(name) for name in archive.namelist() if name.endswith(".xml"))
    return data.decode("utf-8", "replace").lower()


def verdict(response, want):
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if want == "signed in":  # a page of one's own (a link may have expired: 404 is an answer too)
        return None if status not in (401, 403) else f"refused with {status}"
    if want == "allow":
        return None if status not in (401, 403, 404) else f"expected to be allowed, got {status}"
    return None if status == want else f"expected {want}, got {status}"


def walk(app, w, clients, role, modes):
    """Every route as ``role`` in the given modes ("session", "token", "session+header"); the list of
    everything that does not match the table."""
    from hsbtrack.permissions import required_permission

    client, token = clients[role]
    perms = effective(app, role)
    forbidden = [m for m, may in MARKERS.items() if not may(perms, role)]
    problems = []
    with rolled_back(app) as step:
        for route in all_routes(app):
            view = app.view_functions[route.endpoint]
            if required_permission(view, route.method) is None:
                problems.append(f"{route} ({route.endpoint}) names no permission: add @requires")
                continue
            for mode in modes:
                if (mode == "session") == route.is_api:
                    continue
                for chosen in variants_of(w, route, role):
                    url = url_for_route(w, route, role, chosen)
                    want = expected(app, route, role, chosen)
                    headers = None
                    if mode == "token":
                        headers = {"Authorization": f"Bearer {w.tokens[role]}"}
                    elif mode == "session+header":
                        headers = {"X-CSRFToken": token}
                    with step():
                        response = answer(client, route, url, headers=headers, token=token)
                    problem = verdict(response, want)
                    if problem and want == "allow" and response.status_code == 403 \
                            and route.endpoint in OWNER_OR_EDITOR:
                        problem = None  # reader but neither owner nor editor
                    if problem and want in ("allow", "signed in") and response.status_code == 403 \
                            and route.endpoint in ORGANISATION_SIGN_OFF and role == "organisation_lead":
                        problem = None  # the organisation's lead, not its senior officer
                    body = readable(response)
                    leaked = [m for m in forbidden if m in body]
                    if leaked and route.endpoint in ADMIN_ONLY_BODY and role == "admin":
                        leaked = []
                    if problem or leaked:
                        problems.append(f"{role:20} {mode:14} {route} as {url} [{', '.join(f'{k}={v}' for k, v in chosen.items())}]: "
                                        f"{problem or ''}{' leaks ' + ', '.join(leaked) if leaked else ''}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_every_role_with_a_session(app, world, role):
    w, clients = world
    problems = walk(app, w, clients, role, ("session",))
    assert not problems, f"{len(problems)} route(s) disagree with the permission table:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_every_api_operation_as_every_role_with_a_token_and_with_the_session_and_header(app, world, role):
    w, clients = world
    problems = walk(app, w, clients, role, ("token", "session+header"))
    assert not problems, f"{len(problems)} operation(s) disagree with the permission table:\n" + "\n".join(problems)


def test_the_api_refuses_the_session_without_the_header(app, world):
    w, clients = world
    client, _token = clients["board_manager"]
    for route in all_routes(app):
        if not route.is_api or route.arguments and "area_id" not in route.arguments:
            continue
        response = answer(client, route, url_for_route(w, route, "board_manager", {}))
        assert response.status_code == 401, f"{route}: {response.status_code}"


def test_every_marker_is_there_for_someone_who_may_read_it(app, world):
    """Control: the markers are really in the pages, so their absence elsewhere proves something."""
    w, clients = world
    seen = defaultdict(set)
    board, _t = clients["board_manager"]
    worker, _t = clients["case_worker"]
    lead, _t = clients["agency_lead"]
    training, _t = clients["training_lead"]
    admin, _t = clients["admin"]
    pages = [
        (board, f"/areas/{w.area_a}/audits/{w.audit_a}/moderation"),
        (board, f"/areas/{w.area_a}/audits/{w.audit_a}/statements/1.1"),
        (board, f"/areas/{w.area_a}/members"),
        (board, f"/areas/{w.area_a}/schools/"),
        (lead, f"/api/v1/audits/{w.audit_a}/responses"),
        (worker, f"/areas/{w.area_a}/scotland/cases/{w.case_a}"),
        (worker, f"/areas/{w.area_a}/actions/"),
        (training, f"/areas/{w.area_a}/training/people"),
        (admin, "/"),
    ]
    for client, path in pages:
        headers = {"X-CSRFToken": _t} if path.startswith("/api/") else None
        if client is lead:
            headers = {"Authorization": f"Bearer {w.tokens['agency_lead']}"}
        body = client.get(path, headers=headers).get_data(as_text=True).lower()
        for marker in MARKERS:
            if marker in body:
                seen[marker].add(path)
    missing = [m for m in MARKERS if not seen[m]]
    assert not missing, f"markers nobody can see (the walk would prove nothing for them): {missing}"


def test_a_route_without_a_permission_fails_the_walk(app, world):
    """The walk classifies every route by its ``requires``: an undecorated view is reported."""
    from flask import Blueprint

    from tests.conftest import make_app

    other = make_app()
    bp = Blueprint("undecorated", __name__)
    bp.add_url_rule("/areas/<int:area_id>/undecorated", "page", lambda area_id: "hello")
    other.register_blueprint(bp)
    w, clients = world
    route = next(r for r in all_routes(other) if r.endpoint == "undecorated.page")
    from hsbtrack.permissions import required_permission

    assert required_permission(other.view_functions[route.endpoint], "GET") is None

