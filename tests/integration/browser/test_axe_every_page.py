"""axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every GET page of the app, core and plugins,
each with real data (``tests/integration/browser/walk.py``), signed in as someone who may see it.

Any violation fails, whatever axe's impact rating (minor ones too). Each page is also laid out at
320 CSS pixels wide (1280px at 400% zoom) and checked again there, by axe and for WCAG 1.4.10 Reflow:
the document itself never scrolls sideways (its scrollWidth stays within 320px); a wide data table
scrolls inside its own wrapper, which takes the focus and has a name. Responses that are not HTML
(CSV, XLSX, SVG, JSON) are recognised by their content type and left out. One Chromium, one browser
context per user.
"""

import pytest

from hsbtrack.testing_browser import (
    CHROMIUM_ARGS,  # noqa: F401  (the browser fixture is started with them)
    axe_check,
)
from tests.integration.browser.walk import (
    browser_sessions,
    build_walk_scene,
    is_html,
    page_walk,
    server_errors,
)

pytestmark = pytest.mark.browser

ALL_IMPACTS = ("minor", "moderate", "serious", "critical")
PLUGINS = ("regional", "scotland", "schools", "training")
# WCAG 1.4.10 Reflow: at 320 CSS pixels wide the document never scrolls sideways; only a data table may,
# inside its own scroll wrapper. When the page is wider: the outermost elements that stick out.
REFLOW_JS = """() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return null;
    const inScroller = e => {  // (inside a wrapper that scrolls or clips it within the page)
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= width + 1) return true;
        }
        return false;
    };
    const wide = [...document.body.querySelectorAll('*')].filter(e => {
        const r = e.getBoundingClientRect();
        return r.right > width + 1 && !inScroller(e)
            && !(e.parentElement && e.parentElement !== document.body && e.parentElement.getBoundingClientRect().right > width + 1);
    });
    return {scrollWidth: document.documentElement.scrollWidth,
            elements: wide.slice(0, 4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))};
}"""


SCROLLING_TABLES_JS = """() => [...document.querySelectorAll('table')].some(t => {
    const box = t.parentElement;
    return box && box.scrollWidth > box.clientWidth + 1;
})"""


def test_every_page_type_passes_axe(browser, live_server, world):
    scene = build_walk_scene(world)
    problems, checked, not_html, wide_tables = [], [], [], []
    for page, user, user_stops in browser_sessions(browser, live_server, page_walk(scene), bypass_csp=True):
        context = page.context
        for stop in user_stops:
            head = context.request.get(stop.url)  # redirects followed: "/" leads to the user's area
            if head.status != 200:
                problems.append(f"{stop.endpoint} {stop.url} as {user}: HTTP {head.status}")
                continue
            if not is_html(head.headers.get("content-type")):
                not_html.append(stop.endpoint)
                continue
            response = page.goto(stop.url)
            assert response is not None and response.status == 200, f"{stop.url}: {response and response.status}"
            title = page.title()
            if not title.strip() or not page.locator("main h1").count():
                problems.append(f"{stop.endpoint} {stop.url}: no title or no <h1> in <main>")
            try:
                axe_check(page, impacts=ALL_IMPACTS)
            except pytest.fail.Exception as failure:
                problems.append(f"{stop.endpoint} ({user}): {failure}")
            checked.append(stop.endpoint)
            page.set_viewport_size({"width": 320, "height": 256})  # 1280 x 1024 zoomed to 400%
            overflow = page.evaluate(REFLOW_JS)
            if overflow:
                problems.append(f"{stop.endpoint} {stop.url}: wider than 320px (WCAG 1.4.10): {overflow}")
            try:  # at 320px too: tables that scroll in their wrappers must be reachable (scrollable-region-focusable)
                axe_check(page, impacts=ALL_IMPACTS)
            except pytest.fail.Exception as failure:
                problems.append(f"{stop.endpoint} ({user}) at 320px: {failure}")
            if page.evaluate(SCROLLING_TABLES_JS):
                wide_tables.append(stop.endpoint)
            page.set_viewport_size({"width": 1280, "height": 900})

    problems += server_errors(live_server)
    assert not problems, f"{len(problems)} page(s) failed:\n\n" + "\n\n".join(problems)

    # the walk really covered the app: core pages, each plugin's pages and the public pages
    for plugin in PLUGINS:
        assert sum(e.startswith(f"{plugin}") for e in checked) >= 1, f"no {plugin} page was checked"
    assert {"auth.login", "dashboard.area", "audits.score", "moderation.matrix", "overview.report",
            "actions.plan", "admin.users", "schools.round", "scotland.case", "training.home",
            "regional_region.round_detail"} <= set(checked)
    assert {"actions.export_csv", "exports.xlsx", "overview.domains_chart"} <= set(not_html)
    assert len(checked) >= 70, f"only {len(checked)} pages checked"
    print(f"\naxe: {len(checked)} HTML pages checked, {len(not_html)} other responses left out: {sorted(not_html)}; "
          f"{len(wide_tables)} pages have a data table that scrolls in its own region at 320px")
