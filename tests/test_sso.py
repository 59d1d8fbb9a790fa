"""Single sign-on (issue 17): the whole OpenID Connect flow against a real OpenID Provider on loopback
(the npm package oidc-provider, started by the ``oidc_provider`` fixture; its accounts and clients are
in hsbtrack/testing_oidc/provider.mjs). The app is driven with Flask's test client; the provider
with ``requests`` (its login form submitted as a browser would), each test with a new provider session.

What a user would notice: an invited person signs in and lands on their area; anyone else is refused
with a page saying who to ask; a tampered state, or an ID token made for another client, signs nobody
in; an account restricted to its provider refuses the password; our second step comes after the
provider's sign-in unless the provider checked a second factor; signing out goes to the provider."""

import base64
import hashlib
import logging
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from sqlalchemy import func, select

from hsbtrack.areas.services import add_area_member
from hsbtrack.auth import sso
from hsbtrack.auth.models import SignInProvider, User, UserIdentity
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.testing import oidc_provider_login
from tests.conftest import PASSWORD, csrf_token, login, post_form

DOMAIN = "council.example.gov.uk"


@pytest.fixture()
def provider(ctx, oidc_provider):
    """Our provider entry, as an administrator saves it on the admin pages."""
    sso.save_provider({"slug": "council", "label": "Riverside Council", "issuer": oidc_provider["issuer"],
                       "client_id": oidc_provider["client_id"], "client_secret": oidc_provider["client_secret"],
                       "allowed_domains": DOMAIN, "enabled": True})
    return oidc_provider


@pytest.fixture()
def area(world):
    return world.area("Riverside")


def invite(area, email, role="agency_lead"):
    """Someone the partnership invited: an account with a role and no password."""
    _m, user, _created = add_area_member(area, email, role, area.agencies[0].id if role == "agency_lead" else None)
    db.session.commit()
    return user


def start(client, slug="council"):
    response = client.get(f"/auth/oidc/{slug}/login")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def sign_in(client, provider, login_name, slug="council", http=None):
    """Through our sign-in button and the provider's login form, back to our callback; its answer."""
    back = oidc_provider_login(provider, start(client, slug), login_name, http=http)
    assert back.startswith(f"http://localhost/auth/oidc/{slug}/callback?"), back
    return client.get(back)


def test_the_sign_in_page_offers_the_provider(client, provider):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Riverside Council" in page
    assert 'href="/auth/oidc/council/login"' in page


def test_the_request_to_the_provider_uses_pkce_state_and_nonce(client, provider):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == ["http://localhost/auth/oidc/council/callback"]


def test_an_invited_user_signs_in_and_lands_on_their_area(client, provider, area):
    user = invite(area, f"invited@{DOMAIN}")
    assert user.activated_at is None and user.password_hash is None
    response = sign_in(client, provider, "invited")
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert page.status_code == 200
    assert "Riverside" in page.get_data(as_text=True)
    assert f"/areas/{area.id}/" in page.request.path
    identity = db.session.scalar(select(UserIdentity).where(UserIdentity.user_id == user.id))
    assert (identity.issuer, identity.subject, identity.provider_slug) == (provider["issuer"], "invited", "council")
    db.session.refresh(user)
    assert user.activated_at is not None  # the invitation is taken up, with no password
    assert user.password_hash is None


def test_a_linked_account_is_found_by_subject_even_after_the_email_changes(client, provider, area):
    user = invite(area, f"moved@{DOMAIN}")
    assert sign_in(client, provider, "moved").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    requests.post(f"{provider['issuer']}/test/accounts/moved", json={"email": f"moved.elsewhere@{DOMAIN}"}, timeout=5)
    try:
        response = sign_in(client, provider, "moved")
    finally:
        requests.post(f"{provider['issuer']}/test/accounts/moved", json={"email": f"moved@{DOMAIN}"}, timeout=5)
    assert response.status_code == 302
    account = client.get("/account").get_data(as_text=True)
    assert user.email in account
    assert db.session.scalar(select(func.count()).select_from(UserIdentity)) == 1


def test_someone_never_invited_is_refused_with_who_to_ask(client, provider, area):
    response = sign_in(client, provider, "stranger")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You cannot sign in to hsbtrack yet" in page
    assert (f"Ask the safeguarding partnership's board manager or your administrator to invite "
            f"stranger@{DOMAIN}") in page
    assert db.session.scalar(select(User).where(User.email == f"stranger@{DOMAIN}")) is None
    assert client.get("/account").status_code == 302  # not signed in


