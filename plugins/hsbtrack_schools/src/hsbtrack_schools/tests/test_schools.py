import io

import pytest
from sqlalchemy import func, select

from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.testing import count_queries, csrf_token, login, post_form
from hsbtrack_schools import services
from hsbtrack_schools.models import Rating, School
from hsbtrack_schools.tests.helpers import enable, rate_all


@pytest.fixture()
def setup(world):
    area = enable(world.area("Riverside"))
    other = enable(world.area("Elsewhere", agencies=("Police",)))
    board = world.user("board@example.org", area, "board_manager")
    viewer = world.user("viewer@example.org", area, "viewer")
    one = services.create_school(area, "Hilltop Academy", "secondary", "Jo Bloggs", "jo@hilltop.example")
    two = services.create_school(area, "Valley College", "further education")
    lead, _created = services.add_lead(area, one, "lead@hilltop.example")
    world_user = world.user("lead@hilltop.example")  # sets the test password
    return {"area": area, "other": other, "board": board, "viewer": viewer, "one": one, "two": two,
            "lead": world_user, "world": world}


# -- (1) schools, leads, import -------------------------------------------------------------------


def test_a_school_needs_a_name_and_a_known_phase(setup):
    with pytest.raises(ServiceError) as info:
        services.create_school(setup["area"], "", "primary", dsl_email="not-an-email")
    assert set(info.value.fields) == {"name", "phase", "dsl_email"}
    with pytest.raises(ServiceError):
        services.create_school(setup["area"], "hilltop academy", "secondary")


def test_the_csv_import_is_all_or_nothing_and_reports_every_bad_row(setup):
    area = setup["area"]
    data = ("name,phase,dsl_name,dsl_email\n"
            "New School,secondary,A Person,a@new.example\n"
            ",secondary,,\n"
            "Odd School,primary,,\n"
            "New School,other,,\n"
            "Mail School,other,,not-an-email\n")
    with pytest.raises(services.ImportFailed) as info:
        services.import_schools(area, data.encode())
    assert [line for line, _m in info.value.rows] == [3, 4, 5, 6]
    assert "New School is also on row 2" in info.value.rows[2][1][0]
    assert db.session.scalar(select(func.count()).select_from(School)) == 2

    good = "name,phase,dsl_name,dsl_email\nNew School,secondary,A Person,a@new.example\nValley College,fe,Pat,\n"
    result = services.import_schools(area, good.encode())
    assert (result.created, result.updated) == (1, 1)
    assert db.session.get(School, setup["two"].id).dsl_name == "Pat"


def test_the_import_page_shows_row_errors(client, setup):
    login(client, setup["board"])
    url = f"/areas/{setup['area'].id}/schools/import"
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(b"name,phase\nX,primary\n"), "s.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was imported" in page and "row-errors" in page
    assert "Phase must be secondary, further education or other" in page


def test_a_school_lead_sees_only_their_own_school(client, setup):
    area, one, two = setup["area"], setup["one"], setup["two"]
    login(client, setup["lead"])
    home = client.get(f"/areas/{area.id}/schools/").get_data(as_text=True)
    assert "Hilltop Academy" in home and "Valley College" not in home
    assert client.get(f"/areas/{area.id}/schools/{one.id}/").status_code == 200
    assert client.get(f"/areas/{area.id}/schools/{two.id}/").status_code == 404
    round_two = services.start_round(area, two)
    assert client.get(f"/areas/{area.id}/schools/rounds/{round_two.id}/").status_code == 404
    assert client.get(f"/areas/{area.id}/schools/rounds/{round_two.id}/scorecard").status_code == 404
    assert client.get(f"/areas/{area.id}/schools/rollup").status_code == 404
    assert client.get(f"/areas/{area.id}/schools/partnership").status_code == 404
    # nor another area's school, nor the area's audits
    other_school = services.create_school(setup["other"], "Far School")
    assert client.get(f"/areas/{setup['other'].id}/schools/{other_school.id}/").status_code == 404
    assert client.get(f"/areas/{area.id}/schools/{other_school.id}/").status_code == 404


def test_adding_a_lead_through_the_page(client, setup, outbox):
    login(client, setup["board"])
    url = f"/areas/{setup['area'].id}/schools/{setup['two'].id}/"
    response = post_form(client, url, {"email": "new.lead@valley.example"})
    assert response.status_code == 302
    assert services.leads_by_school([setup["two"].id])[setup["two"].id][0].email == "new.lead@valley.example"
    assert any("new.lead@valley.example" in str(m["To"]) for m in outbox)
    response = post_form(client, url, {"email": "new.lead@valley.example"})
    assert "already leads this school" in response.get_data(as_text=True)


