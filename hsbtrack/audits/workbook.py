"""The offline return workbook: an agency's return as an XLSX file to fill in away from the app, and
reading it back.

**The file.** An "Instructions" sheet (what to do, the scale with its printed labels, in the reader's
language), then one sheet per domain ("Domain 1"…): each statement's code and text (headings too, not
scored), the agency's current score, evidence and assurance, and the version of each answer online. Score
cells offer a 0–4 drop-down (a list data validation). Every sheet is protected and the workbook's
structure too, so that only the answer cells can be typed in and no sheet can be renamed, added or
removed. The protection has **no password**, on purpose: it prevents accidents, not people (anyone can
lift it in Excel, and a published password would protect no better); what keeps the data right is that
the upload is checked cell by cell here. A very hidden sheet holds the metadata: the audit and agency,
when it was downloaded, and for each statement the sheet and row it is on, the answer's version and a
fingerprint of the answer as written, so that an upload knows what was changed offline and what was
changed online since (a *conflict*).

**Reading it back** (:func:`read_upload`) is all or nothing: every bad cell is reported at once by
sheet and cell ("Domain 2, C7: 5 is not a score from 0 to 4"), and a file that is not an XLSX workbook
(decided from its content, not its name) or is the workbook of another audit or agency is refused. A
good file is kept as a :class:`~hsbtrack.audits.models.WorkbookUpload` (only the changes, never the
file) for its preview; nothing is saved before "Save these changes" (:func:`apply_upload`), which saves
each change through :func:`hsbtrack.audits.services.save_response` (history, versions, the audit's data
version) with the version the answer had at download: an answer changed online since is a conflict,
listed and not overwritten.
"""

import hashlib
import io
import json
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import delete, select

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services
from hsbtrack.audits.exports import slugify
from hsbtrack.audits.models import WorkbookUpload
from hsbtrack.errors import ConflictError, NotFoundError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMAT = 1  # the layout version, in the metadata
META_SHEET = "hsbtrack"
KEEP_MINUTES = 60  # how long an upload waits for "Save these changes"
MAX_UNPACKED = 50 * 1024 * 1024  # an XLSX is a ZIP: refuse one that would unpack to more than this
MAX_CELL_ERRORS = 200  # reported at once (a workbook of five domains has about 140 answer cells)
FIRST_ROW = 5  # the first statement's row on a domain sheet (title, scale, blank line, header above it)
COLUMNS = {"code": "A", "statement": "B", "score": "C", "evidence": "D", "assurance": "E", "version": "F"}
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA = ("=", "+", "-", "@")


