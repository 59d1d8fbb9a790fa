"""hsbtrack's browser fixtures, a pytest plugin like ``hsbtrack.testing`` (entry point ``hsbtrack_browser``
in group ``pytest11``), for the core's browser tests and any plugin's: the session ``app`` served on 127.0.0.1 by a background werkzeug server, driven by
Debian's Chromium through Playwright's sync API, with an axe-core accessibility check.

* Chromium is ``/usr/bin/chromium`` (apt). Playwright's own browser downloads are never used
  (never run ``playwright install``): without ``/usr/bin/chromium`` the tests skip, which
  ``HSBTRACK_REQUIRE_ALL=1`` (CI) turns into failures.
* The server shares the test database: build data with ``world`` in the test, and the ``ctx``
  fixture empties every table afterwards, as for every other test.
* ``axe_check(page)`` injects ``hsbtrack/static/vendor/axe/axe.min.js`` (copied there by
  ``npm run build``, part of ``make install``) and fails on any serious or critical WCAG 2.x A/AA
  violation.
* Screenshots go to ``test-artifacts/`` (git-ignored); a failing browser test leaves one there too.
"""

import re
import threading
import time
import traceback
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wsgi import ClosingIterator

from hsbtrack.paths import PACKAGE_DIR
from hsbtrack.testing import PASSWORD

ROOT = Path(__file__).resolve().parents[1]  # the checkout, for an editable install
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = PACKAGE_DIR / "static" / "vendor" / "axe" / "axe.min.js"
ARTIFACTS = Path.cwd() / "test-artifacts"  # where pytest runs: the checkout for `make test`
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 15_000


# -- the live server -------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass  # no access log in the test output; errors are collected by LiveServer


class LiveServer:
    """The app served by werkzeug in a daemon thread, on a free port chosen by the OS.

    Exceptions raised while serving a request (the testing config propagates them) are kept in
    ``errors`` as ``(method and path, traceback)``; the ``page`` fixture fails the test with them.
    """

    def __init__(self, app):
        self.app = app
        self.errors: list[tuple[str, str]] = []
        # requests being answered: a test's page may leave one in flight (a click's POST, a poll) that the
        # server thread answers after the test's tables were emptied, writing to the next test's rows
        # (its ids start again at 1). The page fixture waits for none before the tables are emptied.
        self._active = 0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="hsbtrack-live-server",
                                        daemon=True)

    def _wsgi(self, environ, start_response):
        with self._lock:
            self._active += 1
        try:
            return ClosingIterator(self.app(environ, start_response), self._answered)
        except Exception:
            self._answered()
            self.errors.append((f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}", traceback.format_exc()))
            raise

    def _answered(self):
        with self._lock:
            self._active -= 1

    def wait_until_idle(self, seconds: float = 15) -> None:
        """Until no request is being answered (or ``seconds`` passed: a stuck request fails its own test)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                if self._active <= 0:
                    return
            time.sleep(0.02)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture()
def base_url(live_server):
    return live_server.url


# -- Playwright and Chromium -----------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """Chromium, started once for the browser tests and closed after them (not at the end of the run)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (never `playwright install`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, live_server, ctx, request):
    """A fresh browser context and page (no cookies) per test; closed before the tables are emptied."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="en-GB",
                                  base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    live_server.errors.clear()
    yield page
    report = getattr(request.node, "_hsb_call_report", None)
    failed_shot = f"FAILED-{request.node.name}"
    if report is not None and report.failed:
        try:
            screenshot(page, failed_shot)
        except Exception:  # noqa: S110  # nosec B110  # a failed screenshot must not hide the real failure
            pass
    else:  # passing now: drop the screenshot of an earlier failure
        _artifact_path(failed_shot).unlink(missing_ok=True)
    context.close()
    live_server.wait_until_idle()  # before the ctx fixture empties the tables (see LiveServer._active)
    if live_server.errors:
        errors, live_server.errors[:] = list(live_server.errors), []
        pytest.fail("the live server raised while answering:\n"
                    + "\n".join(f"{where}\n{trace}" for where, trace in errors), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call":
        item._hsb_call_report = outcome.get_result()


# -- helpers ---------------------------------------------------------------------------------


def _artifact_path(name: str) -> Path:
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = _artifact_path(name)
    page.screenshot(path=str(path), full_page=True)
    return path


def browser_login(page, base_url: str, email: str, password: str = PASSWORD):
    """Sign in through the login form; asserts that the browser left the login page."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    if "/login" in page.url:  # (not an assert: this module ships in the wheel, where asserts may be stripped)
        pytest.fail(f"sign-in as {email} failed: still on {page.url}")
    return page


def _describe(violations) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary}")
            lines.append(f"       {node.get('html', '')[:200]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)


def axe_check(page, *, tags=WCAG_TAGS, impacts=BLOCKING_IMPACTS) -> dict:
    """Run axe-core on the page; fail the test listing every violation of an impact in ``impacts``.

    Returns axe's full results (minor and moderate violations included) for further checks.
    """
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS.relative_to(ROOT)} is missing: run `make install` (npm run build copies it)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        list(tags),
    )
    blocking = [v for v in results["violations"] if v.get("impact") in impacts]
    if blocking:
        pytest.fail(f"axe: {len(blocking)} {'/'.join(impacts)} accessibility violation(s) on {page.url}:\n"
                    + _describe(blocking), pytrace=False)
    return results
