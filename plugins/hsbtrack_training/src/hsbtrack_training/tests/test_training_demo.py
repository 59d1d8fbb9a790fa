"""Demo data loads and gives every page something to show."""

from hsbtrack.areas.services import create_agency
from hsbtrack.plugins.services import is_enabled
from hsbtrack_training import demo, impact, services, supervision


def test_demo_data(world):
    area = world.area("Riverside Safeguarding Partnership",
                      agencies=("Police", "Health", "Children's social care", "Education", "Youth justice"))
    create_agency(area, "Probation")
    demo.load(area)
    assert is_enabled(area, "training")
    cov = services.coverage(area)
    assert cov["totals"][0]["count"] > 40 and cov["totals"][0]["share"]
    assert impact.paired_change(area)["tiers"]
    assert supervision.by_agency(area)["total"]["supervised"] > 10
