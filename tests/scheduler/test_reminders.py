"""Reminders with the clock moved: each goes out on the right day, exactly once, to the right
people, by the channels they chose, in their language."""

from collections import Counter
from datetime import timedelta

import pytest

from tests.scheduler.conftest import (
    T1_COMPLETED,
    T2_DUE,
    days,
    notifications,
    run_day,
)


def walk(app, start, end, jobs=None, kind=None, runs_per_day=(9, 15)):
    """Run the scans on every day from ``start`` to ``end`` (twice a day by default); return
    ``{day: [new notifications]}`` for the days that made any (of ``kind``), and the emails sent
    per day as ``{day: Counter((to, subject))}``."""
    from hsbtrack.mail import outbox

    last_id = max((n.id for n in notifications()), default=0)
    made, mailed = {}, {}
    emails = len(outbox())
    for day in days(start, end):
        for hour in runs_per_day:
            run_day(app, day, hour, jobs=jobs)
        new = notifications_after(last_id)
        last_id = max([last_id] + [n.id for n in new])
        new = [n for n in new if kind is None or n.kind == kind]
        if new:
            made[day] = new
        sent = Counter((m["To"], m["Subject"]) for m in outbox()[emails:])
        emails = len(outbox())
        if sent:
            mailed[day] = sent
    return made, mailed


def notifications_after(last_id):
    from sqlalchemy import select

    from hsbtrack.extensions import db
    from hsbtrack.notifications.models import Notification

    return list(db.session.scalars(select(Notification).where(Notification.id > last_id).order_by(Notification.id)))


def by_user(notes):
    return Counter(n.user_id for n in notes)


# -- re-audit prompts -------------------------------------------------------------------------------


def test_closing_the_baseline_schedules_t2_six_months_later(scene):
    from hsbtrack.audits.models import ScheduledAudit
    from hsbtrack.extensions import db

    slots = {s.cycle: s.due_on for s in db.session.query(ScheduledAudit).filter_by(area_id=scene.area.id)}
    assert slots[2] == T2_DUE
    assert slots[3] == T1_COMPLETED.replace(year=2027)


def test_reaudit_prompts_go_to_board_managers_on_the_right_days_exactly_once(app, scene, outbox):
    # Once a day for the quiet months, twice a day around the due date: never a prompt twice.
    made, mailed = walk(app, T1_COMPLETED + timedelta(days=1), T2_DUE - timedelta(days=36), kind="reaudit",
                        jobs={"core.reaudits"}, runs_per_day=(9,))
    assert made == {} and mailed == {}
    made, mailed = walk(app, T2_DUE - timedelta(days=35), T2_DUE + timedelta(days=14), jobs={"core.reaudits"})

    expected = {
        T2_DUE - timedelta(days=30): "30d",
        T2_DUE - timedelta(days=7): "7d",
        T2_DUE: "due",
        T2_DUE + timedelta(days=1): "overdue-0",
        T2_DUE + timedelta(days=8): "overdue-1",
    }
    assert sorted(made) == sorted(expected)
    managers = {scene.board.id, scene.board2.id}
    for day, stage in expected.items():
        notes = made[day]
        assert by_user(notes) == {scene.board.id: 1, scene.board2.id: 1}, (day, [n.key for n in notes])
        assert all(f":{stage}:" in n.key for n in notes)
        assert all(n.area_id == scene.area.id and n.link == f"/areas/{scene.area.id}/audits/" for n in notes)
        assert all(n.emailed_at is not None for n in notes)
        # one email per board manager that day, with the notification's subject
        assert mailed[day] == Counter({("board@example.org", notes[0].subject): 1,
                                       ("deputy@example.org", notes[1].subject): 1})
    assert sorted(mailed) == sorted(expected)

    subjects = {stage: made[day][0].subject for day, stage in expected.items()}
    assert subjects["30d"] == "The T2 re-audit of Riverside is due on 15 July 2026"
    assert subjects["7d"] == "The T2 re-audit of Riverside is due on 15 July 2026"
    assert subjects["due"] == "The T2 re-audit of Riverside is due today"
    assert subjects["overdue-0"] == "The T2 re-audit of Riverside is overdue (it was due on 15 July 2026)"

    everyone = notifications(kind="reaudit")
    assert {n.user_id for n in everyone} == managers  # not the owner, the viewer or Zebrafield
    assert len({n.key for n in everyone}) == len(everyone) == 10


