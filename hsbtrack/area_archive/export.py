"""Writing an area's archive: ``records/<type>.json`` (and ``csv/<type>.csv``) for every record type, the files
the records attach (each document version's bytes, ``documents/<id>``) and ``manifest.json`` last, with the
SHA-256 of every other file. docs/area-archive.md describes the layout.

Memory stays bounded: rows are read in batches and written as they come; a document's bytes are copied from
storage in 1 MB chunks (``ZIP_STORED``: they are mostly compressed already); the CSV of a type is spooled to
a temporary file while its JSON is written. From the admin page it is a job (kind ``area.archive``, made as
the administrator who asked, only theirs and other administrators' to download); ``hsbtrack area export``
writes it directly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import tempfile
import zipfile
from contextlib import closing
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _

from hsbtrack.area_archive.schema import (
    ARCHIVE_SCHEMA_VERSION,
    FORMAT,
    MANIFEST,
    archive_error,
    dump_row,
    record_types,
)
from hsbtrack.areas.roles import Perm
from hsbtrack.extensions import db
from hsbtrack.jobs import kinds
from hsbtrack.jobs import services as jobs
from hsbtrack.jobs.kinds import JobKind, Result
from hsbtrack.timeutil import utcnow
from hsbtrack.version import __version__

log = logging.getLogger(__name__)

KIND = "area.archive"
ZIP_MIMETYPE = "application/zip"
CHUNK = 1 << 20


@dataclass
class Attachment:
    path: str
    open_stream: object
    size: int
    what: str


@dataclass
class ExportContext:
    """What a record type's ``export_rows`` gets besides the area."""

    area: object
    user_ids: set = field(default_factory=set)  # people the rows name (the users type is written last)
    plugins: set = field(default_factory=set)  # plugins the archive needs (records, an enabled state, a kind)
    attachments: list = field(default_factory=list)

    def attach(self, path: str, open_stream, size: int = 0, what: str = "") -> None:
        """Add a file to the archive (``open_stream()`` returns a binary stream of its bytes, read after the
        records are written): a document version's bytes."""
        self.attachments.append(Attachment(path, open_stream, size, what or path))

    def needs_plugin(self, name: str) -> None:
        """Say that the area's records need this plugin (an importing install without it is told)."""
        self.plugins.add(name)


class _HashingWriter:
    """Writes to ``out`` and keeps the SHA-256 and size of what went through."""

    def __init__(self, out):
        self.out, self.digest, self.size = out, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.size += len(data)

    def entry(self) -> dict:
        return {"size": self.size, "sha256": self.digest.hexdigest()}


def _csv_cell(value) -> str:
    from hsbtrack.audits.exports import csv_safe

    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_safe(str(value)) if isinstance(value, str) else str(value)


