"""Two people with planted markers: Alice (the one exported or erased) and Bob (everyone else). Their names
hold ``qzmarka``/``qzmarkb``; what each wrote holds ``content-a-…``/``content-b-…``."""

import io
import zipfile
from datetime import date, timedelta
from types import SimpleNamespace

from hsbtrack.actions.documents import upload_to_action
from hsbtrack.actions.services import add_update, create_action
from hsbtrack.audits.services import open_audit, save_response
from hsbtrack.auth.services import issue_api_token, record_login_attempt
from hsbtrack.extensions import db
from hsbtrack.notifications.services import notify
from hsbtrack.timeutil import today

ALICE_NAME, ALICE_EMAIL = "Alice Qzmarka", "alice.qzmarka@example.org"
BOB_NAME, BOB_EMAIL = "Bob Qzmarkb", "bob.qzmarkb@example.org"
A_CONTENT = ("content-a-evidence", "content-a-action", "content-a-update", "content-a-notification",
             "content-a-token", "content-a-document", "content-a-file.pdf", "10.0.0.1")
B_CONTENT = ("content-b-evidence", "content-b-action", "content-b-update", "content-b-notification",
             "content-b-token", "content-b-document", "content-b-file.pdf", "10.0.0.2", "qzmarkb")


def build(world):
    area = world.area("Riverside")
    police, health = world.agency(area, "Police"), world.agency(area, "Health")
    admin = world.user("admin@example.org", admin=True)
    alice = world.user(ALICE_EMAIL, area, "agency_lead", agency=police)
    bob = world.user(BOB_EMAIL, area, "board_manager")
    alice.name, bob.name = ALICE_NAME, BOB_NAME
    db.session.commit()
    audit = open_audit(area, user=bob)
    save_response(audit, police.id, "1.1", score=2, evidence="Our audit: content-a-evidence", user=alice)
    save_response(audit, health.id, "1.1", score=3, evidence=f"content-b-evidence, checked with {ALICE_EMAIL}",
                  user=bob)
    due = today() + timedelta(days=60)
    action_a = create_action(area, title="content-a-action pathway", owner=alice, due_on=due, statements=["1.1"],
                             user=bob)
    action_b = create_action(area, title="content-b-action training", owner=bob, due_on=due, statements=["1.1"],
                             user=bob)
    add_update(action_a, "content-a-update: started", 30, user=alice)
    add_update(action_b, f"content-b-update: discussed with {ALICE_NAME}", 20, user=bob)
    upload_to_action(action_a, io.BytesIO(b"%PDF-1.4\n"), "content-a-file.pdf", title="content-a-document", user=alice)
    upload_to_action(action_b, io.BytesIO(b"%PDF-1.4\n"), "content-b-file.pdf", title="content-b-document", user=bob)
    notify(alice, key="test-a", kind="test", subject="content-a-notification", email=False)
    notify(bob, key="test-b", kind="test", subject="content-b-notification", email=False)
    notify(bob, key="test-b-about-a", kind="test", subject=f"{ALICE_NAME} posted an update", email=False)
    record_login_attempt(ALICE_EMAIL, "10.0.0.1", False)
    record_login_attempt(BOB_EMAIL, "10.0.0.2", False)
    db.session.commit()
    alice_token = issue_api_token(alice, "content-a-token")
    bob_token = issue_api_token(bob, "content-b-token")
    return SimpleNamespace(area=area, police=police, health=health, admin=admin, alice=alice, bob=bob, audit=audit,
                           action_a=action_a, action_b=action_b, alice_token=alice_token, bob_token=bob_token,
                           day=date.today())


def zip_text(data: bytes) -> str:
    """Every file of a ZIP (an export, a spreadsheet) as one lower-case text."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist()).lower()


def body_text(response) -> str:
    data = response.get_data()
    return zip_text(data) if data[:2] == b"PK" else data.decode("utf-8", "replace").lower()
