"""Signing in as a user of ``make load`` does: the password form (with its CSRF token), then the
two-factor code its authenticator app shows now (every benchmark board manager is enrolled in TOTP by
the generator, ``hsbtrack.bench.generate.enrol_two_factor``; the account's secret is in the accounts
file that loadtest/prepare.py writes). Nothing is relaxed for the run: the server asks for the second
factor as an install's settings have it.

A code is accepted once per 30-second step and account (its replay rule). Each account signs in once
per locust run; when this step's code was used already (the same account signed in moments before in
another run), the next step's code is given instead of failing.

``client``: a locust client (``named=True``: its requests are given the names that locust's statistics
show them under), or a ``requests.Session`` with ``base``, the server's URL.
"""

import re
import time

import pyotp

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The sessions signed in by loadtest/run.py are used by the capacity steps' clients: the app's session
# protection ("strong") ends a session asked for from another user agent, so both send this one.
USER_AGENT = "hsbtrack-load"


def _csrf(response) -> str:
    match = CSRF_RE.search(response.text or "")
    return match.group(1) if match else ""


def sign_in(client, account: dict, named: bool = False, base: str = "") -> str | None:
    """Sign ``account`` in on ``client`` (its session cookie is then kept by the client); None when
    signed in, else what went wrong."""

    def name(value):
        return {"name": value} if named else {}

    page = client.get(f"{base}/login", **name("/login"))
    response = client.post(f"{base}/login", data={"email": account["email"], "password": account["password"],
                                           "csrf_token": _csrf(page)}, allow_redirects=False, **name("/login [POST]"))
    if response.status_code != 302:
        return f"sign-in answered {response.status_code}"
    if "/login/code" not in response.headers.get("Location", ""):
        if "/login/two-factor" in response.headers.get("Location", ""):
            return "the account must set up two-factor first (not enrolled)"
        return None  # an account without two-factor: signed in with the password
    totp = pyotp.TOTP(account["totp"])
    for attempt in range(2):
        if attempt:  # this step's code was taken already: wait for the next step's
            time.sleep(totp.interval - time.time() % totp.interval + 0.5)
        page = client.get(f"{base}/login/code", **name("/login/code"))
        response = client.post(f"{base}/login/code", data={"code": totp.now(), "csrf_token": _csrf(page)},
                               allow_redirects=False, **name("/login/code [POST]"))
        if response.status_code == 302:
            return None
    return f"the two-factor code was refused (HTTP {response.status_code})"
