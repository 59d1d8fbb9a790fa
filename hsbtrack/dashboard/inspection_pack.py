"""The inspection pack: one ZIP file of an area's papers and evidence, made off the request by a job
(:mod:`hsbtrack.jobs`, kind ``area.inspection_pack``), for a board preparing for an inspection (a joint
targeted area inspection gives ten working days' notice and asks to see audits, actions and evidence at once).

What it holds, for each framework the area audits:

- the **open audit** (the current position, provisional figures said so) and the **latest closed audit** (the
  last complete, agreed picture): each one's board report as PDF (made by the board report's own code,
  :mod:`hsbtrack.audits.report_files`), its export (XLSX: every agency's scores, evidence and assurance, with
  the cycle-by-cycle figures) and its evidence index (XLSX). Older cycles are not repeated: each board report
  already shows the change since the cycle before, each export every cycle's domain scores, and an inspector
  asks how good the partnership is now and what it did about the last audit — which these two answer — while
  every earlier cycle would make the pack's build time grow with the area's history;
- the **action plan** (XLSX, every action with its latest update);
- the **documents themselves**: the current version of every document the evidence indexes list and of
  every action's documents, each once (under the newest audit that cites it, then its agency or the
  partnership; an action's under its action), named ``<document id>-<its file name>``;
- ``index.html`` and ``index.csv``: every other file of the ZIP with its size, SHA-256 and what it is (the
  evidence indexes' titles link to the files inside the pack). The ZIP holds exactly what they list, and
  those two.

It is made *as the person who asked*: everything in it comes from the same functions as the pages, with
their reader rules, so it holds what they may read. Its permission is ``audit.responses.read`` (every agency's
responses: the audit exports need it) and starting one also needs ``actions.read``: board managers and
administrators. Only they — the person who asked, and administrators — may download it (the jobs' wall).

Memory stays bounded: the ZIP is written to a temporary file (``TMPDIR``) that the job runner streams into
storage and deletes; documents are copied from storage in 1 MB chunks (``ZIP_STORED``: they are already
compressed), the spreadsheets and indexes deflated.
"""

import csv
import hashlib
import io
import logging
import os
import posixpath
import tempfile
import zipfile
from contextlib import closing
from dataclasses import dataclass, field

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _

from hsbtrack.actions import documents as action_documents
from hsbtrack.actions import exports as plan_exports
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import exports as audit_exports
from hsbtrack.audits import report_files
from hsbtrack.audits import services as audits
from hsbtrack.documents import evidence_index
from hsbtrack.documents import kinds as document_kinds
from hsbtrack.documents.models import COMPLETION
from hsbtrack.i18n import current_language
from hsbtrack.jobs import kinds
from hsbtrack.jobs import services as jobs
from hsbtrack.jobs.kinds import JobKind, Result
from hsbtrack.permissions import can, current_actor, loaded, requires
from hsbtrack.storage import storage
from hsbtrack.timeutil import local_today, utcnow

log = logging.getLogger(__name__)

KIND = "area.inspection_pack"
PERMISSION = Perm.READ_RESPONSES
ZIP_MIMETYPE = "application/zip"
CHUNK = 1 << 20
COMPRESSED_TEXT = {"text/csv", "text/plain"}  # documents worth deflating; everything else is stored as it is
INDEX_FILES = ("index.html", "index.csv")


# -- asking for one ----------------------------------------------------------------------------------


def may_make(user, area_id) -> bool:
    """May ``user`` make an area's inspection pack (read every part of it)?"""
    return can(user, PERMISSION, area_id) and can(user, Perm.READ_ACTIONS, area_id)


def start_pack(area, user):
    """Queue the inspection pack of ``area`` for ``user`` (403 unless they may read every part of it)."""
    audits.require(user, PERMISSION, area.id)
    audits.require(user, Perm.READ_ACTIONS, area.id)
    return jobs.create_job(KIND, user=user, area_id=area.id)


bp = Blueprint("inspection_pack", __name__)


@bp.route("/areas/<int:area_id>/inspection-pack", methods=["POST"])
@requires(PERMISSION)
def start(area_id):
    """The dashboard's "Make an inspection pack": start the job, then show its page."""
    job = start_pack(loaded("area_id"), current_actor())
    return redirect(url_for("jobs.detail", job_id=job.id))


# -- what goes in ----------------------------------------------------------------------------------------


def pack_audits(area) -> list:
    """For each framework the area audits: its open audit and its latest closed one, newest first."""
    chosen = []
    by_framework: dict = {}
    for audit in audits.audits_for_area(area.id):
        by_framework.setdefault(audit.framework, []).append(audit)
    for found in by_framework.values():
        open_ones = [a for a in found if a.is_open]
        closed = [a for a in found if not a.is_open]
        chosen += sorted(open_ones, key=lambda a: -a.cycle)[:1] + closed[-1:]
    return sorted(chosen, key=lambda a: (a.framework, -a.cycle))


