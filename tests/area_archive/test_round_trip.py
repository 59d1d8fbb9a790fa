"""An area of the demo exported and imported into an empty install: every record equal, count and value (compared
without the archive's code: tests/area_archive/compare.py), documents byte for byte; people matched by email (an
account here is reused; the others arrive pending, and no email is sent); an archive of a newer schema, a damaged
one or one needing a plugin not installed here is refused and nothing stays, bytes included; the area's name
taken is refused at the name, and another name works. Core only: both installs run without plugins (the
round trip of every plugin's records is tests/integration/test_area_archive_plugins.py)."""

import hashlib
import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from hsbtrack.area_archive import importing
from hsbtrack.area_archive.export import export_area
from hsbtrack.area_archive.schema import ARCHIVE_SCHEMA_VERSION, ArchiveError
from hsbtrack.areas.demo import load_demo
from hsbtrack.areas.models import Area, Region
from hsbtrack.audits.models import SOURCE_SHARED, Audit, Response
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.mail import outbox
from hsbtrack.storage import storage
from tests.area_archive.compare import Snapshot, without_import_entry
from tests.area_archive.installs import install

RIVERSIDE = "Riverside Safeguarding Partnership"
HILLSIDE = "Hillside Safeguarding Partnership"


def _shared_return(area):
    """North Wales Police's kind of partner: an organisation answering Riverside's open audit for its Police."""
    from hsbtrack.organisations import services as organisations

    police = next(a for a in area.agencies if a.name == "Police")
    t2 = db.session.scalar(select(Audit).where(Audit.area_id == area.id, Audit.status == "open"))
    organisation = organisations.create_organisation("Riverside Constabulary")
    organisations.link_area(organisation, area.id, police.id)
    organisations.add_member(organisation, "constabulary.lead@example.org")
    shared = organisations.open_shared_return(organisation, [t2.id])
    for code in ("1.1", "1.2", "2.2"):
        organisations.save_shared_response(shared, code, score=3, evidence=f"Force-wide policy ({code})")
    return shared


def _hillside_baseline(area):
    from datetime import date

    from hsbtrack.audits.baselines import create_imported_baseline

    create_imported_baseline(area, completed_on=date(2024, 9, 30), scores={"1.1": 2, "1.2": 1, "5.4": "0"},
                             note="The NSPCC spreadsheet of September 2024")


def _yearly_report(area):
    from datetime import date

    from hsbtrack.yearly_reports.services import create_report

    create_report(area, kind="england.yearly", period_start=date(2025, 4, 1), period_end=date(2026, 3, 31),
                  sections={"summary": "A first year with the framework."}, note="First draft")


@pytest.fixture(scope="module")
def source(app, tmp_path_factory):
    """The demo (core only), with a shared return, an imported baseline and a yearly report; its two areas
    exported."""
    folder = tmp_path_factory.mktemp("archive-source")
    with install(app, folder, "archive_source") as source_app:
        with source_app.test_request_context():
            load_demo()
            riverside = db.session.scalar(select(Area).where(Area.name == RIVERSIDE))
            hillside = db.session.scalar(select(Area).where(Area.name == HILLSIDE))
            _shared_return(riverside)
            _hillside_baseline(hillside)
            _yearly_report(riverside)
            paths = {}
            for area in (riverside, hillside):
                paths[area.name] = folder / f"{area.id}.zip"
                with open(paths[area.name], "wb") as out:
                    export_area(area, out)
            db.session.remove()
        yield source_app, paths


@pytest.fixture(scope="module")
def target(app, tmp_path_factory):
    """An empty install but for the demo's region (Riverside joins it) and one account (matched by email)."""
    folder = tmp_path_factory.mktemp("archive-target")
    with install(app, folder, "archive_target") as target_app:
        with target_app.app_context():
            db.session.add(Region(name="Demo region"))
            db.session.add(User(email="board@example.org", name="Bola (here already)", locale="cy",
                                password_hash="not-a-real-hash"))
            db.session.commit()
            db.session.remove()
        yield target_app


