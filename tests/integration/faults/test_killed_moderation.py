"""A board manager saves an agreed score on the moderation page; the web process is SIGKILLed in the
middle of that save. The save writes several rows (the agreed score, a history entry per changed
field, the audit's data version): afterwards all of them are there or none, and the history shows
no change that was not saved."""

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.integration.faults import inject

# (after the agreed score row is written, before its history) and (everything written, not committed)
POINTS = ["flush:audit_agreed_scores:1", "flush:history_entries:1"]


def state(audit_id):
    from hsbtrack.audits.models import AgreedScore, Audit
    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry

    db.session.expire_all()
    return {
        "agreed": sorted(db.session.execute(select(AgreedScore.code, AgreedScore.score, AgreedScore.justification,
                                                   AgreedScore.version)
                                            .where(AgreedScore.audit_id == audit_id)).all()),
        "history": sorted(db.session.execute(select(HistoryEntry.id, HistoryEntry.code, HistoryEntry.field,
                                                    HistoryEntry.new_value)
                                             .where(HistoryEntry.audit_id == audit_id)).all()),
        "data_version": db.session.scalar(select(Audit.data_version).where(Audit.id == audit_id)),
    }


@pytest.mark.parametrize("point", POINTS)
def test_a_moderation_save_killed_midway_leaves_all_or_nothing(app, world, tmp_path, point):
    from hsbtrack.audits import services
    from hsbtrack.extensions import db

    area = world.area("Riverside")
    board = world.user("board@example.org", area, "board_manager")
    audit = services.open_audit(area, user=board)
    for agency, value in zip(area.agencies, (3, 1, 2), strict=True):
        for code in ("1.1", "1.2"):
            services.save_response(audit, agency.id, code, score=value, user=board)
    services.set_agreed_score(audit, "1.1", 2, "Agreed at the meeting", user=board)  # an earlier save
    area_id, audit_id = area.id, audit.id
    before = state(audit_id)
    assert [a[:2] for a in before["agreed"]] == [("1.1", 2)]
    db.session.commit()
    db.session.remove()

    url = f"/areas/{area_id}/audits/{audit_id}/statements/1.2/agreed"
    page = f"/areas/{area_id}/audits/{audit_id}/statements/1.2"
    form = ["score=3", "justification=Health's new pathway is in place", "version=0"]
    env = inject.child_env(tmp_path, TEST_DB_URI=app.config["SQLALCHEMY_DATABASE_URI"], TEST_FORM_PAGE=page)
    child = inject.spawn(["post", "board@example.org", url, *form], {**env, "HSBTRACK_TEST_FAULT": point},
                         tmp_path, "killed")
    try:
        assert inject.wait_until_paused(child, env).startswith("paused after flush #1")
    finally:
        inject.kill(child)

    assert state(audit_id) == before  # no agreed score for 1.2, no history entry, same data version
    db.session.remove()
    client = app.test_client()
    login(client, "board@example.org")
    text = client.get(page).get_data(as_text=True)
    assert "Health&#39;s new pathway" not in text and "Health's new pathway" not in text

    # The same save again, uninterrupted: all of its rows.
    status, out = inject.finish(inject.spawn(["post", "board@example.org", url, *form], env, tmp_path, "again"))
    assert status == 0 and out.strip().endswith("302"), out[-3000:]
    after = state(audit_id)
    assert [a[:2] for a in after["agreed"]] == [("1.1", 2), ("1.2", 3)]
    new = [h for h in after["history"] if h not in before["history"]]
    assert sorted((h.code, h.field, h.new_value) for h in new) == [
        ("1.2", "justification", "Health's new pathway is in place"), ("1.2", "score", 3)]
    assert after["data_version"] == before["data_version"] + 1
