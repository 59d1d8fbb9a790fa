"""Training numbers appear as evidence on the audit's statements."""

from datetime import date

from hsbtrack.audits.services import open_audit
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.testing import login
from hsbtrack_training import services


def test_evidence_on_5_4_shows_the_coverage_numbers(app, world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    board = world.user("board@example.org", area, "board_manager")
    police, health = world.agency(area, "Police"), world.agency(area, "Health")
    course = services.create_course(area, title="HSB awareness", tier=1, refresher_months=24)
    people = [services.create_person(area, name=f"P{i}", agency_id=police.id, discipline="police") for i in range(3)]
    carer = services.create_person(area, name="Carer", agency_id=health.id, discipline="foster_carer")
    services.set_headcounts(area, {(police.id, "police"): 12})
    services.record_session(area, course_id=course.id, held_on=date.today(),
                            outcomes={p.id: "completed" for p in [*people, carer]})
    audit = open_audit(area)
    client = app.test_client()
    login(client, board)
    page = client.get(f"/areas/{area.id}/audits/{audit.id}/statements/5.4").get_data(as_text=True)
    assert "Training coverage across disciplines" in page
    assert "3 trained, 25% of the headcount of 12" in page
    assert "1 of the 11 disciplines listed in 5.4" in page
    page = client.get(f"/areas/{area.id}/audits/{audit.id}/statements/5.5").get_data(as_text=True)
    assert "Bespoke training for foster carers and adopters" in page and "1 trained" in page
    assert "Training coverage" not in client.get(f"/areas/{area.id}/audits/{audit.id}/statements/1.1").get_data(as_text=True)
    set_area_plugin(area, "training", False)
    page = client.get(f"/areas/{area.id}/audits/{audit.id}/statements/5.4").get_data(as_text=True)
    assert "Training coverage across disciplines" not in page


def test_dashboard_widget_shows_coverage(app, world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    viewer = world.user("viewer@example.org", area, "viewer")
    police = world.agency(area, "Police")
    course = services.create_course(area, title="HSB awareness", tier=1)
    person = services.create_person(area, name="Secret Name", agency_id=police.id, discipline="police")
    services.set_headcounts(area, {(police.id, "police"): 2})
    services.record_session(area, course_id=course.id, held_on=date.today(), outcomes={person.id: "completed"})
    client = app.test_client()
    login(client, viewer)
    page = client.get(f"/areas/{area.id}/").get_data(as_text=True)
    assert 'data-testid="training-widget"' in page and "1 (50%)" in page and "Secret Name" not in page
