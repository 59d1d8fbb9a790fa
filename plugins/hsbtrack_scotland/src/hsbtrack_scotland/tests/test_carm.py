"""CARM: the case record, the stage machine, meetings, classification, plan actions (core actions),
review reminders (clock moved), access (case workers only, every read logged), aggregates with
small counts suppressed."""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from hsbtrack.errors import ServiceError
from hsbtrack.testing import count_queries, login, post_form

CASE = {"reference": "GLN-1", "age_at_referral": "14", "gender": "male", "learning_needs": True,
        "hackett": "abusive", "setting": "home", "referral_source": "Police Scotland",
        "referral_on": date(2026, 1, 5)}
FULL = {"agencies": ["police", "health", "social_work", "education"], "child_participation": "attended",
        "parents_participation": "attended"}


@pytest.fixture()
def carm(world):
    from hsbtrack.plugins.services import set_area_plugin

    area = world.area("Glenmore")
    other = world.area("Elsewhere")
    set_area_plugin(area, "scotland", True)
    set_area_plugin(other, "scotland", True)
    return {
        "area": area, "other": other,
        "worker": world.user("worker@example.org", area, "case_worker"),
        "board": world.user("board@example.org", area, "board_manager"),
        "viewer": world.user("viewer@example.org", area, "viewer"),
        "foreign_worker": world.user("worker@elsewhere.example", other, "case_worker"),
        "admin": world.user("admin@example.org", admin=True),
    }


def new_case(area, user=None, **changes):
    from hsbtrack_scotland import services

    return services.create_case(area, {**CASE, **changes}, user=user)


def walk_to_plan(case, user):
    from hsbtrack_scotland import services

    services.move_to(case, "decision", date(2026, 1, 10), user=user)
    services.add_meeting(case, {**FULL, "held_on": date(2026, 1, 20)}, user=user)
    services.move_to(case, "initial_meeting", date(2026, 1, 20), user=user)
    services.move_to(case, "risk_assessment", date(2026, 1, 25), user=user)
    services.classify(case, "attentive", date(2026, 2, 1), user=user)
    services.move_to(case, "risk_management_plan", date(2026, 2, 1), user=user)


# -- the record ---------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_case_validation_and_pseudonymisation(carm):
    from hsbtrack_scotland import models, services

    with pytest.raises(ServiceError) as error:
        new_case(carm["area"], age_at_referral="19", gender="x", hackett="", setting="school", reference="",
                 referral_on=date(2027, 1, 1))
    assert set(error.value.fields) >= {"reference", "age_reason", "gender", "hackett", "setting", "referral_on"}
    assert services.db.session.scalar(select(func.count(models.CarmCase.id))) == 0  # nothing half-saved
    case = new_case(carm["area"], age_at_referral="18", age_reason="Continuity of care: already known to CARM")
    assert case.stage == "referral"
    with pytest.raises(ServiceError) as error:
        new_case(carm["area"])
    assert "reference" in error.value.fields  # unique per area
    # no column can hold a name or an address
    columns = {c.name for c in models.CarmCase.__table__.columns}
    assert not {"name", "first_name", "surname", "address", "postcode", "date_of_birth"} & columns


