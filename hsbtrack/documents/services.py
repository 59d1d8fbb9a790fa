"""Documents behind an agency's response: uploading (type decided from the content, size limit while
streaming), new versions, lists for a response and a whole audit, the bin.

History entries are the document's (entity ``document``, with the audit): not the statement's, whose
history every reader of the audit sees, while a document is for the readers of its agency's responses.

Commands check the access model themselves (:func:`hsbtrack.audits.services.require`): attaching a
document to a response needs the permission to score that agency's response. Bytes go to
:func:`hsbtrack.storage.storage` under a random key; the records keep the key. A failed write removes
the bytes it stored.
"""

import codecs
import hashlib
import tempfile
import unicodedata
import uuid
import zipfile
from datetime import date

import filetype
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from hsbtrack import storage as storage_package
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services as audits
from hsbtrack.audits.models import Audit
from hsbtrack.documents import kinds, scanning
from hsbtrack.documents.models import LINKED, RESPONSE, STATEMENT, Document, DocumentLink, DocumentVersion
from hsbtrack.errors import ConflictError, NotFoundError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.storage import limits
from hsbtrack.timeutil import parse_date, utcnow

MAX_TITLE = 200
BIN_DAYS = 30  # a deleted document stays restorable for so long (hsbtrack.documents.lifecycle)
MAX_FILENAME = 200
CHUNK = 1024 * 1024
HEAD = 64 * 1024

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
PNG = "image/png"
JPEG = "image/jpeg"
CSV = "text/csv"
TXT = "text/plain"
ALLOWED_TYPES = (PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, CSV, TXT)
# what a file's name claims -> the types its content may be
EXTENSIONS = {"pdf": {PDF}, "docx": {DOCX}, "xlsx": {XLSX}, "odt": {ODT}, "ods": {ODS}, "png": {PNG},
              "jpg": {JPEG}, "jpeg": {JPEG}, "csv": {CSV, TXT}, "txt": {TXT, CSV}}
HTML_MARKS = ("<html", "<!doctype", "<script", "<head", "<body", "<iframe", "<svg")


def storage():
    """The app's storage backend (hsbtrack.storage)."""
    return storage_package.storage()


def max_bytes() -> int:
    return limits.document_max_bytes()


# -- reading what was sent --------------------------------------------------------------------


def clean_filename(name) -> str:
    """The last part of the name a browser sent, without control characters, 200 characters at most
    (the extension kept)."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot else ""
        name = (stem if dot else name)[:MAX_FILENAME - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name or "document"


def _title(value, filename) -> str:
    title = " ".join(str(value or "").split())
    if not title:
        title = filename.rsplit(".", 1)[0] if "." in filename else filename
    return title[:MAX_TITLE]


class _TooBig(Exception):
    pass


class _Reader:
    """Reads the upload for storage: counts, hashes and keeps the first bytes; stops past the limit."""

    def __init__(self, raw, limit):
        self.raw, self.limit, self.size = raw, limit, 0
        self.sha = hashlib.sha256()
        self.head = bytearray()

    def read(self, n=-1):
        chunk = self.raw.read() if n is None or n < 0 else self.raw.read(n)
        self.size += len(chunk)
        if self.size > self.limit:
            raise _TooBig()
        self.sha.update(chunk)
        if len(self.head) < HEAD:
            self.head += chunk[:HEAD - len(self.head)]
        return chunk


def _kind_label(content_type) -> str:
    return {PDF: "PDF", DOCX: "DOCX", XLSX: "XLSX", ODT: "ODT", ODS: "ODS", PNG: "PNG", JPEG: "JPEG",
            CSV: "CSV", TXT: "TXT"}[content_type]


def _looks_like_html(text: str) -> bool:
    start = text.lstrip("\ufeff \t\r\n").lower()[:1024]
    return any(mark in start for mark in HTML_MARKS)


def _seekable_copy(key):
    """The stored bytes as a seekable file (zip members are listed at the end of the file)."""
    stream = storage().open(key)
    if getattr(stream, "seekable", lambda: False)():
        return stream
    copy = tempfile.SpooledTemporaryFile(max_size=CHUNK)
    try:
        while chunk := stream.read(CHUNK):
            copy.write(chunk)
    finally:
        stream.close()
    copy.seek(0)
    return copy


def _zip_type(key):
    with _seekable_copy(key) as stream:
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
                if "mimetype" in names:
                    kind = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                    if kind in (ODT, ODS):
                        return kind
                if "[Content_Types].xml" in names:
                    if "word/document.xml" in names:
                        return DOCX
                    if "xl/workbook.xml" in names:
                        return XLSX
        except (zipfile.BadZipFile, OSError, KeyError):
            return None
    return None


def _text_problem(key) -> str | None:
    """None when the stored bytes are UTF-8 text without NUL bytes and not a web page, else why not
    ("binary" or "html")."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    start = ""
    with storage().open(key) as stream:
        try:
            while chunk := stream.read(CHUNK):
                if b"\x00" in chunk:
                    return "binary"
                text = decoder.decode(chunk)
                if len(start) < 2048:
                    start += text[:2048]
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "binary"
    return "html" if _looks_like_html(start) else None


