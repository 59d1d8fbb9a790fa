"""Reading an area archive into this install: all or nothing.

1. The archive is checked before anything is written: a ZIP with a ``manifest.json`` of this format, of a
   schema version this install reads (a newer one is refused), every record type known here (or the person
   importing chose to leave out the records of plugins not installed here), the area's name free (or a new one
   given), and every record file present, matching its SHA-256 and holding rows of its type's fields.
2. Then, in one transaction: the area (joining the region of the same name, if there is one), the people
   (matched by email: an existing account is reused and given the area's roles; someone new arrives as a
   pending account — no password, not yet accepted — and no invitation is sent), and every record type in
   order, each row's id replaced by the new record's and every reference remapped. Document bytes are copied
   into storage under new keys as they are read, each checked against its SHA-256. A history entry records
   the import.
3. Any error rolls everything back and deletes the bytes already stored: nothing stays.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from hsbtrack.area_archive.rows import SkipRow
from hsbtrack.area_archive.schema import (
    ARCHIVE_SCHEMA_VERSION,
    FORMAT,
    MANIFEST,
    archive_error,
    load_rows,
    record_types,
)
from hsbtrack.areas.models import Area, Region
from hsbtrack.auth.models import User, erased_placeholder_email
from hsbtrack.auth.services import normalise_email
from hsbtrack.errors import ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.storage import storage
from hsbtrack.timeutil import utcnow

log = logging.getLogger(__name__)

MANIFEST_MAX = 16 * 1024 * 1024  # bytes: a manifest lists files, it is never this large
RECORDS_MAX = 1024 * 1024 * 1024  # bytes of one type's records, read into memory to be checked
CHUNK = 1 << 20


@dataclass
class ImportResult:
    area: Area
    counts: dict  # record type -> rows imported
    in_archive: dict  # record type -> rows the archive held
    notes: list
    new_people: list  # emails of the pending accounts made
    matched_people: list  # emails of the accounts reused


@dataclass
class ImportContext:
    """What a record type's ``import_rows`` gets besides the new area and its rows."""

    archive: zipfile.ZipFile
    manifest: dict
    installed_plugins: set
    entity_types: dict  # history entity -> the record type whose ids it names
    notes: list = field(default_factory=list)
    stored_keys: list = field(default_factory=list)
    _ids: dict = field(default_factory=lambda: defaultdict(dict))
    _skipped: dict = field(default_factory=lambda: defaultdict(set))

    def new_id(self, type_name: str, old, nullable: bool = False, field: str = ""):
        """The new id of the record of ``type_name`` that had id ``old`` in the archive. ``None`` stays None
        where ``nullable``; a record left out makes the row left out too (:class:`SkipRow`), or None where
        ``nullable``; a record the archive does not hold is an error (the archive is damaged)."""
        if old is None:
            if nullable:
                return None
            raise archive_error(_("The archive is damaged: %(field)s is empty", field=field))
        if old in self._skipped[type_name]:
            if nullable:
                return None
            raise SkipRow()
        try:
            return self._ids[type_name][old]
        except KeyError:
            raise archive_error(_("The archive is damaged: %(field)s names a record of %(type)s (%(id)s) that it "
                                  "does not hold", field=field or type_name, type=type_name, id=old)) from None

    def mapped_id(self, type_name: str, old, default=None):
        """The new id, or ``default`` where the archive holds no such record (history pointing elsewhere)."""
        return self._ids[type_name].get(old, default)

    def set_id(self, type_name: str, old, new) -> None:
        self._ids[type_name][old] = new

    def skip(self, type_name: str, old) -> None:
        self._skipped[type_name].add(old)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(str(text))

    def history_type(self, entity: str) -> str | None:
        return self.entity_types.get(entity)

    def store_file(self, path: str, prefix: str) -> str:
        """Copy the archive's file ``path`` into storage under a new key (``<prefix>/<random>``), checking its
        size and SHA-256 against the manifest; return the key. The bytes are deleted again if the import fails."""
        entry = self.manifest["files"].get(path)
        if not isinstance(entry, dict):
            raise archive_error(_("The archive is damaged: it does not list the file %(path)s", path=path))
        mismatch = archive_error(_("The archive is damaged: the file %(path)s does not match its checksum", path=path))
        try:
            info = self.archive.getinfo(path)
        except KeyError:
            raise archive_error(_("The archive is damaged: the file %(path)s is missing", path=path)) from None
        if info.file_size != entry.get("size"):
            raise mismatch
        key = f"{prefix}/{uuid.uuid4().hex}"
        self.stored_keys.append(key)
        try:
            with self.archive.open(info) as source:
                reader = _CheckingReader(source, info.file_size, mismatch)
                storage().put(key, reader)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            if isinstance(error, FileNotFoundError | PermissionError):
                raise
            raise archive_error(_("The archive is damaged: the file %(path)s cannot be read", path=path)) from None
        if reader.size != entry.get("size") or reader.digest.hexdigest() != entry.get("sha256"):
            raise mismatch
        return key


