"""docs/architecture.md's budgets, measured in one process with the Flask test client signed in as a board
manager, on the data of :mod:`hsbtrack.bench.generate`.

Pages (area dashboard, agreed-scores matrix, audit overview, action plan, the regional roll-ups of 6
and 32 authorities) are timed against a *trivial page* of the same app measured in the same run: a
signed-in page of an area in the app's layout (session, user, permissions, area menu) that reads no
data. The bare ``/healthz`` route is reported too. Requests go round-robin over the routes, so that
a busy moment of the machine slows them all alike. Every page is timed twice: **warm** (the same
page again, its caches filled) and **cold**: the first request after a write to the data it shows,
made through the service (a score saved by an agency lead with ``save_response``, an update posted
on an action with ``add_update``), so that every cache keyed by the data's version misses as it does
for the first reader after a change. The budget: median ≤ 3× and p95 ≤ 4× the trivial page's, warm
and cold (the cold pages against the trivial page of the cold rounds).

Also: the chart rule (no chart rendered inline; the chart's own URL answers from the cache with an
ETag, and 304 to a browser that has it), the training import rate against a bare executemany of
the same rows (the training plugin's own benchmark), and for each page the bare SQL of the data it
shows, as a floor.
"""

import html
import platform
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from hsbtrack.areas.roles import Perm
from hsbtrack.audits.models import Audit
from hsbtrack.bench.generate import COUNTED as CORE_COUNTED
from hsbtrack.extensions import db
from hsbtrack.permissions import loaded, requires
from hsbtrack.views_support import set_current_area

PAGE_BUDGET = 3.0  # × the trivial page (median), warm and cold
P95_BUDGET = 4.0  # × the trivial page (p95), warm and cold
TRIVIAL_TEMPLATE = ('{% extends "layout.html" %}{% block title %}Benchmark{% endblock %}'
                    '{% block page %}<h1 class="govuk-heading-l">{{ area.display_name }}</h1>{% endblock %}')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SVG_SRC_RE = re.compile(r'<img src="([^"]+\.svg[^"]*)"')


@dataclass
class Row:
    key: str
    label: str
    median: float | None = None  # milliseconds (or rows/s for the import)
    p95: float | None = None
    ratio: float | None = None  # median ÷ trivial page median
    ratio_p95: float | None = None
    bare: float | None = None  # bare route ratio, or bare SQL milliseconds
    sql: float | None = None  # bare SQL median, ms
    budget: str = ""
    ok: bool | None = None  # None: reported, no budget
    note: str = ""


@dataclass
class Report:
    rows: list = field(default_factory=list)
    database: str = ""
    scale: float = 1.0
    requests: int = 0
    counts: dict = field(default_factory=dict)
    generate_seconds: float | None = None
    machine: str = ""
    when: str = ""

    @property
    def ok(self) -> bool:
        return all(r.ok is not False for r in self.rows)

    @property
    def missed(self) -> list:
        return [r for r in self.rows if r.ok is False]


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(seconds: list) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    return statistics.median(seconds) * 1000, percentile(seconds, 0.95) * 1000


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def database_label(engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version = connection.execute(text("SHOW server_version")).scalar()
            return f"PostgreSQL {version.split()[0]}"
        if engine.dialect.name == "sqlite":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version} (file)"
        return engine.dialect.name


# -- the trivial page -----------------------------------------------------------------------------


def add_trivial_page(app) -> None:
    """A signed-in area page in the layout that reads no data (added to a fresh app, never served)."""
    from flask import render_template
    from flask_login import login_required


    template = app.jinja_env.from_string(TRIVIAL_TEMPLATE)

    @login_required
    @requires(Perm.VIEW_AREA)  # the same permission check as every real page
    def trivial_page(area_id):
        area = set_current_area(loaded("area_id"))
        return render_template(template, area=area)

    app.add_url_rule("/_bench/areas/<int:area_id>/trivial", "bench_trivial", trivial_page)


