"""Issue 15, "forms as GOV.UK does them": the regional forms' dates are GOV.UK date inputs (day, month,
year; no ISO text box, no native picker), a bad date is shown beside its field and in the error summary
together with every other error, and dates on the pages read "31 January 2030"."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from hsbtrack.extensions import db
from hsbtrack.testing import login, post_form


@pytest.fixture()
def north_wales(world):
    from hsbtrack.plugins.services import set_region_plugin
    from hsbtrack_regional import services

    region = services.preset_north_wales().region
    set_region_plugin(region, "regional", True)
    return region


@pytest.fixture()
def coordinator(client, world, north_wales):
    user = world.user("coord@example.org", region=north_wales, role="regional_coordinator")
    login(client, user)
    return user


def _areas(region):
    from hsbtrack_regional import services

    return {a.name: a for a in services.member_areas(region)}


def _parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def summary_of(page: str) -> list[str]:
    """The error summary's messages, in order, with the field each one links to (a date links to its
    day box, ``due_on-day``: given here as the field, ``due_on``)."""
    block = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert block, "no error summary"
    links = re.findall(r'<a href="#([^"]+)"[^>]*>(.*?)</a>', block.group(0), re.S)
    dates = {"due_on", "start_on", "review_on"}
    assert all(href not in dates for href, _text in links), links  # never the group, which takes no focus
    return [(href.removesuffix("-day"), text_of(text)) for href, text in links]


def field_error(page: str, name: str) -> str:
    """The message shown beside the field ``name`` (GOV.UK: ``<p id="name-error">``)."""
    found = re.search(rf'<p id="{name}-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    return text_of(found.group(1)) if found else ""


def date_inputs(page: str, name: str) -> dict:
    """The day, month and year inputs of the date field ``name``: ``{"day": value, ...}``."""
    found = {}
    for part in ("day", "month", "year"):
        tag = re.search(rf'<input[^>]*id="{name}-{part}"[^>]*>', page)
        assert tag, f"no {part} input for {name}"
        assert f'name="{name}"' in tag.group(0) and 'type="text"' in tag.group(0)
        value = re.search(r'value="([^"]*)"', tag.group(0))
        found[part] = value.group(1) if value else ""
    return found


def test_the_forms_ask_for_day_month_and_year_not_an_iso_date(client, north_wales, coordinator):
    for path, names in ((f"/regions/{north_wales.id}/regional/actions/", ("due_on",)),
                        (f"/regions/{north_wales.id}/regional/commissioning/", ("start_on", "review_on"))):
        page = client.get(path).get_data(as_text=True)
        for name in names:
            assert date_inputs(page, name) == {"day": "", "month": "", "year": ""}
        assert 'type="date"' not in page
        assert "2027-03-31" not in page and "For example, 31 3 2027" in page


def test_a_bad_due_date_is_shown_beside_the_field_with_every_other_error(client, north_wales, coordinator):
    from hsbtrack.actions.models import Action

    response = post_form(client, f"/regions/{north_wales.id}/regional/actions/", {
        "title": "", "statements": "9.9", "due_on": ["31", "2", "2030"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "due_on") == "Error: Due date must be a real date, like 31 3 2027"
    assert date_inputs(page, "due_on") == {"day": "31", "month": "2", "year": "2030"}  # what was typed, kept
    summary = dict(summary_of(page))
    assert summary["due_on"] == "Due date must be a real date, like 31 3 2027"
    # every other problem at once, not only the date's
    assert summary["title"] == field_error(page, "title").removeprefix("Error: ") and summary["title"]
    assert summary["statements"] and field_error(page, "statements")
    assert summary["area_ids"] == "Choose at least one authority"
    assert db.session.scalar(select(func.count()).select_from(Action)) == 0


def test_a_missing_due_date_is_asked_for_with_the_other_errors(client, north_wales, coordinator):
    areas = _areas(north_wales)
    response = post_form(client, f"/regions/{north_wales.id}/regional/actions/", {
        "title": "", "statements": "1.1", "due_on": ["", "", ""], "area_ids": [str(areas["Conwy"].id)]})
    summary = dict(summary_of(response.get_data(as_text=True)))
    assert summary["due_on"] == "Enter the due date"
    assert "title" in summary and "area_ids" not in summary


def test_a_past_due_date_needs_recording_late_and_dates_read_in_words(client, north_wales, coordinator):
    from hsbtrack_regional import services

    areas = _areas(north_wales)
    path = f"/regions/{north_wales.id}/regional/actions/"
    past = date.today() - timedelta(days=30)
    data = {"title": "From the 2025 paper plan", "statements": "1.1", "due_on": _parts(past),
            "area_ids": [str(areas["Conwy"].id)]}
    response = post_form(client, path, data)
    assert response.status_code == 200
    assert "The due date is in the past" in field_error(response.get_data(as_text=True), "due_on")
    assert services.regional_plan(north_wales.id) == []
    response = post_form(client, path, {**data, "record_overdue": "y"})
    assert response.status_code == 302
    [(regional, _assignments)] = services.regional_plan(north_wales.id)
    assert regional.due_on == past
    response = post_form(client, path, {**data, "title": "Shared pathway", "due_on": ["31", "1", "2030"]})
    assert response.status_code == 302
    page = text_of(client.get(path).get_data(as_text=True))
    assert "Due 31 January 2030. Statements: 1.1." in page and "2030-01-31" not in page


def test_a_bad_arrangement_date_is_shown_beside_the_field_with_every_other_error(client, north_wales, coordinator):
    from hsbtrack_regional.models import CommissioningArrangement

    path = f"/regions/{north_wales.id}/regional/commissioning/"
    response = post_form(client, path, {"arrangement": "", "service": "Assessment", "start_on": ["30", "2", "2027"],
                                        "review_on": ["", "", ""]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "start_on") == "Error: Start date must be a real date, like 31 3 2027"
    assert field_error(page, "review_on") == "Error: Enter the review date"
    assert summary_of(page) == [("arrangement", "Enter the name of the arrangement"),
                                ("area_ids", "Choose at least one authority"),
                                ("start_on", "Start date must be a real date, like 31 3 2027"),
                                ("review_on", "Enter the review date")]
    assert date_inputs(page, "start_on") == {"day": "30", "month": "2", "year": "2027"}
    # the order of two real dates is still checked
    response = post_form(client, path, {"arrangement": "Shared", "service": "Assessment", "start_on": ["1", "5", "2026"],
                                        "review_on": ["1", "1", "2026"]})
    assert dict(summary_of(response.get_data(as_text=True)))["review_on"] == \
        "The review date must be on or after the start date"
    assert db.session.scalar(select(func.count()).select_from(CommissioningArrangement)) == 0


def test_an_arrangement_is_saved_and_its_dates_read_in_words(client, north_wales, coordinator):
    areas = _areas(north_wales)
    path = f"/regions/{north_wales.id}/regional/commissioning/"
    response = post_form(client, path, {"arrangement": "HSB assessment service", "service": "Specialist assessment",
                                        "area_ids": [str(areas["Conwy"].id)], "start_on": ["1", "4", "2026"],
                                        "review_on": ["31", "3", "2027"]})
    assert response.status_code == 302
    register = re.search(r'<table class="govuk-table" id="register">.*?</table>',
                         client.get(path).get_data(as_text=True), re.S).group(0)
    assert "1 April 2026" in text_of(register) and "31 March 2027" in text_of(register)
