"""UK GDPR and CARM records (docs/privacy.md): a case closed longer ago than its retention rule (6 years by
default) is flagged by the ``core.retention`` scan; once an administrator confirms, it is deleted with
everything made from it — stages, meetings, classifications, reads, its plan's actions with their updates
and documents, the reminders and every history entry — leaving no trace of its content. The history keeps
only that a CARM case was deleted under the rule, by whom and when. Staff see what they did in CARM records
in their subject access export, by case reference, never a case's content."""

import io
import zipfile
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from hsbtrack.actions.documents import upload_to_action
from hsbtrack.actions.services import add_update
from hsbtrack.documents.models import DocumentVersion
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.notifications.services import notify
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.privacy import retention
from hsbtrack.privacy.models import PrivacyLogEntry, RetentionReviewItem
from hsbtrack.storage import storage
from hsbtrack.testing import csrf_token, login, post_form
from hsbtrack_scotland import services
from hsbtrack_scotland.models import CarmCase

MARK = "carm-content-marker"  # in every free text of the old case
KEEP = "carm-recent-marker"  # in the case closed last year: it stays
MEETING = {"agencies": ["police", "health", "social_work", "education"], "child_participation": "attended",
           "parents_participation": "attended"}


def case_with_everything(area, worker, reference, year, mark):
    """A case referred, planned and closed in ``year``, with the marker in every text a person types."""
    with time_machine.travel(datetime(year, 12, 1, 10), tick=False):
        case = services.create_case(area, {
            "reference": reference, "age_at_referral": "14", "gender": "male", "hackett": "abusive",
            "setting": "home", "referral_source": f"Police {mark}", "referral_on": date(year, 1, 5),
            "ird_on": date(year, 1, 6), "ird_outcome": f"IRD {mark}"}, user=worker)
        services.move_to(case, "decision", date(year, 1, 10), note=f"decided {mark}", user=worker)
        services.add_meeting(case, {**MEETING, "held_on": date(year, 1, 20), "decisions": f"decisions {mark}",
                                    "other_attendees": f"attendees {mark}"}, user=worker)
        services.move_to(case, "initial_meeting", date(year, 1, 20), user=worker)
        services.move_to(case, "risk_assessment", date(year, 1, 25), user=worker)
        services.classify(case, "attentive", date(year, 2, 1), reason=f"reason {mark}", user=worker)
        services.move_to(case, "risk_management_plan", date(year, 2, 1), user=worker)
        action = services.add_plan_action(area, case, "supervision", title=f"Supervise {mark}", owner=worker,
                                          due_on=date(year, 12, 20), description=f"plan {mark}", user=worker)
        add_update(action, f"update {mark}", 50, user=worker)
        upload_to_action(action, io.BytesIO(b"%PDF-1.4\n"), f"{mark}.pdf", title=f"minutes {mark}", user=worker)
        services.log_read(case, worker, "case")
        notify(worker, key=f"scotland.review.{case.id}.{year}.due.{worker.id}", kind="scotland.review",
               subject=f"CARM review of case {reference} ({mark})", email=False)
        notify(worker, key=f"digest:{worker.id}:{year}-W48:{reference}", kind="digest", subject="Your week",
               body=f"Overdue:\n- Supervise {mark} ({area.display_name}, 20 December {year})", email=False)
        services.move_to(case, "closed", date(year, 3, 1), reason="risk_reduced", user=worker)
    return case


@pytest.fixture()
def scene(world):
    area = world.area("Glenmore")
    set_area_plugin(area, "scotland", True)
    worker = world.user("worker@example.org", area, "case_worker")
    admin = world.user("admin@example.org", admin=True)
    old = case_with_everything(area, worker, "OLD-1", 2019, MARK)
    recent = case_with_everything(area, worker, "NEW-1", 2025, KEEP)
    with time_machine.travel(datetime(2025, 12, 1, 10), tick=False):
        services.create_case(area, {"reference": "OPEN-1", "age_at_referral": "13", "gender": "female",
                                    "hackett": "problematic", "setting": "home", "referral_source": "School",
                                    "referral_on": date(2025, 11, 1)}, user=worker)
    return area, worker, admin, old, recent


def every_row_as_text() -> str:
    """Every row of every table (the history, notifications, documents, actions...), as one text."""
    with db.engine.connect() as conn:
        return "\n".join(repr(row) for table in db.metadata.sorted_tables for row in conn.execute(table.select())).lower()


@time_machine.travel(datetime(2026, 6, 1, 9), tick=False)
def test_a_case_closed_longer_ago_than_its_rule_is_flagged_then_deleted_without_trace(client, scene):
    area, worker, admin, old, recent = scene
    old_id, recent_id = old.id, recent.id
    assert MARK in every_row_as_text()
    files = list(db.session.scalars(select(DocumentVersion.storage_key).where(DocumentVersion.filename.contains(MARK))))
    assert files and all(storage().exists(k) for k in files)

    retention.scan_retention()
    listed = db.session.scalars(select(RetentionReviewItem).where(RetentionReviewItem.rule == "scotland.carm_cases")).all()
    assert [(r.item_key, r.area_id, r.label, r.since) for r in listed] == [
        (str(old_id), area.id, "CARM case OLD-1", date(2019, 3, 1))]
    assert db.session.get(CarmCase, old_id) is not None  # (listed, not deleted)

    login(client, admin)
    confirm = "/admin/privacy/retention/delete?rule=scotland.carm_cases"
    assert "CARM case OLD-1" in client.get(confirm).get_data(as_text=True)
    response = post_form(client, "/admin/privacy/retention/delete", {"rule": "scotland.carm_cases", "keys": [str(old_id)]},
                         page=confirm)
    assert response.status_code == 302

    db.session.expire_all()
    assert db.session.get(CarmCase, old_id) is None and db.session.get(CarmCase, recent_id) is not None
    text = every_row_as_text()
    assert MARK not in text and "old-1" not in text  # no trace of its content anywhere
    assert KEEP in text  # (the recent case is untouched)
    assert not any(storage().exists(k) for k in files)  # (its documents' bytes too)
    entries = db.session.scalars(select(HistoryEntry).where(HistoryEntry.entity == "retention")).all()
    assert [(e.area_id, e.field, e.new_value, e.user_id) for e in entries] == [
        (area.id, "scotland.carm_cases", {"deleted": 1}, admin.id)]
    entry = db.session.scalars(select(PrivacyLogEntry)).one()
    assert (entry.kind, entry.subject, entry.count) == ("retention_deletion", "scotland.carm_cases", 1)
    assert db.session.scalars(select(RetentionReviewItem).where(RetentionReviewItem.rule == "scotland.carm_cases")).all() == []
    # the case's pages answer 404; the CARM list still works
    reader = client.application.test_client()
    login(reader, worker)
    assert reader.get(f"/areas/{area.id}/scotland/cases/{old_id}").status_code == 404
    assert reader.get(f"/areas/{area.id}/scotland/").status_code == 200


def test_a_lead_professionals_export_names_cases_by_reference_only(client, scene):
    area, worker, admin, _old, _recent = scene
    login(client, admin)
    token = csrf_token(client, f"/admin/users/{worker.id}/privacy")
    data = client.post(f"/admin/users/{worker.id}/privacy/export", data={"csrf_token": token}).get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        stages = archive.read("scotland.stages.csv").decode()
        reads = archive.read("scotland.reads.csv").decode()
        owned = archive.read("actions_owned.csv").decode()
    assert "OLD-1" in stages and "closed" in stages and "OLD-1" in reads
    assert MARK not in stages + reads + owned  # (the plan's actions she owns: dates and status only)