def app_with_trivial_page():
    """The app of ``create_app()`` with the trivial page: what ``make load``'s gunicorn serves, so that its
    capacity steps can compare the main pages with the trivial page in the same run."""
    from hsbtrack import create_app

    app = create_app()
    add_trivial_page(app)
    return app


def _csrf(client, url: str) -> str:
    match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    if not match:
        raise RuntimeError(f"no CSRF token on {url}")
    return match.group(1)


def sign_in(client, email: str, password: str) -> None:
    """Sign in through the forms as a user would: the password, then (for an account enrolled in
    two-factor: every benchmark board manager, :func:`hsbtrack.bench.generate.enrol_two_factor`) the
    code its app shows now. A code is accepted once per 30-second step: when this step's was used
    already (an earlier sign-in of the same account), the next step's is given."""
    from hsbtrack.bench.generate import totp_code

    response = client.post("/login", data={"email": email, "password": password, "csrf_token": _csrf(client, "/login")})
    if response.status_code != 302:
        raise RuntimeError(f"could not sign in as {email}: HTTP {response.status_code}")
    target = response.headers.get("Location", "")
    if "/login/two-factor" in target:
        raise RuntimeError(f"{email} must set up two-factor first: not a benchmark account enrolled in it")
    if "/login/code" not in target:
        return
    for attempt in range(2):
        if attempt:  # this step's code was taken: wait for the next step
            time.sleep(30 - time.time() % 30 + 0.5)
        response = client.post("/login/code", data={"code": totp_code(email),
                                                    "csrf_token": _csrf(client, "/login/code")})
        if response.status_code == 302:
            return
    raise RuntimeError(f"the two-factor code of {email} was refused: HTTP {response.status_code}")


def time_round_robin(functions: dict, n: int, warmup: int = 2, before: dict | None = None) -> dict:
    """``{key: [seconds, ...]}``: every function called ``warmup`` times, then n rounds of one call each.
    ``before``: ``{key: function}`` called (untimed) before each call of that key, warm-up included."""
    before = before or {}
    for _ in range(warmup):
        for key, function in functions.items():
            if key in before:
                before[key]()
            function()
    times = {key: [] for key in functions}
    for _ in range(n):
        for key, function in functions.items():
            if key in before:
                before[key]()
            began = time.perf_counter()
            function()
            times[key].append(time.perf_counter() - began)
    return times


def cold_writer(app, write: Callable) -> Callable:
    """``write`` in a request context of ``app``; raises when what the page is keyed by did not move."""

    def run():
        with app.test_request_context():
            try:
                before, after = write()
            finally:
                db.session.remove()
        if before == after:
            raise RuntimeError(f"the write before a cold request changed nothing ({before!r})")
        return before, after

    return run


def _get(client, url, expect=200, headers=None):
    def call():
        response = client.get(url, headers=headers)
        if response.status_code != expect:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}, expected {expect}")
        return response

    return call


# -- the measurements -----------------------------------------------------------------------------


def page_urls(data) -> dict:
    from sqlalchemy import select


    area_id = data.area_ids[0]
    audit = db.session.get(Audit, data.audit_id)
    if audit is None or audit.area_id != area_id:
        raise RuntimeError("the benchmark audit is missing")
    latest_ids = list(db.session.scalars(select(Audit.id).where(Audit.area_id == area_id)
                                         .order_by(Audit.cycle.desc()).limit(3)))
    return {
        "area_id": area_id,
        "audit_id": audit.id,
        "latest_ids": latest_ids,
        "trivial": f"/_bench/areas/{area_id}/trivial",
        "healthz": "/healthz",
        "dashboard": f"/areas/{area_id}/",
        "matrix": f"/areas/{area_id}/audits/{audit.id}/moderation",
        "overview": f"/areas/{area_id}/audits/{audit.id}/overview",
        "plan": f"/areas/{area_id}/actions/",
    }


