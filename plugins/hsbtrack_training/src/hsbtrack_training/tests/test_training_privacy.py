"""UK GDPR and training records (docs/privacy.md): a person's training records are in their subject access
export (matched by work email, never by name) and nobody else's are; erasure keeps the records without
their name; the records of someone who left are flagged by the retention scan after the period, and deleted
with their history once an administrator confirms."""

import io
import zipfile
from datetime import date, datetime

import pytest
from sqlalchemy import select

from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.privacy import retention
from hsbtrack.privacy.models import RetentionReviewItem
from hsbtrack.privacy.services import erase_person
from hsbtrack.testing import csrf_token, login, post_form
from hsbtrack_training import services
from hsbtrack_training.models import TrainingCompletion, TrainingPerson


@pytest.fixture()
def scene(world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    police = world.agency(area, "Police")
    admin = world.user("admin@example.org", admin=True)
    lead = world.user("lead@example.org", area, "training_lead")
    alice = world.user("alice.trainee@example.org", area, "viewer")
    course = services.create_course(area, title="HSB awareness", tier=1)
    # her record, typed with her address in capitals; someone else with her name but another address; Bob
    mine = services.create_person(area, name="Alice Qzmarka", email="Alice.Trainee@Example.org", agency_id=police.id,
                                  discipline="police")
    namesake = services.create_person(area, name="Alice Qzmarka", email="other.alice@example.org",
                                      agency_id=police.id, discipline="police")
    bob = services.create_person(area, name="Bob Qzmarkb", email="bob.trainee@example.org", agency_id=police.id,
                                 discipline="police")
    services.record_session(area, course_id=course.id, held_on=date(2026, 3, 2),
                            outcomes={mine.id: "completed", namesake.id: "did_not_attend", bob.id: "attended"})
    return area, admin, lead, alice, mine, namesake, bob


def test_the_subject_access_export_holds_her_training_records_only(client, scene):
    area, admin, _lead, alice, *_ = scene
    login(client, admin)
    token = csrf_token(client, f"/admin/users/{alice.id}/privacy")
    response = client.post(f"/admin/users/{alice.id}/privacy/export", data={"csrf_token": token})
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        completions = archive.read("training.completions.csv").decode()
        people = archive.read("training.people.csv").decode()
        text = "".join(archive.read(n).decode() for n in archive.namelist()).lower()
    assert "HSB awareness" in completions and "completed" in completions and "did_not_attend" not in completions
    assert "alice.trainee@example.org" in people and people.count("\n") == 2  # (a header and her one record)
    assert "other.alice@example.org" not in text and "qzmarkb" not in text and "bob.trainee" not in text


def test_erasure_keeps_her_training_records_without_her_name(client, scene):
    area, admin, lead, alice, mine, namesake, _bob = scene
    erase_person(alice, by=admin, reason="Left")
    db.session.expire_all()
    assert (db.session.get(TrainingPerson, mine.id).name, db.session.get(TrainingPerson, mine.id).email) == (
        "former member", None)
    assert db.session.get(TrainingPerson, namesake.id).name == "Alice Qzmarka"  # (someone else: untouched)
    assert db.session.scalars(select(TrainingCompletion).where(TrainingCompletion.person_id == mine.id)).all()
    login(client, lead)
    page = client.get(f"/areas/{area.id}/training/people").get_data(as_text=True)
    assert "former member" in page and "alice.trainee" not in page.lower()
    history = " ".join(f"{e.old_value} {e.new_value}" for e in db.session.scalars(select(HistoryEntry))).lower()
    assert "alice.trainee" not in history


def test_the_records_of_someone_who_left_are_deleted_after_the_period(client, scene, time_machine):
    area, admin, lead, _alice, _mine, _namesake, bob = scene
    bob_id = bob.id
    login(client, lead)
    page = f"/areas/{area.id}/training/people/left"
    assert "Record that someone left" in client.get(page).get_data(as_text=True)
    response = post_form(client, page, {"person_id": str(bob.id), "left_on": ["1", "4", "2026"]})
    assert response.status_code == 302
    assert "1 April 2026" in client.get(f"/areas/{area.id}/training/people").get_data(as_text=True)
    assert post_form(client, page, {"person_id": str(bob.id), "left_on": ["1", "4", "2099"]}).status_code == 200

    # three years on (the default), the scan lists his records; an administrator confirms
    time_machine.move_to(datetime(2029, 4, 2, 12), tick=False)
    retention.scan_retention()
    assert db.session.scalars(select(RetentionReviewItem.item_key).where(
        RetentionReviewItem.rule == "training.people_left")).all() == [str(bob.id)]
    login(client, admin)
    confirm = "/admin/privacy/retention/delete?rule=training.people_left"
    assert f"Training records of person {bob.id}" in client.get(confirm).get_data(as_text=True)
    assert post_form(client, "/admin/privacy/retention/delete", {"rule": "training.people_left", "keys": [str(bob.id)]},
                     page=confirm).status_code == 302
    db.session.expire_all()
    assert db.session.get(TrainingPerson, bob_id) is None
    assert db.session.scalars(select(TrainingCompletion).where(TrainingCompletion.person_id == bob_id)).all() == []
    entries = db.session.scalars(select(HistoryEntry)).all()
    assert not [e for e in entries if e.entity == "training_person" and e.entity_id == bob_id]
    assert "qzmarkb" not in " ".join(f"{e.old_value} {e.new_value}" for e in entries).lower()
    kept = [e for e in entries if e.entity == "retention"]
    assert [(e.area_id, e.field, e.new_value, e.user_id) for e in kept] == [
        (area.id, "training.people_left", {"deleted": 1}, admin.id)]
