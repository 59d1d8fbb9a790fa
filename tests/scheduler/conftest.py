"""Helpers for the scheduler tests: a real SMTP server on loopback, a baseline audit closed on a
known day, a clock that walks day by day, and counting of notifications and emails."""

import socket
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import select

T1_COMPLETED = date(2026, 1, 15)  # a Thursday
T2_DUE = date(2026, 7, 15)  # T1 + 6 months
RUN_HOUR = 9  # the scans run at 09:00 UTC (10:00 in London in summer: the same day)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append(SimpleNamespace(to=list(envelope.rcpt_tos), subject=str(message["Subject"]),
                                                 body=message.get_content().replace("\r\n", "\n"), message=message))
        return "250 Message accepted for delivery"

    def by_recipient(self):
        return Counter((m.to[0], m.subject) for m in self.messages)


@pytest.fixture()
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.host, handler.port = controller.hostname, controller.port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture()
def use_smtp(app, smtp_server, monkeypatch):
    """The session's app sends over SMTP to the loopback server for this test."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", smtp_server.host)
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "HSBTRACK_BASE_URL", "https://hsb.example.org")
    return smtp_server


def at(day: date, hour: int = RUN_HOUR) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def naive(day: date, hour: int = RUN_HOUR) -> datetime:
    return at(day, hour).replace(tzinfo=None)


def days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


class Scene:
    """Riverside: two board managers, an action owner, a viewer; Zebrafield: its own board manager.
    Riverside's baseline (T1) was closed on ``T1_COMPLETED``, so T2 is due on ``T2_DUE``."""

    def __init__(self, world, close_t1=True):
        from hsbtrack.audits import services as audits

        self.world = world
        self.audits = audits
        self.area = world.area("Riverside")
        self.police = world.agency(self.area, "Police")
        self.board = world.user("board@example.org", self.area, "board_manager")
        self.board2 = world.user("deputy@example.org", self.area, "board_manager")
        self.owner = world.user("owner@example.org", self.area, "agency_lead", agency=self.police)
        self.viewer = world.user("viewer@example.org", self.area, "viewer")
        self.other_area = world.area("Zebrafield", agencies=("Zebra Police",))
        self.other_board = world.user("board@zebrafield.example", self.other_area, "board_manager")
        self.t1 = None
        if close_t1:
            with time_machine.travel(at(T1_COMPLETED), tick=False):
                self.t1 = audits.open_audit(self.area, user=self.board)
                audits.save_response(self.t1, self.police.id, "1.1", score=1, user=self.board)
                audits.close_audit(self.t1, user=self.board, completed_on=T1_COMPLETED.isoformat(), override_reason="closed as the test sets it up")

    def action(self, due_on, owner=None, status=None, title="Train school staff", area=None):
        from hsbtrack.actions import services as actions

        # (the scenes are set in 2026 whatever the real date: their actions are recorded as they were)
        action = actions.create_action(area or self.area, title=title, owner=owner or self.owner, due_on=due_on,
                                       statements=["1.1"], user=self.board, record_overdue=True)
        if status:
            changes = {"status": status}
            if status == "done":
                changes["completion_evidence"] = "Training register signed off by the board"
            actions.update_action(action, changes, user=self.board)
        return action


@pytest.fixture()
def scene(world):
    return Scene(world)


def notifications(**where):
    from hsbtrack.extensions import db
    from hsbtrack.notifications.models import Notification

    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(db.session.scalars(query))


def outbox_counter():
    from hsbtrack.mail import outbox

    return Counter((m["To"], m["Subject"]) for m in outbox())


def run_day(app, day: date, hour: int = RUN_HOUR, jobs=None):
    """Run the scans (all jobs, or those named) as the scheduler would at ``hour`` UTC on ``day``,
    with the clock moved there."""
    from hsbtrack.scheduler.runner import run_all, run_job, scheduled_jobs

    with time_machine.travel(at(day, hour), tick=False):
        if jobs is None:
            return run_all(app, now=naive(day, hour))
        return {j.name: run_job(app, j, naive(day, hour)) for j in scheduled_jobs(app) if j.name in jobs}
