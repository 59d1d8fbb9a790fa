"""Emails over real SMTP: an aiosmtpd server on loopback receives each reminder exactly once, with
an absolute link built from HSBTRACK_BASE_URL."""

from datetime import timedelta

from tests.scheduler.conftest import T2_DUE, free_port, notifications, run_day

REMINDER_DAY = T2_DUE - timedelta(days=30)  # Monday 15 June 2026: a 30-day prompt and the digests


def setup_day(scene):
    scene.action(REMINDER_DAY + timedelta(days=7), title="Due soon")
    scene.action(REMINDER_DAY - timedelta(days=5), title="Late")


def test_reminders_arrive_over_smtp_exactly_once_each(app, scene, use_smtp):
    assert REMINDER_DAY.weekday() == 0
    setup_day(scene)
    first = run_day(app, REMINDER_DAY)
    assert first["core.reaudits"] == 2 and first["core.actions"] == 2 and first["core.digests"] == 3
    again = run_day(app, REMINDER_DAY, hour=15)
    assert again["core.reaudits"] == again["core.actions"] == again["core.digests"] == 0

    received = use_smtp.by_recipient()
    notes = [n for n in notifications()]
    assert len(notes) == 7
    assert received == {(note_address(n, scene), n.subject): 1 for n in notes}
    assert all(n.emailed_at is not None for n in notes)

    prompt = next(m for m in use_smtp.messages if m.to == ["board@example.org"] and "re-audit" in m.subject)
    assert prompt.subject == "The T2 re-audit of Riverside is due on 15 July 2026"
    assert prompt.message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert prompt.message["To"] == "board@example.org"
    assert f"https://hsb.example.org/areas/{scene.area.id}/audits/\n" in prompt.body
    assert "https://hsb.example.org/account" in prompt.body

    late = next(m for m in use_smtp.messages if m.subject.startswith("Overdue action"))
    assert late.to == ["owner@example.org"]
    assert late.subject == "Overdue action (due 10 June 2026): Late"
    assert "https://hsb.example.org/areas/" in late.body and "/actions/" in late.body
    digest = next(m for m in use_smtp.messages if m.to == ["owner@example.org"] and m.subject.startswith("Your week"))
    assert "- Late (Riverside, 10 June 2026)" in digest.body
    assert "https://hsb.example.org/my-actions" in digest.body


def note_address(note, scene):
    return {scene.board.id: "board@example.org", scene.board2.id: "deputy@example.org",
            scene.owner.id: "owner@example.org"}[note.user_id]


def test_links_keep_the_path_of_the_base_url(app, scene, use_smtp, monkeypatch):
    monkeypatch.setitem(app.config, "HSBTRACK_BASE_URL", "https://example.org/hsbtrack")
    run_day(app, REMINDER_DAY, jobs={"core.reaudits"})
    prompt = use_smtp.messages[0]
    assert f"https://example.org/hsbtrack/areas/{scene.area.id}/audits/\n" in prompt.body
    assert "/hsbtrack/hsbtrack/" not in prompt.body
    assert notifications()[0].link == f"/hsbtrack/areas/{scene.area.id}/audits/"


def test_an_unreachable_mail_server_does_not_stop_the_scan(app, scene, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    result = run_day(app, REMINDER_DAY, jobs={"core.reaudits"})
    assert result == {"core.reaudits": 2}
    notes = notifications()
    assert {n.user_id for n in notes} == {scene.board.id, scene.board2.id}  # both still told in the app
    assert all(n.emailed_at is None for n in notes)
    assert "could not email notification" in caplog.text
    # the reminder is not made again (nor emailed twice) by a later run
    assert run_day(app, REMINDER_DAY, hour=15, jobs={"core.reaudits"}) == {"core.reaudits": 0}


def test_without_a_mail_server_emails_go_to_the_log(app, scene, outbox):
    run_day(app, REMINDER_DAY, jobs={"core.reaudits"})
    assert sorted(m["To"] for m in outbox) == ["board@example.org", "deputy@example.org"]