class _CheckingReader:
    """Reads a file of the archive, keeping its SHA-256; stops at more bytes than the manifest lists."""

    def __init__(self, source, limit: int, error: Exception):
        self.source, self.digest, self.size, self.limit, self.error = source, hashlib.sha256(), 0, limit, error

    def read(self, size=-1):
        data = self.source.read(size if size and size > 0 else CHUNK)
        self.digest.update(data)
        self.size += len(data)
        if self.size > self.limit:
            raise self.error
        return data


# -- reading and checking ----------------------------------------------------------------------------------


def _open(path_or_file) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path_or_file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise archive_error(_("The file is not an area archive: it is not a ZIP file")) from None


def _read_member(archive: zipfile.ZipFile, path: str, limit: int, entry: dict | None = None) -> bytes:
    try:
        info = archive.getinfo(path)
    except KeyError:
        raise archive_error(_("The archive is damaged: the file %(path)s is missing", path=path)) from None
    if info.file_size > limit or (entry is not None and info.file_size != entry.get("size")):
        raise archive_error(_("The archive is damaged: the file %(path)s does not match its checksum", path=path))
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise archive_error(_("The archive is damaged: the file %(path)s cannot be read", path=path)) from None
    if len(data) > limit:
        raise archive_error(_("The archive is damaged: the file %(path)s does not match its checksum", path=path))
    return data