# -- (2) rounds, ratings, progress ----------------------------------------------------------------


def test_a_rating_needs_its_evidence_and_nothing_is_half_saved(setup):
    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    with pytest.raises(ServiceError) as info:
        services.save_section(area, round_, "structures", {
            "S1": {"rating": "green", "sources": ["staff"]},
            "S2": {"rating": "red", "sources": []},
            "S3": {"rating": "purple", "sources": ["staff"]},
            "S4": {"rating": "amber", "sources": ["gossip"]},
        })
    assert set(info.value.fields) == {"S2-sources", "S3-rating", "S4-sources"}
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0


def test_both_checklists_are_in_welsh_and_a_welsh_section_page_shows_the_welsh_items(client, setup):
    from hsbtrack_schools import checklist

    for kind in checklist.KINDS:
        english = checklist.shipped(kind)
        welsh = english.localised("cy")
        assert welsh.version == english.version  # a translation is not a new checklist version
        assert welsh.title != english.title
        for area, area_cy in zip(english.areas, welsh.areas, strict=True):
            assert area_cy.title != area.title, (kind, area.key)
            for item, item_cy in zip(area.items, area_cy.items, strict=True):
                assert item_cy.text != item.text, (kind, item.code)
    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    login(client, setup["lead"])
    url = f"/areas/{area.id}/schools/rounds/{round_.id}/areas/structures"
    page = client.get(url + "?lang=cy").get_data(as_text=True)
    assert "Strwythurau a systemau" in page
    assert "Mae ein polisi diogelu yn enwi ymddygiad rhywiol niweidiol rhwng disgyblion" in page
    assert "Our safeguarding policy names" not in page
    assert "Our safeguarding policy names" in client.get(url + "?lang=en").get_data(as_text=True)

def test_progress_and_a_second_round_compares_with_the_first(setup):
    area = setup["area"]
    first = services.start_round(area, setup["one"])
    services.save_section(area, first, "structures", {"S1": {"rating": "red", "sources": ["logs"], "notes": "x"}})
    progress = services.progress(services.checklist_for(area), services.ratings_for([first.id])[first.id])
    assert progress["assessed"] == 1 and progress["areas"]["structures"] == (1, 5)
    rate_all(area, first, "amber", kind_overrides={"S1": "red"})
    services.complete_round(area, first)
    second = services.start_round(area, setup["one"])
    assert second.number == 2
    rate_all(area, second, "green", kind_overrides={"P1": "red"})
    card = services.scorecard(area, second)
    rows = {r["item"].code: r for s in card["sections"] for r in s["rows"]}
    assert rows["S1"]["previous"] == "red" and rows["S1"]["change"] == "better"
    assert rows["P1"]["change"] == "worse"
    assert card["previous"].id == first.id and card["previous_counts"]["red"] == 1


def test_harm_counts_are_validated(setup):
    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    with pytest.raises(ServiceError) as info:
        services.save_harms(area, round_, {"name_calling": "-3", "rumours": "lots"})
    assert set(info.value.fields) == {"name_calling", "rumours"}
    services.save_harms(area, round_, {"name_calling": "4", "image_sharing": "0"})
    assert services.harm_counts([round_.id])[round_.id] == {"name_calling": 4, "image_sharing": 0}