@dataclass
class Entry:
    path: str
    description: str
    size: int = 0
    sha256: str = ""


@dataclass
class PlannedDocument:
    document: object
    path: str
    description: str


@dataclass
class Plan:
    """Where every file goes, decided before a byte is written (the evidence indexes link to the documents)."""

    area: object
    audits: list
    folders: dict = field(default_factory=dict)  # audit id -> its folder
    indexes: dict = field(default_factory=dict)  # audit id -> EvidenceIndex
    plan_data: object = None
    documents: list = field(default_factory=list)  # [PlannedDocument]
    placed: dict = field(default_factory=dict)  # document id -> its path
    taken: set = field(default_factory=set)

    def unique(self, path: str) -> str:
        stem, ext = posixpath.splitext(path)
        candidate, n = path, 2
        while candidate.lower() in self.taken or candidate in INDEX_FILES:
            candidate, n = f"{stem}-{n}{ext}", n + 1
        self.taken.add(candidate.lower())
        return candidate


def _slug(text: str) -> str:
    return audit_exports.slugify(text)[:60].strip("-") or "x"


def safe_name(filename: str) -> str:
    """A file name safe in any ZIP tool: ASCII letters, digits, ``.-_``, its extension kept."""
    stem, ext = os.path.splitext(filename or "")
    ext = "." + _slug(ext[1:])[:10] if ext[1:] else ""
    return _slug(stem) + ext


def _place(plan: Plan, document, folder: str, description: str) -> None:
    if document.id in plan.placed or document.latest is None:
        return
    path = plan.unique(f"{folder}/{document.id}-{safe_name(document.latest.filename)}")
    plan.placed[document.id] = path
    plan.documents.append(PlannedDocument(document, path, description))


def _described(document, what: str) -> str:
    return _("%(title)s (version %(version)d): %(what)s", title=document.title, version=document.latest.number,
             what=what)


def make_plan(area, user) -> Plan:
    lang = current_language()
    plan = Plan(area=area, audits=pack_audits(area))
    documents_folder = _slug(_("Documents"))
    for audit in plan.audits:
        folder = plan.unique(_slug(f"{audit.label} {audit.title}"))
        plan.folders[audit.id] = folder
        index = evidence_index.gather(audit, user, lang=lang)
        plan.indexes[audit.id] = index
        cited: dict = {}  # document id -> (document, owner, [codes])
        for statement in index.statements:
            for row in statement.rows:
                for document in row.documents:
                    cited.setdefault(document.id, (document, row, []))[2].append(statement.statement.code)
        for document, row, codes in cited.values():
            if not document_kinds.may_read(user, document):
                continue
            owner = index.agency_name(row)
            _place(plan, document, f"{folder}/{documents_folder}/{_slug(owner)}",
                   _described(document, _("%(owner)s's evidence for %(codes)s in %(cycle)s", owner=owner,
                                          codes=", ".join(codes), cycle=audit.label)))
    plan.plan_data = plan_exports.gather(area, lang=lang, with_updates=True, reader=user)
    plan_folder = _slug(_("Action plan"))
    actions = {a.id: a for a in plan.plan_data.actions}
    for action_id, grouped in action_documents.documents_for_actions(list(actions)).items():
        action = actions[action_id]
        for purpose, found in grouped.items():
            for document in found:
                if not document_kinds.may_read(user, document):
                    continue
                what = (_("the evidence that the action “%(action)s” was completed", action=action.title)
                        if purpose == COMPLETION else _("evidence for the action “%(action)s”", action=action.title))
                _place(plan, document, f"{plan_folder}/{documents_folder}/{action.id}-{_slug(action.title)}",
                       _described(document, what))
    return plan


# -- writing it -----------------------------------------------------------------------------------------------