def read_manifest(archive: zipfile.ZipFile) -> dict:
    """The manifest, checked: this format, a schema version this install reads, its lists well formed."""
    if MANIFEST not in archive.namelist():
        raise archive_error(_("The file is not an area archive: it has no manifest.json"))
    try:
        manifest = json.loads(_read_member(archive, MANIFEST, MANIFEST_MAX))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise archive_error(_("The archive is damaged: its manifest.json is not JSON")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise archive_error(_("The file is not an area archive of hsbtrack"))
    version = manifest.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise archive_error(_("The archive is damaged: its manifest has no schema version"))
    if version > ARCHIVE_SCHEMA_VERSION:
        raise archive_error(_("This archive was made by a newer version of hsbtrack (archive schema version "
                              "%(theirs)d; this install reads up to version %(ours)d). Upgrade hsbtrack here, then "
                              "import it.", theirs=version, ours=ARCHIVE_SCHEMA_VERSION))
    for name in ("record_types", "files", "plugins", "area"):
        if not isinstance(manifest.get(name), dict):
            raise archive_error(_("The archive is damaged: its manifest has no %(part)s", part=name))
    return manifest


@dataclass
class Plan:
    types: list  # the record types to import, in order
    left_out: list  # record types of plugins not installed, left out
    missing_plugins: list
    notes: list


def plan_import(manifest: dict, skip_missing_plugins: bool) -> Plan:
    """Which types to import: refuses an archive needing a plugin not installed here (unless
    ``skip_missing_plugins``), a type newer than this install's, or rows of a type this install does not know."""
    from hsbtrack.plugins.services import registry

    known = {t.name: t for t in record_types()}
    installed = {info.name for info in registry().plugins()}
    entries = manifest["record_types"]
    missing = {plugin for plugin in manifest["plugins"] if plugin not in installed}
    left_out = []
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            raise archive_error(_("The archive is damaged: its manifest's record types are not well formed"))
        plugin = entry.get("plugin")
        count = entry.get("count") or 0
        if name in known:
            version = entry.get("version")
            if isinstance(version, int) and not isinstance(version, bool) and version > known[name].version:
                raise archive_error(_("The archive's records of %(type)s are of a newer version (%(theirs)d) than "
                                      "this install reads (%(ours)d): upgrade %(what)s here first.", type=name,
                                      theirs=version, ours=known[name].version,
                                      what=_("the plugin %(plugin)s", plugin=plugin) if plugin else "hsbtrack"))
            continue
        if plugin and plugin not in installed:
            if count:
                missing.add(plugin)
            left_out.append(name)
        elif count:
            raise archive_error(_("The archive holds records of %(type)s, which this install does not know: upgrade "
                                  "%(what)s here first.", type=name,
                                  what=_("the plugin %(plugin)s", plugin=plugin) if plugin else "hsbtrack"))
    notes = []
    if missing and not skip_missing_plugins:
        raise archive_error(ngettext(
            "The archive needs the plugin %(names)s, which is not installed here. Install it, or import the area "
            "without its records.",
            "The archive needs the plugins %(names)s, which are not installed here. Install them, or import the area "
            "without their records.", len(missing), names=", ".join(sorted(missing))))
    for plugin in sorted(missing):
        notes.append(_("The records of the plugin %(plugin)s were left out: it is not installed here.", plugin=plugin))
    for required in ("area", "users"):
        if required not in entries:
            raise archive_error(_("The archive is damaged: it has no records of %(type)s", type=required))
    types = [t for t in known.values() if t.name in entries and (not t.plugin or t.plugin in installed)]
    return Plan(types=types, left_out=left_out, missing_plugins=sorted(missing), notes=notes)


def read_records(archive: zipfile.ZipFile, manifest: dict, record_type) -> list[dict]:
    """One type's rows, checked against the manifest's checksum and the type's fields."""
    entry = manifest["record_types"][record_type.name]
    path = entry.get("file")
    if path != f"records/{record_type.name}.json":
        raise archive_error(_("The archive is damaged: its manifest does not name the records of %(type)s",
                              type=record_type.name))
    listed = manifest["files"].get(path)
    if not isinstance(listed, dict):
        raise archive_error(_("The archive is damaged: it does not list the file %(path)s", path=path))
    data = _read_member(archive, path, RECORDS_MAX, listed)
    if hashlib.sha256(data).hexdigest() != listed.get("sha256"):
        raise archive_error(_("The archive is damaged: the file %(path)s does not match its checksum", path=path))
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise archive_error(_("The archive is damaged: the file %(path)s is not JSON", path=path)) from None
    if not isinstance(document, dict) or document.get("record_type") != record_type.name:
        raise archive_error(_("The archive is damaged: the file %(path)s does not hold records of %(type)s",
                              path=path, type=record_type.name))
    rows = load_rows(record_type, document.get("rows"))
    if len(rows) != entry.get("count"):
        raise archive_error(_("The archive is damaged: the file %(path)s does not hold as many records as its "
                              "manifest says", path=path))
    return rows


def history_entity_types(types) -> dict:
    """History ``entity`` -> the record type whose ids its ``entity_id`` holds (a type's ``history_entities``:
    ``"action"`` for its own ids, ``"training_settings=area"`` for another type's)."""
    found = {}
    for record_type in types:
        for entry in record_type.history_entities:
            entity, _sep, target = entry.partition("=")
            found[entity] = target or record_type.name
    return found


def name_taken(name: str) -> bool:
    # (lower() on both sides, and the exact name too: SQLite's lower() folds ASCII only)
    return db.session.scalar(select(func.count()).select_from(Area).where(
        or_(Area.name == name, func.lower(Area.name) == name.lower()))) > 0


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError.field("name", _("Enter a name"))
    if len(name) > 200:
        raise ServiceError.field("name", _("Name must be %(n)d characters or fewer", n=200))
    if "\x00" in name:
        from hsbtrack.errors import nul_message

        raise ServiceError.field("name", nul_message())
    if name_taken(name):
        raise ServiceError.field("name", _("An area called %(name)s already exists here: give the imported area "
                                           "another name", name=name))
    return name


def read_archive_summary(path_or_file) -> dict:
    """The manifest of an archive (checked), without importing it: what the admin page and the CLI show."""
    with _open(path_or_file) as archive:
        return read_manifest(archive)


# -- importing -----------------------------------------------------------------------------------------------


def _make_area(row: dict, name: str, context: ImportContext) -> Area:
    region = None
    if row["region"]:
        region = db.session.scalar(select(Region).where(Region.name == row["region"]))
        if region is None:
            context.note(_("The region %(region)s does not exist here: the area was imported without a region.",
                           region=row["region"]))
        else:
            context.note(_("The area joined the region %(region)s.", region=region.display_name))
    settings = row["settings"] if isinstance(row["settings"], dict) else {}
    area = Area(name=name, name_cy=row["name_cy"], region_id=region.id if region else None, settings=settings,
                created_at=row["created_at"])
    db.session.add(area)
    db.session.flush()
    context.set_id("area", row["id"], area.id)
    return area


def _erased_placeholder(row: dict) -> User:
    """An erased person's placeholder (as :func:`hsbtrack.privacy.services.erase_person` leaves one): the
    records naming them show "former member"; no name, no address of theirs, no way to sign in."""
    user = User(email=f"importing-{uuid.uuid4().hex}@erased.invalid", name="", password_hash=None,
                activated_at=None, active=False, email_notifications=False, erased_at=utcnow())
    db.session.add(user)
    db.session.flush()
    user.email = erased_placeholder_email(user.id)
    return user


def _match_people(rows: list[dict], context: ImportContext) -> tuple[list, list]:
    """Existing accounts by email (reused), new ones made pending; returns (new emails, matched emails)."""
    languages = set(current_app.config.get("HSBTRACK_LANGUAGES") or ("en", "cy"))
    emails = {}
    for row in rows:
        if row.get("erased"):
            continue
        email = normalise_email(row["email"])
        if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
            raise archive_error(_("The archive is damaged: %(email)s is not an email address", email=row["email"]))
        emails[row["id"]] = email
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(set(emails.values()))))}
    made, matched = [], []
    for row in rows:
        if row.get("erased"):
            context.set_id("users", row["id"], _erased_placeholder(row).id)
            continue
        email = emails[row["id"]]
        user = existing.get(email)
        if user is None:
            # pending: no password, not accepted; no invitation is sent (an administrator invites them when ready)
            user = User(email=email, name=(row["name"] or "")[:200],
                        locale=row["locale"] if row["locale"] in languages else "en",
                        password_hash=None, activated_at=None)
            db.session.add(user)
            db.session.flush()
            existing[email] = user
            made.append(email)
        elif email not in made and email not in matched:
            matched.append(email)
        context.set_id("users", row["id"], user.id)
    return made, matched


