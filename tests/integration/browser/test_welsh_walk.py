"""Every page of the app in Welsh, in Chromium, with real data: no English interface text left.

The walk is ``tests/integration/browser/walk.py`` (every GET page of the core and the four plugins). Each user of
the walk has chosen Welsh (the signed-out pages get the language cookie). On each page every text a
person can see or hear is read: text nodes (visually hidden ones too), ``aria-label``, ``title``,
``placeholder`` and button values. What may stay English is taken out first:

* anything inside an element marked ``lang="en"`` (statement texts the framework has no Welsh for,
  the framework's attribution);
* data people typed or imported: every string stored in the database (names, titles, evidence...),
  and the checklists' own texts where they have no Welsh.

Whatever is left must hold no English word. The charts (SVG) each page links to are read the same way.
"""

import re
from xml.etree import ElementTree

import pytest

from tests.integration.browser.walk import (
    browser_sessions,
    build_walk_scene,
    is_html,
    page_walk,
    server_errors,
)

pytestmark = pytest.mark.browser

# Common English words that are not Welsh words (so a hit means English was left on the page).
ENGLISH = frozenset("""
the and with your you this that are have has will from been which there their should must when what who
not for to in of or by no yes save edit delete view back next score scores audit audits action actions
agency agencies statement statements evidence sign page area plan due date status open closed none all
new add change name email password report training school schools case round region board member members
role settings download upload search filter apply cancel continue submit total overdue progress owner
history notes comments agreed lowest highest domain domains moderation chart table menu error problem
help there here more less than about before after today week month year years course courses staff
""".split())
WORD = re.compile(r"[A-Za-z][\w'’]*")  # dsl_email is one (code) word

# The example plugin of the test suite (tests/example_plugin) is English only: it is not shipped.
TEST_PLUGIN_TEXTS = ("Example plugin", "Proves every hook in the tests.", "Example role", "Example region link",
                     "Example report section", "Report on T1", "Report on T2", "Example regional report",
                     "The region's year", "Member areas: 1", "Example notes", "Example paragraph.", "Example kind",
                     "Example count", "Example row")


# Texts that are data although no table holds them: the column names of the uploaded file the walk's
# import shows (tests/integration/test_routes_access.py), the column names of the schools CSV, and the status codes
# the training import accepts as they are. (The North Wales preset's page lists its organisations in
# Welsh, with the English names marked lang="en", so none of them is excused here.)
NAMES_AND_CODES = ("Name", "Agency", "name", "completed", "attended", "did not attend")

TEXTS_JS = """() => {
    const out = [];
    const englishMarked = el => el.closest('[lang]:not(html)') && el.closest('[lang]:not(html)').getAttribute('lang').startsWith('en');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
        const text = node.textContent.trim();
        if (text && !englishMarked(el)) out.push(text);
    }
    for (const el of document.body.querySelectorAll('[aria-label], [title], [placeholder], input[type=submit][value], input[type=button][value]')) {
        if (englishMarked(el)) continue;
        for (const name of ['aria-label', 'title', 'placeholder']) {
            const value = el.getAttribute(name);
            if (value && value.trim()) out.push(value.trim());
        }
        if (el.tagName === 'INPUT' && el.value) out.push(el.value.trim());
    }
    out.push(document.title);
    return out;
}"""
SVG_LINKS_JS = """() => [...new Set([...document.querySelectorAll('img[src$=".svg"], object[data$=".svg"], img[src*=".svg?"]')]
    .map(e => e.getAttribute('src') || e.getAttribute('data')))]"""