class PackWriter:
    """The ZIP being written, and its index (every file, with its size and SHA-256)."""

    def __init__(self, fileobj):
        self.zip = zipfile.ZipFile(fileobj, "w", allowZip64=True)
        self.entries: list[Entry] = []

    def add_bytes(self, path: str, data: bytes, description: str, compress=True) -> None:
        info = zipfile.ZipInfo(path, date_time=utcnow().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self.zip.writestr(info, data)
        self.entries.append(Entry(path, description, len(data), hashlib.sha256(data).hexdigest()))

    def add_stream(self, path: str, stream, size_hint: int, description: str, when, compress=False) -> Entry:
        info = zipfile.ZipInfo(path, date_time=when.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, "w", force_zip64=size_hint > zipfile.ZIP64_LIMIT // 2) as out:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        entry = Entry(path, description, size, digest.hexdigest())
        self.entries.append(entry)
        return entry

    def close(self) -> None:
        self.zip.close()


def index_csv(entries) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("path", "size", "sha256", "description"))
    for entry in entries:
        writer.writerow((entry.path, entry.size, entry.sha256, audit_exports.csv_safe(entry.description)))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _relative(from_folder: str, path: str) -> str:
    return posixpath.relpath(path, from_folder or ".")


def run(job, user, progress) -> Result:
    area = job.area
    fd, tmp_path = tempfile.mkstemp(prefix="hsbtrack-pack-", suffix=".zip")
    try:
        with os.fdopen(fd, "w+b") as fileobj:
            _write(fileobj, area, user, progress)
        return Result(None, pack_filename(area), ZIP_MIMETYPE, path=tmp_path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def _write(fileobj, area, user, progress) -> None:
    progress(2, _("Deciding what goes in"))
    plan = make_plan(area, user)
    pack = PackWriter(fileobj)
    steps = 3 * len(plan.audits) + 1
    done = 0

    def step(message):
        nonlocal done
        progress(5 + 35 * done // steps, message)
        done += 1

    for audit in plan.audits:
        folder = plan.folders[audit.id]
        step(_("Laying out the board report of %(cycle)s", cycle=audit.label))
        pdf = report_files.html_to_pdf(report_files.report_html(area, audit, user))
        pack.add_bytes(plan.unique(f"{folder}/{report_files.file_name(area, audit, report_files.PDF)}"), pdf,
                       _("Board report of %(audit)s (%(cycle)s)", audit=audit.title, cycle=audit.label),
                       compress=False)
        step(_("Writing the spreadsheets of %(cycle)s", cycle=audit.label))
        pack.add_bytes(plan.unique(f"{folder}/{audit_exports.filename(audit, area, 'xlsx')}"),
                       audit_exports.build_xlsx(audit_exports.gather(audit)),
                       _("Audit export of %(audit)s (%(cycle)s): every agency's scores, evidence and assurance",
                         audit=audit.title, cycle=audit.label))
        step(_("Writing the spreadsheets of %(cycle)s", cycle=audit.label))
        index = plan.indexes[audit.id]

        def link(document, folder=folder):
            placed = plan.placed.get(document.id)
            if placed is None:
                return url_for("documents.content", document_id=document.id, _external=True)
            return _relative(folder, placed)

        pack.add_bytes(plan.unique(f"{folder}/{evidence_index.filename(index)}"),
                       evidence_index.build_xlsx(index, link),
                       _("Evidence index of %(audit)s (%(cycle)s): the documents behind each statement",
                         audit=audit.title, cycle=audit.label))
    step(_("Writing the action plan"))
    data = plan.plan_data
    pack.add_bytes(plan.unique(f"{_slug(_('Action plan'))}/{_slug(area.name)}-action-plan-{data.on.isoformat()}.xlsx"),
                   plan_exports.build_xlsx(data), _("Action plan, with the latest update of each action"))

    total = sum(p.document.latest.size for p in plan.documents) or 1
    copied, last = 0, -1
    unreadable = []
    for number, planned in enumerate(plan.documents, 1):
        version = planned.document.latest
        percent = 40 + 55 * copied // total
        if percent != last:
            progress(percent, _("Adding document %(number)d of %(count)d", number=number, count=len(plan.documents)))
            last = percent
        try:
            stream = storage().open(version.storage_key)
        except FileNotFoundError:
            log.warning("inspection pack: the bytes of document %s version %s are missing", planned.document.id,
                        version.number)
            unreadable.append(planned)
            continue
        with closing(stream):
            entry = pack.add_stream(planned.path, stream, version.size, planned.description, version.uploaded_at,
                                    compress=version.content_type in COMPRESSED_TEXT)
        if entry.sha256 != version.sha256:
            log.warning("inspection pack: document %s version %s differs from its upload's checksum",
                        planned.document.id, version.number)
        copied += version.size

    progress(96, _("Writing the index"))
    listed = list(pack.entries)
    html = render_template("dashboard/inspection_pack_index.html", area=area, entries=listed, user=user,
                           made_on=local_today(), unreadable=unreadable)
    pack.add_bytes("index.html", html.encode("utf-8"), "")
    pack.add_bytes("index.csv", index_csv(listed), "")
    pack.close()


def pack_filename(area) -> str:
    return f"{_slug(area.name)}-{_slug(_('Inspection pack'))}-{local_today().isoformat()}.zip"


# -- the kind ---------------------------------------------------------------------------------------------------


def _may_run(job, user) -> bool:
    return job.area_id is not None and may_make(user, job.area_id)


def _title(job) -> str:
    area = job.area
    return _("Inspection pack: %(area)s", area=area.display_name) if area is not None else _("Inspection pack")


def _back(job):
    if job.area_id is None:
        return None
    return _("Back to the area's home page"), url_for("dashboard.area", area_id=job.area_id)


kinds.register(JobKind(KIND, run=run, permission=PERMISSION, title=_title, may_run=_may_run, back=_back))
