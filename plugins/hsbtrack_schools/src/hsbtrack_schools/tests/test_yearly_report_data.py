"""Schools' self-assessments completed in a yearly report's period (``hsbtrack_yearly_report_data``): the schools
and their green, amber and red counts; nothing for a school lead (they read their own school only)."""

from datetime import timedelta

from hsbtrack.plugins.services import collect
from hsbtrack.timeutil import local_today
from hsbtrack_schools import services

from .helpers import enable, rate_all


def blocks(area, user, start, end):
    return [b for b in collect("hsbtrack_yearly_report_data", area, period_start=start, period_end=end, user=user)
            if b.id == "schools-self-assessments"]


def test_completed_self_assessments_in_the_period(world, ctx):
    area = enable(world.area("Riverside"))
    board = world.user("board@example.org", area, "board_manager")
    done, busy = services.create_school(area, "Hillside Academy"), services.create_school(area, "Brook Primary")
    finished = services.start_round(area, done)
    rate_all(area, finished, "green", kind_overrides={"S1": "red"})
    services.complete_round(area, finished, user=board)
    rate_all(area, services.start_round(area, busy), "amber")  # (not completed: not in the report)
    lead_user = world.user("head@example.org", area, "school_lead")
    today = local_today()
    with ctx.test_request_context():
        (block,) = blocks(area, board, today - timedelta(days=30), today)
        assert len(block.rows) == 1
        name, _when, green, amber, red = block.rows[0]
        total = len(services.checklist_for(area, "school").items)
        assert name == "Hillside Academy" and (int(green), int(amber), int(red)) == (total - 1, 0, 1)
        assert str(block.paragraphs[0]) == "1 school completed a self-assessment in the period."
        # a period before it: nothing completed
        (earlier,) = blocks(area, board, today - timedelta(days=400), today - timedelta(days=35))
        assert earlier.rows == () and "No school completed" in str(earlier.paragraphs[0])
        assert blocks(area, lead_user, today - timedelta(days=30), today) == []
