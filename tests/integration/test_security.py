"""Security properties that docs/security.md promises and that no feature's own tests cover:
signing out, throttling by address, identifiers out of range, upload limits and file types,
security headers on every kind of response.

(Session fixation and per-account throttling: tests/test_auth.py. Every route against other areas,
anonymous visitors and CSRF: tests/integration/test_routes_access.py. The API against its OpenAPI document:
tests/test_api_schemathesis.py.)"""

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, api_headers, csrf_token, login, post_form


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


@pytest.fixture()
def board(world):
    area = world.area()
    return world.user("board@example.org", area, "board_manager"), area


# -- sessions -------------------------------------------------------------------------------------


def test_signing_out_clears_the_session_and_every_copy_of_its_cookie(ctx, board):
    user, _area = board
    client = ctx.test_client()
    login(client, user)
    signed_in_cookie = client.get_cookie("session").value
    elsewhere = ctx.test_client()  # the same account signed in on another device
    login(elsewhere, user)

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert not signed_in(client)
    after = client.get_cookie("session")
    assert after is None or after.value != signed_in_cookie

    # A copy of the signed-in cookie (stolen, or left in another tab) no longer signs anyone in.
    thief = ctx.test_client()
    thief.set_cookie("session", signed_in_cookie)
    assert not signed_in(thief)
    assert not signed_in(elsewhere)
    # Signing in again works as before.
    login(client, user)
    assert signed_in(client)