def test_an_unverified_email_is_refused(client, provider, area):
    invite(area, f"unverified@{DOMAIN}")
    response = sign_in(client, provider, "unverified")
    assert response.status_code == 403
    assert "has not confirmed that your email address is yours" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(UserIdentity)) == 0


def test_an_email_outside_the_allowed_domains_is_refused(client, provider, area):
    invite(area, "outsider@elsewhere.example.com")
    response = sign_in(client, provider, "outsider")
    assert response.status_code == 403
    assert "do not sign in through Riverside Council" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(UserIdentity)) == 0


def test_a_second_identity_claiming_a_linked_accounts_email_is_refused(client, provider, area):
    user = invite(area, f"rival@{DOMAIN}")
    db.session.add(UserIdentity(user_id=user.id, provider_slug="council", issuer=provider["issuer"],
                                subject="someone-else", email=user.email))
    db.session.commit()
    response = sign_in(client, provider, "rival")
    assert response.status_code == 403
    assert "is already linked to another sign-in" in response.get_data(as_text=True)


def test_a_tampered_state_is_refused(client, provider, area):
    invite(area, f"invited@{DOMAIN}")
    back = oidc_provider_login(provider, start(client), "invited")
    query = parse_qs(urlsplit(back).query)
    query["state"] = [query["state"][0][:-2] + ("AA" if not query["state"][0].endswith("AA") else "BB")]
    response = client.get(f"/auth/oidc/council/callback?{urlencode(query, doseq=True)}")
    assert response.status_code == 400
    assert "Signing in did not work" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserIdentity)) == 0