def _content_type(key, head: bytes, filename: str) -> str:
    """The type of the stored bytes, from their content; the name only chooses between CSV and text,
    and must not claim another type. Raises ServiceError on the ``file`` field."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    claimed = EXTENSIONS.get(extension)
    found = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_type(key)
    else:
        guess = filetype.guess(bytes(head[:8192]))
        if guess is not None and guess.mime in (PNG, JPEG):
            found = guess.mime
        elif guess is None:
            problem = _text_problem(key)
            if problem == "html":
                if claimed:
                    raise ServiceError.field("file", _("The file is not a %(kind)s: it holds a web page",
                                                       kind=extension.upper()))
                raise ServiceError.field("file", _("The file holds a web page, which cannot be uploaded"))
            if problem is None:
                found = CSV if extension == "csv" else TXT
    if found is None:
        if claimed:
            raise ServiceError.field("file", _("The file is not a %(kind)s: its content is of another type",
                                               kind=extension.upper()))
        raise ServiceError.field("file", _("Choose a PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, CSV or TXT file"))
    if claimed and found not in claimed:
        raise ServiceError.field("file", _("The file is not a %(kind)s: it holds a %(found)s file",
                                           kind=extension.upper(), found=_kind_label(found)))
    return found


def _store(area_id, stream, filename):
    """Stream the upload to storage and check it: ``(key, content type, size, sha256)``. Nothing stays
    stored when it is refused."""
    if stream is None:
        raise ServiceError.field("file", _("Choose a file to upload"))
    key = f"documents/{area_id}/{uuid.uuid4().hex}"
    limit = max_bytes()
    reader = _Reader(stream, limit)
    try:
        storage().put(key, reader)
    except _TooBig:
        storage().delete(key)  # the part stored before the limit
        raise ServiceError.field("file", _("The file must be %(n)d MB or smaller", n=limit // (1024 * 1024))) \
            from None
    except BaseException:
        storage().delete(key)
        raise
    try:
        if reader.size == 0:
            raise ServiceError.field("file", _("The file is empty"))
        content_type = _content_type(key, bytes(reader.head), filename)
        scanning.check(lambda: storage().open(key), filename, content_type, reader.size, area_id=area_id)
    except BaseException:
        storage().delete(key)
        raise
    return key, content_type, reader.size, reader.sha.hexdigest()


def file_errors(area_id, stream, filename) -> dict:
    """The errors a file would get (``{"file": message}``), without keeping it: for a form refused for
    its other fields, so that every error is reported at once."""
    try:
        key, *_checked = _store(area_id, stream, clean_filename(filename))
    except ServiceError as error:
        return dict(error.fields or {"file": error.message})
    storage().delete(key)
    return {}


def _parse_effective(value) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    return parse_date(value, "effective_on")


# -- commands ---------------------------------------------------------------------------------


def _require_open(audit):
    if not audit.is_open:
        raise ConflictError(_("This audit is closed: its documents can no longer change"))


def _commit_or_forget(key):
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage().delete(key)
        raise


def _parse_fields(effective_on) -> date | None:
    """The effective date, or a ServiceError naming every field in error."""
    errors = {}
    try:
        effective = _parse_effective(effective_on)
    except ServiceError as error:
        errors.update(error.fields or {"effective_on": error.message})
        effective = None
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    return effective


def create_document(*, area_id, kind, agency_id, link: DocumentLink, stream, filename, title=None,
                    effective_on=None, user=None) -> Document:
    """A new document of ``kind`` (one version, the one ``link``), its bytes stored and checked, in the
    history. The caller has checked the permission and the record it is linked to."""
    filename = clean_filename(filename)
    effective = _parse_fields(effective_on)
    key, content_type, size, sha = _store(area_id, stream, filename)
    now, user_id = utcnow(), getattr(user, "id", None)
    document = Document(area_id=area_id, agency_id=agency_id, kind=kind, title=_title(title, filename),
                        effective_on=effective, created_at=now, created_by_id=user_id)
    document.versions.append(DocumentVersion(number=1, storage_key=key, filename=filename,
                                             content_type=content_type, size=size, sha256=sha,
                                             uploaded_at=now, uploaded_by_id=user_id))
    link.linked_at, link.linked_by_id, link.status = now, user_id, LINKED
    document.links.append(link)
    db.session.add(document)
    db.session.flush()
    history.record(area_id=area_id, entity="document", entity_id=document.id, user=user,
                   audit_id=link.audit_id, code=None,
                   changes={"document": (None, document.title), "filename": (None, filename),
                            "version": (None, 1), **_link_change(link, None, LINKED)})
    _commit_or_forget(key)
    return document


def _link_change(link: DocumentLink, before, after) -> dict:
    """What a link's history entry says: the statement (and agency) or action, and its status."""
    target = f"{link.code}" if link.code else f"action {link.action_id}" if link.action_id else None
    changes = {"linked_to": (None, target) if after else (target, None)} if target else {}
    if link.purpose:
        changes["purpose"] = (None, link.purpose)
    if before != after and before is not None:
        changes["status"] = (before, after)
    return changes