def test_sign_in_is_throttled_per_address_across_accounts(ctx, board):
    """Guessing one password for many accounts from one address is throttled too."""
    user, _area = board
    limit = ctx.config["HSBTRACK_LOGIN_MAX_FAILURES"]
    attacker = ctx.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for n in range(limit * 5):  # never more than one failure per account: no account is locked
        response = post_form(attacker, "/login", {"email": f"person{n}@example.org", "password": "Summer2026!"})
        assert response.status_code == 200
    response = post_form(attacker, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert not signed_in(attacker)

    colleague = ctx.test_client()  # the real user, from another address, is not locked out
    colleague.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    login(colleague, user)
    assert signed_in(colleague)


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(board):
    """HSBTRACK_TRUSTED_PROXIES=1: the address is the one the proxy saw, not the proxy's own."""
    from tests.conftest import make_app

    user, _area = board
    app = make_app(HSBTRACK_TRUSTED_PROXIES=1)
    limit = app.config["HSBTRACK_LOGIN_MAX_FAILURES"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from nginx
    # no app context pushed here: each request gets its own (a shared one would share g)
    attacker = app.test_client()
    attacker.environ_base.update(proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for n in range(limit * 5):
        post_form(attacker, "/login", {"email": f"person{n}@example.org", "password": "Summer2026!"})
    assert post_form(attacker, "/login", {"email": user.email, "password": PASSWORD}).status_code == 429
    # naming another address in front of the one the proxy adds does not help
    spoofer = app.test_client()
    spoofer.environ_base.update(proxy, HTTP_X_FORWARDED_FOR="198.51.100.20, 203.0.113.9")
    assert post_form(spoofer, "/login", {"email": user.email, "password": PASSWORD}).status_code == 429
    colleague = app.test_client()  # another client behind the same proxy signs in
    colleague.environ_base.update(proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    login(colleague, user)
    assert signed_in(colleague)


# -- identifiers ----------------------------------------------------------------------------------


def test_identifiers_too_large_for_the_database_answer_404_not_500(client, board):
    user, area = board
    huge = 10**20
    login(client, user)
    assert client.get(f"/areas/{area.id}/").status_code == 200
    assert client.get(f"/areas/{huge}/").status_code == 404
    assert client.get(f"/areas/{area.id}/audits/{huge}/").status_code == 404
    headers = api_headers(user)
    response = client.get(f"/api/v1/audits/{huge}", headers=headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.get(f"/api/v1/areas/{area.id}/actions?agency_id={huge}", headers=headers)
    assert response.status_code == 422 and "agency_id" in response.get_json()["error"]["fields"]
    response = client.post(f"/api/v1/areas/{area.id}/members", headers=headers,
                           json={"email": "new@example.org", "role": "agency_lead", "agency_id": huge})
    assert response.status_code == 422 and "agency_id" in response.get_json()["error"]["fields"]


# -- uploads --------------------------------------------------------------------------------------


def training_imports(app):
    folder = Path(app.instance_path, "training-imports")
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture()
def training(world):
    from hsbtrack.plugins.services import set_area_plugin

    area = world.area()
    set_area_plugin(area, "training", True)
    lead = world.user("training.lead@example.org", area, "training_lead")
    return lead, area


def post_file(client, url, name, content):
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def xlsx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("notes.pdf", b"%PDF-1.7\n...", "must be a CSV or an XLSX file"),
    ("people.exe", b"MZ\x90\x00", "must be a CSV or an XLSX file"),
    ("people.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
    ("people.csv", b"Name,Agency\nAnn\x00,Police\n", "not a CSV file"),
    ("people.csv", None, "not a CSV file"),  # a workbook renamed .csv
    ("people.csv", b"", "The file is empty"),
], ids=["pdf", "exe", "png-named-csv", "nul-bytes", "xlsx-named-csv", "empty"])
def test_training_upload_refuses_files_that_are_not_csv_or_xlsx(app, client, training, name, content, message):
    lead, area = training
    login(client, lead)
    url = f"/areas/{area.id}/training/import"
    before = training_imports(app)
    response = post_file(client, url, name, xlsx_bytes() if content is None else content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and "govuk-error-message" in page  # next to the field
    assert training_imports(app) == before  # nothing kept


def test_schools_import_refuses_files_that_are_not_csv(ctx, client, board):
    from hsbtrack_schools.models import School

    from hsbtrack.plugins.services import set_area_plugin

    user, area = board
    set_area_plugin(area, "schools", True)
    login(client, user)
    url = f"/areas/{area.id}/schools/import"
    for name, content, message in (
        ("schools.xlsx", xlsx_bytes(), "must be a CSV file"),
        ("schools.csv", b"name,phase\nHill\x00top,secondary\n", "not a CSV file"),
        ("schools.csv", b"\xff\xfe\x00n\x00a", "not a CSV file"),
    ):
        page = post_file(client, url, name, content).get_data(as_text=True)
        assert message in page and "govuk-error-message" in page, name
    assert ctx.extensions["sqlalchemy"].session.scalar(select(func.count()).select_from(School)) == 0


def test_a_request_over_the_upload_limit_gets_a_friendly_413_and_saves_nothing(app, client, training, monkeypatch,
                                                                              world):
    lead, area = training
    login(client, lead)
    url = f"/areas/{area.id}/training/import"
    token = csrf_token(client, url)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    before = training_imports(app)
    big = b"Name,Agency\n" + b"Ann,Police\n" * 2000
    response = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(big), "people.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large" in page and "Upload a smaller file" in page and "govuk-" in page
    assert training_imports(app) == before

    board = world.user("board@example.org", area, "board_manager")  # allowed to add agencies
    response = client.post(f"/api/v1/areas/{area.id}/agencies", headers=api_headers(board),
                           json={"name": "x" * 20_000})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_the_default_upload_limit_is_set(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024


# -- headers --------------------------------------------------------------------------------------


def assert_security_headers(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src" in csp
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_security_headers_on_every_kind_of_response(client, board):
    user, area = board
    anonymous = [client.get("/login"), client.get("/areas/1/"), client.get("/no/such/page"),
                 client.get("/api/v1/areas"), client.get("/static/css/app.css")]
    login(client, user)
    signed_in_pages = [client.get(f"/areas/{area.id}/"), client.get("/api/v1/areas", headers=api_headers(user)),
                       client.post("/account", data={})]  # a CSRF refusal (400)
    statuses = [r.status_code for r in anonymous + signed_in_pages]
    assert statuses[:4] == [200, 302, 404, 401] and signed_in_pages[2].status_code == 400
    for response in anonymous + signed_in_pages:
        assert_security_headers(response)
    # Pages with personal data are not kept by the browser or a proxy.
    assert signed_in_pages[0].headers["Cache-Control"] == "no-store"
    # HSTS only where cookies are secure (production, behind TLS); never sent over plain HTTP tests.
    assert "Strict-Transport-Security" not in signed_in_pages[0].headers


def test_production_settings_protect_the_session_cookie():
    from hsbtrack.config import settings_from_environment

    settings = settings_from_environment(Path("/tmp"), {"HSBTRACK_ENV": "production", "SECRET_KEY": "x" * 64})
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["REMEMBER_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["PERMANENT_SESSION_LIFETIME"] == 480 * 60