def _token_for_other_client(provider, nonce):
    """A real token response of the provider for the OTHER client (same account, same nonce)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = "http://localhost/other/callback"
    authorize = f"{provider['issuer']}/auth?" + urlencode({
        "client_id": provider["other_client_id"], "response_type": "code", "scope": "openid email profile",
        "redirect_uri": redirect_uri, "state": "other", "nonce": nonce, "code_challenge": challenge,
        "code_challenge_method": "S256"})
    back = oidc_provider_login(provider, authorize, "invited")
    code = parse_qs(urlsplit(back).query)["code"][0]
    response = requests.post(f"{provider['issuer']}/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier,
    }, auth=(provider["other_client_id"], provider["other_client_secret"]), timeout=15)
    response.raise_for_status()
    return response.json()


def test_an_id_token_made_for_another_client_is_refused(client, provider, area, monkeypatch, caplog):
    """Token substitution: the token exchange answers with the provider's genuine, signed tokens for
    another client of the same provider (same account, same nonce). Only the audience differs."""
    invite(area, f"invited@{DOMAIN}")
    authorize = start(client)
    nonce = parse_qs(urlsplit(authorize).query)["nonce"][0]
    other = _token_for_other_client(provider, nonce)
    back = oidc_provider_login(provider, authorize, "invited")
    original = FlaskOAuth2App.fetch_access_token

    def substituted(self, *args, **kwargs):
        original(self, *args, **kwargs)  # our real exchange happens (and uses up our code)
        return dict(other)

    monkeypatch.setattr(FlaskOAuth2App, "fetch_access_token", substituted)
    with caplog.at_level(logging.WARNING, logger="hsbtrack.auth.sso_views"):
        response = client.get(back)
    assert response.status_code == 400
    assert "Signing in did not work" in response.get_data(as_text=True)
    assert "aud" in caplog.text
    assert client.get("/account").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserIdentity)) == 0


def test_a_provider_entry_with_another_clients_id_is_refused(client, provider, area):
    """Our entry misconfigured with the other client's id (and our secret): the provider does not send
    anyone back to our callback for that client, and nobody is signed in."""
    row = db.session.scalar(select(SignInProvider).where(SignInProvider.slug == "council"))
    row.client_id = provider["other_client_id"]
    db.session.commit()
    invite(area, f"invited@{DOMAIN}")
    response = client.get("/auth/oidc/council/login")
    assert response.status_code == 302
    authorize = response.headers["Location"]
    redirect_uri = parse_qs(urlsplit(authorize).query)["redirect_uri"][0]
    assert redirect_uri == "http://localhost/auth/oidc/council/callback"
    # the provider does not redirect to a redirect URI the other client did not register
    http = requests.Session()
    answer = http.get(authorize, allow_redirects=False, timeout=15)
    assert not (answer.is_redirect and answer.headers["Location"].startswith("http://localhost/auth/oidc/"))
    assert client.get("/account").status_code == 302


def test_an_account_restricted_to_its_provider_refuses_the_password(client, provider, area, world, outbox):
    user = world.user(f"invited@{DOMAIN}", area=area, role="agency_lead", agency=area.agencies[0])
    user.sso_only = True
    db.session.commit()
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your account signs in through your organisation" in page
    assert "Sign in with Riverside Council" in page
    assert client.get("/account").status_code == 302
    post_form(client, "/password/reset", {"email": user.email})
    assert outbox == []  # no reset link for a password it does not use
    # the provider's button still signs them in
    assert sign_in(client, provider, "invited").status_code == 302
    assert client.get("/account").status_code == 200


@pytest.fixture()
def two_factor_required(app, monkeypatch):
    monkeypatch.setitem(app.config, "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES", frozenset({"admin", "board_manager"}))


def test_without_the_providers_second_factor_our_second_step_follows(client, provider, area, two_factor_required):
    invite(area, f"nomfa@{DOMAIN}", role="board_manager")
    response = sign_in(client, provider, "nomfa")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/two-factor"  # setting up our second factor
    assert client.get(f"/areas/{area.id}/").status_code == 302  # nothing opens before it
    assert client.get("/login/two-factor").status_code == 200


def test_the_providers_second_factor_amr_counts(client, provider, area, two_factor_required):
    invite(area, f"mfa@{DOMAIN}", role="board_manager")
    response = sign_in(client, provider, "mfa")  # its ID token says amr ["pwd", "mfa"]
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get(f"/areas/{area.id}/").status_code == 200


def test_a_provider_marked_as_enforcing_a_second_factor_counts(client, provider, area, two_factor_required):
    row = db.session.scalar(select(SignInProvider).where(SignInProvider.slug == "council"))
    row.enforces_second_factor = True
    db.session.commit()
    invite(area, f"nomfa@{DOMAIN}", role="board_manager")
    response = sign_in(client, provider, "nomfa")
    assert response.headers["Location"] == "/"
    assert client.get(f"/areas/{area.id}/").status_code == 200


def test_signing_out_goes_to_the_providers_end_session_endpoint(client, provider, area):
    invite(area, f"invited@{DOMAIN}")
    http = requests.Session()
    sign_in(client, provider, "invited", http=http)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider['issuer']}/session/end"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert query["id_token_hint"][0].count(".") == 2
    assert client.get("/account").status_code == 302  # our session is over
    assert http.get(response.headers["Location"], timeout=15).status_code == 200  # the provider asks to sign out


def test_a_password_users_sign_out_stays_here(client, world, area, provider):
    user = world.user("pw@example.org", area=area, role="board_manager")
    login(client, user)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.headers["Location"] == "/login"


# -- the rules on their own -----------------------------------------------------------------------


def test_entra_id_needs_a_tenant_issuer(ctx):
    base = {"slug": "entra", "label": "NHS trust", "client_id": "x", "client_secret": "y",
            "allowed_domains": "nhs.net", "is_entra": True}
    for tenant in ("common", "organizations", "consumers"):
        with pytest.raises(ServiceError) as error:
            sso.save_provider({**base, "issuer": f"https://login.microsoftonline.com/{tenant}/v2.0"})
        assert "tenant" in error.value.fields["issuer"] and tenant in error.value.fields["issuer"]
    row = sso.save_provider({**base, "issuer": "https://login.microsoftonline.com/0b5c1e2a-1d33-4c1a-9f1e-1c2d3e4f5a6b/v2.0"})
    assert row.is_entra


def test_entra_id_email_counts_only_when_verified():
    entra = sso.Provider(slug="e", label="E", issuer="https://login.microsoftonline.com/t/v2.0", client_id="c",
                         allowed_domains=("nhs.net",), is_entra=True)
    other = sso.Provider(slug="o", label="O", issuer="https://idp.example", client_id="c")
    assert sso.verified_email(entra, {"email": "a@nhs.net"}) is None  # nOAuth: Entra's email is any text
    assert sso.verified_email(entra, {"email": "a@nhs.net", "xms_edov": False}) is None
    assert sso.verified_email(entra, {"email": "a@nhs.net", "email_verified": False}) is None
    assert sso.verified_email(entra, {"email": "A@nhs.net", "xms_edov": True}) == "a@nhs.net"
    assert sso.verified_email(other, {"email": "a@nhs.net", "xms_edov": True}) is None
    assert sso.verified_email(other, {"email": "a@nhs.net", "email_verified": True}) == "a@nhs.net"


def test_second_factor_rules():
    p = sso.Provider(slug="p", label="P", issuer="https://idp.example", client_id="c", mfa_acr_values=("urn:mfa",))
    assert not sso.second_factor_asserted(p, {"amr": ["pwd"]})
    assert not sso.second_factor_asserted(p, {})
    for value in ("mfa", "otp", "hwk", "swk"):
        assert sso.second_factor_asserted(p, {"amr": ["pwd", value]})
    assert sso.second_factor_asserted(p, {"acr": "urn:mfa"})
    assert not sso.second_factor_asserted(p, {"acr": "urn:other"})


def test_the_client_secret_is_encrypted_and_never_shown(client, world, provider):
    row = db.session.scalar(select(SignInProvider).where(SignInProvider.slug == "council"))
    assert provider["client_secret"] not in row.client_secret
    assert sso.provider("council").client_secret == provider["client_secret"]
    admin = world.user("admin@example.org", admin=True)
    login(client, admin)
    page = client.get(f"/admin/sign-in-providers/{row.id}").get_data(as_text=True)
    assert provider["client_secret"] not in page
    assert "http://localhost/auth/oidc/council/callback" in page
    # saving without a secret keeps the one stored
    token = csrf_token(client, f"/admin/sign-in-providers/{row.id}")
    response = client.post(f"/admin/sign-in-providers/{row.id}", data={
        "csrf_token": token, "label": "Riverside Council", "slug": "council", "issuer": provider["issuer"],
        "client_id": provider["client_id"], "client_secret": "", "allowed_domains": DOMAIN, "enabled": "y"})
    assert response.status_code == 302
    assert sso.provider("council").client_secret == provider["client_secret"]


def test_an_admin_adds_a_provider_with_field_errors_first(client, world, ctx):
    admin = world.user("admin@example.org", admin=True)
    login(client, admin)
    response = post_form(client, "/admin/sign-in-providers", {
        "label": "NHS", "slug": "nhs", "issuer": "https://login.microsoftonline.com/common/v2.0", "client_id": "c",
        "client_secret": "s", "allowed_domains": "nhs.net", "is_entra": "y", "enabled": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert "would let people from any Microsoft tenant sign in" in page
    assert db.session.scalar(select(func.count()).select_from(SignInProvider)) == 0


def test_settings_define_providers_and_win(app, client, provider, monkeypatch):
    monkeypatch.setitem(app.config, "HSBTRACK_OIDC_PROVIDERS", [
        {"slug": "council", "label": "Council (from the settings)"},
        {"slug": "police", "label": "Police", "issuer": "https://idp.police.example", "client_id": "hsb",
         "client_secret": "s", "allowed_domains": "police.example"}])
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Council (from the settings)" in page and "Sign in with Riverside Council" not in page
    assert "Sign in with Police" in page
    assert sso.provider("council").issuer == provider["issuer"]  # what the settings do not give stays


def test_an_admin_restricts_a_user_to_their_provider(client, world, area, provider):
    admin = world.user("admin@example.org", admin=True)
    user = world.user(f"invited@{DOMAIN}", area=area, role="board_manager")
    login(client, admin)
    assert post_form(client, f"/admin/users/{user.id}/sign-in", {"sso_only": "y"}).status_code == 302
    db.session.refresh(user)
    assert user.sso_only
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert post_form(client, "/login", {"email": user.email, "password": PASSWORD}).status_code == 403


def test_the_users_page_shows_invited_until_accepted(client, world, area, provider):
    admin = world.user("admin@example.org", admin=True)
    invited = invite(area, f"invited@{DOMAIN}")
    login(client, admin)
    assert "Invited" in _status_cell(client.get("/admin/users").get_data(as_text=True), invited.email)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    sign_in(client, provider, "invited")  # accepted through the provider, with no password
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, admin)
    assert "Active" in _status_cell(client.get("/admin/users").get_data(as_text=True), invited.email)


def _status_cell(page: str, email: str) -> str:
    row = page[page.index(email):]
    return row[:row.index("</td>", row.index("</td>") + 5)]
