"""Bad input on the admin and area pages: a clear message next to the field, nothing saved.

docs/architecture.md: "A wrong input gets a clear message next to the field (HTML) ... and nothing is
half-saved." Each case posts a valid CSRF token, so the form itself is what refuses.
"""

import html
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import login, post_form


def counts():
    from hsbtrack.areas.models import Agency, Area, Membership, Region
    from hsbtrack.auth.models import OneTimeToken, User
    from hsbtrack.extensions import db

    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Region, Area, Agency, User, Membership, OneTimeToken)
    }


def field_error(page: str, field: str) -> str:
    """The GOV.UK error message shown with ``field`` (empty if there is none)."""
    match = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    if not match:
        return ""
    text = re.sub(r"<[^>]+>", " ", match.group(1))
    return " ".join(html.unescape(text).split()).removeprefix("Error: ")


def assert_refused(response, field, message, before, outbox):
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:1000]
    assert "govuk-error-summary" in page and "There is a problem" in page
    assert f'href="#{field}"' in page, "the error summary links to the field"
    assert message in field_error(page, field), (field_error(page, field), page[:3000])
    assert counts() == before
    assert list(outbox) == []


@pytest.fixture()
def setup(world, client):
    area = world.area("Riverside")
    other = world.area("Hillside", agencies=("Hillside Police",))
    board = world.user("board@example.org", area, "board_manager")
    admin = world.user("admin@example.org", admin=True)
    return {"area": area, "other": other, "board": board, "admin": admin}


def add_member(client, area, **data):
    form = {"email": "new@example.org", "name": "", "role": "viewer", "agency_id": "", **data}
    return post_form(client, f"/areas/{area.id}/members", form)


# -- the members page (board managers) ------------------------------------------------------------


def test_unknown_role_is_refused(client, setup, outbox):
    login(client, setup["board"])
    before = counts()
    response = add_member(client, setup["area"], role="wizard")
    assert_refused(response, "role", "Unknown role wizard", before, outbox)


def test_admin_role_is_not_offered_to_board_managers(client, setup, outbox):
    login(client, setup["board"])
    page = client.get(f"/areas/{setup['area'].id}/members").get_data(as_text=True)
    assert 'value="admin"' not in page
    before = counts()
    response = add_member(client, setup["area"], role="admin")
    assert response.status_code == 200
    assert_refused(response, "role", "Only administrators can make someone an administrator", before, outbox)


def test_agency_lead_without_an_agency_is_refused(client, setup, outbox):
    login(client, setup["board"])
    before = counts()
    response = add_member(client, setup["area"], role="agency_lead")
    assert_refused(response, "agency_id", "An agency lead must belong to an agency", before, outbox)


def test_agency_of_another_area_is_refused(client, setup, world, outbox):
    login(client, setup["board"])
    foreign = world.agency(setup["other"], "Hillside Police")
    before = counts()
    response = add_member(client, setup["area"], role="agency_lead", agency_id=str(foreign.id))
    assert_refused(response, "agency_id", "Choose an agency of Riverside", before, outbox)
    assert "Hillside" not in field_error(response.get_data(as_text=True), "agency_id")


def test_malformed_email_is_refused(client, setup, outbox):
    login(client, setup["board"])
    before = counts()
    response = add_member(client, setup["area"], email="not-an-email")
    assert_refused(response, "email", "Enter an email address in the correct format", before, outbox)


def test_a_good_member_is_added_and_invited(client, setup, outbox):
    """The control case: the same form with good values saves and sends one invitation."""
    login(client, setup["board"])
    before = counts()
    police = next(a for a in setup["area"].agencies if a.name == "Police")
    response = add_member(client, setup["area"], role="agency_lead", agency_id=str(police.id))
    assert response.status_code == 302
    after = counts()
    assert after["User"] == before["User"] + 1 and after["Membership"] == before["Membership"] + 1
    assert [m["To"] for m in outbox] == ["new@example.org"]


def test_duplicate_role_is_refused(client, setup, outbox):
    login(client, setup["board"])
    before = counts()
    response = add_member(client, setup["area"], email="BOARD@example.org", role="board_manager")
    assert_refused(response, "email", "already has this role here", before, outbox)


def test_duplicate_agency_is_refused_whatever_the_case(client, setup, outbox):
    login(client, setup["board"])
    before = counts()
    response = post_form(client, f"/areas/{setup['area'].id}/agencies", {"name": "  police "})
    assert_refused(response, "name", "Riverside already has an agency called police", before, outbox)


def test_an_agency_name_used_in_another_area_is_fine(client, setup):
    login(client, setup["board"])
    response = post_form(client, f"/areas/{setup['area'].id}/agencies", {"name": "Hillside Police"})
    assert response.status_code == 302


def test_viewers_cannot_add_members(client, setup, world, outbox):
    viewer = world.user("viewer@example.org", setup["area"], "viewer")
    login(client, viewer)
    before = counts()
    response = add_member(client, setup["area"])
    assert response.status_code == 404  # the member list (with e-mail addresses) does not exist for a viewer
    assert counts() == before


