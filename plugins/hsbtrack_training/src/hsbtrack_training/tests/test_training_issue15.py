"""Issue 15's training findings: the coverage chart, UK dates in the import, near-miss suggestions,
the area's own list of disciplines, an import page that says where it is, GOV.UK date inputs and UK
dates on pages and in exports."""

import io
import json
import re
from datetime import date, datetime

import pytest
from flask import g
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.testing import csrf_token, login, post_form
from hsbtrack_training import charts, impact, importer, services, uploads
from hsbtrack_training.models import TrainingCompletion, TrainingPerson

HEADER = "Learner,Email,Organisation,Role,Course,Outcome,Completion date\n"
BROOK = "Brook Traffic Light Tool, Level 2"


@pytest.fixture()
def area(world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    services.create_course(area, title="HSB awareness", tier=1, refresher_months=24)
    services.create_course(area, title=BROOK, tier=2)
    return area


@pytest.fixture()
def lead(world, area):
    return world.user("lead@example.org", area, "training_lead")


def check(area, text):
    headers, rows = importer.read_table("file.csv", text.encode())
    return importer.validate(area, rows, importer.guess_mapping(headers))


def reasons(result):
    return {number: [str(r) for r in found] for number, found in result.errors}


def fresh():
    """Forget what this test's context read before a request changed it (the plugin states are cached in g)."""
    g.pop("_plugin_states", None)
    db.session.expire_all()


def welsh(client):
    client.get("/language/cy?next=/")


def upload(client, area, text, name="file.csv"):
    """Upload a file through the pages (columns guessed), returns the preview's URL."""
    base = f"/areas/{area.id}/training"
    token = csrf_token(client, base + "/import")
    response = client.post(base + "/import", data={"csrf_token": token, "file": (io.BytesIO(text.encode()), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    map_url = response.headers["Location"]
    guess = {f"col_{k}": "" if v is None else str(v)
             for k, v in importer.guess_mapping(text.splitlines()[0].split(",")).items()}
    response = post_form(client, map_url, guess)
    assert response.status_code == 302
    return response.headers["Location"]


# -- 2. UK dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["27/03/2026", "27/3/2026", "27-03-2026", "2026-03-27", "27.03.2026",
                                  "27 March 2026", "27/03/2026 00:00", "27/03/26"])
def test_the_import_reads_uk_dates(area, text):
    result = check(area, HEADER + f"Ann Smith,,Police,Police,HSB awareness,Completed,{text}\n")
    assert result.ok, reasons(result)
    assert result.completions[0]["completed_on"] == date(2026, 3, 27)


def test_month_first_dates_are_refused_with_the_uk_form_suggested(area):
    result = check(area, HEADER + "Ann Smith,,Police,Police,HSB awareness,Completed,03/27/2026\n")
    assert reasons(result) == {2: ["date “03/27/2026” is not a date like 27/03/2026"]}


def test_a_future_date_reads_the_uk_way(area):
    result = check(area, HEADER + "Ann Smith,,Police,Police,HSB awareness,Completed,31/12/2099\n")
    assert reasons(result) == {2: ["date 31/12/2099 is in the future"]}


def test_real_excel_dates_are_read(area):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Agency", "Discipline", "Course", "Status", "Date"])
    sheet.append(["Ann Smith", "Police", "Police", "HSB awareness", "Completed", datetime(2026, 3, 27)])
    sheet.append(["Bob Jones", "Police", "Police", "HSB awareness", "Completed", "27/03/2026"])
    sheet["F2"].number_format = "dd/mm/yyyy"
    out = io.BytesIO()
    workbook.save(out)
    headers, rows = importer.read_table("export.xlsx", out.getvalue())
    result = importer.import_rows(area, rows, importer.guess_mapping(headers))
    assert result.ok and result.imported == 2
    assert set(db.session.scalars(select(TrainingCompletion.completed_on))) == {date(2026, 3, 27)}


# -- 3. near misses -------------------------------------------------------------------------------


def test_a_course_title_missing_its_comma_gets_a_suggestion(area):
    result = check(area, HEADER
                   + "Ann Smith,,Police,Police,Brook Traffic Light Tool,Completed,27/03/2026\n"
                   + '"Bob Jones",,Police,Police,"Brook Traffic Light Tool Level 2",Completed,27/03/2026\n'
                   + "Cy Jones,,Police,Police,Knitting for beginners,Completed,27/03/2026\n")
    found = reasons(result)
    assert found[2] == [f"no course called “Brook Traffic Light Tool” — did you mean “{BROOK}”?"]
    assert found[3] == [f"no course called “Brook Traffic Light Tool Level 2” — did you mean “{BROOK}”?"]
    assert found[4] == ["course “Knitting for beginners” is not one of this area’s courses"]  # nothing near


def test_near_miss_disciplines_and_agencies_get_suggestions(area):
    result = check(area, HEADER
                   + "Ann Smith,,Police,Schol nurses,HSB awareness,Completed,27/03/2026\n"
                   + "Bob Jones,,Polise,Health visitor,HSB awareness,Completed,27/03/2026\n"
                   + "Cy Jones,,Police,Astronaut,HSB awareness,Completed,27/03/2026\n")
    found = reasons(result)
    assert found[2] == ["no discipline called “Schol nurses” — did you mean “School nurses”?"]
    assert found[3] == ["no agency called “Polise” — did you mean “Police”?"]  # health visitor is known
    assert found[4] == ["discipline “Astronaut” is not recognised"]


def test_the_suggestion_is_computed_once_per_value(area, monkeypatch):
    calls = []
    real = importer.difflib.get_close_matches
    monkeypatch.setattr(importer.difflib, "get_close_matches", lambda *a, **k: calls.append(a) or real(*a, **k))
    bad = "".join(f"P{i},,Police,Police,Brook Traffic Light Tool,Completed,27/03/2026\n" for i in range(50))
    result = check(area, HEADER + bad)
    assert len(result.errors) == 50 and len(calls) == 1


# -- 4. the area's disciplines --------------------------------------------------------------------


def test_school_nurses_and_health_visitors_are_default_disciplines(area):
    labels = {str(v) for v in services.disciplines(area).values()}
    assert {"School nurses", "Health visitors", "Teachers", "Police", "Foster carers"} <= labels
    result = check(area, HEADER + "Ann Smith,,Police,School nurse,HSB awareness,Completed,27/03/2026\n"
                   + "Bob Jones,,Health,health visitors,HSB awareness,Completed,27/03/2026\n")
    assert result.ok
    assert [p["discipline"] for p in result.new_people.values()] == ["school_nurse", "health_visitor"]


def test_an_area_sets_its_own_disciplines_in_english_and_welsh(app, area, lead, world):
    police = next(a for a in area.agencies if a.name == "Police")
    services.create_person(area, name="Ann", agency_id=police.id, discipline="police")
    client = app.test_client()
    login(client, lead)
    url = f"/areas/{area.id}/training/tiers"
    page = client.get(url).get_data(as_text=True)
    assert "School nurses | Nyrsys ysgol" in page and 'id="disciplines"' in page
    # every error at once: no tier, and Police removed while Ann is recorded under it
    response = post_form(client, url, {"tier-1": "", "disciplines": "Teachers\nTeachers"})
    page = response.get_data(as_text=True)
    assert "Enter at least one tier" in page and "is in the list twice" in page
    assert "Keep “Police”: people or headcounts are recorded under it" in page
    assert page.count('data-module="govuk-error-summary"') == 1
    lines = "Police | Heddlu\nSchool nurses | Nyrsys ysgol\nPlay workers | Gweithwyr chwarae\n"
    response = post_form(client, url, {"tier-1": "Everyone", "disciplines": lines})
    assert response.status_code == 302
    fresh()
    entries = services.discipline_entries(area)
    assert [(e["key"], e["name"], e["name_cy"]) for e in entries] == [
        ("police", "Police", "Heddlu"), ("school_nurse", "School nurses", "Nyrsys ysgol"),
        ("play_workers", "Play workers", "Gweithwyr chwarae")]
    assert db.session.scalars(select(HistoryEntry).where(HistoryEntry.entity == "training_settings",
                                                         HistoryEntry.field == "disciplines")).first()
    # the people form, the headcounts and the import follow the list
    page = client.get(f"/areas/{area.id}/training/people").get_data(as_text=True)
    assert "Play workers" in page and "Teachers" not in page
    page = client.get(f"/areas/{area.id}/training/headcounts").get_data(as_text=True)
    assert "Play workers" in page and "Teachers" not in page
    result = check(area, HEADER + "Bob,,Police,Play worker,HSB awareness,Completed,27/03/2026\n"
                   + "Cy,,Police,Gweithwyr chwarae,HSB awareness,Completed,27/03/2026\n"
                   + "Di,,Police,Teachers,HSB awareness,Completed,27/03/2026\n")
    assert reasons(result) == {4: ["discipline “Teachers” is not recognised"]}
    with pytest.raises(ServiceError):
        services.create_person(area, name="Eve", agency_id=police.id, discipline="teacher")
    # in Welsh the area's Welsh names are shown
    welsh(client)
    page = client.get(f"/areas/{area.id}/training/people").get_data(as_text=True)
    assert "Gweithwyr chwarae" in page and "Heddlu" in page


def test_renaming_keeps_the_key_of_a_discipline_in_use(area):
    police = next(a for a in area.agencies if a.name == "Police")
    services.create_person(area, name="Ann", agency_id=police.id, discipline="school_nurse")
    services.save_settings(area, tier_names_in=["One"], disciplines_in="Nurses in schools | Nyrsys ysgol",
                           remind=False)
    assert services.disciplines(area) == {"school_nurse": "Nurses in schools"}


# -- 1. the coverage chart ------------------------------------------------------------------------


def make_coverage(area, lead):
    police = next(a for a in area.agencies if a.name == "Police")
    course = services.courses(area)[0]
    people = [services.create_person(area, name=f"Nurse {i}", agency_id=police.id, discipline="school_nurse")
              for i in range(3)]
    officer = services.create_person(area, name="Officer", agency_id=police.id, discipline="police")
    services.set_headcounts(area, {(police.id, "school_nurse"): 4}, user=lead)
    services.record_session(area, course_id=course.id, held_on=date(2026, 3, 27),
                            outcomes={p.id: "completed" for p in [*people[:2], officer]} | {people[2].id: "did_not_attend"})
    return police


def test_the_coverage_page_shows_an_accessible_chart_beside_the_tables(app, area, lead):
    make_coverage(area, lead)
    client = app.test_client()
    login(client, lead)
    page = client.get(f"/areas/{area.id}/training/coverage").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+coverage/chart.svg[^"]*)" alt="([^"]+)"', page)
    assert src and "the same numbers are in the table" in src.group(2)
    assert 'id="coverage-all"' in page  # the table alternative
    assert "Not in the chart, as no headcount is entered: Police." in page
    url = src.group(1).replace("&amp;", "&")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "<script" not in svg and 'role="img"' in svg
    assert ">Share of the workforce with current training at each tier, by discipline</title>" in svg
    assert "School nurses: tier 1 50% (2 of 4); tier 2 0% (0 of 4)" in svg  # the desc, every value in words
    assert "Tier 1: 50%" in svg  # each bar says its tier in words, not by colour alone
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # Welsh: its own key, Welsh words
    welsh(client)
    svg_cy = client.get(url).get_data(as_text=True)
    assert "Cyfran y gweithlu sydd â hyfforddiant cyfredol ym mhob haen" in svg_cy and "Nyrsys ysgol" in svg_cy


def test_the_chart_changes_with_the_data_and_waits_for_headcounts(area, lead):
    empty = charts.coverage_chart(services.coverage(area))
    assert not empty.has_data
    police = make_coverage(area, lead)
    first = charts.coverage_chart(services.coverage(area))
    assert first.has_data and first.labels == ("School nurses",)
    services.set_headcounts(area, {(police.id, "school_nurse"): 8})
    second = charts.coverage_chart(services.coverage(area))
    assert second.version != first.version and second.series[0][1] == (25,)


# -- 5. the import page follows the import ----------------------------------------------------------


def test_the_import_page_title_follows_the_state(app, area, lead):
    client = app.test_client()
    login(client, lead)
    preview = upload(client, area, HEADER + "Ann Smith,,Police,Police,HSB awareness,Completed,27/03/2026\n")
    import_id = preview.split("/import/")[1].split("/")[0]
    progress = preview.replace("/preview", "")
    with app.test_request_context():
        data = uploads.state(area, import_id)
        uploads.write_state(import_id, data | {"stage": "validate", "total": 1})
    page = client.get(progress).get_data(as_text=True)
    assert "<title>Importing… – Riverside" in page and ">Importing…</h1>" in page
    with app.test_request_context():
        uploads.write_state(import_id, data)
    response = post_form(client, preview.replace("/preview", "/run"), {}, page=preview)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<title>Import complete – Riverside" in page and "Import complete</h1>" in page


def test_a_refused_import_is_titled_failed_and_its_reasons_read_in_the_readers_language(app, area, lead):
    text = HEADER + "Ann Smith,,Police,Police,Brook Traffic Light Tool,Completed,03/27/2026\n"
    with app.test_request_context():
        import_id = uploads.save_upload(area, lead, "x.csv", text.encode())
        uploads.start(area, None, import_id)
        stored = json.loads((uploads._root() / import_id / uploads.STATE_NAME).read_text())
    assert stored["stage"] == "refused"
    client = app.test_client()
    login(client, lead)
    url = f"/areas/{area.id}/training/import/{import_id}"
    page = client.get(url).get_data(as_text=True)
    assert "<title>Import failed – Riverside" in page and "Nothing was imported." in page
    assert f"did you mean “{BROOK}”?" in page and "is not a date like 27/03/2026" in page
    welsh(client)
    page = client.get(url).get_data(as_text=True)
    assert "Methodd y mewnforio" in page
    assert f"does dim cwrs o’r enw “Brook Traffic Light Tool” — oeddech chi’n golygu “{BROOK}”?" in page
    assert "nid yw “03/27/2026” yn ddyddiad fel 27/03/2026" in page


def test_the_preview_suggests_in_welsh(app, area, lead):
    client = app.test_client()
    login(client, lead)
    welsh(client)
    preview = upload(client, area, HEADER + "Ann Smith,,Police,Schol nurses,HSB awareness,Completed,2026/3/27x\n")
    page = client.get(preview).get_data(as_text=True)
    assert "does dim disgyblaeth o’r enw “Schol nurses” — oeddech chi’n golygu “School nurses”?" in page
    assert "yn ddyddiad fel 27/03/2026" in page


# -- 6. GOV.UK date inputs, UK dates on pages and in exports --------------------------------------------


@pytest.mark.parametrize("path", ["/sessions/new", "/supervision", "/impact/answers"])
def test_every_date_input_is_day_month_year(app, area, lead, path):
    police = next(a for a in area.agencies if a.name == "Police")
    services.create_person(area, name="Ann", agency_id=police.id, discipline="police")
    impact.add_item(area, subscale="knowledge", text="I can tell harmful from healthy behaviour")
    client = app.test_client()
    login(client, lead)
    page = client.get(f"/areas/{area.id}/training{path}").get_data(as_text=True)
    assert 'type="date"' not in page
    assert len(re.findall(r'id="(held_on|answered_on)-(day|month|year)"', page)) == 3


def test_a_session_date_is_typed_as_day_month_year_and_shown_the_uk_way(app, area, lead):
    police = next(a for a in area.agencies if a.name == "Police")
    person = services.create_person(area, name="Ann", agency_id=police.id, discipline="police")
    course = services.courses(area)[0]
    client = app.test_client()
    login(client, lead)
    url = f"/areas/{area.id}/training/sessions/new"
    response = post_form(client, url, {"course_id": str(course.id), "held_on": ["31", "2", "2026"],
                                       f"outcome-{person.id}": "completed"})
    assert "Date held must be a real date, like 31 3 2027" in response.get_data(as_text=True)
    response = post_form(client, url, {"course_id": str(course.id), "held_on": ["1", "1", "2099"],
                                       f"outcome-{person.id}": "completed"})
    assert "The session date must be today or in the past" in response.get_data(as_text=True)
    response = post_form(client, url, {"course_id": str(course.id), "held_on": ["27", "3", "2026"],
                                       f"outcome-{person.id}": "completed"})
    assert response.status_code == 302
    assert "27 March 2026" in client.get(f"/areas/{area.id}/training/sessions").get_data(as_text=True)


def test_the_exports_hold_uk_dates(app, area, lead):
    headers, rows = importer.read_table(
        "f.csv", (HEADER + "Ann Smith,,Police,School nurses,HSB awareness,Completed,27/03/2026\n").encode())
    assert importer.import_rows(area, rows, importer.guess_mapping(headers)).ok
    client = app.test_client()
    login(client, lead)
    text = client.get(f"/areas/{area.id}/training/export.csv").get_data(as_text=True)
    assert "School nurses,HSB awareness,1,completed,27/03/2026,27/03/2028" in text
    response = client.get(f"/areas/{area.id}/training/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[1]][7:] == ["Date", "Expires"]
    done, expires = sheet["H2"], sheet["I2"]
    assert done.value == datetime(2026, 3, 27) and done.number_format == "dd/mm/yyyy"
    assert expires.value == datetime(2028, 3, 27) and expires.number_format == "dd/mm/yyyy"
    assert db.session.scalar(select(TrainingPerson.discipline)) == "school_nurse"
