"""Subject access (UK GDPR article 15): an administrator downloads everything held about one person as a
ZIP. It holds every planted marker of that person and none of anyone else's; making it is recorded."""

import io
import json
import zipfile

from sqlalchemy import select

from hsbtrack.auth.models import AccountEvent
from hsbtrack.downloads.models import DownloadEntry
from hsbtrack.privacy.models import PrivacyLogEntry
from hsbtrack.testing import csrf_token, login
from tests.privacy.helpers import A_CONTENT, ALICE_EMAIL, ALICE_NAME, B_CONTENT, BOB_EMAIL, build, zip_text


def export(client, user_id):
    token = csrf_token(client, f"/admin/users/{user_id}/privacy")
    return client.post(f"/admin/users/{user_id}/privacy/export", data={"csrf_token": token})


def test_the_export_holds_every_marker_of_the_person_and_none_of_anyone_elses(client, world):
    s = build(world)
    login(client, s.admin)
    response = export(client, s.alice.id)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.get_data()
    text = zip_text(data)
    for marker in (*A_CONTENT, ALICE_EMAIL, ALICE_NAME.lower()):
        assert marker.lower() in text, marker
    for marker in (*B_CONTENT, BOB_EMAIL):
        assert marker.lower() not in text, marker
    # no secret leaves: no password hash, no token digest
    assert "argon2" not in text and s.alice.password_hash.lower() not in text

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert {"index.html", "data.json", "account.csv", "history.csv", "actions_owned.csv", "action_updates.csv",
                "notifications.csv", "sign_in_attempts.csv", "downloads.csv", "api_tokens.csv",
                "documents_uploaded.csv"} <= names
        parts = json.loads(archive.read("data.json"))["parts"]
    assert {row["field"]: row["value"] for row in parts["account"]["rows"]}["email"] == ALICE_EMAIL
    assert [row["title"] for row in parts["actions_owned"]["rows"]] == ["content-a-action pathway"]
    assert [row["note"] for row in parts["action_updates"]["rows"]] == ["content-a-update: started"]
    assert [row["name"] for row in parts["api_tokens"]["rows"]] == ["content-a-token"]
    assert any(row["value"] == "Our audit: content-a-evidence" for row in parts["history"]["rows"])

    # recorded: the privacy log (by number only), the account's events, the download log
    entry = world.db.session.scalars(select(PrivacyLogEntry)).one()
    assert (entry.kind, entry.subject, entry.by_user_id) == ("subject_access", f"person #{s.alice.id}", s.admin.id)
    assert world.db.session.scalar(select(AccountEvent.by_user_id).where(
        AccountEvent.user_id == s.alice.id, AccountEvent.event == "subject_access_export")) == s.admin.id
    assert world.db.session.scalar(select(DownloadEntry.filename).where(DownloadEntry.user_id == s.admin.id)) \
        .startswith(f"subject-access-{s.alice.id}-")
    log = client.get("/admin/privacy").get_data(as_text=True)
    assert "Subject access export" in log and f"Person number {s.alice.id}" in log and ALICE_NAME not in log


def test_the_export_is_in_the_persons_language(client, world):
    s = build(world)
    s.alice.locale = "cy"
    world.db.session.commit()
    login(client, s.admin)
    with zipfile.ZipFile(io.BytesIO(export(client, s.alice.id).get_data())) as archive:
        index = archive.read("index.html").decode()
    assert '<html lang="cy">' in index


def test_only_administrators_reach_the_privacy_pages(client, world):
    s = build(world)
    login(client, s.bob)
    assert client.get(f"/admin/users/{s.alice.id}/privacy").status_code == 404
    assert client.get("/admin/privacy").status_code == 404
    token = csrf_token(client, "/account")
    assert client.post(f"/admin/users/{s.alice.id}/privacy/export", data={"csrf_token": token}).status_code == 404
    assert world.db.session.scalars(select(PrivacyLogEntry)).all() == []