def test_scans_that_missed_days_catch_up_with_the_current_stage_only(app, scene, outbox):
    # The scheduler was down for the 30-day warning: the first run after it sends one prompt.
    run_day(app, T2_DUE - timedelta(days=20))
    notes = notifications(kind="reaudit", user_id=scene.board.id)
    assert [n.key.split(":")[3] for n in notes] == ["30d"]
    run_day(app, T2_DUE - timedelta(days=3))
    notes = notifications(kind="reaudit", user_id=scene.board.id)
    assert [n.key.split(":")[3] for n in notes] == ["30d", "7d"]


def test_no_prompt_once_the_reaudit_is_opened(app, scene, outbox):
    import time_machine

    from tests.scheduler.conftest import at

    made, _mailed = walk(app, T2_DUE - timedelta(days=31), T2_DUE - timedelta(days=10), kind="reaudit",
                         jobs={"core.reaudits"}, runs_per_day=(9,))
    assert list(made) == [T2_DUE - timedelta(days=30)]
    with time_machine.travel(at(T2_DUE - timedelta(days=10)), tick=False):
        scene.audits.open_audit(scene.area, user=scene.board)
    made, mailed = walk(app, T2_DUE - timedelta(days=10), T2_DUE + timedelta(days=20), kind="reaudit",
                        jobs={"core.reaudits"}, runs_per_day=(9,))
    assert made == {}
    assert mailed == {}


def test_the_day_is_the_installs_local_day(app, scene, outbox):
    # 23:30 UTC on due-31 is already due-30 in London (British Summer Time).
    run_day(app, T2_DUE - timedelta(days=31), hour=22)  # 23:00 in London: still due-31
    assert notifications(kind="reaudit") == []
    run_day(app, T2_DUE - timedelta(days=31), hour=23)  # 00:00 in London: due-30
    assert len(notifications(kind="reaudit")) == 2


# -- action reminders -------------------------------------------------------------------------------


def test_owners_are_reminded_when_due_soon_once_and_weekly_when_overdue(app, scene, outbox):
    due = T1_COMPLETED + timedelta(days=60)
    action = scene.action(due)
    scene.action(due, status="done", title="Done already")
    scene.action(due, status="cancelled", title="Not needed")
    scene.action(due + timedelta(days=200), title="Far away")

    made, mailed = walk(app, due - timedelta(days=20), due + timedelta(days=22), jobs={"core.actions"})

    expected = {
        due - timedelta(days=7): "due-soon",
        due + timedelta(days=1): "overdue-0",
        due + timedelta(days=8): "overdue-1",
        due + timedelta(days=15): "overdue-2",
        due + timedelta(days=22): "overdue-3",
    }
    assert sorted(made) == sorted(expected)
    for day, stage in expected.items():
        (note,) = made[day]
        assert note.user_id == scene.owner.id
        assert note.key == f"action:{action.id}:{stage}:{due.isoformat()}"
        assert note.link == f"/areas/{scene.area.id}/actions/{action.id}"
        assert mailed[day] == Counter({("owner@example.org", note.subject): 1})
    assert made[due - timedelta(days=7)][0].subject == "Action due on 16 March 2026: Train school staff"
    assert made[due + timedelta(days=1)][0].subject == "Overdue action (due 16 March 2026): Train school staff"
    assert sorted(mailed) == sorted(expected)


def test_done_or_cancelled_actions_get_nothing(app, scene, outbox):
    due = T1_COMPLETED + timedelta(days=60)
    action = scene.action(due)
    walk(app, due - timedelta(days=7), due - timedelta(days=7), jobs={"core.actions"})
    assert len(notifications(kind="action")) == 1
    from hsbtrack.actions import services

    services.update_action(action, {"status": "done", "completion_evidence": "Training register signed off"},
                           user=scene.board)
    scene.action(due, status="cancelled", title="Cancelled")
    made, mailed = walk(app, due - timedelta(days=6), due + timedelta(days=30), jobs={"core.actions"})
    assert made == {} and mailed == {}