PAGES = (
    ("dashboard", "Area dashboard"),
    ("matrix", "Audit matrix (agreed scores)"),
    ("overview", "Audit overview"),
    ("plan", "Action plan"),
)
RESPONSES_SQL = ("SELECT r.audit_id, r.code, r.agency_id, r.score FROM audit_responses r JOIN audit_agencies aa "
                 "ON aa.audit_id = r.audit_id AND aa.agency_id = r.agency_id "
                 "WHERE r.audit_id IN ({ids}) AND r.score IS NOT NULL")


@dataclass(frozen=True)
class BenchPage:
    """A plugin's page among those timed (``hsbtrack_bench_pages``): its bare SQL is the floor under it;
    ``cold`` (see :func:`score_write`) writes to the data it shows through a service before each cold
    request (without it the page is timed warm only, and its cold row says so)."""

    key: str
    label: str
    url: str
    sql: list  # statements, run in turn
    cold: Callable | None = None


# -- writes before a cold request ------------------------------------------------------------------
# Each returns a function run in a request context of the bench app: it changes the data a page shows
# through the service a user's change goes through, and returns ``(before, after)`` of what the
# page's caches are keyed by, which must differ (else the request after it would not be cold).


def score_write(audit_id: int) -> Callable:
    """An agency lead of ``audit_id`` saves one score (alternating between two values) with
    :func:`hsbtrack.audits.services.save_response`: the audit's data version moves on."""

    def write():
        from sqlalchemy import select

        from hsbtrack.areas.models import Membership
        from hsbtrack.audits import services as audits
        from hsbtrack.audits.models import Response
        from hsbtrack.auth.models import User

        audit = db.session.get(Audit, audit_id)
        agency_id = audits.participant_ids(audit)[0]
        lead = db.session.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.area_id == audit.area_id, Membership.agency_id == agency_id,
            Membership.role == "agency_lead").limit(1))
        if lead is None:
            raise RuntimeError(f"no agency lead for agency {agency_id} of audit {audit_id}")
        framework = audits.framework_of(audit)
        code = framework.scored_statements[0].code
        values = list(framework.scale.values)
        current = db.session.scalar(select(Response.score).where(
            Response.audit_id == audit_id, Response.agency_id == agency_id, Response.code == code))
        before = audit.data_version
        audits.save_response(audit, agency_id, code, score=values[1] if current == values[0] else values[0],
                             user=lead, fields=("score",))
        db.session.expire_all()
        return before, db.session.get(Audit, audit_id).data_version

    return write


def action_write(area_id: int, user_email: str) -> Callable:
    """The board manager posts an update (alternating progress) on the area's first action with
    :func:`hsbtrack.actions.services.add_update`: the action's last change moves on."""

    def write():
        from sqlalchemy import select

        from hsbtrack.actions import services as actions
        from hsbtrack.actions.models import Action
        from hsbtrack.auth.services import user_by_email

        user = user_by_email(user_email)
        action = db.session.scalar(select(Action).where(Action.area_id == area_id).order_by(Action.id).limit(1))
        before = (action.progress, action.updated_at)
        actions.add_update(action, "Benchmark: progress reviewed at the sub-group.",
                           progress=50 if action.progress != 50 else 75, user=user)
        db.session.expire_all()
        after = db.session.get(Action, action.id)
        return before, (after.progress, after.updated_at)

    return write


def plugin_pages(data) -> list:
    return [page for pages in current_app.extensions["hsbtrack_plugins"].hook.hsbtrack_bench_pages(data=data)
            for page in pages]