def _zip_info(path: str, when, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    return info


def _write_type(archive: zipfile.ZipFile, record_type, rows, context: ExportContext, when) -> tuple[int, dict, dict]:
    """One type's JSON and CSV; returns (rows, the JSON's entry, the CSV's entry)."""
    count = 0
    spool = tempfile.SpooledTemporaryFile(max_size=CHUNK, mode="w+b")  # noqa: SIM115  (closed below)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        text.write("\ufeff")  # (Excel reads UTF-8 then)
        writer.writerow(record_type.field_names)
        path = f"records/{record_type.name}.json"
        with archive.open(_zip_info(path, when, True), "w", force_zip64=True) as raw:
            out = _HashingWriter(raw)
            out.write(json.dumps({"record_type": record_type.name, "version": record_type.version,
                                  "schema_version": ARCHIVE_SCHEMA_VERSION})[:-1].encode() + b', "rows": [')
            for row in rows:
                for item in record_type.fields:
                    if item.ref == "users" and row.get(item.name) is not None:
                        context.user_ids.add(row[item.name])
                dumped = dump_row(record_type, row)
                out.write((b",\n" if count else b"\n") + json.dumps(dumped, ensure_ascii=False).encode("utf-8"))
                writer.writerow([_csv_cell(dumped[name]) for name in record_type.field_names])
                count += 1
            out.write(b"\n]}\n")
            json_entry = out.entry()
        text.flush()
        spool.seek(0)
        with archive.open(_zip_info(f"csv/{record_type.name}.csv", when, True), "w", force_zip64=True) as raw:
            out = _HashingWriter(raw)
            while chunk := spool.read(CHUNK):
                out.write(chunk)
            csv_entry = out.entry()
    finally:
        text.close()
    return count, json_entry, csv_entry


def export_area(area, fileobj, progress=None) -> dict:
    """Write ``area``'s archive into ``fileobj`` (a binary file, seekable or not); return its manifest.

    Read in one transaction, so that the archive is one moment's picture (on PostgreSQL at REPEATABLE READ: call
    it with nothing pending in the session). A
    document whose bytes are missing from storage stops the export with :class:`ArchiveError` naming it
    (restore it from a backup first): an archive never promises bytes it does not hold."""
    progress = progress or (lambda percent, message="": None)
    from hsbtrack.plugins.services import registry

    if db.session.get_bind().dialect.name == "postgresql":
        db.session.rollback()  # (a new transaction, at the level asked for: nothing is pending here)
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    when = utcnow()
    types = record_types()
    context = ExportContext(area)
    files: dict[str, dict] = {}
    manifest_types: dict[str, dict] = {}
    with zipfile.ZipFile(fileobj, "w", allowZip64=True) as archive:
        # every type but the people first: they say whom they name, and the people are written last
        ordered = [t for t in types if t.name != "users"] + [t for t in types if t.name == "users"]
        for number, record_type in enumerate(ordered):
            progress(2 + 48 * number // len(ordered), _("Writing the records: %(type)s", type=record_type.name))
            count, json_entry, csv_entry = _write_type(archive, record_type, record_type.export_rows(area, context),
                                                       context, when)
            files[f"records/{record_type.name}.json"] = json_entry
            files[f"csv/{record_type.name}.csv"] = csv_entry
            manifest_types[record_type.name] = {"version": record_type.version, "plugin": record_type.plugin or None,
                                                "count": count, "file": f"records/{record_type.name}.json",
                                                "csv": f"csv/{record_type.name}.csv"}
            if count and record_type.plugin:
                context.plugins.add(record_type.plugin)
        total = sum(a.size for a in context.attachments) or 1
        copied = 0
        for number, attachment in enumerate(context.attachments, 1):
            progress(50 + 48 * copied // total, _("Adding document %(number)d of %(count)d", number=number,
                                                  count=len(context.attachments)))
            try:
                stream = attachment.open_stream()
            except FileNotFoundError:
                raise archive_error(_("The bytes of %(what)s are missing from storage: restore them from a backup "
                                      "before exporting this area.", what=attachment.what)) from None
            with closing(stream), archive.open(_zip_info(attachment.path, when, False), "w",
                                               force_zip64=attachment.size > zipfile.ZIP64_LIMIT // 2) as raw:
                out = _HashingWriter(raw)
                while chunk := stream.read(CHUNK):
                    out.write(chunk)
                files[attachment.path] = out.entry()
            copied += attachment.size
        progress(99, _("Writing the manifest"))
        installed = {info.name: info.version for info in registry().plugins()}
        manifest = {
            "format": FORMAT,
            "schema_version": ARCHIVE_SCHEMA_VERSION,
            "app_version": __version__,
            "exported_at": when.isoformat(timespec="seconds") + "Z",
            "area": {"id": area.id, "name": area.name, "name_cy": area.name_cy},
            "record_types": manifest_types,
            "plugins": {name: {"version": installed.get(name)} for name in sorted(context.plugins)},
            "files": files,
        }
        archive.writestr(_zip_info(MANIFEST, when, True), json.dumps(manifest, ensure_ascii=False, indent=2))
    db.session.rollback()  # (end the read transaction)
    return manifest


def archive_filename(area) -> str:
    from hsbtrack.audits.exports import slugify

    return f"{slugify(area.name)[:60].strip('-') or 'area'}-archive-{utcnow().date().isoformat()}.zip"


# -- the job ---------------------------------------------------------------------------------------------


def start_export(area, user):
    """Queue the export of ``area`` for ``user`` (an administrator)."""
    from hsbtrack.errors import ForbiddenError

    if not getattr(user, "is_admin", False):
        raise ForbiddenError(_("Only administrators export areas"))
    return jobs.create_job(KIND, user=user, area_id=area.id)


def run(job, user, progress) -> Result:
    area = job.area
    fd, tmp_path = tempfile.mkstemp(prefix="hsbtrack-area-", suffix=".zip")
    try:
        with os.fdopen(fd, "w+b") as fileobj:
            export_area(area, fileobj, progress)
        return Result(None, archive_filename(area), ZIP_MIMETYPE, path=tmp_path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def _may_run(job, user) -> bool:
    return job.area_id is not None and bool(getattr(user, "is_admin", False))


def _title(job) -> str:
    area = job.area
    return _("Area archive: %(area)s", area=area.display_name) if area is not None else _("Area archive")


def _back(job):
    return _("Back to exporting and importing areas"), url_for("area_archive.index")


kinds.register(JobKind(KIND, run=run, permission=Perm.ADMIN, title=_title, may_run=_may_run, back=_back))