def test_a_new_due_date_starts_the_reminders_again(app, scene, outbox):
    from hsbtrack.actions import services

    due = T1_COMPLETED + timedelta(days=60)
    action = scene.action(due)
    made, _ = walk(app, due - timedelta(days=7), due + timedelta(days=1), jobs={"core.actions"}, runs_per_day=(9,))
    assert [n.key.split(":")[2] for d in sorted(made) for n in made[d]] == ["due-soon", "overdue-0"]
    new_due = due + timedelta(days=30)
    services.update_action(action, {"due_on": new_due.isoformat(), "record_overdue": True}, user=scene.board)
    made, _ = walk(app, due + timedelta(days=2), new_due, jobs={"core.actions"}, runs_per_day=(9,))
    assert list(made) == [new_due - timedelta(days=7)]
    assert made[new_due - timedelta(days=7)][0].key == f"action:{action.id}:due-soon:{new_due.isoformat()}"


def test_nobody_hears_about_an_area_where_they_lost_their_role(app, scene, outbox):
    from hsbtrack.areas.models import Membership
    from hsbtrack.extensions import db

    due = T1_COMPLETED + timedelta(days=60)
    scene.action(due)
    db.session.query(Membership).filter_by(user_id=scene.owner.id).delete()
    db.session.commit()
    made, mailed = walk(app, due - timedelta(days=8), due + timedelta(days=8), jobs={"core.actions", "core.digests"})
    assert made == {} and mailed == {}


def test_a_regional_coordinator_who_owns_an_action_is_reminded(app, world, outbox):
    from tests.scheduler.conftest import Scene

    region = world.region("North")
    scene = Scene(world, close_t1=False)
    scene.area.region_id = region.id
    world.db.session.commit()
    coordinator = world.user("coordinator@example.org", region=region, role="regional_coordinator")
    due = T1_COMPLETED + timedelta(days=60)
    scene.action(due, owner=coordinator)
    made, _ = walk(app, due - timedelta(days=7), due - timedelta(days=7), jobs={"core.actions"})
    assert [n.user_id for n in made[due - timedelta(days=7)]] == [coordinator.id]


# -- the weekly digest ------------------------------------------------------------------------------


def test_the_monday_digest_goes_once_per_user_per_week(app, scene, outbox):
    due = T1_COMPLETED + timedelta(days=60)  # Monday 16 March 2026
    assert due.weekday() == 0
    scene.action(due - timedelta(days=10), title="Late one")
    scene.action(due + timedelta(days=3), title="Soon one")
    scene.action(due + timedelta(days=40), title="Later one")
    scene.action(due + timedelta(days=3), owner=scene.board, title="Board's own", status="done")

    made, mailed = walk(app, due - timedelta(days=1), due + timedelta(days=15), jobs={"core.digests"})

    mondays = [due, due + timedelta(days=7), due + timedelta(days=14)]
    assert sorted(made) == mondays
    for monday in mondays:
        (note,) = made[monday]
        assert note.user_id == scene.owner.id and note.kind == "digest"
        week = monday.isocalendar()
        assert note.key == f"digest:{scene.owner.id}:{week[0]}-W{week[1]:02d}"
        assert mailed[monday] == Counter({("owner@example.org", note.subject): 1})
    first = made[due][0]
    assert first.subject == "Your week: 3 open actions, 1 overdue"
    assert "Overdue:\n- Late one (Riverside, 6 March 2026)" in first.body
    assert "Due in the next 7 days:\n- Soon one (Riverside, 19 March 2026)" in first.body
    assert "Later one" not in first.body
    assert first.link == "/my-actions"


def test_board_managers_digest_lists_the_reaudits_coming_up(app, scene, outbox):
    monday = T2_DUE - timedelta(days=T2_DUE.weekday())  # 13 July 2026
    run_day(app, monday, jobs={"core.digests"})
    notes = notifications(kind="digest")
    assert {n.user_id for n in notes} == {scene.board.id, scene.board2.id}
    assert "Re-audits coming up:\n- T2 Riverside: 15 July 2026" in notes[0].body
    assert notes[0].subject == "Your week: 0 open actions, 0 overdue"


# -- how people chose to hear -----------------------------------------------------------------------