def import_archive(path_or_file, *, name: str | None = None, skip_missing_plugins: bool = False,
                   user=None) -> ImportResult:
    """Import the archive at ``path_or_file`` (a path or a seekable binary file) as a new area, all or nothing.

    ``name``: the area's name here (default: its name in the archive; refused at ``name`` when taken).
    ``skip_missing_plugins``: import without the records of plugins not installed here (else refused).
    ``user``: the administrator importing (None: the command line). Runs in its own transaction: call it with
    nothing pending in the session. Raises :class:`ArchiveError` (or a ``ServiceError`` at ``name``)."""
    if user is not None and not getattr(user, "is_admin", False):
        raise ForbiddenError(_("Only administrators import areas"))
    from hsbtrack.plugins.services import registry

    with _open(path_or_file) as archive:
        manifest = read_manifest(archive)
        plan = plan_import(manifest, skip_missing_plugins)
        area_name = check_name(name if name is not None and name.strip() else
                               str((manifest.get("area") or {}).get("name") or ""))
        records = {t.name: read_records(archive, manifest, t) for t in plan.types}
        area_rows = records.get("area") or []
        if len(area_rows) != 1:
            raise archive_error(_("The archive is damaged: it does not hold exactly one area"))
        context = ImportContext(archive, manifest, {i.name for i in registry().plugins()},
                                history_entity_types(plan.types),
                                notes=list(plan.notes))
        counts = {}
        try:
            area = _make_area(area_rows[0], area_name, context)
            counts["area"] = 1
            new_people, matched = _match_people(records.get("users", []), context)
            counts["users"] = len(records.get("users", []))
            for record_type in plan.types:
                if record_type.import_rows is None:
                    continue
                imported = record_type.import_rows(area, records[record_type.name], context)
                counts[record_type.name] = len(records[record_type.name]) if imported is None else imported
            in_archive = {name_: (entry.get("count") or 0) for name_, entry in manifest["record_types"].items()}
            db.session.add(HistoryEntry(
                area_id=area.id, entity="area", entity_id=area.id, field="imported", old_value=None,
                new_value={"name": area_rows[0]["name"], "exported_at": manifest.get("exported_at"),
                           "app_version": manifest.get("app_version"), "schema_version": manifest["schema_version"],
                           "records": counts, "new_people": len(new_people), "matched_people": len(matched)},
                user_id=getattr(user, "id", None), at=utcnow()))
            db.session.commit()
        except BaseException as error:
            db.session.rollback()
            for key in context.stored_keys:
                try:
                    storage().delete(key)
                except Exception:  # (the import's own error is the one to report)
                    log.exception("area import: could not delete %s", key)
            if isinstance(error, SQLAlchemyError):
                log.warning("area import refused by the database: %s", error)
                if name_taken(area_name):  # (someone made an area of that name meanwhile)
                    raise ServiceError.field("name", _("An area called %(name)s already exists here: give the imported "
                                                       "area another name", name=area_name)) from None
                raise archive_error(_("The archive's records do not fit together, so nothing was imported "
                                      "(%(detail)s)", detail=type(getattr(error, "orig", error)).__name__)) from None
            raise
    from hsbtrack.permissions import forget_grants

    forget_grants()
    log.info("area archive imported as area %s (%s): %s", area.id, area.name, counts)
    return ImportResult(area=area, counts=counts, in_archive=in_archive, notes=context.notes, new_people=new_people,
                        matched_people=matched)
