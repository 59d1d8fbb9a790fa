"""Supervision log (5.8), aggregated by agency."""

from datetime import date, timedelta

import pytest

from hsbtrack.audits.services import open_audit
from hsbtrack.errors import ServiceError
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.testing import login, post_form
from hsbtrack_training import services, supervision


def test_supervision_by_agency_and_evidence(app, world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    lead = world.user("lead@example.org", area, "training_lead")
    board = world.user("board@example.org", area, "board_manager")
    police = world.agency(area, "Police")
    people = [services.create_person(area, name=f"Hidden {i}", agency_id=police.id, discipline="police")
              for i in range(4)]
    today = date.today()
    supervision.log(area, person_id=people[0].id, held_on=today, kind="individual")
    supervision.log(area, person_id=people[0].id, held_on=today - timedelta(days=30), kind="group")
    supervision.log(area, person_id=people[1].id, held_on=today - timedelta(days=400), kind="group")  # too old
    with pytest.raises(ServiceError):
        supervision.log(area, person_id=people[1].id, held_on=today + timedelta(days=3), kind="chat")
    (row,) = supervision.by_agency(area)["agencies"]
    assert (row["people"], row["supervised"], row["sessions"], row["share"], row["per_person"]) == (4, 1, 2, 25, 2.0)

    client = app.test_client()
    login(client, lead)
    base = f"/areas/{area.id}/training/supervision"
    response = post_form(client, base, {"person_id": str(people[2].id), "held_on": "", "kind": "group"})
    assert "Enter the date of the supervision" in response.get_data(as_text=True)
    response = post_form(client, base, {"person_id": str(people[2].id), "held_on": [str(today.day), str(today.month), str(today.year)], "kind": "group"})
    assert response.status_code == 302
    assert "Hidden 2" in client.get(base).get_data(as_text=True)

    other = app.test_client()
    login(other, board)
    page = other.get(base).get_data(as_text=True)
    assert "2 (50%)" in page and "Hidden" not in page
    audit = open_audit(area)
    page = other.get(f"/areas/{area.id}/audits/{audit.id}/statements/5.8").get_data(as_text=True)
    assert "2 of the 4 people whose training is recorded received reflective supervision (50%)" in page