def bare_sql(urls: dict, extra_pages: list) -> dict:
    """The raw SQL of the data each page shows (the floor under the page), as callables."""
    responses = RESPONSES_SQL
    latest = urls["latest_ids"]
    area = urls["area_id"]
    queries = {
        "dashboard": [responses.format(ids=", ".join(map(str, latest[:2]))),
                      f"SELECT status, COUNT(*) FROM actions WHERE area_id = {area} GROUP BY status"],  # noqa: S608  # nosec B608  # ids from the benchmark data, not from input
        "matrix": [responses.format(ids=latest[0])],
        "overview": [responses.format(ids=", ".join(map(str, latest)))],
        "plan": [f"SELECT a.id, a.title, a.status, a.due_on, a.priority, a.owner_id, s.code FROM actions a "  # noqa: S608  # nosec B608  # ids from the benchmark data, not from input
                 f"LEFT JOIN action_statements s ON s.action_id = a.id WHERE a.area_id = {area} ORDER BY a.due_on"],
        **{page.key: page.sql for page in extra_pages},
    }

    def runner(statements):
        def run():
            with db.engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement)).fetchall()
        return run

    return {key: runner(statements) for key, statements in queries.items()}


def cold_writes(urls: dict, data, extra_pages: list) -> dict:
    """``{page key: write}``: what changes each page's data before its cold request."""
    score = score_write(urls["audit_id"])  # the first area's open audit: dashboard, matrix, overview
    return {"dashboard": score, "matrix": score, "overview": score,
            "plan": action_write(urls["area_id"], data.user_email),
            **{page.key: page.cold for page in extra_pages if page.cold is not None}}


def _budget_text(page_budget: float, p95_budget: float) -> str:
    return f"≤ {page_budget:g}× / {p95_budget:g}× trivial"


def _page_row(key, label, times, sql_median, trivial, healthz_median, page_budget, p95_budget, note=""):
    median, p95 = summary(times)
    ratio, ratio_p95 = median / trivial[0], p95 / trivial[1]
    return Row(key, label, median, p95, ratio, ratio_p95, bare=median / healthz_median, sql=sql_median,
               budget=_budget_text(page_budget, p95_budget), ok=ratio <= page_budget and ratio_p95 <= p95_budget,
               note=note)


