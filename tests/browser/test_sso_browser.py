"""Single sign-on in a browser (issue 17), against the real OpenID Provider on loopback (npm
oidc-provider, the ``oidc_provider`` fixture): an invited person clicks "Sign in with …" on the sign-in
page, signs in at the provider and lands on their area; someone the partnership never invited is
refused with the page saying whom to ask (in Welsh too). The app is opened as ``localhost`` (as the
provider's redirect URIs are), axe on our pages; screenshots in test-artifacts/."""

import pytest
from playwright.sync_api import expect

from hsbtrack.areas.services import add_area_member
from hsbtrack.auth import sso
from hsbtrack.extensions import db
from hsbtrack.testing_browser import axe_check, screenshot

pytestmark = pytest.mark.browser
DOMAIN = "council.example.gov.uk"


@pytest.fixture()
def app_url(live_server):
    """The app as ``localhost``: the same host name for our redirect URI, the provider and the cookies."""
    return live_server.url.replace("127.0.0.1", "localhost")


@pytest.fixture()
def provider(ctx, oidc_provider):
    sso.save_provider({"slug": "council", "label": "Riverside Council", "issuer": oidc_provider["issuer"],
                       "client_id": oidc_provider["client_id"], "client_secret": oidc_provider["client_secret"],
                       "allowed_domains": DOMAIN, "enabled": True})
    return oidc_provider


def at_the_provider(page, provider, login):
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    assert page.url.startswith(provider["issuer"])
    page.fill("#login", login)
    page.fill("#password", provider["password"])
    with page.expect_navigation(url=lambda url: not url.startswith(provider["issuer"])):
        page.get_by_role("button", name="Sign in at the provider").click()


def test_an_invited_user_signs_in_through_the_provider(page, app_url, provider, world):
    area = world.area("Riverside")
    add_area_member(area, f"invited@{DOMAIN}", "agency_lead", area.agencies[0].id)
    db.session.commit()

    page.goto(f"{app_url}/login")
    button = page.get_by_role("button", name="Sign in with Riverside Council")
    expect(button).to_be_visible()
    axe_check(page)
    screenshot(page, "sso-sign-in-page")
    button.click()
    at_the_provider(page, provider, "invited")
    assert page.url == f"{app_url}/areas/{area.id}/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Riverside")
    screenshot(page, "sso-landed-on-area")


@pytest.mark.parametrize("language", ["en", "cy"])
def test_someone_never_invited_is_refused(page, app_url, provider, world, language):
    page.goto(f"{app_url}/language/{language}?next=/login")
    label = "Sign in with Riverside Council" if language == "en" else "Mewngofnodi gyda Riverside Council"
    page.get_by_role("button", name=label).click()
    at_the_provider(page, provider, "stranger")
    assert page.url.startswith(f"{app_url}/auth/oidc/council/callback")
    if language == "en":
        expect(page.get_by_role("heading", level=1)).to_have_text("You cannot sign in to hsbtrack yet")
        expect(page.locator("#ask")).to_have_text("Ask the safeguarding partnership's board manager or your "
                                                  f"administrator to invite stranger@{DOMAIN}.")
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text("Ni allwch fewngofnodi i hsbtrack eto")
        expect(page.locator("#ask")).to_contain_text(f"wahodd stranger@{DOMAIN}")
    axe_check(page)
    screenshot(page, f"sso-refused-{language}")