def snapshot(app, area_name):
    with app.app_context():
        area_id = db.session.scalar(select(Area.id).where(Area.name == area_name))
        found = Snapshot(area_id)
        rows, people = found.owned(), found.people()
        area = db.session.get(Area, area_id)
        region = area.region.name if area.region else None
        db.session.remove()
    return rows, people, region


@pytest.fixture(scope="module")
def imported(source, target):
    """Riverside imported into the target (through the service, as the page and the CLI call it)."""
    _source_app, paths = source
    with target.test_request_context():
        result = importing.import_archive(paths[RIVERSIDE])
        summary = (result.area.id, result.counts, result.in_archive, result.notes, result.new_people,
                   result.matched_people, list(outbox()))
        db.session.remove()
    return summary


def test_every_record_of_the_area_arrives_equal(source, target, imported):
    source_app, _paths = source
    before, people_before, _region = snapshot(source_app, RIVERSIDE)
    after, people_after, region = snapshot(target, RIVERSIDE)
    after = without_import_entry(after)
    # the things the demo must hold for this to prove anything
    for table, least in (("agencies", 5), ("memberships", 9), ("audits", 2), ("audit_responses", 300),
                         ("audit_agreed_scores", 1), ("actions", 4), ("action_updates", 5), ("documents", 4),
                         ("document_versions", 5), ("document_links", 5), ("yearly_reports", 1),
                         ("yearly_report_versions", 1), ("history_entries", 500), ("finding_decisions", 1)):
        assert len(before.get(table, [])) >= least, table
    assert set(before) == set(after)
    for table in before:
        assert len(before[table]) == len(after[table]), table
        assert before[table] == after[table], table
    assert {email for email, *_rest in people_before} == {email for email, *_rest in people_after}
    assert region == "Demo region"  # (joined the region of the same name)


def test_documents_arrive_byte_for_byte(source, target, imported):
    source_app, _paths = source

    def digests(app):
        from hsbtrack.documents.models import Document, DocumentVersion

        with app.app_context():
            area_id = db.session.scalar(select(Area.id).where(Area.name == RIVERSIDE))
            found = {}
            for version, document in db.session.execute(
                    select(DocumentVersion, Document).join(Document).where(Document.area_id == area_id)):
                with storage().open(version.storage_key) as stream:
                    data = stream.read()
                assert hashlib.sha256(data).hexdigest() == version.sha256
                found[(document.title, version.number)] = hashlib.sha256(data).hexdigest()
            keys = {v.storage_key for v in db.session.scalars(select(DocumentVersion))}
            db.session.remove()
        return found, keys

    before, source_keys = digests(source_app)
    after, target_keys = digests(target)
    assert before and before == after
    assert all(key.startswith("documents/") for key in target_keys)


def test_shared_answers_arrive_as_the_areas_own(source, target, imported):
    source_app, _paths = source
    with source_app.app_context():
        shared = db.session.scalar(select(func.count()).select_from(Response).where(Response.source == SOURCE_SHARED))
        db.session.remove()
    assert shared >= 3
    with target.app_context():
        sources = set(db.session.scalars(select(Response.source).where(Response.audit_id.in_(
            select(Audit.id).where(Audit.area_id == imported[0])))))
        assert sources == {"agency"}
        assert db.session.scalar(select(func.count()).select_from(Response)
                                 .where(Response.shared_return_id.is_not(None))) == 0
        db.session.remove()


