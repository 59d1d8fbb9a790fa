"""The area archive with every first-party plugin (docs/area-archive.md): the demo's richest areas — Riverside
(audits, documents, actions, training, schools), Glenmore (CARM cases, a walled plan action) and Conwy (a regional
round, a regional action) and Anglesey (North Wales Police's shared return) — exported and imported into an empty install with
the same plugins: every record count and value equal (tests/area_archive/compare.py), documents byte for byte, the
plugins on as they were. The region stays behind, and the import says which links to it were left out; where a
region of the same name has the round and the regional action, the links are made again."""

from datetime import date

import pytest
from sqlalchemy import select

from hsbtrack.area_archive import importing
from hsbtrack.area_archive.export import export_area
from hsbtrack.areas.demo import load_demo
from hsbtrack.areas.models import Area, Region
from hsbtrack.audits.models import SOURCE_SHARED, Audit, Response
from hsbtrack.extensions import db
from hsbtrack.mail import outbox
from tests.area_archive.compare import Snapshot, without_import_entry
from tests.area_archive.installs import install

RIVERSIDE, GLENMORE, CONWY = "Riverside Safeguarding Partnership", "Glenmore Child Protection Committee", "Conwy"
ANGLESEY = "Anglesey"  # (its audit is open: North Wales Police's shared return answers it)
PLUGINS = ("regional", "schools", "scotland", "training")


@pytest.fixture(scope="module")
def source(app, tmp_path_factory):
    from hsbtrack.plugins.services import registry

    folder = tmp_path_factory.mktemp("archive-plugins-source")
    with install(app, folder, "archive_plugins_source", plugins="*") as source_app:
        with source_app.test_request_context():
            missing = set(PLUGINS) - {p.name for p in registry().plugins()}
            if missing:
                pytest.skip(f"the first-party plugins {sorted(missing)} are not installed")
            load_demo()
            paths = {}
            for name in (RIVERSIDE, GLENMORE, CONWY, ANGLESEY):
                area = db.session.scalar(select(Area).where(Area.name == name))
                paths[name] = folder / f"{area.id}.zip"
                with open(paths[name], "wb") as out:
                    export_area(area, out)
            db.session.remove()
        yield source_app, paths