def measure_pages(app, data, password: str, n: int, page_budget: float = PAGE_BUDGET,
                  p95_budget: float = P95_BUDGET) -> list:
    rows = []
    with app.app_context():
        urls = page_urls(data)
        extra = plugin_pages(data)
        urls.update({page.key: page.url for page in extra})
        sql = bare_sql(urls, extra)
        writes = {key: cold_writer(app, write) for key, write in cold_writes(urls, data, extra).items()}
        db.session.remove()
    pages = (*PAGES, *((page.key, page.label) for page in extra))
    client = app.test_client()
    sign_in(client, data.user_email, password)

    # pages must not draw charts inline: each page's HTML is checked, and the dashboard's radar is fetched
    inline = [key for key, _label in pages if "pygal" in client.get(urls[key]).get_data(as_text=True)]
    dashboard_html = client.get(urls["dashboard"]).get_data(as_text=True)
    chart_urls = [html.unescape(u) for u in SVG_SRC_RE.findall(dashboard_html) if "domains.svg" in u]

    routes = {"trivial": _get(client, urls["trivial"]), "healthz": _get(client, urls["healthz"])}
    routes.update({key: _get(client, urls[key]) for key, _label in pages})
    chart_note, etag, cold_ms = "", None, None
    if chart_urls:
        with app.app_context():
            app.extensions.pop("hsbtrack_chart_cache", None)  # the first request renders
        began = time.perf_counter()
        first = client.get(chart_urls[0])
        cold_ms = (time.perf_counter() - began) * 1000
        etag = first.headers.get("ETag")
        if first.status_code == 200 and etag:
            routes["chart"] = _get(client, chart_urls[0])
            routes["chart_304"] = _get(client, chart_urls[0], expect=304, headers={"If-None-Match": etag})
        else:
            chart_note = f"radar answered HTTP {first.status_code} without an ETag"
    else:
        chart_note = "the dashboard shows no radar <img>"
    routes.update({f"sql_{key}": function for key, function in sql.items()})
    broken = {}
    for key, function in list(routes.items()):
        try:
            function()
        except RuntimeError as error:  # a page that fails is a missed budget, not a crash
            broken[key] = str(error)
            del routes[key]
    if "trivial" in broken or "healthz" in broken:
        raise RuntimeError("; ".join(broken.values()))

    times = time_round_robin(routes, n)
    # then the cold rounds: before each page's request, a write to its data (the trivial page again
    # beside them, as their baseline)
    cold_routes = {"trivial": routes["trivial"],
                   **{key: routes[key] for key, _label in pages if key in routes and key in writes}}
    cold_broken = {}
    for key in list(cold_routes):
        if key == "trivial":
            continue
        try:
            writes[key]()
        except Exception as error:  # noqa: BLE001  # a write that fails is a missed budget, not a crash
            cold_broken[key] = f"cold write failed: {error}"
            del cold_routes[key]
    cold_times = time_round_robin(cold_routes, n, warmup=1, before={k: writes[k] for k in cold_routes if k in writes})
    cold_trivial = summary(cold_times["trivial"])
    trivial_median, trivial_p95 = summary(times["trivial"])
    healthz_median, healthz_p95 = summary(times["healthz"])
    rows.append(Row("trivial", "Trivial page (signed in, layout, no data)", trivial_median, trivial_p95, 1.0, 1.0,
                    bare=trivial_median / healthz_median, budget="baseline"))
    rows.append(Row("healthz", "Bare route /healthz", healthz_median, healthz_p95, healthz_median / trivial_median,
                    healthz_p95 / trivial_p95, bare=1.0, budget="reference"))
    budget = _budget_text(page_budget, p95_budget)
    for key, label in pages:
        if key in broken or f"sql_{key}" in broken:
            rows.append(Row(key, label, budget=budget, ok=False, note=broken.get(key) or broken[f"sql_{key}"]))
            continue
        sql_median, _sql_p95 = summary(times[f"sql_{key}"])
        rows.append(_page_row(key, f"{label}, warm", times[key], sql_median, (trivial_median, trivial_p95),
                              healthz_median, page_budget, p95_budget,
                              note="chart drawn inline" if key in inline else ""))
        if key in inline:
            rows[-1].ok = False
        if key in cold_times:
            rows.append(_page_row(f"{key}_cold", f"{label}, cold", cold_times[key], sql_median, cold_trivial,
                                  healthz_median, page_budget, p95_budget, note="first view after a write"))
        else:
            rows.append(Row(f"{key}_cold", f"{label}, cold", budget=budget, ok=False,
                            note=cold_broken.get(key, "no write to its data: not measured cold")))
    if "chart" in times and "chart_304" in times:
        median, p95 = summary(times["chart"])
        ratio = median / trivial_median
        rows.append(Row("chart", "Radar from its own URL (cached)", median, p95, ratio, p95 / trivial_p95,
                        bare=median / healthz_median, budget=f"{budget}, ETag",
                        ok=ratio <= page_budget and p95 / trivial_p95 <= p95_budget and bool(etag),
                        note=f"first render {cold_ms:.1f} ms"))
        median, p95 = summary(times["chart_304"])
        rows.append(Row("chart_304", "Radar revalidated (If-None-Match → 304)", median, p95, median / trivial_median,
                        p95 / trivial_p95, bare=median / healthz_median, budget="304", ok=True))
    else:
        chart_note = chart_note or broken.get("chart") or broken.get("chart_304", "")
        rows.append(Row("chart", "Radar from its own URL (cached)", budget="ETag", ok=False, note=chart_note))
    return rows


# -- output ---------------------------------------------------------------------------------------


