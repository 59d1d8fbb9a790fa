"""Training reach by tier in a yearly report's data draft (``hsbtrack_yearly_report_data``): the people who
completed a course of each tier in the period, only where the plugin is on and for readers of training."""

from datetime import date

import pytest

from hsbtrack.plugins.services import collect, set_area_plugin
from hsbtrack_training import services


@pytest.fixture()
def scene(world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    board = world.user("board@example.org", area, "board_manager")
    lead = world.user("lead@example.org", area, "agency_lead", agency=world.agency(area, "Police"))
    police = world.agency(area, "Police")
    people = [services.create_person(area, name=f"Officer {i}", agency_id=police.id, discipline="police")
              for i in range(3)]
    tier1 = services.create_course(area, title="Awareness", tier=1, refresher_months=24)
    tier2 = services.create_course(area, title="Assessing HSB", tier=2, refresher_months=24)
    # in the period: 2 people at tier 1 (one of them twice), 1 at tier 2; before it: 1 more at tier 1
    services.record_session(area, course_id=tier1.id, held_on=date(2025, 5, 1),
                            outcomes={people[0].id: "completed", people[1].id: "completed"})
    services.record_session(area, course_id=tier1.id, held_on=date(2025, 9, 1), outcomes={people[0].id: "completed"})
    services.record_session(area, course_id=tier2.id, held_on=date(2026, 3, 31), outcomes={people[2].id: "completed"})
    services.record_session(area, course_id=tier1.id, held_on=date(2025, 3, 31), outcomes={people[2].id: "completed"})
    return area, board, lead


def blocks(area, user):
    return collect("hsbtrack_yearly_report_data", area, period_start=date(2025, 4, 1), period_end=date(2026, 3, 31),
                   user=user)


def test_reach_by_tier_in_the_period(scene, ctx):
    area, board, _lead = scene
    with ctx.test_request_context():
        (block,) = [b for b in blocks(area, board) if b.id == "training-reach"]
        rows = {row[0]: row[1:] for row in block.rows}
        assert rows["1. Universal awareness"] == ("2", "3")  # two people, three completions
        assert rows["2. Targeted practice"] == ("1", "1")
        assert rows["3. Specialist assessment and intervention"] == ("0", "0")
        assert "4 completions in all" in str(block.paragraphs[0])


def test_not_for_those_who_do_not_read_training_nor_where_it_is_off(scene, ctx):
    area, board, lead = scene
    with ctx.test_request_context():
        assert [b for b in blocks(area, lead) if b.id == "training-reach"] == []
        set_area_plugin(area, "training", False)
        assert [b for b in blocks(area, board) if b.id == "training-reach"] == []