def test_people_are_matched_by_email_and_the_others_are_pending_without_an_email(target, imported):
    area_id, counts, in_archive, notes, new_people, matched, sent = imported
    assert matched == ["board@example.org"]
    assert "police@example.org" in new_people and "board@example.org" not in new_people
    assert sent == []  # no invitation, no email of any kind
    with target.app_context():
        board = db.session.scalar(select(User).where(User.email == "board@example.org"))
        assert board.name == "Bola (here already)" and board.password_hash == "not-a-real-hash"  # (reused as it is)
        assert {m.role for m in board.memberships if m.area_id == area_id} == {"board_manager"}
        police = db.session.scalar(select(User).where(User.email == "police@example.org"))
        assert police.activated_at is None and police.password_hash is None and police.totp_secret is None
        assert not police.is_admin
        db.session.remove()
    assert counts == {name: n for name, n in in_archive.items() if name in counts}
    assert any("joined the region Demo region" in note for note in notes)


def test_the_import_is_in_the_areas_history(target, imported):
    from hsbtrack.history.models import HistoryEntry

    with target.app_context():
        entry = db.session.scalar(select(HistoryEntry).where(HistoryEntry.area_id == imported[0],
                                                             HistoryEntry.field == "imported"))
        assert entry.entity == "area" and entry.entity_id == imported[0]
        assert entry.new_value["name"] == RIVERSIDE and entry.new_value["records"]["responses"] > 300
        db.session.remove()


def test_an_imported_baseline_arrives_as_one_and_without_a_region(source, target):
    source_app, paths = source
    with target.test_request_context():
        result = importing.import_archive(paths[HILLSIDE])
        audit = db.session.scalar(select(Audit).where(Audit.area_id == result.area.id))
        assert audit.imported and audit.import_note == "The NSPCC spreadsheet of September 2024"
        db.session.remove()
    before, _p, _r = snapshot(source_app, HILLSIDE)
    after, _p, _r = snapshot(target, HILLSIDE)
    assert before == without_import_entry(after)


# -- refusals: nothing stays ------------------------------------------------------------------------------


def _counts(app):
    with app.app_context():
        found = {"areas": db.session.scalar(select(func.count()).select_from(Area)),
                 "users": db.session.scalar(select(func.count()).select_from(User)),
                 "keys": len(list(storage().keys()))}
        db.session.remove()
    return found


