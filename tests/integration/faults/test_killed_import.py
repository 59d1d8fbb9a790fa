"""The training import is SIGKILLed while it is writing rows (inside its one transaction): what was
committed before is intact, none of the killed import's rows exist, the page does not show it as
complete (nor as running for ever), and running it again succeeds."""

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import login, post_form
from tests.integration.faults import inject

ROWS = 12_000  # two bulk INSERTs of completions (10,000 rows each): killed after the first
PEOPLE = 300
FAULT = "insert:training_completions:1"


@pytest.fixture()
def area(world):
    from hsbtrack_training import importer, services

    from hsbtrack.plugins.services import set_area_plugin

    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    services.create_course(area, title="HSB awareness", tier=1, refresher_months=24)
    # committed before: an earlier import
    headers, rows = importer.read_table("earlier.csv", (
        b"Learner,Email,Organisation,Role,Course,Outcome,Completion date\n"
        b"Ann Smith,ann@example.org,Police,Police,HSB awareness,Completed,2026-01-15\n"
        b"Bob Jones,,Health,Social workers,HSB awareness,DNA,2026-01-16\n"))
    assert importer.import_rows(area, rows, importer.guess_mapping(headers)).imported == 2
    return area


def big_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Learner", "Email", "Organisation", "Role", "Course", "Outcome", "Completion date"])
    start = date(2020, 1, 1)
    for i in range(ROWS):
        person = i % PEOPLE
        writer.writerow([f"Person {person}", f"person{person}@example.org", "Police", "Police", "HSB awareness",
                         "Completed", (start + timedelta(days=i // PEOPLE)).isoformat()])
    return out.getvalue().encode()


def snapshot(area_id):
    """Every training row of the area and the import entries in the history, as plain tuples."""
    from hsbtrack_training.models import TrainingCompletion, TrainingPerson

    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry

    db.session.expire_all()
    return {
        "people": sorted(db.session.execute(select(TrainingPerson.id, TrainingPerson.name, TrainingPerson.email)
                                            .where(TrainingPerson.area_id == area_id)).all()),
        "completions": sorted(db.session.execute(
            select(TrainingCompletion.id, TrainingCompletion.person_id, TrainingCompletion.completed_on,
                   TrainingCompletion.status).where(TrainingCompletion.area_id == area_id)).all()),
        "imports": db.session.scalar(select(func.count()).select_from(HistoryEntry)
                                     .where(HistoryEntry.entity == "training_import")),
    }


def release(db):
    db.session.commit()
    db.session.remove()  # no connection of ours holds a lock the child or the check needs


def test_a_cli_import_killed_mid_insert_leaves_nothing_and_runs_again(app, area, tmp_path):
    from hsbtrack.extensions import db

    area_id = area.id
    before = snapshot(area_id)
    assert len(before["completions"]) == 2 and before["imports"] == 2  # two fields per import entry
    release(db)
    path = tmp_path / "big.csv"
    path.write_bytes(big_csv())
    env = inject.child_env(tmp_path, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    args = ["cli", "training", "import", str(path), "--area", str(area_id)]

    child = inject.spawn(args, {**env, "HSBTRACK_TEST_FAULT": FAULT}, tmp_path, "killed")
    try:
        assert inject.wait_until_paused(child, env) == "paused after INSERT #1 into training_completions"
    finally:
        inject.kill(child)
    assert snapshot(area_id) == before  # 10,000 rows and 300 people had been written: none survive
    release(db)

    status, out = inject.finish(inject.spawn(args, env, tmp_path, "again"))
    assert status == 0, out[-3000:]
    assert f"Imported {ROWS} rows ({PEOPLE} new people, 0 already recorded)." in out
    after = snapshot(area_id)
    assert len(after["completions"]) == ROWS + 2 and len(after["people"]) == PEOPLE + 2
    assert set(before["completions"]) <= set(after["completions"])  # the earlier import is untouched
    assert after["imports"] == before["imports"] + 2


def test_an_import_killed_in_the_web_worker_shows_as_failed_and_can_be_run_again(app, area, world, tmp_path):
    from hsbtrack_training import uploads

    from hsbtrack.extensions import db

    lead = world.user("lead@example.org", area, "training_lead")
    import_id = uploads.save_upload(area, lead, "big.csv", big_csv())
    area_id, lead_id = area.id, lead.id
    before = snapshot(area_id)
    release(db)
    base = f"/areas/{area_id}/training/import/{import_id}"
    client = app.test_client()
    login(client, "lead@example.org")
    # the thread a web worker starts when "Import" is pressed, in a worker process that gets killed
    env = inject.child_env(tmp_path, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                           HSBTRACK_INSTANCE_PATH=app.instance_path)
    child = inject.spawn(["training-upload-run", str(area_id), str(lead_id), import_id],
                         {**env, "HSBTRACK_TEST_FAULT": FAULT}, tmp_path, "worker")
    try:
        inject.wait_until_paused(child, env)
        # (read from the state file: on SQLite the database is write-locked by the child now)
        running = json.loads((Path(app.instance_path) / "training-imports" / import_id / "state.json").read_text())
        assert running["stage"] in ("validate", "insert")  # what the page shows: still running
    finally:
        inject.kill(child)

    assert snapshot(area_id) == before
    status = client.get(base + "/status.json").get_json()
    assert status["finished"] and status["stage"] == "failed"  # not "Saving rows" for ever
    page = client.get(base).get_data(as_text=True)
    assert "Nothing was imported" in page and "Import complete" not in page
    assert "Run the import again" in page

    response = post_form(client, base + "/run", {}, page=base)
    assert response.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Import complete" in page and f"{ROWS:,} training records imported".replace(",", "") in page.replace(",", "")
    after = snapshot(area_id)
    assert len(after["completions"]) == ROWS + 2 and len(after["people"]) == PEOPLE + 2