@pytest.fixture(scope="module")
def target(app, tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive-plugins-target")
    with install(app, folder, "archive_plugins_target", plugins="*") as target_app:
        yield target_app


@pytest.fixture(scope="module")
def imported(source, target):
    _app, paths = source
    results = {}
    with target.test_request_context():
        for name in (RIVERSIDE, GLENMORE, CONWY, ANGLESEY):
            result = importing.import_archive(paths[name])
            results[name] = (result.counts, result.in_archive, result.notes, result.new_people, result.matched_people)
        results["outbox"] = list(outbox())
        db.session.remove()
    return results


def _look(app, name):
    from hsbtrack.plugins.services import effective_states

    with app.test_request_context():
        area = db.session.scalar(select(Area).where(Area.name == name))
        found = Snapshot(area.id)
        rows = found.owned()
        states = {plugin: (state["enabled"], state["settings"]) for plugin, state in effective_states(area).items()}
        people = {email for email, *_rest in found.people()}
        db.session.remove()
    return rows, states, people


@pytest.mark.parametrize("name, tables", [
    (RIVERSIDE, {"training_courses": 5, "training_people": 50, "training_completions": 50,
                 "training_impact_responses": 50, "training_supervision": 10, "schools_schools": 2,
                 "schools_rounds": 2, "schools_ratings": 20, "schools_leads": 1, "documents": 4,
                 "document_versions": 5, "actions": 4, "audit_responses": 300}),
    (GLENMORE, {"scotland_cases": 2, "scotland_stage_events": 3, "scotland_meetings": 1,
                "scotland_classifications": 1, "scotland_plan_actions": 1, "actions": 1}),
    (CONWY, {"audit_responses": 200, "actions": 1, "audits": 1}),
    (ANGLESEY, {"audit_responses": 46, "audits": 1}),
])
def test_every_record_of_every_plugin_arrives_equal(source, target, imported, name, tables):
    source_app, _paths = source
    before, states_before, people_before = _look(source_app, name)
    after, states_after, people_after = _look(target, name)
    after = without_import_entry(after)
    for table, least in tables.items():
        assert len(before.get(table, [])) >= least, f"the demo's {name} has too few {table} to prove anything"
    assert set(before) == set(after)
    for table in before:
        assert len(before[table]) == len(after[table]), table
        if table != "areas":  # (its region: below)
            assert before[table] == after[table], table
    assert states_before == states_after  # the same plugins on, with the same settings
    assert people_before == people_after


def test_the_walled_plan_action_keeps_its_wall(target, imported):
    from hsbtrack.actions.models import Action

    with target.app_context():
        area_id = db.session.scalar(select(Area.id).where(Area.name == GLENMORE))
        walls = set(db.session.scalars(select(Action.restricted_to).where(Action.area_id == area_id)))
        db.session.remove()
    assert walls == {"scotland.cases"}


def test_the_region_stays_behind_and_the_import_says_so(source, target, imported):
    source_app, _paths = source
    counts, in_archive, notes, _new, _matched = imported[CONWY]
    assert in_archive["regional.round_audits"] == 1 and in_archive["regional.assignments"] == 1
    assert counts["regional.round_audits"] == 0 and counts["regional.assignments"] == 0
    assert any("The region North Wales does not exist here" in n for n in notes)
    assert any("regional round North Wales regional audit T1" in n for n in notes)
    assert any("regional action Regional HSB pathway" in n for n in notes)
    with source_app.app_context():
        anglesey = db.session.scalar(select(Area).where(Area.name == ANGLESEY))
        shared = db.session.scalars(select(Response.id).join(Audit, Audit.id == Response.audit_id).where(
            Audit.area_id == anglesey.id, Response.source == SOURCE_SHARED)).all()
        db.session.remove()
    assert len(shared) >= 40  # North Wales Police answered once for the open audits: there, Anglesey's own answers
    with target.app_context():
        assert db.session.scalar(select(Area).where(Area.name == CONWY)).region_id is None
        anglesey = db.session.scalar(select(Area).where(Area.name == ANGLESEY))
        sources = set(db.session.scalars(select(Response.source).join(Audit, Audit.id == Response.audit_id)
                                         .where(Audit.area_id == anglesey.id)))
        assert sources == {"agency"}
        db.session.remove()
    assert imported["outbox"] == []


def test_a_person_in_two_archives_is_one_account(imported):
    _c, _i, _n, new_riverside, _m = imported[RIVERSIDE]
    _c, _i, _n, new_glenmore, matched_glenmore = imported[GLENMORE]
    assert "board@example.org" in new_riverside  # (pending, from the first archive)
    assert "board@example.org" in matched_glenmore and "board@example.org" not in new_glenmore


def test_where_the_region_exists_the_links_are_made_again(source, target, imported):
    from hsbtrack_regional.models import RegionalAction, RegionalAssignment, RegionalRound, RegionalRoundAudit

    _app, paths = source
    with target.test_request_context():
        region = Region(name="North Wales")
        db.session.add(region)
        db.session.flush()
        round_ = RegionalRound(region_id=region.id, framework="nspcc-hsb-2019", title="North Wales T1", cycle=1)
        db.session.add(round_)
        with source[0].app_context():
            due_on = db.session.scalar(select(RegionalAction.due_on))
            db.session.remove()
        regional = RegionalAction(region_id=region.id, due_on=due_on or date(2030, 1, 1), codes=["3.1"],
                                  title="Regional HSB pathway for children's services and police")
        db.session.add(regional)
        db.session.commit()
        result = importing.import_archive(paths[CONWY], name="Conwy (in North Wales)")
        assert result.area.region_id == region.id
        assert result.counts["regional.round_audits"] == 1 and result.counts["regional.assignments"] == 1
        link = db.session.scalar(select(RegionalRoundAudit).where(RegionalRoundAudit.area_id == result.area.id))
        assert link.round_id == round_.id and db.session.get(Audit, link.audit_id).area_id == result.area.id
        assignment = db.session.scalar(select(RegionalAssignment).where(RegionalAssignment.area_id == result.area.id))
        assert assignment.regional_action_id == regional.id
        db.session.remove()
