"""The scheduler process is SIGKILLed in the middle of a batch of due reminders and started again:
every reminder reaches the SMTP server exactly once, and every one is marked as emailed."""

import time
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from tests.integration.faults import inject

OWNERS = 5


def build_batch(world):
    """Five owners, each with an action two days overdue: five reminders due now."""
    from hsbtrack.actions.services import create_action

    area = world.area("Riverside")
    police = world.agency(area, "Police")
    board = world.user("board@example.org", area, "board_manager")
    owners = [world.user(f"owner{i}@example.org", area, "agency_lead", agency=police) for i in range(OWNERS)]
    due = date.today() - timedelta(days=2)
    for i, owner in enumerate(owners):
        create_action(area, title=f"Action {i}", owner=owner, due_on=due, statements=["1.1"], user=board,
                      record_overdue=True)
    return {u.id: u.email for u in [board, *owners]}


def all_notifications():
    from hsbtrack.extensions import db
    from hsbtrack.notifications.models import Notification

    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_a_scheduler_killed_mid_batch_and_restarted_sends_each_reminder_once(app, world, smtp_server, tmp_path):
    from hsbtrack.extensions import db

    addresses = build_batch(world)
    db.session.commit()
    db.session.remove()
    env = inject.child_env(tmp_path, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], MAIL_SERVER=smtp_server.host,
                           MAIL_PORT=smtp_server.port, HSBTRACK_BASE_URL="https://hsb.example.org")

    # 1. `hsbtrack scheduler --once`, stopped as it is about to hand the third email to the server.
    first = inject.spawn(["cli", "scheduler", "--once"], {**env, "HSBTRACK_TEST_FAULT": "send:3"}, tmp_path, "first")
    try:
        assert inject.wait_until_paused(first, env) == "paused before email #3"
    finally:
        inject.kill(first)
    assert len(smtp_server.messages) == 2
    notes = all_notifications()
    assert len(notes) == 2, "the reminder being sent when the process died must not be recorded as made"
    assert all(n.emailed_at is not None for n in notes)
    db.session.remove()

    # 2. Started again (as a service manager would): the rest of the batch, nothing twice.
    deadline = time.monotonic() + 20
    while True:
        second = inject.spawn(["cli", "scheduler", "--once"], env, tmp_path, "second")
        status, out = inject.finish(second)
        assert status == 0, out[-3000:]
        if "Another scheduler holds the lock" not in out:
            break
        # PostgreSQL frees the dead process's advisory lock when it sees its connection close
        assert time.monotonic() < deadline, "the killed scheduler's lock was never freed"
        time.sleep(0.5)
    assert f"core.actions: {OWNERS - 2}" in out.splitlines(), out

    notes = all_notifications()
    actions = [n for n in notes if n.kind == "action"]
    assert len(actions) == OWNERS
    assert all(n.emailed_at is not None for n in notes)
    deadline = time.monotonic() + 5
    while len(smtp_server.messages) < len(notes) and time.monotonic() < deadline:
        time.sleep(0.05)
    received = smtp_server.by_recipient()
    assert received == Counter({(addresses[n.user_id], n.subject): 1 for n in notes})
    assert {to for to, _subject in received} >= {f"owner{i}@example.org" for i in range(OWNERS)}
