"""The evidence index of an audit: statement by statement, the documents behind it, agency by agency (and
the partnership's own), with the date each speaks for — a page, an XLSX file, and a section of the board
report (:func:`hsbtrack.documents.hooks.hsbtrack_report_sections`).

Only what the reader may open is listed, by the download's own rule: an agency's documents for the
readers of that agency's responses (``audit.responses.read_own`` for the agency, or
``audit.responses.read``), the partnership's for every reader of the audit. Statements without a document
are listed too, so that the gaps show. Gathered in a fixed number of queries whatever the number of
documents: the participants, then every document with its versions (:func:`services.documents_for_audit`).
"""

import io
from dataclasses import dataclass, field

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import exports
from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.audits import services as audits
from hsbtrack.documents import services
from hsbtrack.i18n import current_language
from hsbtrack.permissions import can, loaded, requires
from hsbtrack.timeutil import local_date
from hsbtrack.views_support import set_current_area, term

LINK_COLOUR = "1D70B8"  # GOV.UK's link blue
PARTNERSHIP = "partnership"  # the agency filter's value for the partnership's own documents
TYPE_LABELS = {services.PDF: "PDF", services.DOCX: "DOCX", services.XLSX: "XLSX", services.ODT: "ODT",
               services.ODS: "ODS", services.PNG: "PNG", services.JPEG: "JPEG", services.CSV: "CSV",
               services.TXT: "TXT"}


def file_type(version) -> str:
    """"PDF", "DOCX"… (from the type decided at upload; the name's extension for anything else)."""
    if version is None:
        return ""
    label = TYPE_LABELS.get(version.content_type)
    if label:
        return label
    return version.filename.rsplit(".", 1)[-1].upper() if "." in version.filename else ""


# -- the data ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One agency's documents for a statement (``agency`` None: the partnership's own)."""

    agency: object | None
    documents: list

    @property
    def key(self) -> str:
        return PARTNERSHIP if self.agency is None else str(self.agency.id)


@dataclass
class StatementEvidence:
    statement: object
    text: str  # in the reader's language where translated; a child statement reads on from its heading's
    rows: list  # [Row] with documents, the partnership's first, then agencies by name; [] is a gap
    own_text: str = ""  # its own text (a child statement's, without its heading's)
    heading_text: str | None = None  # a child statement's heading's text


@dataclass
class DomainEvidence:
    domain: object
    title: str
    short_title: str
    items: list  # [StatementEvidence | heading Statement], in printed order

    @property
    def statements(self) -> list:
        return [item for item in self.items if isinstance(item, StatementEvidence)]


@dataclass
class EvidenceIndex:
    audit: object
    area: object
    framework: object
    lang: str | None
    participants: list  # [(AuditAgency, Agency)], every participant (for the provisional figures)
    agencies: list  # [Agency] whose documents the reader may read, by name
    partnership: bool  # whether the reader may read the partnership's documents
    chosen: str | None  # the filter: None (all), PARTNERSHIP or an agency id (as text)
    domains: list = field(default_factory=list)  # [DomainEvidence]

    @property
    def statements(self) -> list:
        return [s for d in self.domains for s in d.statements]

    @property
    def document_count(self) -> int:
        """Documents listed (one linked to several statements counts once)."""
        return len({doc.id for s in self.statements for row in s.rows for doc in row.documents})

    @property
    def covered_count(self) -> int:
        return sum(1 for s in self.statements if s.rows)

    @property
    def gaps(self) -> list:
        return [s.statement.code for s in self.statements if not s.rows]

    @property
    def provisional(self):
        """:class:`hsbtrack.audits.services.Provisional` (false once the audit is closed): no query."""
        return audits.provisional_from_participants(self.audit, self.participants)

    def summary(self) -> str:
        """"38 documents for 21 of 46 statements"."""
        return ngettext("%(num)d document for %(covered)d of %(total)d statements",
                        "%(num)d documents for %(covered)d of %(total)d statements", self.document_count,
                        covered=self.covered_count, total=len(self.statements))

    def agency_name(self, row) -> str:
        return term("Partnership", self.area) if row.agency is None else row.agency.display_name

    def filter_options(self) -> list:
        """``[(value, label)]`` of the agency filter: the partnership, then the agencies the reader may read."""
        options = [(PARTNERSHIP, term("Partnership", self.area))] if self.partnership else []
        return options + [(str(a.id), a.display_name) for a in self.agencies]

    @property
    def chosen_label(self) -> str | None:
        return dict(self.filter_options()).get(self.chosen) if self.chosen else None


def statement_text(framework, statement, lang) -> str:
    """A statement's text; a child statement (1.6a) reads on from its heading's (1.6), as printed."""
    text = statement.text_for(lang)
    if statement.parent:
        return f"{framework.statement(statement.parent).text_for(lang)} {text}"
    return text