def _check_response(audit: Audit, agency_id: int, code: str, user) -> None:
    audits.require(user, Perm.SCORE, audit.area_id, agency_id)
    audits.scored_statement(audits.framework_of(audit), code)
    _require_open(audit)
    if agency_id not in audits.participant_ids(audit):
        raise NotFoundError.field("agency_id", _("This agency is not taking part in the audit"))


def upload_to_response(audit: Audit, agency_id: int, code: str, stream, filename, title=None,
                       effective_on=None, user=None) -> Document:
    """Attach a new document to an agency's response to a statement (one version, one link)."""
    _check_response(audit, agency_id, code, user)
    return create_document(area_id=audit.area_id, kind=RESPONSE, agency_id=agency_id,
                           link=DocumentLink(audit_id=audit.id, agency_id=agency_id, code=code),
                           stream=stream, filename=filename, title=title, effective_on=effective_on, user=user)


def _check_statement(audit: Audit, code: str, user) -> None:
    audits.require(user, Perm.MODERATE, audit.area_id)
    audits.scored_statement(audits.framework_of(audit), code)
    _require_open(audit)


def upload_to_statement(audit: Audit, code: str, stream, filename, title=None, effective_on=None,
                        user=None) -> Document:
    """Attach a new document of the partnership's to a statement of an audit (the moderators' evidence
    for the agreed score)."""
    _check_statement(audit, code, user)
    return create_document(area_id=audit.area_id, kind=STATEMENT, agency_id=None,
                           link=DocumentLink(audit_id=audit.id, agency_id=None, code=code),
                           stream=stream, filename=filename, title=title, effective_on=effective_on, user=user)