def test_email_off_means_in_the_app_only_and_digest_only_means_only_the_digest_by_email(app, world, scene, outbox):
    from hsbtrack.extensions import db

    quiet = world.user("quiet@example.org", scene.area, "agency_lead", agency=scene.police)
    quiet.email_notifications = False
    weekly = world.user("weekly@example.org", scene.area, "agency_lead", agency=scene.police)
    weekly.digest_only = True
    scene.board2.digest_only = True
    db.session.commit()
    due = T1_COMPLETED + timedelta(days=60)  # a Monday
    for user in (quiet, weekly, scene.owner):
        scene.action(due, owner=user, title=f"Action of {user.email}")

    _made, mailed = walk(app, due - timedelta(days=8), due + timedelta(days=8), runs_per_day=(9,))
    emails = Counter()
    for sent in mailed.values():
        emails.update(sent)
    by_address = Counter()
    for (to, subject), count in emails.items():
        by_address[(to, "digest" if subject.startswith("Your week") else "reminder")] += count

    kinds = {user.id: Counter(n.kind for n in notifications(user_id=user.id)) for user in (quiet, weekly, scene.owner)}
    # everyone has the same notifications in the app: due soon, overdue twice, and three Monday digests
    for user in (quiet, weekly, scene.owner):
        assert kinds[user.id] == Counter({"action": 3, "digest": 3}), user.email
    assert ("quiet@example.org", "reminder") not in by_address
    assert ("quiet@example.org", "digest") not in by_address
    assert by_address[("weekly@example.org", "reminder")] == 0
    assert by_address[("weekly@example.org", "digest")] == 3
    assert by_address[("owner@example.org", "reminder")] == 3
    assert by_address[("owner@example.org", "digest")] == 3
    # the quiet user's notifications were never emailed
    assert all(n.emailed_at is None for n in notifications(user_id=quiet.id))


def test_inactive_users_get_nothing(app, scene, outbox):
    from hsbtrack.extensions import db

    due = T1_COMPLETED + timedelta(days=60)
    scene.action(due)
    scene.owner.active = False
    db.session.commit()
    made, mailed = walk(app, due - timedelta(days=7), due + timedelta(days=1), jobs={"core.actions", "core.digests"})
    assert made == {} and mailed == {}


# -- language ---------------------------------------------------------------------------------------


@pytest.fixture()
def language_spy(monkeypatch):
    """Records the language in force whenever an email is handed to the mailer."""
    from flask_babel import get_locale

    from hsbtrack.notifications import services

    seen = []
    real = services.send_email

    def spy(to, subject, body):
        seen.append((to, str(get_locale()), subject))
        return real(to, subject, body)

    monkeypatch.setattr(services, "send_email", spy)
    return seen


def test_reminders_are_written_in_the_language_each_user_chose(app, scene, outbox, language_spy):
    from hsbtrack.extensions import db

    scene.board2.locale = "cy"
    db.session.commit()
    run_day(app, T2_DUE - timedelta(days=30), jobs={"core.reaudits"})

    languages = {to: locale for to, locale, _subject in language_spy}
    assert languages == {"board@example.org": "en", "deputy@example.org": "cy"}
    subjects = {n.user_id: n.subject for n in notifications(kind="reaudit")}
    assert subjects[scene.board.id].startswith("The T2 re-audit of ")
    assert "15 July 2026" in subjects[scene.board.id]
    # the whole sentence is Welsh, the date too (Welsh month names come with Babel)
    assert subjects[scene.board2.id].startswith("Mae ail-archwiliad T2 ar gyfer ")
    assert subjects[scene.board2.id].endswith("ar 15 Gorffennaf 2026")
    welsh_mail = next(m for m in outbox if "deputy@example.org" in m["To"])
    assert "Mae ail-archwiliad T2" in welsh_mail["Subject"]
    assert "Rydych chi'n cael yr e-bost hwn oherwydd eich cyfrif hsbtrack" in welsh_mail.get_content()


def test_the_digest_is_in_the_users_language(app, scene, outbox, language_spy):
    from hsbtrack.extensions import db

    scene.owner.locale = "cy"
    db.session.commit()
    due = T1_COMPLETED + timedelta(days=60)  # a Monday
    scene.action(due + timedelta(days=2))
    run_day(app, due, jobs={"core.digests"})
    assert [(to, locale) for to, locale, _s in language_spy] == [("owner@example.org", "cy")]
    (note,) = notifications(kind="digest")
    assert note.subject.startswith("Eich wythnos: ")
    assert "18 Mawrth 2026" in note.body