def data_strings(db) -> list[str]:
    """Every string stored in the database, and the checklists' texts that have no Welsh: data, not interface."""
    import json

    from sqlalchemy import JSON, String, Text, select

    found = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for value in row:
                if isinstance(value, dict | list):
                    value = json.dumps(value, ensure_ascii=False)
                    found.update(re.findall(r'"((?:[^"\\]|\\.)*)"', value))
                elif isinstance(value, str):
                    found.add(value)
    found.update(_untranslated_checklist_texts())
    found.update(TEST_PLUGIN_TEXTS)
    found.update(NAMES_AND_CODES)
    # longest first, so "Police Scotland" goes before "Police"; lines of long texts one by one too
    pieces = {p.strip() for s in found for p in [s, *s.splitlines()] if len(p.strip()) >= 2}
    return sorted(pieces, key=len, reverse=True)


def _untranslated_checklist_texts():
    from hsbtrack_schools import checklist

    for path in checklist.FILES.values():
        loaded = checklist.load(path)
        welsh = loaded.localised("cy")
        if welsh.title == loaded.title:
            yield loaded.title
        for area, cy_area in zip(loaded.areas, welsh.areas, strict=True):
            if cy_area.title == area.title:
                yield area.title
            for item, cy_item in zip(area.items, cy_area.items, strict=True):
                if cy_item.text == item.text:
                    yield item.text


def english_left(texts, data) -> list[str]:
    """The texts that still hold an English word once the data in them is taken out."""
    left = []
    for text in texts:
        if not (set(w.lower() for w in WORD.findall(text)) & ENGLISH):
            continue  # the usual case: nothing English-looking at all
        rest = text
        for piece in data:
            if piece in rest:  # whole words only: taking "ol" out of "niweidiol" must not leave "niweid"
                rest = re.sub(rf"(?<!\w){re.escape(piece)}(?!\w)", " ", rest)
        words = sorted({w for w in WORD.findall(rest) if w.lower() in ENGLISH})
        if words:
            left.append(f"{text[:300]!r} (English: {', '.join(words)})")
    return left


def svg_texts(body: bytes) -> list[str]:
    root = ElementTree.fromstring(body)
    return [el.text.strip() for el in root.iter()
            if el.text and el.text.strip() and not str(el.tag).endswith(("style", "script"))]


def test_every_page_in_welsh_has_no_english_interface_text(browser, live_server, world):
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db

    scene = build_walk_scene(world)
    db.session.execute(db.update(User).values(locale="cy"))
    db.session.commit()
    stops = list(page_walk(scene))  # filling in the URLs creates the rest of the data
    data = data_strings(db)
    stops = [stop for stop in stops  # the test suite's own English-only plugin is left out
             if not (stop.endpoint.startswith("example.") or stop.url.endswith("/plugins/example/settings"))]

    problems, checked, charts = [], [], set()
    # signed in, the user's own choice (Welsh) decides; signed out, the language cookie does
    for page, _user, user_stops in browser_sessions(browser, live_server, stops, language="cy"):
        for stop in user_stops:
            head = page.context.request.get(stop.url)
            if head.status != 200 or not is_html(head.headers.get("content-type")):
                continue
            page.goto(stop.url)
            if page.locator("html").get_attribute("lang") != "cy":
                problems.append(f"{stop.endpoint} {stop.url}: <html lang> is not cy")
            for found in english_left(page.evaluate(TEXTS_JS), data):
                problems.append(f"{stop.endpoint} {stop.url}: {found}")
            for src in page.evaluate(SVG_LINKS_JS):
                if src in charts:
                    continue
                charts.add(src)
                svg = page.context.request.get(src)
                if svg.status == 200:
                    for found in english_left(svg_texts(svg.body()), data):
                        problems.append(f"chart {src} (on {stop.endpoint}): {found}")
            checked.append(stop.endpoint)

    problems += server_errors(live_server)
    assert not problems, f"{len(problems)} English text(s) on Welsh pages:\n" + "\n".join(problems[:300])
    assert len(checked) >= 70, f"only {len(checked)} pages walked"
    assert charts, "no chart was read"
    assert {"auth.login", "dashboard.area", "audits.score", "moderation.matrix", "actions.plan",
            "schools.round", "scotland.case", "training.home", "regional_region.round_detail"} <= set(checked)