# -- the stage machine --------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_stages_are_checked(carm):
    from hsbtrack.history.models import HistoryEntry
    from hsbtrack_scotland import services

    case = new_case(carm["area"], carm["worker"])
    assert services.next_stages(case) == ["decision", "closed"]
    with pytest.raises(ServiceError):
        services.move_to(case, "risk_management_plan", date(2026, 1, 6))  # skipping
    with pytest.raises(ServiceError) as error:
        services.move_to(case, "decision", date(2026, 1, 1))  # before the referral
    assert "on" in error.value.fields
    # the date in the message is a UK date, as people read it, not ISO
    assert error.value.fields["on"] == "The date cannot be before the case's current stage (5 January 2026)"
    services.move_to(case, "decision", date(2026, 1, 10))
    with pytest.raises(ServiceError) as error:
        services.move_to(case, "initial_meeting", date(2026, 1, 20))
    assert "stage" in error.value.fields  # no meeting yet
    with pytest.raises(ServiceError) as error:
        services.move_to(case, "closed", date(2026, 1, 20))
    assert "reason" in error.value.fields  # no closure without a reason
    services.add_meeting(case, {**FULL, "held_on": date(2026, 1, 20)})
    services.move_to(case, "initial_meeting", date(2026, 1, 20))
    services.move_to(case, "risk_assessment", date(2026, 1, 25))
    services.move_to(case, "risk_management_plan", date(2026, 2, 1))
    with pytest.raises(ServiceError) as error:
        services.move_to(case, "review", date(2026, 2, 2))
    assert "stage" in error.value.fields  # classify first
    services.classify(case, "active_alert", date(2026, 2, 1))
    services.move_to(case, "review", date(2026, 2, 10))
    assert services.next_stages(case) == ["review", "closed"]
    services.move_to(case, "review", date(2026, 2, 20))
    services.move_to(case, "closed", date(2026, 2, 28), reason="mappa")
    assert case.closure_reason == "mappa" and case.next_review_on is None
    assert services.next_stages(case) == []
    stages = [e.stage for e in services.stage_events(case)]
    assert stages == ["referral", "decision", "initial_meeting", "risk_assessment", "risk_management_plan",
                      "review", "review", "closed"]
    assert all(e.on for e in services.stage_events(case))
    fields = set(services.db.session.scalars(select(HistoryEntry.field).where(HistoryEntry.entity == "scotland_case")))
    assert {"created", "stage", "classification", "closure_reason"} <= fields


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_no_plan_before_a_meeting(carm):
    from hsbtrack_scotland import services

    case = new_case(carm["area"])
    services.move_to(case, "decision", date(2026, 1, 10))
    case.stage = "risk_assessment"  # even if someone got here without one
    with pytest.raises(ServiceError) as error:
        services.move_to(case, "risk_management_plan", date(2026, 1, 20))
    assert "meeting" in error.value.fields["stage"]


# -- meetings, classification, plan ---------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_meeting_without_a_core_member_is_flagged(carm):
    from hsbtrack_scotland import services

    case = new_case(carm["area"])
    full = services.add_meeting(case, {**FULL, "held_on": date(2026, 1, 20)})
    partial = services.add_meeting(case, {**FULL, "agencies": ["police", "health", "social_work", "housing"],
                                          "held_on": date(2026, 1, 21)})
    assert services.missing_core(full) == []
    assert services.missing_core(partial) == ["education"]
    with pytest.raises(ServiceError) as error:
        services.add_meeting(case, {"held_on": date(2025, 1, 1), "agencies": []})
    assert set(error.value.fields) >= {"held_on", "agencies", "child_participation", "parents_participation"}


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_classification_history_and_review_interval_by_setting(carm):
    from hsbtrack.plugins.services import set_area_plugin
    from hsbtrack_scotland import services

    case = new_case(carm["area"])
    walk_to_plan(case, carm["worker"])
    assert case.next_review_on == date(2026, 2, 1) + timedelta(days=42)  # Attentive default
    set_area_plugin(carm["area"], "scotland", True, settings={"review_days_active_alert": 7})
    services.classify(case, "active_alert", date(2026, 2, 15), "Escalation")
    assert case.next_review_on == date(2026, 2, 22)
    assert [c.level for c in services.classifications(case)] == ["active_alert", "attentive"]


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_plan_actions_are_core_actions(carm):
    from hsbtrack.actions.services import actions_for_user
    from hsbtrack_scotland import services

    case = new_case(carm["area"])
    with pytest.raises(ServiceError):
        services.add_plan_action(carm["area"], case, "supervision", title="Too early", owner=carm["worker"],
                                 due_on=date(2026, 4, 1))
    walk_to_plan(case, carm["worker"])
    action = services.add_plan_action(carm["area"], case, "victim_safety", title="Safety plan at school",
                                      owner=carm["worker"], due_on=date(2026, 4, 1))
    assert action in actions_for_user(carm["worker"])
    assert action.codes == ["1.6c"]
    assert services.plan_actions(case)["victim_safety"] == [action]


