"""Refresher reminders to training leads through the scheduler hook."""

from datetime import date, datetime, timedelta

from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.scheduler.runner import run_job, scheduled_jobs
from hsbtrack_training import services


def test_refresher_reminders_once_per_week_to_training_leads(app, world, outbox):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    lead = world.user("lead@example.org", area, "training_lead")
    world.user("viewer@example.org", area, "viewer")
    police = world.agency(area, "Police")
    course = services.create_course(area, title="Awareness", tier=1, refresher_months=12)
    people = [services.create_person(area, name=f"Named {i}", agency_id=police.id, discipline="police")
              for i in range(3)]
    today = date.today()
    services.record_session(area, course_id=course.id, held_on=services.add_months(today, -12) + timedelta(days=10),
                            outcomes={people[0].id: "completed", people[1].id: "completed"})  # due in 10 days
    services.record_session(area, course_id=course.id, held_on=services.add_months(today, -12) - timedelta(days=5),
                            outcomes={people[2].id: "completed"})  # expired 5 days ago
    job = next(j for j in scheduled_jobs(app) if j.name == "training.refreshers")
    now = datetime.utcnow()
    assert run_job(app, job, now) == 1
    assert run_job(app, job, now) == 0  # idempotent
    assert len(outbox) == 1 and outbox[0]["To"] == lead.email
    assert "2 due soon, 1 expired" in outbox[0]["Subject"]
    assert "Named" not in outbox[0].get_content()
    # renewed training is no longer reported
    services.record_session(area, course_id=course.id, held_on=today, outcomes={people[2].id: "completed"})
    from hsbtrack_training.reminders import refresher_counts

    assert refresher_counts(today)[area.id] == (2, 0)
    # off in the area: nothing
    set_area_plugin(area, "training", False)
    assert run_job(app, job, now + timedelta(days=8)) == 0


def test_people_with_an_email_are_reminded_if_the_area_says_so(app, world, outbox):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    police = world.agency(area, "Police")
    course = services.create_course(area, title="Awareness", tier=1, refresher_months=12)
    with_email = services.create_person(area, name="Ann", email="ann@example.org", agency_id=police.id,
                                        discipline="police")
    without = services.create_person(area, name="Bob", agency_id=police.id, discipline="police")
    held = services.add_months(date.today(), -12) + timedelta(days=10)
    services.record_session(area, course_id=course.id, held_on=held,
                            outcomes={with_email.id: "completed", without.id: "completed"})
    job = next(j for j in scheduled_jobs(app) if j.name == "training.refreshers")
    assert run_job(app, job) == 0 and not outbox  # no training lead, and the area has not chosen it
    services.set_remind_people(area, True)
    assert run_job(app, job) == 1
    assert run_job(app, job) == 0
    assert [m["To"] for m in outbox] == ["ann@example.org"]
    assert "due for a refresher" in outbox[0]["Subject"]
    expires = services.add_months(held, 12)  # the date the UK way, "15 December 2026" (issue 15)
    assert f"expires on {expires.day} {expires.strftime('%B %Y')}." in outbox[0].get_content()