def gather(audit, user, lang=None, chosen=None) -> EvidenceIndex:
    """The evidence index of ``audit`` as ``user`` may read it, in a fixed number of queries. ``chosen``:
    only the partnership's documents (:data:`PARTNERSHIP`) or one agency's (its id); an agency the user
    may not read, or unknown, shows everything they may read (a page drops filters it does not know)."""
    framework = audits.framework_of(audit)
    participants = audits.participants(audit)
    agencies = [agency for _link, agency in participants
                if can(user, Perm.READ_OWN_RESPONSES, audit.area_id, agency.id)]
    partnership = can(user, Perm.READ_AUDIT, audit.area_id)
    chosen = str(chosen) if chosen not in (None, "") else None
    allowed = {str(a.id) for a in agencies} | ({PARTNERSHIP} if partnership else set())
    if chosen not in allowed:
        chosen = None
    grouped = services.documents_for_audit(audit, [a.id for a in agencies], partnership=partnership)
    by_id = {a.id: a for a in agencies}
    order = [None] + [a.id for a in agencies]  # the partnership's first, then agencies by name

    def shown(agency_id) -> bool:
        if agency_id is None:
            return partnership and chosen in (None, PARTNERSHIP)
        return agency_id in by_id and chosen in (None, str(agency_id))

    index = EvidenceIndex(audit=audit, area=audit.area, framework=framework, lang=lang, participants=participants,
                          agencies=agencies, partnership=partnership, chosen=chosen)
    for domain in framework.domains:
        items = []
        for statement in domain.statements:
            if not statement.scored:
                items.append(statement)
                continue
            rows = [Row(by_id.get(agency_id), grouped[(agency_id, statement.code)]) for agency_id in order
                    if shown(agency_id) and grouped.get((agency_id, statement.code))]
            heading = framework.statement(statement.parent).text_for(lang) if statement.parent else None
            items.append(StatementEvidence(statement, statement_text(framework, statement, lang), rows,
                                           statement.text_for(lang), heading))
        index.domains.append(DomainEvidence(domain, domain.title_for(lang), domain.short_title_for(lang), items))
    return index


# -- XLSX -------------------------------------------------------------------------------------


def build_xlsx(index: EvidenceIndex, content_url=None) -> bytes:
    """One sheet: a row per document, statement and agency (a statement without a document has a row of
    its own, "No documents"), in the style of the audit's own export. ``content_url(document)``: the
    download link put on each title."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    audit, area = index.audit, index.area
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = exports._titled(
        _("%(area)s: evidence index of %(audit)s (%(cycle)s)", area=area.display_name, audit=audit.title,
          cycle=audit.label), index)
    workbook.properties.creator = "hsbtrack"
    widths = (18, 8, 60, 24, 40, 30, 14, 9, 12, 14)
    sheet = exports._Sheet(workbook, exports._sheet_name(_("Evidence index"), set()), widths)
    sheet.line([exports._titled(_("%(area)s, %(cycle)s: evidence index", area=area.display_name,
                                  cycle=audit.label), index)], bold=True, size=14, wrap=False)
    notice = exports.provisional_line(index.provisional)
    if notice:
        sheet.line([notice], bold=True, fill=exports.PROVISIONAL_FILL, wrap=False)
    sheet.line([index.summary()], wrap=False)
    if index.chosen_label:
        sheet.line([_("Only the documents of %(name)s", name=index.chosen_label)], italic=True, wrap=False)
    sheet.header([_("Domain"), _("Code"), _("Statement"), _("Agency"), _("Document"), _("File name"),
                  _("Effective date"), _("Version"), _("Size (bytes)"), _("Uploaded on")])
    sheet.ws.freeze_panes = f"C{sheet.row + 1}"
    sheet.ws.auto_filter.ref = f"A{sheet.row}:J{sheet.row}"
    for domain in index.domains:
        domain_name = f"{domain.domain.number} {domain.short_title}"
        for item in domain.statements:
            start = [domain_name, item.statement.code, item.text]
            if not item.rows:
                sheet.line(start + [None, _("No documents")], italic=True)
                continue
            for row in item.rows:
                for document in row.documents:
                    version = document.latest
                    sheet.line(start + [index.agency_name(row), document.title,
                                        version.filename if version else None, document.effective_on,
                                        version.number if version else None, version.size if version else None,
                                        local_date(version.uploaded_at) if version else None])
                    if content_url is not None:
                        title = sheet.ws.cell(row=sheet.row, column=5)
                        title.hyperlink = content_url(document)
                        title.font = Font(color=LINK_COLOUR, underline="single")
                    sheet.ws.cell(row=sheet.row, column=9).number_format = "#,##0"
    sheet.attribution(index)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def filename(index: EvidenceIndex) -> str:
    """E.g. ``riverside-T1-evidence-index.xlsx``."""
    return f"{exports.slugify(index.area.name)}-{index.audit.label}-evidence-index.xlsx"


# -- the page and the file --------------------------------------------------------------------

bp = Blueprint("evidence_index", __name__)


def _index():
    set_current_area(loaded("area_id"))
    return gather(loaded("audit_id"), current_user, lang=current_language(), chosen=request.args.get("agency"))


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/evidence")
@requires(Perm.READ_AUDIT)
def page(area_id, audit_id):
    """The evidence index: statement by statement, the documents the reader may open."""
    index = _index()
    return render_template("documents/evidence_index.html", index=index, area=index.area, audit=index.audit,
                           framework=index.framework, lang=index.lang, file_type=file_type)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/evidence.xlsx")
@requires(Perm.READ_AUDIT)
def xlsx(area_id, audit_id):
    """The evidence index as an Excel workbook (the same documents as the page shows the reader)."""
    index = _index()
    body = build_xlsx(index, lambda d: url_for("documents.content", document_id=d.id, _external=True))
    response = Response(body, mimetype=exports.XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(index)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register(app):
    app.register_blueprint(bp)