def link_document(document: Document, audit: Audit, code: str, user=None) -> DocumentLink:
    """Link a document already uploaded to another statement (of the same or another audit of its area):
    an agency's document to that agency's response, the partnership's to the statement. No bytes are
    copied. Linking it where it already is changes nothing; a link "to re-confirm" there is confirmed."""
    if document.deleted_at is not None or audit.area_id != document.area_id or document.kind not in (
            RESPONSE, STATEMENT):
        raise NotFoundError.field("document_id", _("Choose one of the documents listed"))
    if document.kind == RESPONSE:
        _check_response(audit, document.agency_id, code, user)
    else:
        _check_statement(audit, code, user)
    kinds.require_change(user, document)
    existing = next((link for link in document.links
                     if link.audit_id == audit.id and link.code == code and link.action_id is None), None)
    if existing is not None and existing.status == LINKED:
        return existing
    link = existing or DocumentLink(audit_id=audit.id, agency_id=document.agency_id, code=code)
    before = link.status if existing is not None else None
    link.status, link.linked_at, link.linked_by_id = LINKED, utcnow(), getattr(user, "id", None)
    if existing is None:
        document.links.append(link)
    db.session.flush()
    history.record(area_id=document.area_id, entity="document", entity_id=document.id, user=user,
                   audit_id=audit.id, code=None, changes=_link_change(link, before, LINKED))
    db.session.commit()
    return link


def unlink_document(link: DocumentLink, user=None) -> None:
    """This link goes (the document stays, with its other links; a document left with none is still
    in the area's library and its bin)."""
    document = link.document
    kinds.require_change(user, document)
    if link.audit_id is not None and link.action_id is None:
        _require_open(db.session.get(Audit, link.audit_id))
    history.record(area_id=document.area_id, entity="document", entity_id=document.id, user=user,
                   audit_id=link.audit_id, code=None, changes=_link_change(link, link.status, None))
    db.session.delete(link)
    db.session.commit()


def find_response_link(audit: Audit, agency_id: int, code: str, document: Document) -> DocumentLink:
    """The link of ``document`` to ``agency_id``'s response to ``code`` in ``audit`` (NotFoundError when
    there is none: a document of another agency is never linked to this one's responses)."""
    link = None
    if document.kind == RESPONSE and document.agency_id == agency_id:
        link = next((lk for lk in document.links if lk.audit_id == audit.id and lk.agency_id == agency_id
                     and lk.code == code and lk.action_id is None), None)
    if link is None:
        raise NotFoundError(_("This document is not linked to this response"))
    return link


def remove_link(link: DocumentLink, user=None) -> bool:
    """"Remove from this statement": the link goes, the document stays wherever else it is linked; when
    this is its only link, the document goes to the bin instead (restorable there, still linked here),
    so that nothing is left out of sight. True when it went to the bin."""
    document = link.document
    if len(document.links) <= 1:
        delete_document(document, user=user)
        return True
    unlink_document(link, user=user)
    return False


def link_counts(document_ids, cache: dict | None = None) -> dict[int, int]:
    """``{document id: how many links it has}`` (anywhere: other statements, audits, actions) in one
    query; ``cache`` keeps the counts already read (for a request)."""
    cache = {} if cache is None else cache
    ids = sorted(set(document_ids))
    missing = [i for i in ids if i not in cache]
    if missing:
        rows = db.session.execute(select(DocumentLink.document_id, func.count())
                                  .where(DocumentLink.document_id.in_(missing))
                                  .group_by(DocumentLink.document_id))
        cache.update({i: 0 for i in missing})
        cache.update(dict(rows.all()))
    return {i: cache[i] for i in ids}


def _link(document):
    # the newest cycle's (a document carried into a re-audit and confirmed there changes with it)
    return max((link for link in document.links if link.status == LINKED), key=lambda link: link.id or 0,
               default=None)


def _require_open_for(document, link) -> None:
    """An agency's or the partnership's evidence is fixed once its audit closes (an action's is not:
    work goes on after the audit)."""
    if link is not None and link.audit_id is not None and document.kind in (RESPONSE, STATEMENT):
        _require_open(db.session.get(Audit, link.audit_id))