def fingerprint(score, evidence, assurance) -> str:
    """What an answer looked like: compared at upload with what it looked like at download."""
    payload = json.dumps([score, evidence or "", assurance or ""], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def sheet_title(number: int) -> str:
    return _("Domain %(n)d", n=number)


def filename(audit, agency) -> str:
    return f"{slugify(agency.name)}-{audit.label.split(' ')[0]}-offline-return.xlsx"


def _clean(text) -> str:
    return _ILLEGAL_XML.sub("", text or "")


# -- writing ----------------------------------------------------------------------------------


def build(audit, agency, lang=None) -> bytes:
    """The agency's return in ``audit`` as an offline workbook, in ``lang``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    framework = services.framework_of(audit)
    scale = framework.scale
    answers = services.responses_for_agency(audit, agency.id)
    now = utcnow()
    workbook = Workbook()
    workbook.properties.title = _("Offline return: %(agency)s, %(audit)s (%(label)s)", agency=agency.display_name,
                                  audit=audit.title, label=audit.label)
    workbook.properties.creator = "hsbtrack"
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE3EA")
    heading_fill = PatternFill("solid", fgColor="EEF1F4")
    answer_fill = PatternFill("solid", fgColor="FFFBE6")
    unlocked = Protection(locked=False)

    def protect(ws):
        ws.protection.sheet = True
        # (the structure stays fixed; people may still widen columns and rows to read long text)
        ws.protection.formatColumns = False
        ws.protection.formatRows = False

    def text_cell(ws, ref, value, **style):
        cell = ws[ref]
        cell.value = _clean(value) if isinstance(value, str) else value
        if isinstance(value, str) and value.startswith(_FORMULA):
            cell.data_type = "s"  # text, never a formula
            cell.quotePrefix = True
        cell.alignment = wrap
        for name, value in style.items():
            setattr(cell, name, value)
        return cell

    # Instructions
    ws = workbook.active
    ws.title = _("Instructions")
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 100
    text_cell(ws, "A1", _("Offline return of %(agency)s", agency=agency.display_name), font=Font(bold=True, size=14))
    text_cell(ws, "A2", f"{audit.area.display_name} · {audit.title} ({audit.label})")
    text_cell(ws, "A3", _("Downloaded on %(when)s", when=format_datetime(now, "d MMMM yyyy HH:mm")))
    steps = [
        _("Fill in a score, the evidence supporting it and the assurance systems in place locally for each "
          "statement, on the sheets “Domain 1” to “Domain %(n)d”. Only those cells can be typed in.",
          n=len(framework.domains)),
        _("Choose each score from the drop-down list, from %(min)d to %(max)d (the scale is below). A cell left "
          "blank leaves the statement unscored; clearing a score that was there clears it.",
          min=scale.min, max=scale.max),
        _("When you are ready, upload the workbook on the return’s “Fill in offline” page. You will see every "
          "change before anything is saved, and nothing is saved if a cell is wrong: every problem is listed "
          "with its sheet and cell."),
        _("If someone changes an answer online after you downloaded this workbook, your answer to that "
          "statement is not saved over theirs: it is listed with both answers so that you can choose."),
        _("Do not rename, add or remove sheets, rows or columns. The sheets are protected without a password, "
          "only to prevent accidents."),
    ]
    row = 5
    text_cell(ws, f"A{row}", _("What to do"), font=bold)
    for number, step in enumerate(steps, start=1):
        row += 1
        text_cell(ws, f"A{row}", number)
        text_cell(ws, f"B{row}", step)
    row += 2
    text_cell(ws, f"A{row}", _("The scale"), font=bold)
    for value in scale.values:
        row += 1
        text_cell(ws, f"A{row}", value)
        text_cell(ws, f"B{row}", framework.scale_label(value, lang))
    row += 2
    text_cell(ws, f"A{row}", _("Source: %(text)s", text=framework.attribution), font=Font(italic=True))
    ws.merge_cells("A1:B1")
    protect(ws)

    # Domains
    meta = [("format", FORMAT), ("audit_id", audit.id), ("agency_id", agency.id),
            ("downloaded_at", now.isoformat()), ("data_version", audit.data_version)]
    score_label = _("Score (%(min)d to %(max)d)", min=scale.min, max=scale.max)
    headers = {"code": _("Code"), "statement": _("Statement"), "score": score_label,
               "evidence": framework.field_label("evidence", lang, _("Evidence supporting this score")),
               "assurance": framework.field_label("assurance", lang, _("Assurance systems in place locally")),
               "version": _("Version online")}
    widths = {"code": 8, "statement": 60, "score": 12, "evidence": 50, "assurance": 50, "version": 10}
    for domain in framework.domains:
        ws = workbook.create_sheet(sheet_title(domain.number))
        for key, letter in COLUMNS.items():
            ws.column_dimensions[letter].width = widths[key]
        text_cell(ws, "A1", f"{sheet_title(domain.number)}: {domain.title_for(lang)}", font=Font(bold=True, size=13))
        ws.merge_cells("A1:F1")
        text_cell(ws, "A2", _("Scale: %(scale)s", scale="; ".join(
            f"{v} {framework.scale_label(v, lang)}" for v in scale.values)), font=Font(italic=True))
        ws.merge_cells("A2:F2")
        ws.row_dimensions[2].height = 45
        for key, letter in COLUMNS.items():
            text_cell(ws, f"{letter}4", headers[key], font=bold, fill=header_fill)
        ws.freeze_panes = f"C{FIRST_ROW}"
        validation = DataValidation(type="list", formula1='"' + ",".join(str(v) for v in scale.values) + '"',
                                    allow_blank=True, showErrorMessage=True, showInputMessage=True)
        validation.errorTitle = _("Not a score")
        validation.error = _("Choose a score from %(min)d to %(max)d", min=scale.min, max=scale.max)[:225]
        validation.promptTitle = score_label[:32]
        validation.prompt = _("Choose a score from %(min)d to %(max)d: the scale is on the Instructions sheet",
                              min=scale.min, max=scale.max)[:255]
        ws.add_data_validation(validation)
        row = FIRST_ROW - 1
        for statement in domain.statements:
            row += 1
            text_cell(ws, f"A{row}", statement.code, font=bold)
            text_cell(ws, f"B{row}", statement.text_for(lang))
            if not statement.scored:
                for letter in COLUMNS.values():
                    ws[f"{letter}{row}"].fill = heading_fill
                continue
            answer = answers.get(statement.code)
            score = answer.score if answer is not None else None
            evidence = _clean(answer.evidence) if answer is not None else ""
            assurance = _clean(answer.assurance) if answer is not None else ""
            version = answer.version if answer is not None else 0
            text_cell(ws, f"C{row}", score, protection=unlocked, fill=answer_fill)
            text_cell(ws, f"D{row}", evidence or None, protection=unlocked, fill=answer_fill)
            text_cell(ws, f"E{row}", assurance or None, protection=unlocked, fill=answer_fill)
            text_cell(ws, f"F{row}", version)
            validation.add(f"C{row}")
            meta.append(("answer", statement.code, ws.title, row, version, fingerprint(score, evidence, assurance)))
        protect(ws)

    hidden = workbook.create_sheet(META_SHEET)
    for values in meta:
        hidden.append(list(values))
    hidden.sheet_state = "veryHidden"
    protect(hidden)
    workbook.security = WorkbookProtection(lockStructure=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- reading ----------------------------------------------------------------------------------


@dataclass
class CellProblem:
    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        return _("%(sheet)s, %(cell)s: %(message)s", sheet=self.sheet, cell=self.cell, message=self.message)


class WorkbookError(ServiceError):
    """The upload was refused: the file itself (``problems`` empty), or every bad cell in ``problems``.

    ``fields``: ``file`` (the summary) and one entry per bad cell, keyed "Sheet!C7"."""

    def __init__(self, message, problems=()):
        self.problems = list(problems)
        fields = {"file": message}
        for problem in self.problems:
            fields[f"{problem.sheet}!{problem.cell}"] = str(problem)
        super().__init__(message, fields)


@dataclass
class Change:
    code: str
    score: int | None
    evidence: str
    assurance: str
    version: int  # the answer's version when the workbook was downloaded
    conflict: bool = False

    def as_dict(self) -> dict:
        return {"code": self.code, "score": self.score, "evidence": self.evidence, "assurance": self.assurance,
                "version": self.version, "conflict": self.conflict}


@dataclass
class Reading:
    downloaded_at: object
    changes: list = field(default_factory=list)  # [Change], in printed order


def _not_xlsx() -> WorkbookError:
    return WorkbookError(_("The file must be the Excel workbook (.xlsx) downloaded from this page"))


def _open(data: bytes):
    """The workbook in ``data``, checked to be an XLSX by its content (a ZIP holding a workbook) and not a
    ZIP bomb."""
    from openpyxl import load_workbook

    if not data.startswith(b"PK\x03\x04"):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "xl/workbook.xml" not in names or sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
                raise _not_xlsx()
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except WorkbookError:
        raise
    except Exception as error:  # openpyxl and zipfile raise many kinds for a damaged file
        raise _not_xlsx() from error


def _rows(sheet) -> list[tuple]:
    return [tuple(values) for values in sheet.iter_rows(values_only=True)]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("_x000D_", "")


def read_upload(audit, agency, data: bytes) -> Reading:
    """Read an uploaded workbook of ``agency``'s return in ``audit``: the changes it makes (and the
    conflicts), or :class:`WorkbookError` with every problem. Saves nothing."""
    from datetime import datetime

    framework = services.framework_of(audit)
    workbook = _open(data)
    try:
        names = workbook.sheetnames
        if META_SHEET not in names:
            raise WorkbookError(_("This workbook was not downloaded from the “Fill in offline” page: download "
                                  "the workbook of this return and fill that in"))
        meta = _rows(workbook[META_SHEET])
        info = {row[0]: row[1] for row in meta if row and row[0] not in (None, "answer")}
        answers = [row for row in meta if row and row[0] == "answer"]
        try:
            audit_id, agency_id = int(info.get("audit_id")), int(info.get("agency_id"))
            downloaded_at = datetime.fromisoformat(str(info.get("downloaded_at")))
            if int(info.get("format")) != FORMAT:
                raise ValueError
        except (TypeError, ValueError):
            raise WorkbookError(_("This workbook was not downloaded from the “Fill in offline” page: download "
                                  "the workbook of this return and fill that in")) from None
        if (audit_id, agency_id) != (audit.id, agency.id):
            raise WorkbookError(_("This workbook is the return of another audit or another agency, not of "
                                  "%(agency)s in %(audit)s (%(label)s): download the workbook of this return and "
                                  "fill that in", agency=agency.display_name, audit=audit.title, label=audit.label))
        sheets = {}
        problems = []
        reading = Reading(downloaded_at=downloaded_at)
        current = services.responses_for_agency(audit, agency.id)
        seen = set()
        for _kind, code, title, row, version, printed in answers:
            try:
                statement = framework.statement(str(code))
                row, version = int(row), int(version)
            except (KeyError, TypeError, ValueError):
                raise WorkbookError(_("This workbook was not downloaded from the “Fill in offline” page: download "
                                      "the workbook of this return and fill that in")) from None
            if not statement.scored or statement.code in seen:
                continue
            seen.add(statement.code)
            if title not in names:
                problems.append(CellProblem(str(title), "", _("the sheet is missing: it was renamed or removed")))
                continue
            if title not in sheets:
                sheets[title] = _rows(workbook[title])
            values = sheets[title][row - 1] if len(sheets[title]) >= row else ()
            values = tuple(values) + (None,) * (6 - len(values))
            if _text(values[0]).strip() != statement.code:
                problems.append(CellProblem(title, f"A{row}", _("%(code)s should be on this row: rows were moved "
                                                                "or removed", code=statement.code)))
                continue
            score, evidence, assurance = values[2], values[3], values[4]
            parsed = {}
            raw = _text(score).strip()
            try:
                parsed["score"] = services.parse_score(raw, framework)
            except ServiceError:
                problems.append(CellProblem(title, f"C{row}", _(
                    "%(value)s is not a score from %(min)d to %(max)d", value=raw[:40],
                    min=framework.scale.min, max=framework.scale.max)))
            for name, letter, value in (("evidence", "D", evidence), ("assurance", "E", assurance)):
                try:
                    parsed[name] = services.parse_text(_text(value), name)
                except ServiceError as error:
                    problems.append(CellProblem(title, f"{letter}{row}", error.message))
            if len(parsed) < 3:
                continue
            if fingerprint(parsed["score"], parsed["evidence"], parsed["assurance"]) == printed:
                continue  # not changed offline
            now = current.get(statement.code)
            now_values = ((now.score, now.evidence, now.assurance) if now is not None else (None, "", ""))
            if (parsed["score"], parsed["evidence"], parsed["assurance"]) == now_values:
                continue  # already so online
            now_version = now.version if now is not None else 0
            reading.changes.append(Change(statement.code, parsed["score"], parsed["evidence"], parsed["assurance"],
                                          version, conflict=now_version != version))
            if len(problems) >= MAX_CELL_ERRORS:
                break
    finally:
        workbook.close()
    if problems:
        problems = problems[:MAX_CELL_ERRORS]
        raise WorkbookError(_("The workbook has %(n)d problems: nothing was saved. Correct them and upload it "
                              "again", n=len(problems)) if len(problems) > 1 else
                            _("The workbook has a problem: nothing was saved. Correct it and upload it again"),
                            problems)
    order = {code: i for i, code in enumerate(framework.codes)}
    reading.changes.sort(key=lambda c: order[c.code])
    return reading


# -- the preview, kept until "Save these changes" -----------------------------------------------


def stage_upload(audit, agency, data: bytes, user=None) -> WorkbookUpload:
    """Read the workbook and keep what it would change for the preview (nothing is saved to the return).
    The person's earlier uploads of this return, and everyone's expired ones, are dropped."""
    services.require(user, Perm.SCORE, audit.area_id, agency.id)
    if not audit.is_open:
        raise ConflictError(_("This audit is closed, so its scores can no longer change"))
    reading = read_upload(audit, agency, data)
    user_id = getattr(user, "id", None)
    db.session.execute(delete(WorkbookUpload).where(WorkbookUpload.created_at < utcnow() - timedelta(
        minutes=KEEP_MINUTES)))
    db.session.execute(delete(WorkbookUpload).where(
        WorkbookUpload.audit_id == audit.id, WorkbookUpload.agency_id == agency.id,
        WorkbookUpload.user_id.is_(None) if user_id is None else WorkbookUpload.user_id == user_id))
    upload = WorkbookUpload(token=secrets.token_urlsafe(24), audit_id=audit.id, agency_id=agency.id, user_id=user_id,
                            downloaded_at=reading.downloaded_at.replace(tzinfo=None),
                            changes=[c.as_dict() for c in reading.changes])
    db.session.add(upload)
    db.session.commit()
    return upload


def get_upload(audit, agency, token: str, user=None) -> WorkbookUpload:
    """The kept upload ``token`` of this return, made by ``user`` and not expired (NotFoundError otherwise)."""
    upload = db.session.scalar(select(WorkbookUpload).where(WorkbookUpload.token == str(token)[:64]))
    user_id = getattr(user, "id", None)
    if (upload is None or upload.audit_id != audit.id or upload.agency_id != agency.id or upload.user_id != user_id
            or upload.created_at < utcnow() - timedelta(minutes=KEEP_MINUTES)):
        raise NotFoundError(_("This upload has expired or was saved already: upload the workbook again"))
    return upload


@dataclass
class PreviewRow:
    code: str
    text: str
    old: tuple  # (score, evidence, assurance) online now
    new: tuple  # (score, evidence, assurance) in the workbook
    conflict: bool


def preview(audit, upload: WorkbookUpload, lang=None) -> list[PreviewRow]:
    """What saving ``upload`` would change, statement by statement, against the answers online now
    (conflicts: answers changed online since the download, shown with both values)."""
    framework = services.framework_of(audit)
    current = services.responses_for_agency(audit, upload.agency_id)
    rows = []
    for item in upload.changes:
        now = current.get(item["code"])
        now_version = now.version if now is not None else 0
        rows.append(PreviewRow(
            code=item["code"], text=framework.statement_text(item["code"], lang),
            old=(now.score, now.evidence, now.assurance) if now is not None else (None, "", ""),
            new=(item["score"], item["evidence"], item["assurance"]),
            conflict=item["conflict"] or now_version != item["version"]))
    return rows


@dataclass
class Applied:
    saved: list  # codes saved
    conflicts: list  # codes not saved: changed online since the download


def apply_upload(audit, agency, upload: WorkbookUpload, user=None) -> Applied:
    """Save the kept upload's changes through :func:`services.save_response`, each with the version its
    answer had at download: an answer changed online since is a conflict and is not overwritten."""
    services.require(user, Perm.SCORE, audit.area_id, agency.id)
    if not audit.is_open:
        raise ConflictError(_("This audit is closed, so its scores can no longer change"))
    changes = list(upload.changes)
    db.session.delete(upload)
    db.session.commit()
    saved, conflicts = [], []
    for item in changes:
        if item["conflict"]:
            conflicts.append(item["code"])
            continue
        try:
            services.save_response(audit, agency.id, item["code"], score=item["score"], evidence=item["evidence"],
                                   assurance=item["assurance"], user=user, expected_version=str(item["version"]))
        except ConflictError:
            conflicts.append(item["code"])
        else:
            saved.append(item["code"])
    return Applied(saved, conflicts)


def upload_from_request_file(storage_file) -> bytes:
    """The bytes of an uploaded file (the request's size cap applies before this)."""
    if storage_file is None or not getattr(storage_file, "filename", ""):
        raise ServiceError.field("file", _("Choose the workbook to upload"))
    return storage_file.read()