# -- the admin pages ------------------------------------------------------------------------------


def test_duplicate_area_name_is_refused_whatever_the_case(client, setup, outbox):
    login(client, setup["admin"])
    before = counts()
    response = post_form(client, "/admin/areas", {"name": "RIVERSIDE", "region_id": ""})
    assert_refused(response, "name", "An area called RIVERSIDE already exists", before, outbox)


def test_area_in_a_region_that_does_not_exist_is_refused(client, setup, outbox):
    login(client, setup["admin"])
    before = counts()
    response = post_form(client, "/admin/areas", {"name": "Lakeside", "region_id": "987654"})
    assert_refused(response, "region_id", "Choose a region that exists", before, outbox)
    response = post_form(client, "/admin/areas", {"name": "Lakeside", "region_id": "north"})
    assert_refused(response, "region_id", "Choose a region that exists", before, outbox)


def test_duplicate_region_name_is_refused(client, setup, world, outbox):
    world.region("North Wales")
    login(client, setup["admin"])
    before = counts()
    response = post_form(client, "/admin/regions", {"name": "north wales"})
    assert_refused(response, "name", "A region called north wales already exists", before, outbox)


def test_blank_names_are_refused(client, setup, outbox):
    login(client, setup["admin"])
    before = counts()
    assert_refused(post_form(client, "/admin/areas", {"name": "   ", "region_id": ""}), "name", "Enter a name",
                   before, outbox)
    assert_refused(post_form(client, "/admin/regions", {"name": ""}), "name", "Enter a name", before, outbox)


def test_inviting_a_malformed_or_existing_email_is_refused(client, setup, outbox):
    login(client, setup["admin"])
    before = counts()
    assert_refused(post_form(client, "/admin/users", {"email": "two@@example.org", "name": ""}), "email",
                   "Enter an email address in the correct format", before, outbox)
    assert_refused(post_form(client, "/admin/users", {"email": "Board@Example.org", "name": ""}), "email",
                   "board@example.org already has an account", before, outbox)


def test_admin_adds_region_area_and_user(client, setup, outbox):
    """The control case for the admin forms: good input is saved and shown."""
    login(client, setup["admin"])
    before = counts()
    assert post_form(client, "/admin/regions", {"name": "North Wales"}).status_code == 302
    region_id = re.search(r'<option value="(\d+)">North Wales</option>',
                          client.get("/admin/areas").get_data(as_text=True)).group(1)
    assert post_form(client, "/admin/areas", {"name": "Gwynedd", "region_id": region_id}).status_code == 302
    assert post_form(client, "/admin/users", {"email": "someone@example.org", "name": "Some One"}).status_code == 302
    after = counts()
    assert (after["Region"], after["Area"], after["User"]) == (before["Region"] + 1, before["Area"] + 1,
                                                               before["User"] + 1)
    assert "Gwynedd" in client.get("/admin/areas").get_data(as_text=True)
    assert [m["To"] for m in outbox] == ["someone@example.org"]


def test_welsh_names_given_in_the_forms_show_on_welsh_pages(client, setup, outbox):
    """A region, an area and an agency may each be given a Welsh name: Welsh pages show it, English
    pages keep the name, and a Welsh name over 200 characters is refused at its field."""
    login(client, setup["admin"])
    assert post_form(client, "/admin/regions", {"name": "West Wales", "name_cy": "Gorllewin Cymru"}).status_code == 302
    region_id = re.search(r'<option value="(\d+)">West Wales</option>',
                          client.get("/admin/areas").get_data(as_text=True)).group(1)
    before = counts()
    response = post_form(client, "/admin/areas", {"name": "Pembrokeshire", "name_cy": "x" * 201, "region_id": region_id})
    assert_refused(response, "name_cy", "200 characters or fewer", before, outbox)
    assert post_form(client, "/admin/areas", {"name": "Pembrokeshire", "name_cy": "Sir Benfro",
                                              "region_id": region_id}).status_code == 302
    from hsbtrack.areas.models import Area
    from hsbtrack.extensions import db

    area_id = db.session.scalar(select(Area.id).where(Area.name == "Pembrokeshire"))
    assert post_form(client, f"/areas/{area_id}/agencies", {"name": "Dyfed-Powys Police",
                                                           "name_cy": "Heddlu Dyfed-Powys"}).status_code == 302

    english = client.get("/admin/areas").get_data(as_text=True)
    assert "Pembrokeshire" in english and "West Wales" in english and "Sir Benfro" not in english
    client.get("/language/cy")
    welsh = client.get("/admin/areas").get_data(as_text=True)
    assert "Sir Benfro" in welsh and "Gorllewin Cymru" in welsh and "Pembrokeshire" not in welsh
    agencies = client.get(f"/areas/{area_id}/agencies").get_data(as_text=True)
    assert "Heddlu Dyfed-Powys" in agencies and "Dyfed-Powys Police" not in agencies
    assert 'lang="cy"' in agencies  # the Welsh-name field is marked as Welsh for screen readers