# -- reminders at the right dates -----------------------------------------------------------------


def test_review_reminders_at_the_right_dates(app, carm):
    from hsbtrack.notifications.models import Notification
    from hsbtrack_scotland import services

    with time_machine.travel(datetime(2026, 3, 1, 9), tick=False):
        case = new_case(carm["area"], lead_professional_id=str(carm["board"].id))
        walk_to_plan(case, carm["worker"])
    due = case.next_review_on
    assert due == date(2026, 3, 15)

    def scan(on):
        with time_machine.travel(datetime.combine(on, datetime.min.time()) + timedelta(hours=7), tick=False):
            with app.test_request_context():
                return services.scan_reviews(app, datetime.combine(on, datetime.min.time()))

    assert scan(due - timedelta(days=8)) == 0  # too early
    assert scan(due - timedelta(days=7)) == 2  # a week before: the case worker and the lead professional
    assert scan(due - timedelta(days=6)) == 0  # never twice
    assert scan(due) == 2
    assert scan(due + timedelta(days=1)) == 2  # overdue
    assert scan(due + timedelta(days=2)) == 0
    subjects = services.db.session.scalars(select(Notification.subject).where(Notification.user_id == carm["worker"].id)
                                           .order_by(Notification.id)).all()
    assert subjects == ["CARM review of case GLN-1 due on 15 March 2026", "CARM review of case GLN-1 is due today",
                        "CARM review of case GLN-1 is overdue (due 15 March 2026)"]
    assert scan(due + timedelta(days=30)) == 0  # nobody else: the foreign worker never hears of it
    assert services.db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == carm["foreign_worker"].id)) == 0


# -- access -------------------------------------------------------------------------------------


def case_urls(app, area_id, case_id):
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("scotland.") and "case_id" in rule.arguments:
            url = rule.rule.replace("<int:area_id>", str(area_id)).replace("<int:case_id>", str(case_id))
            urls.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return urls


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
@pytest.mark.parametrize("who", ["board", "viewer", "foreign_worker"])
def test_only_case_workers_reach_case_urls(app, client, carm, who):
    from hsbtrack_scotland.models import AccessLog

    case = new_case(carm["area"])
    urls = case_urls(app, carm["area"].id, case.id) + [("GET", f"/areas/{carm['area'].id}/scotland/cases/new")]
    assert len(urls) >= 11
    login(client, carm[who])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/account").get_data(as_text=True)).group(1)
    for method, url in urls:
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, url)
        assert "GLN-1" not in response.get_data(as_text=True)
    home = client.get(f"/areas/{carm['area'].id}/scotland/")
    if who == "foreign_worker":
        assert home.status_code == 404
    else:
        assert home.status_code == 200 and "GLN-1" not in home.get_data(as_text=True)
        assert "Cases in figures" in home.get_data(as_text=True)
    assert services_count(AccessLog) == 0


def services_count(model):
    from hsbtrack.extensions import db

    return db.session.scalar(select(func.count(model.id)))


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_every_read_is_logged_and_case_workers_and_admins_get_in(app, client, carm):
    from hsbtrack_scotland.models import AccessLog

    case = new_case(carm["area"])
    for user in (carm["worker"], carm["admin"]):
        each = app.test_client()
        login(each, user)
        assert each.get(f"/areas/{carm['area'].id}/scotland/cases/{case.id}").status_code == 200
    rows = app.extensions["sqlalchemy"].session.scalars(select(AccessLog).order_by(AccessLog.id)).all()
    assert [(r.user_id, r.page) for r in rows] == [(carm["worker"].id, "case"), (carm["admin"].id, "case")]
    log_page = each.get(f"/areas/{carm['area'].id}/scotland/cases/{case.id}/access-log").get_data(as_text=True)
    assert "Who has read this case" in log_page and "The case" in log_page and "worker@example.org" in log_page