def test_the_lead_rates_through_the_section_page_and_errors_show_by_the_item(client, setup):
    area = setup["area"]
    login(client, setup["lead"])
    response = post_form(client, f"/areas/{area.id}/schools/{setup['one'].id}/rounds", {},
                         page=f"/areas/{area.id}/schools/{setup['one'].id}/")
    assert response.status_code == 302
    round_ = services.rounds_of(area, setup["one"])[0]
    url = f"/areas/{area.id}/schools/rounds/{round_.id}/areas/structures"
    response = post_form(client, url, {"S1-rating": "green"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="S1-sources-error"' in page
    response = post_form(client, url, {"S1-rating": "green", "S1-sources": ["staff", "students"], "S1-notes": "ok"})
    assert response.status_code == 302
    assert services.ratings_for([round_.id])[round_.id]["S1"].sources == ["students", "staff"]


def test_history_records_ratings(setup):
    from hsbtrack.history.models import HistoryEntry

    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    services.save_section(area, round_, "prevention", {"P1": {"rating": "amber", "sources": ["parents"]}})
    fields = set(db.session.scalars(select(HistoryEntry.field).where(HistoryEntry.entity == "schools_rating")))
    assert {"rating", "sources"} <= fields


# -- (3) scorecard ---------------------------------------------------------------------------------


def test_the_scorecard_page_shows_words_counts_and_change(client, setup):
    area = setup["area"]
    first = services.start_round(area, setup["one"])
    rate_all(area, first, "red")
    with pytest.raises(ServiceError, match="Round 1 is not complete yet"):
        services.start_round(area, setup["one"])
    services.complete_round(area, first)
    second = services.start_round(area, setup["one"])
    rate_all(area, second, "green", kind_overrides={"S2": "amber"})
    login(client, setup["board"])
    page = client.get(f"/areas/{area.id}/schools/rounds/{second.id}/scorecard").get_data(as_text=True)
    assert "Compared with round 1" in page
    assert 'data-rating="green">Green</strong>' in page and "Better" in page
    assert 'id="harms"' in page


# -- (4) roll-up -------------------------------------------------------------------------------------


def test_the_rollup_counts_and_lists_schools_not_assessed(setup):
    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    rate_all(area, round_, "green", kind_overrides={"S1": "red", "S2": "amber"})
    data = services.rollup(area)
    assert data["assessed"] == 1 and [s.name for s in data["not_assessed"]] == ["Valley College"]
    assert data["shares"]["structures"]["counts"] == {"green": 3, "amber": 1, "red": 1, "not_assessed": 0}
    assert data["shares"]["structures"]["green_percent"] == 60
    assert data["shares"]["prevention"]["green_percent"] == 100
    assert [(s.name, i.code) for s, _r, i in data["red_items"]] == [("Hilltop Academy", "S1")]


def test_the_rollup_page_does_not_grow_its_queries_with_schools(client, app, setup):
    area = setup["area"]
    login(client, setup["board"])

    def add(n, start):
        for i in range(n):
            school = services.create_school(area, f"School {start + i}")
            rate_all(area, services.start_round(area, school), "amber")

    add(2, 0)
    client.get(f"/areas/{area.id}/schools/rollup")  # warm-up
    with count_queries(app) as small:
        assert client.get(f"/areas/{area.id}/schools/rollup").status_code == 200
    add(18, 100)
    client.get(f"/areas/{area.id}/schools/rollup")  # warm-up
    with count_queries(app) as big:
        page = client.get(f"/areas/{area.id}/schools/rollup").get_data(as_text=True)
    assert "School 117" in page
    assert big() == small()
    client.get(f"/areas/{area.id}/schools/")  # warm-up
    with count_queries(app) as home_small:
        client.get(f"/areas/{area.id}/schools/")
    add(5, 200)
    client.get(f"/areas/{area.id}/schools/")  # warm-up
    with count_queries(app) as home_big:
        client.get(f"/areas/{area.id}/schools/")
    assert home_big() == home_small()


def test_the_partnership_checklist_is_completed_alongside(client, setup):
    area = setup["area"]
    login(client, setup["board"])
    response = post_form(client, f"/areas/{area.id}/schools/partnership", {})
    assert response.status_code == 302
    round_ = services.rounds_of(area, None, "partnership")[0]
    rate_all(area, round_, "amber")
    page = client.get(f"/areas/{area.id}/schools/rollup").get_data(as_text=True)
    assert "Round 1: 0 green, 10 amber, 0 red" in page


def test_local_items_join_the_checklist(client, setup):
    area = setup["area"]
    login(client, setup["board"])
    url = f"/areas/{area.id}/schools/local-items"
    assert "Enter the item" in post_form(client, url, {"checklist": "school", "section": "prevention", "text": ""}).get_data(as_text=True)
    assert post_form(client, url, {"checklist": "school", "section": "prevention", "text": "Our own item"}).status_code == 302
    assert services.checklist_for(area).area("prevention").items[-1].code == "L1"


# -- (5) into the audit ------------------------------------------------------------------------------


def test_evidence_on_3_6_shows_the_rollup_numbers(client, setup):
    from hsbtrack.audits.services import open_audit

    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    rate_all(area, round_, "green", kind_overrides={"R1": "red", "I1": "amber"})
    evidence = {e.code: e for e in services.evidence(area, ["2.4", "2.5", "3.6", "1.1"])}
    assert set(evidence) == {"2.4", "2.5", "3.6"}
    summary = str(evidence["3.6"].summary)
    assert "1 of 2 schools have assessed" in summary
    assert "Response and intervention: 80% of items green, 1 red, 0 amber." in summary
    assert "Identification: 75% of items green, 0 red, 1 amber." in summary

    audit = open_audit(area)
    login(client, setup["board"])
    page = client.get(f"/areas/{area.id}/audits/{audit.id}/statements/3.6").get_data(as_text=True)
    assert "Schools&#39; self-assessments (Beyond Referrals)" in page or "Schools' self-assessments" in page
    assert "1 of 2 schools have assessed" in page
    assert "Response and intervention: 80% of items green, 1 red, 0 amber." in page


def test_a_red_item_becomes_an_action_linked_to_the_statement_naming_the_school(client, setup):
    from hsbtrack.actions.models import Action

    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    rate_all(area, round_, "green", kind_overrides={"R1": "red"})
    with pytest.raises(ServiceError):
        services.make_action(area, round_, "S1", owner=setup["board"])
    login(client, setup["board"])
    response = post_form(client, f"/areas/{area.id}/schools/rounds/{round_.id}/items/R1/action", {},
                         page=f"/areas/{area.id}/schools/rounds/{round_.id}/scorecard")
    assert response.status_code == 302
    action = db.session.scalar(select(Action))
    assert action.title.startswith("Hilltop Academy: ") and action.codes == ["3.6"]
    page = client.get(f"/areas/{area.id}/schools/rollup").get_data(as_text=True)
    assert f"/actions/{action.id}" in page
    with pytest.raises(ServiceError):
        services.make_action(area, round_, "R1", owner=setup["board"])


def test_a_school_lead_cannot_make_actions_or_start_the_partnership_round(client, setup):
    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    rate_all(area, round_, "red")
    login(client, setup["lead"])
    page = f"/areas/{area.id}/schools/rounds/{round_.id}/scorecard"
    assert "/items/R1/action" not in client.get(page).get_data(as_text=True)  # no button offered
    # the action plan is not theirs to read, so the write answers 404 (the one 404/403 rule)
    assert post_form(client, f"/areas/{area.id}/schools/rounds/{round_.id}/items/R1/action", {}, page=page).status_code == 404
    from hsbtrack.actions.models import Action
    from hsbtrack.extensions import db

    assert db.session.query(Action).filter_by(area_id=area.id).count() == 0


def test_demo_data(setup, world):
    from hsbtrack.plugins.services import is_enabled

    demo_area = world.area("Demo")
    services.demo(demo_area)
    services.demo(demo_area)  # twice: nothing doubled
    assert is_enabled(demo_area, "schools")
    data = services.rollup(demo_area)
    assert len(data["schools"]) == 3 and data["assessed"] == 3 and data["partnership_round"] is not None



def test_two_people_saving_the_same_area_get_a_conflict_not_a_lost_change(client, setup):
    area = setup["area"]
    round_ = services.start_round(area, setup["one"])
    login(client, setup["lead"])
    url = f"/areas/{area.id}/schools/rounds/{round_.id}/areas/structures"
    token = csrf_token(client, url)
    page = client.get(url).get_data(as_text=True)
    stamp = page.split('name="stamp" value="')[1].split('"')[0]
    # the board manager saves in between
    services.save_section(area, round_, "structures", {"S1": {"rating": "green", "sources": ["staff"]}})
    response = client.post(url, data={"csrf_token": token, "stamp": stamp, "S1-rating": "red", "S1-sources": "logs"})
    assert response.status_code == 409 and "Someone else saved ratings" in response.get_data(as_text=True)
    assert services.ratings_for([round_.id])[round_.id]["S1"].rating == "green"


def test_a_school_lead_sees_nothing_else_of_the_area(client, setup):
    from hsbtrack.audits.services import open_audit

    area = setup["area"]
    audit = open_audit(area)
    login(client, setup["lead"])
    response = client.get("/")
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/areas/{area.id}/schools/")
    for path in ("audits/", "actions/", "members", f"audits/{audit.id}/statements/3.6"):
        assert client.get(f"/areas/{area.id}/{path}").status_code == 404, path
    menu = client.get(f"/areas/{area.id}/schools/").get_data(as_text=True)
    assert f"/areas/{area.id}/audits/" not in menu and f"/areas/{area.id}/actions/" not in menu
    # the partner agencies' names are the area's public face (area.view), nothing of their audit
    assert client.get(f"/areas/{area.id}/agencies").status_code == 200
    assert client.get(f"/areas/{area.id}/schools/").status_code == 200
    # someone with another role as well keeps it
    other = client.application.test_client()
    login(other, setup["viewer"])
    assert other.get(f"/areas/{area.id}/audits/").status_code == 200


def test_the_dashboard_widget_summarises_the_rollup(client, setup):
    area = setup["area"]
    rate_all(area, services.start_round(area, setup["one"]), "green")
    login(client, setup["viewer"])
    page = client.get(f"/areas/{area.id}/").get_data(as_text=True)
    assert "1 of 2 schools have assessed" in page and "Prevention: 100% of items green" in page