def _rewrite(path, out_path, change):
    """A copy of the archive with ``change(name, data) -> data`` applied to each file (None drops it)."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out_path, "w") as out:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                out.writestr(info.filename, data)
    return out_path


def _with_manifest(manifest_change, file_change=None):
    def change(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest_change(manifest)
            return json.dumps(manifest)
        return file_change(name, data) if file_change else data
    return change


def _refused(target, path, message, field="file", **options):
    before = _counts(target)
    with target.test_request_context(), pytest.raises(ArchiveError if field == "file" else Exception) as refused:
        importing.import_archive(path, **options)
    assert message in refused.value.message
    assert field in refused.value.fields
    assert _counts(target) == before  # nothing saved: no area, no person, no stored bytes
    return refused.value


def test_an_archive_of_a_newer_schema_is_refused(source, target, tmp_path):
    _app, paths = source
    path = _rewrite(paths[HILLSIDE], tmp_path / "newer.zip", _with_manifest(
        lambda m: m.update(schema_version=ARCHIVE_SCHEMA_VERSION + 1)))
    error = _refused(target, path, "made by a newer version of hsbtrack", name="Hillside from the future")
    assert f"archive schema version {ARCHIVE_SCHEMA_VERSION + 1}" in error.message


def test_a_damaged_archive_is_refused_and_nothing_stays(source, target, tmp_path):
    _app, paths = source
    # a record changed after the export: its checksum no longer matches
    tampered = _rewrite(paths[RIVERSIDE], tmp_path / "tampered.zip", lambda name, data: data.replace(
        b"Force-wide policy", b"Force-wide POLICY") if name == "records/responses.json" else data)
    _refused(target, tampered, "records/responses.json does not match its checksum", name="Tampered Riverside")
    # records that are not JSON, their checksum made to match: refused as not JSON
    bad = b"{not json"

    def fix_checksum(manifest):
        manifest["files"]["records/agencies.json"] = {"size": len(bad), "sha256": hashlib.sha256(bad).hexdigest()}

    not_json = _rewrite(paths[RIVERSIDE], tmp_path / "not-json.zip", _with_manifest(
        fix_checksum, lambda name, data: bad if name == "records/agencies.json" else data))
    _refused(target, not_json, "records/agencies.json is not JSON", name="Broken Riverside")
    # a document's bytes changed: found while they are copied, after others were stored: those go again
    last_document = max((n for n in zipfile.ZipFile(paths[RIVERSIDE]).namelist() if n.startswith("documents/")),
                        key=lambda n: int(n.split("/")[1]))
    bytes_changed = _rewrite(paths[RIVERSIDE], tmp_path / "bytes.zip", lambda name, data: data + b"%extra"
                             if name == last_document else data)
    _refused(target, bytes_changed, f"{last_document} does not match its checksum", name="Riverside bytes")
    # not a ZIP at all, and a ZIP without a manifest
    (tmp_path / "plain.zip").write_bytes(b"PK not really")
    _refused(target, tmp_path / "plain.zip", "not a ZIP file")
    _refused(target, _rewrite(paths[RIVERSIDE], tmp_path / "no-manifest.zip",
                              lambda name, data: None if name == "manifest.json" else data), "no manifest.json")


def test_an_archive_needing_a_plugin_not_installed_is_refused_unless_its_records_are_left_out(source, target,
                                                                                             tmp_path):
    _app, paths = source
    rows = [{"id": 7, "area_id": 1, "title": "HSB awareness", "tier": 1}]
    data = json.dumps({"record_type": "training.courses", "version": 1, "schema_version": 1, "rows": rows}).encode()

    def needs_training(manifest):
        manifest["plugins"]["training"] = {"version": "0.1.0"}
        manifest["record_types"]["training.courses"] = {"version": 1, "plugin": "training", "count": 1,
                                                        "file": "records/training.courses.json"}
        manifest["files"]["records/training.courses.json"] = {"size": len(data),
                                                              "sha256": hashlib.sha256(data).hexdigest()}

    path = _rewrite(paths[HILLSIDE], tmp_path / "training.zip", _with_manifest(needs_training))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("records/training.courses.json", data)
    _refused(target, path, "needs the plugin training, which is not installed here", name="Hillside with training")
    with target.test_request_context():
        result = importing.import_archive(path, name="Hillside without training", skip_missing_plugins=True)
        assert "training.courses" not in result.counts
        assert any("plugin training were left out" in note for note in result.notes)
        db.session.remove()


def test_a_name_taken_is_refused_at_the_name_and_another_name_works(source, target, imported):
    _app, paths = source
    error = _refused(target, paths[RIVERSIDE], "An area called Riverside Safeguarding Partnership already exists",
                     field="name")
    assert "another name" in error.fields["name"]
    with target.test_request_context():
        result = importing.import_archive(paths[RIVERSIDE], name="Riverside (archive copy)")
        # everyone now has an account here: the second import reuses them all
        assert result.new_people == [] and "police@example.org" in result.matched_people
        assert result.area.name == "Riverside (archive copy)" and result.area.region is not None
        db.session.remove()


def test_rows_are_checked_against_their_types_fields(source, target, tmp_path):
    _app, paths = source

    def extra_field(name, data):
        if name != "records/agencies.json":
            return data
        document = json.loads(data)
        document["rows"][0]["password"] = "nope"
        return json.dumps(document).encode()

    changed = {}

    def recompute(manifest):
        manifest["files"]["records/agencies.json"] = changed["entry"]

    with zipfile.ZipFile(paths[RIVERSIDE]) as archive:
        data = extra_field("records/agencies.json", archive.read("records/agencies.json"))
    changed["entry"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    path = _rewrite(paths[RIVERSIDE], tmp_path / "extra.zip", _with_manifest(recompute, extra_field))
    _refused(target, path, "does not have the fields of its type (password)", name="Riverside extra")


def test_the_archive_holds_no_secret_of_anyone(source):
    _app, paths = source
    with zipfile.ZipFile(paths[RIVERSIDE]) as archive:
        users = json.loads(archive.read("records/users.json"))["rows"]
        text = b"".join(archive.read(n) for n in archive.namelist() if not n.startswith("documents/"))
        manifest = json.loads(archive.read("manifest.json"))
        for name, entry in manifest["files"].items():
            data = archive.read(name)
            assert entry == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}, name
        assert set(archive.namelist()) == set(manifest["files"]) | {"manifest.json"}
    assert {tuple(sorted(u)) for u in users} == {("email", "erased", "id", "locale", "name")}
    assert b"$argon2" not in text and b"password_hash" not in text and b"totp" not in text.lower()
    assert manifest["schema_version"] == ARCHIVE_SCHEMA_VERSION and manifest["area"]["name"] == RIVERSIDE
    assert manifest["plugins"] == {}
    assert manifest["record_types"]["responses"]["count"] > 300
    # the spreadsheet copy of each type
    with zipfile.ZipFile(paths[RIVERSIDE]) as archive:
        rows = archive.read("csv/agencies.csv").decode("utf-8-sig").splitlines()
    assert rows[0] == "id,area_id,name,name_cy,created_at" and len(rows) == 6


def test_the_export_reads_in_bounded_batches(source):
    """The archive of an area is written as its rows are read: the JSON of a type is never built in memory."""
    _app, paths = source
    with zipfile.ZipFile(paths[RIVERSIDE]) as archive:
        history = archive.read("records/history.json")
    assert history.startswith(b'{"record_type": "history", "version": 1, "schema_version": 1, "rows": [\n{')
    assert io.BytesIO(history).read().count(b"\n") > 500  # (one row a line)


def test_an_erased_person_travels_as_a_placeholder_never_as_an_account(source, target, tmp_path):
    """UK GDPR (docs/privacy.md): a person erased in the exporting install is in the archive without name or
    address, and arrives as a placeholder of its own ("former member"), not matched to the account of their
    old address (which an earlier import made pending here). Runs last: it erases a person in the source."""
    from hsbtrack.actions.models import Action
    from hsbtrack.privacy.services import erase_person

    source_app, _paths = source
    path = tmp_path / "riverside-after-erasure.zip"
    with source_app.test_request_context():
        riverside = db.session.scalar(select(Area).where(Area.name == RIVERSIDE))
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        owner = db.session.scalar(select(User).join(Action, Action.owner_id == User.id).where(
            Action.area_id == riverside.id, User.email != "board@example.org", User.email != "admin@example.org")
            .limit(1))
        address, name = owner.email, owner.name
        erase_person(owner, by=admin, reason="Left the partnership in 2025")
        with open(path, "wb") as out:
            export_area(riverside, out)
        db.session.remove()
    with zipfile.ZipFile(path) as archive:
        people = json.loads(archive.read("records/users.json"))["rows"]
        text = b"".join(archive.read(n) for n in archive.namelist() if not n.startswith("documents/"))
    erased = [p for p in people if p["erased"]]
    assert len(erased) == 1 and erased[0]["email"] == "" and erased[0]["name"] == ""
    assert address.encode() not in text and name.encode() not in text
    with target.test_request_context():
        result = importing.import_archive(path, name="Riverside after an erasure")
        owners = set(db.session.scalars(select(Action.owner_id).where(Action.area_id == result.area.id)))
        placeholders = db.session.scalars(select(User).where(User.id.in_(owners), User.erased_at.is_not(None))).all()
        assert len(placeholders) == 1
        placeholder = placeholders[0]
        assert placeholder.email == f"former-member-{placeholder.id}@erased.invalid" and placeholder.name == ""
        assert not placeholder.active and placeholder.password_hash is None
        assert address not in result.new_people and address not in result.matched_people
        old_account = db.session.scalar(select(User).where(User.email == address))
        assert old_account is None or old_account.id not in owners
        db.session.remove()