# -- the pages, end to end ----------------------------------------------------------------------


def dmy(prefix, d):
    return {prefix: [str(d.day), str(d.month), str(d.year)]}


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_a_case_walks_every_stage_through_the_pages(app, client, carm):
    from hsbtrack_scotland import services
    from hsbtrack_scotland.models import CarmCase

    area_id = carm["area"].id
    base = f"/areas/{area_id}/scotland"
    login(client, carm["worker"])
    bad = post_form(client, f"{base}/cases/new", {"reference": "", "age_at_referral": "20"})
    assert bad.status_code == 422
    assert "Enter the case reference" in bad.get_data(as_text=True)
    response = post_form(client, f"{base}/cases/new", {
        "reference": "GLN-9", "age_at_referral": "15", "gender": "female", "hackett": "problematic",
        "setting": "care", "lead_professional_id": str(carm["worker"].id), "referral_source": "School",
        **dmy("referral_on", date(2026, 1, 5))})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    case = app.extensions["sqlalchemy"].session.scalar(select(CarmCase).where(CarmCase.reference == "GLN-9"))
    url = f"{base}/cases/{case.id}"

    def move(stage, d, **extra):
        r = post_form(client, f"{url}/stage", {"stage": stage, **dmy("on", d), **extra})
        assert r.status_code == 302, r.get_data(as_text=True)[:3000]

    move("decision", date(2026, 1, 10))
    refused = post_form(client, f"{url}/stage", {"stage": "initial_meeting", **dmy("on", date(2026, 1, 20))})
    assert refused.status_code == 422 and "Record the initial CARM meeting first" in refused.get_data(as_text=True)
    r = post_form(client, f"{url}/meetings/new", {"agencies": ["police", "health", "social_work"],
                                                   "child_participation": "views_given",
                                                   "parents_participation": "attended", "decisions": "Assess",
                                                   **dmy("held_on", date(2026, 1, 20))})
    assert r.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Core member missing" in page and "No one from: Education" in page
    move("initial_meeting", date(2026, 1, 20))
    move("risk_assessment", date(2026, 1, 25))
    r = post_form(client, f"{url}/classification", {"level": "aware", **dmy("on", date(2026, 2, 1))})
    assert r.status_code == 302
    move("risk_management_plan", date(2026, 2, 1))
    r = post_form(client, f"{url}/plan/new", {"section": "monitoring", "title": "Weekly check-in",
                                               "owner": str(carm["worker"].id), **dmy("due_on", date(2026, 4, 1))})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    move("review", date(2026, 2, 20))
    refused = post_form(client, f"{url}/stage", {"stage": "closed", **dmy("on", date(2026, 2, 25))})
    assert refused.status_code == 422 and "Choose the reason for closing the case" in refused.get_data(as_text=True)
    move("closed", date(2026, 2, 25), reason="risk_reduced")
    page = client.get(url).get_data(as_text=True)
    assert "Risk reduced" in page and "Weekly check-in" in page
    assert [e.stage for e in services.stage_events(case)] == [
        "referral", "decision", "initial_meeting", "risk_assessment", "risk_management_plan", "review", "closed"]
    assert "Weekly check-in" in client.get("/my-actions").get_data(as_text=True)