def add_version(document: Document, stream, filename, user=None, link=None) -> DocumentVersion:
    """A new version of the document's file; the earlier versions are kept. ``link``: the link it is
    given for (a re-audit's), else the document's newest."""
    kinds.require_change(user, document)
    link = link or _link(document)
    _require_open_for(document, link)
    filename = clean_filename(filename)
    key, content_type, size, sha = _store(document.area_id, stream, filename)
    number = (document.latest.number if document.latest else 0) + 1
    version = DocumentVersion(number=number, storage_key=key, filename=filename, content_type=content_type,
                              size=size, sha256=sha, uploaded_at=utcnow(), uploaded_by_id=getattr(user, "id", None))
    document.versions.append(version)
    db.session.flush()
    history.record(area_id=document.area_id, entity="document", entity_id=document.id, user=user,
                   audit_id=link.audit_id if link else None, code=None,
                   changes={"version": (number - 1, number), "filename": (None, filename)})
    _commit_or_forget(key)
    return version


def delete_document(document: Document, user=None) -> Document:
    """Move the document to the bin (restorable; its bytes stay), unless its kind says it must stay
    (an action's only completion evidence)."""
    kinds.require_change(user, document)
    kinds.check_delete(document)
    if document.deleted_at is not None:
        return document
    link = _link(document)
    document.deleted_at = utcnow()
    history.record(area_id=document.area_id, entity="document", entity_id=document.id, user=user,
                   audit_id=link.audit_id if link else None, code=None,
                   changes={"deleted_at": (None, document.deleted_at), "document": (document.title, None)})
    db.session.commit()
    return document


# -- reading ----------------------------------------------------------------------------------


def _linked_query(audit_id):
    return (select(DocumentLink)
            .join(Document, Document.id == DocumentLink.document_id)
            .where(DocumentLink.audit_id == audit_id, DocumentLink.status == LINKED, Document.deleted_at.is_(None))
            .options(selectinload(DocumentLink.document).selectinload(Document.versions))
            .order_by(Document.effective_on.desc().nulls_last(), Document.id))


def documents_for_response(audit: Audit, agency_id: int | None, code: str) -> list[Document]:
    """The documents attached to one agency's response to one statement, or (agency None) the
    partnership's documents of the statement (two queries)."""
    agency = DocumentLink.agency_id.is_(None) if agency_id is None else DocumentLink.agency_id == agency_id
    query = _linked_query(audit.id).where(agency, DocumentLink.code == code, DocumentLink.action_id.is_(None))
    return [link.document for link in db.session.scalars(query)]


def documents_for_audit(audit: Audit, agency_ids=None, partnership=False) -> dict[tuple[int | None, str],
                                                                                 list[Document]]:
    """Every response's documents in the audit: ``{(agency_id, code): [documents]}`` (two queries,
    whatever their number). ``agency_ids``: only these agencies' (those the reader may read).
    ``partnership``: the partnership's documents of each statement too, as ``(None, code)``."""
    query = _linked_query(audit.id).where(DocumentLink.code.is_not(None), DocumentLink.action_id.is_(None))
    agencies = DocumentLink.agency_id.is_not(None)
    if agency_ids is not None:
        agencies = DocumentLink.agency_id.in_(list(agency_ids) or [-1])
    query = query.where(or_(agencies, DocumentLink.agency_id.is_(None)) if partnership else agencies)
    grouped: dict[tuple[int, str], list[Document]] = {}
    for link in db.session.scalars(query):
        grouped.setdefault((link.agency_id, link.code), []).append(link.document)
    return grouped


def get_document(document_id) -> Document | None:
    return db.session.scalar(select(Document).where(Document.id == document_id)
                             .options(selectinload(Document.versions), selectinload(Document.links)))


def download(document: Document, version: DocumentVersion | None = None):
    """The file as an attachment (the caller has checked the permission)."""
    version = version or document.latest
    return storage().download_response(version.storage_key, version.filename, version.content_type, version.size)


def response_link(document: Document):
    return _link(document)
