"""Retention: the rules with their documented defaults and the install's own periods, the ``core.retention``
scan that lists what is due (deleting nothing), and the deletion an administrator confirms (all or nothing;
the history keeps that it happened, not what it was)."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from hsbtrack.auth.models import LoginAttempt
from hsbtrack.errors import ConflictError
from hsbtrack.privacy import retention
from hsbtrack.privacy.models import PrivacyLogEntry, RetentionReviewItem
from hsbtrack.testing import login, post_form

NOW = datetime(2026, 6, 15, 12)


@pytest.fixture()
def attempts(world):
    """Sign-in attempts in March 2025 (due after a year), in May 2025 (due: a whole month past the year) and
    last week (not due)."""
    for at, email in ((datetime(2025, 3, 2), "old1@example.org"), (datetime(2025, 3, 30), "old2@example.org"),
                      (datetime(2025, 5, 10), "may@example.org"), (NOW - timedelta(days=7), "new@example.org")):
        world.db.session.add(LoginAttempt(email=email, ip="10.1.1.1", success=False, at=at))
    world.db.session.commit()
    return world


def emails(db):
    return sorted(db.session.scalars(select(LoginAttempt.email).where(LoginAttempt.email != "admin@example.org")))


def test_periods_and_settings():
    assert retention.parse_period("6y") == (6, "y") and retention.parse_period(" 18M ") == (18, "m")
    assert retention.parse_period("never") is None
    with pytest.raises(ValueError):
        retention.parse_period("six years")
    assert retention.cutoff_for((1, "y"), datetime(2024, 2, 29)) == datetime(2023, 2, 28)
    assert retention.cutoff_for((18, "m"), NOW) == datetime(2024, 12, 15, 12)
    assert retention.setting_name("scotland.carm_cases") == "HSBTRACK_RETENTION_SCOTLAND_CARM_CASES"

    from hsbtrack.config import ConfigurationError, settings_from_environment

    settings = settings_from_environment(__import__("pathlib").Path("/tmp"), {
        "HSBTRACK_ENV": "testing", "HSBTRACK_RETENTION_CORE_SIGN_IN_ATTEMPTS": "2Y"})
    assert settings["HSBTRACK_RETENTION"] == {"HSBTRACK_RETENTION_CORE_SIGN_IN_ATTEMPTS": "2y"}
    with pytest.raises(ConfigurationError, match="HSBTRACK_RETENTION_CORE_DOWNLOAD_LOG"):
        settings_from_environment(__import__("pathlib").Path("/tmp"), {
            "HSBTRACK_ENV": "testing", "HSBTRACK_RETENTION_CORE_DOWNLOAD_LOG": "forever"})


def test_the_scan_lists_what_is_due_and_deletes_nothing(attempts):
    db = attempts.db
    assert retention.scan_retention(now=NOW) == 2
    listed = db.session.scalars(select(RetentionReviewItem).order_by(RetentionReviewItem.item_key)).all()
    assert [(r.rule, r.item_key) for r in listed] == [("core.sign_in_attempts", "2025-03"),
                                                     ("core.sign_in_attempts", "2025-05")]
    assert listed[0].label == "Sign-in attempts of March 2025 (2)"
    assert len(emails(db)) == 4  # nothing deleted
    assert retention.scan_retention(now=NOW) == 2  # idempotent
    assert db.session.scalar(select(func.count()).select_from(RetentionReviewItem)) == 2
    # a longer period set by the install: the May month is no longer due, and leaves the review
    retention.current_app.config["HSBTRACK_RETENTION"] = {"HSBTRACK_RETENTION_CORE_SIGN_IN_ATTEMPTS": "14m"}
    try:
        assert retention.scan_retention(now=NOW) == 1
        assert db.session.scalars(select(RetentionReviewItem.item_key)).all() == ["2025-03"]
        retention.current_app.config["HSBTRACK_RETENTION"] = {"HSBTRACK_RETENTION_CORE_SIGN_IN_ATTEMPTS": "never"}
        assert retention.scan_retention(now=NOW) == 0
    finally:
        retention.current_app.config["HSBTRACK_RETENTION"] = {}


def test_the_scan_is_a_scheduled_job(ctx):
    from hsbtrack.plugins.services import registry

    jobs = {job.name: job for job in registry().collect("hsbtrack_scheduled_jobs", None)}
    assert jobs["core.retention"].func is retention.scan_retention


def test_an_administrator_confirms_the_deletion_on_the_review_pages(client, attempts, time_machine):
    db = attempts.db
    time_machine.move_to(NOW, tick=False)
    admin = attempts.user("admin@example.org", admin=True)
    login(client, admin)
    page = client.get("/admin/privacy/retention").get_data(as_text=True)
    assert "Sign-in attempts" in page and "HSBTRACK_RETENTION_CORE_SIGN_IN_ATTEMPTS" in page
    assert "Nothing is due" in page  # (the scan has not run)
    assert post_form(client, "/admin/privacy/retention", {}).status_code == 302  # "Check now"
    page = client.get("/admin/privacy/retention").get_data(as_text=True)
    assert "2 records are due for deletion" in page
    confirm = client.get("/admin/privacy/retention/delete?rule=core.sign_in_attempts").get_data(as_text=True)
    assert "Sign-in attempts of March 2025 (2)" in confirm and "Sign-in attempts of May 2025 (1)" in confirm
    # only March ticked: May stays in the review
    response = post_form(client, "/admin/privacy/retention/delete",
                         {"rule": "core.sign_in_attempts", "keys": ["2025-03"]},
                         page="/admin/privacy/retention/delete?rule=core.sign_in_attempts")
    assert response.status_code == 302
    assert emails(db) == ["may@example.org", "new@example.org"]
    assert db.session.scalars(select(RetentionReviewItem.item_key)).all() == ["2025-05"]
    entry = db.session.scalars(select(PrivacyLogEntry)).one()
    assert (entry.kind, entry.subject, entry.count, entry.by_user_id) == ("retention_deletion",
                                                                         "core.sign_in_attempts", 1, admin.id)
    assert "Deleted under a retention rule" in client.get("/admin/privacy").get_data(as_text=True)


def test_a_record_no_longer_due_stops_the_whole_deletion(attempts, time_machine):
    db = attempts.db
    time_machine.move_to(NOW, tick=False)
    admin = attempts.user("admin@example.org", admin=True)
    with pytest.raises(ConflictError):
        retention.delete_due("core.sign_in_attempts", ["2025-03", "2026-06"], by=admin)
    assert len(emails(db)) == 4
    assert db.session.scalars(select(PrivacyLogEntry)).all() == []


def test_others_cannot_see_or_delete(client, attempts):
    board = attempts.user("board@example.org", attempts.area("Riverside"), "board_manager")
    login(client, board)
    for path in ("/admin/privacy/retention", "/admin/privacy/retention/delete?rule=core.sign_in_attempts"):
        assert client.get(path).status_code == 404
    from hsbtrack.errors import ForbiddenError

    with pytest.raises(ForbiddenError):
        retention.delete_due("core.sign_in_attempts", ["2025-03"], by=board)