# -- aggregates -----------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_aggregates_never_show_a_count_under_five(app, client, carm):
    from hsbtrack.plugins.services import collect
    from hsbtrack_scotland import services

    area = carm["area"]
    for i in range(7):
        new_case(area, reference=f"F{i}", gender="female", age_at_referral=str(12 + i % 3), setting="home")
    for i in range(3):
        new_case(area, reference=f"M{i}", gender="male", age_at_referral="16", setting="secure")
    data = services.aggregates(area)
    assert data["total"] == 10
    # male (3) is under 5; "other" (0) too; female (7) is shown since two cells are hidden
    assert data["groups"]["gender"] == {"female": 7, "male": None, "other": None}
    # learning needs: yes 10, no 0 -> "no" hidden, and "yes" too (else no = total - yes)
    assert data["groups"]["learning_needs"] == {"yes": None, "no": None}
    every = [v for group in data["groups"].values() for v in group.values()]
    assert all(v is None or v >= 5 for v in every)

    login(client, carm["board"])
    page = client.get(f"/areas/{area.id}/scotland/").get_data(as_text=True)
    cells = re.findall(r'govuk-table__cell--numeric">([^<]*)<', page)
    assert cells and all(c == "fewer than 5" or int(c) >= 5 for c in cells), cells
    with app.test_request_context():
        evidence = collect("hsbtrack_statement_evidence", area, audit=None, codes=["1.1", "1.2", "1.6a", "1.6b",
                                                                                    "1.6c", "2.1"])
    assert sorted(e.code for e in evidence) == ["1.1", "1.2", "1.6a", "1.6b", "1.6c"]
    for item in evidence:
        numbers = [int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", str(item.summary))]
        assert all(n >= 5 for n in numbers), item.summary


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_no_n_plus_one_on_the_case_list(app, client, carm):
    login(client, carm["worker"])
    url = f"/areas/{carm['area'].id}/scotland/"

    def measure():
        with count_queries(app) as n:
            assert client.get(url).status_code == 200
        return n()

    new_case(carm["area"], reference="A0", lead_professional_id=str(carm["worker"].id))
    small = measure()
    for i in range(1, 12):
        new_case(carm["area"], reference=f"A{i}", lead_professional_id=str(carm["worker"].id))
    assert measure() == small


# -- settings and demo --------------------------------------------------------------------------


def test_review_intervals_are_area_settings_with_defaults(app, client, carm):
    from hsbtrack_scotland import services

    area = carm["area"]
    assert services.review_days(area.id, "aware") == 84
    login(client, carm["board"])
    url = f"/areas/{area.id}/plugins/scotland/settings"
    page = client.get(url).get_data(as_text=True)
    assert "Review interval for Active and Alert (days)" in page and 'value="14"' in page
    bad = post_form(client, url, {"review_days_aware": "0", "review_days_attentive": "42",
                                  "review_days_active_alert": "14"})
    assert bad.status_code in (200, 422) and "Enter a number from 1 to 365" in bad.get_data(as_text=True)
    assert services.review_days(area.id, "aware") == 84
    ok = post_form(client, url, {"review_days_aware": "60", "review_days_attentive": "30",
                                 "review_days_active_alert": "7"})
    assert ok.status_code == 302
    from flask import g

    g.pop("_plugin_states", None)  # this test's context cached the states read before the request
    assert services.review_days(area.id, "aware") == 60 and services.review_days(area.id, "active_alert") == 7


def test_demo_makes_a_separate_scottish_area(ctx, world):
    from hsbtrack.areas.models import Area
    from hsbtrack.extensions import db
    from hsbtrack.plugins.services import is_enabled
    from hsbtrack_scotland import demo, services

    english = world.area("Riverside Safeguarding Partnership")
    with ctx.test_request_context():
        demo.create_demo(english)
        demo.create_demo(english)  # once only
    scottish = db.session.scalar(select(Area).where(Area.name == demo.DEMO_AREA))
    assert is_enabled(scottish, "scotland") and not is_enabled(english, "scotland")
    assert [c.reference for c in services.cases_for_area(scottish)] == ["GLN-2026-002", "GLN-2026-001"]
    worker = db.session.scalar(select(services.CarmCase.lead_professional_id))
    assert worker is not None


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_case_changes_are_in_the_history(carm):
    from hsbtrack.history.models import HistoryEntry
    from hsbtrack_scotland import services

    case = new_case(carm["area"], carm["worker"])
    services.update_case(carm["area"], case, {**CASE, "setting": "secure"}, user=carm["worker"])
    entry = services.db.session.scalar(select(HistoryEntry).where(HistoryEntry.field == "setting"))
    assert (entry.old_value, entry.new_value, entry.user_id) == ("home", "secure", carm["worker"].id)
    assert case.version == 2


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_no_n_plus_one_on_the_case_page(app, client, carm):
    from hsbtrack_scotland import services

    case = new_case(carm["area"], lead_professional_id=str(carm["worker"].id))
    walk_to_plan(case, carm["worker"])
    login(client, carm["worker"])
    url = f"/areas/{carm['area'].id}/scotland/cases/{case.id}"

    def measure():
        with count_queries(app) as n:
            assert client.get(url).status_code == 200
        return n()

    def more(i):
        owner = app.extensions["sqlalchemy"].session.merge(carm["admin"] if i % 2 else carm["worker"])  # two owners who may see cases
        services.add_plan_action(carm["area"], case, list(services.PLAN_SECTIONS)[i % 7], title=f"Action {i}",
                                 owner=owner, due_on=date(2026, 4, 1))
        services.add_meeting(case, {**FULL, "held_on": date(2026, 2, 1)})
        services.classify(case, "aware", date(2026, 2, 2))

    more(0)
    small = measure()
    for i in range(1, 10):
        more(i)
    assert measure() == small


@time_machine.travel(datetime(2026, 3, 1, 9), tick=False)
def test_the_case_details_can_be_changed_through_the_page(client, carm):
    from hsbtrack.history.models import HistoryEntry
    from hsbtrack_scotland import services

    case = new_case(carm["area"], lead_professional_id=str(carm["worker"].id))
    login(client, carm["worker"])
    url = f"/areas/{carm['area'].id}/scotland/cases/{case.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="GLN-1"' in page and "Change the case" in page
    bad = post_form(client, url, {**{k: v for k, v in CASE.items() if k != "referral_on"}, "age_at_referral": "10",
                                  **dmy("referral_on", date(2026, 1, 5))})
    assert bad.status_code == 422 and "record why this child is included" in bad.get_data(as_text=True)
    ok = post_form(client, url, {**{k: v for k, v in CASE.items() if k != "referral_on"}, "setting": "secure",
                                 "learning_needs": "y", "lead_professional_id": str(carm["worker"].id),
                                 **dmy("referral_on", date(2026, 1, 5))})
    assert ok.status_code == 302, ok.get_data(as_text=True)[:2000]
    services.db.session.refresh(case)
    assert case.setting == "secure" and case.age_at_referral == 14
    assert services.db.session.scalar(select(HistoryEntry.new_value).where(HistoryEntry.field == "setting")) == "secure"


def test_the_review_scan_is_a_scheduler_job_run_by_the_runner(app, carm):
    from hsbtrack.notifications.models import Notification
    from hsbtrack.scheduler.runner import run_job, scheduled_jobs

    with time_machine.travel(datetime(2026, 3, 1, 9), tick=False):
        case = new_case(carm["area"])
        walk_to_plan(case, carm["worker"])
    job = next(j for j in scheduled_jobs(app) if j.name == "scotland.reviews")
    assert job.hours == 24
    with time_machine.travel(datetime(2026, 3, 16, 7), tick=False):
        run_job(app, job, datetime(2026, 3, 16, 7))
        run_job(app, job, datetime(2026, 3, 16, 19))  # twice the same day: still one reminder
    from hsbtrack.extensions import db

    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "scotland.review")) == 1