def _ms(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def _x(value) -> str:
    return "–" if value is None else f"{value:.2f}×"


def verdict(row: Row) -> str:
    return {True: "ok", False: "MISSED", None: ""}[row.ok]


def table(report: Report) -> str:
    """The results as a Markdown table (also what the terminal shows)."""
    lines = ["| check | median ms | p95 ms | × trivial (median) | × trivial (p95) | × /healthz | bare SQL ms "
             "| budget | result | note |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for r in report.rows:
        if r.key == "import" and r.median is not None:
            lines.append(f"| {r.label} | {r.median:,.0f} rows/s | – | – | – | – | – | {r.budget} (ratio "
                         f"{r.ratio:.2f}) | {verdict(r)} | {r.note} |")
            continue
        lines.append(f"| {r.label} | {_ms(r.median)} | {_ms(r.p95)} | {_x(r.ratio)} | {_x(r.ratio_p95)} "
                     f"| {_x(r.bare)} | {_ms(r.sql)} | {r.budget} | {verdict(r)} | {r.note} |")
    return "\n".join(lines)


def describe(report: Report) -> str:
    counts = report.counts
    data = (f"{counts.get('areas', 0):,} areas, {counts.get('agencies', 0):,} agencies, {counts.get('audits', 0):,} "
            f"audits, {counts.get('audit_responses', 0):,} agency responses, {counts.get('actions', 0):,} actions"
            + "".join(f", {number:,} {table}" for table, number in counts.items() if table not in CORE_COUNTED))
    generated = (f"; generated in {report.generate_seconds:.0f} s" if report.generate_seconds is not None
                 else "; data reused")
    return (f"- Date: {report.when}\n- Machine: {report.machine}\n- Database: {report.database}\n"
            f"- Scale: {report.scale:g} ({data}{generated})\n- Requests: {report.requests} per route, round-robin, "
            f"after 2 warm-up rounds; then {report.requests} cold rounds (each page's request right after a write "
            f"to its data through the service, the trivial page beside them); Flask test client in one process, "
            f"signed in (password and two-factor code) as a board manager, no compression")


def section_name(report: Report) -> str:
    return "postgresql" if report.database.startswith("PostgreSQL") else "sqlite"


DOC_HEAD = """# Benchmarks

Written by `make bench` (`hsbtrack bench --docs docs/benchmarks.md`): each full-scale run replaces the
section of its database; `make load` appends its run to the load section. Budgets are those of
docs/architecture.md ("Budgets"); a missed budget makes the command exit non-zero.

How to read the tables: every page is timed against a **trivial page** of the same app in the same
run: a signed-in area page in the app's layout (session, user, permissions, area menu) that reads
no data, so the ratio is the cost of the page's own data and markup. Each page is timed **warm**
(its caches filled) and **cold**: the first request after a write to the data it shows, made
through the service (a score saved by an agency lead, an update posted on an action), so that
every cache keyed by the data's version misses. Budget: median ≤ 3× and p95 ≤ 4× the trivial page,
warm and cold. The bare `/healthz` route
(no session, no database, no template) is shown too, as "× /healthz": a GOV.UK page costs
several milliseconds of template rendering before it shows any data, so no page can come within
5× of a route that returns two bytes. "Bare SQL" is the raw SQL of the data the page shows, as a
floor. The radar is served from its own URL with an ETag (cached in memory by the audits' data
versions); pages only link to it.
"""


def write_docs(path: Path, report: Report) -> None:
    name = section_name(report)
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    body = (f"{start}\n## {report.database.split(' ')[0]}\n\n{describe(report)}\n\n{table(report)}\n\n"
            f"Result: {'every budget met' if report.ok else 'MISSED: ' + ', '.join(r.label for r in report.missed)}"
            f"\n{end}")
    current = path.read_text() if path.exists() else DOC_HEAD
    if start in current and end in current:
        before, rest = current.split(start, 1)
        _old, after = rest.split(end, 1)
        current = before + body + after
    else:
        order = ["sqlite", "postgresql"]
        later = [f"<!-- bench:{n} -->" for n in order[order.index(name) + 1:]] + ["<!-- load -->"]
        position = min((current.index(m) for m in later if m in current), default=None)
        if position is None:
            current = current.rstrip("\n") + "\n\n" + body + "\n"
        else:
            current = current[:position] + body + "\n\n" + current[position:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(current)


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
