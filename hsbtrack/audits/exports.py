"""Audit exports: an XLSX workbook laid out like the printed audit tool, and a flat CSV.

Both are built from one :class:`AuditExport`, gathered in a fixed number of queries whatever the
number of agencies or cycles. Text typed by users (evidence, assurance, comments, names) is never
interpreted as a formula: in CSV a cell starting with ``= + - @`` (or a tab / carriage return) gets a
leading apostrophe; in XLSX such a cell is stored as a typed string with Excel's "quote prefix"
(what Excel itself does when someone types a leading apostrophe).

Dates are UK dates: XLSX cells hold real Excel dates shown ``dd/mm/yyyy`` (:data:`XLSX_DATE`), CSV
cells read ``dd/mm/yyyy`` (:func:`csv_date`), and a date inside a sentence reads "10 March 2026" in
the reader's language (:func:`long_date`). The export of an open audit says at the top that its
figures are provisional, with how many returns are in (:func:`provisional_line`).

The HTML download routes (``/areas/<id>/audits/<audit_id>/export.xlsx|.csv``) live here too; the
API serves the same files under ``/api/v1/audits/<id>/export.xlsx|.csv``.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, Response, abort
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import (
    loaders,  # noqa: F401  (the audit_id loader)
    services,
)
from hsbtrack.audits.models import SOURCE_EXCEPTION, SOURCE_SHARED
from hsbtrack.i18n import current_language
from hsbtrack.permissions import loaded, requires
from hsbtrack.timeutil import local_date, utcnow
from hsbtrack.views_support import term

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
# "figures" says on every row whether the agreed scores are final or provisional (the audit still open):
# a column rather than a line above the header, so that the file stays one table for any reader.
CSV_COLUMNS = ("audit", "cycle", "domain", "code", "statement", "agency", "score", "evidence", "assurance",
               "agreed", "lowest", "spread", "disagreement", "figures", "source")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_DATE = "dd/mm/yyyy"  # a real Excel date, shown the UK way
XLSX_DATETIME = "dd/mm/yyyy hh:mm"
CSV_DATE = "%d/%m/%Y"
LONG_DATE = "d MMMM yyyy"  # "10 March 2026", "10 Mawrth 2026"

bp = Blueprint("exports", __name__)


# -- the data ---------------------------------------------------------------------------------


@dataclass
class AuditExport:
    audit: object
    area: object
    framework: object
    lang: str | None
    agencies: list  # [(AuditAgency, Agency)], by agency name
    responses: dict  # {(agency_id, code): Response}
    domain_responses: dict  # {(agency_id, domain number): DomainResponse}
    result: object  # Consolidated
    cycles: list  # [(Audit, Consolidated)] for the area's cycles up to this one, T1 first

    def statement_text(self, statement) -> str:
        return statement.text_for(self.lang)

    def response(self, agency_id, code):
        return self.responses.get((agency_id, code))

    def scored_count(self, agency_id) -> int:
        return sum(1 for (a, _c), r in self.responses.items() if a == agency_id and r.score is not None)

    @property
    def provisional(self):
        """:class:`hsbtrack.audits.services.Provisional` (false for a closed audit): no query."""
        return services.provisional_from_participants(self.audit, self.agencies)


def gather(audit) -> AuditExport:
    """Everything an export needs, in a fixed number of queries."""
    framework = services.framework_of(audit)
    cycles = [a for a in services.comparable_audits(audit) if a.cycle <= audit.cycle]
    if audit not in cycles:
        cycles.append(audit)
    results = services.consolidated_many(cycles)
    return AuditExport(
        audit=audit,
        area=audit.area,
        framework=framework,
        lang=current_language(),
        agencies=services.participants(audit),
        responses={(r.agency_id, r.code): r for r in services.audit_responses(audit)},
        domain_responses={(r.agency_id, r.domain): r for r in services.audit_domain_responses(audit)},
        result=results[audit.id],
        cycles=[(a, results[a.id]) for a in cycles],
    )


# -- dates and provisional figures ------------------------------------------------------------


def csv_date(value) -> str:
    """A date (or a stored UTC time, as the partnership's day) as a CSV cell: ``31/03/2026``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_date(value)
    return value.strftime(CSV_DATE)


def long_date(value) -> str:
    """A date (or a stored UTC time) inside a sentence: "10 March 2026" in the reader's language."""
    if isinstance(value, datetime):
        value = local_date(value)
    return format_date(value, LONG_DATE)


def provisional_tag(p) -> str:
    """"provisional, 2 of 3 returns in" (for a title row), or "" when the figures are final."""
    if not p:
        return ""
    return ngettext("provisional, %(n)d of %(num)d return in", "provisional, %(n)d of %(num)d returns in",
                    p.returns_total, n=p.returns_in)


def provisional_line(p) -> str:
    """The sentence at the top of an open audit's export, or "" when the figures are final."""
    if not p:
        return ""
    return ngettext(
        "Provisional: %(cycle)s is still open, so these figures can change until the audit is closed. "
        "%(n)d of %(num)d return in.",
        "Provisional: %(cycle)s is still open, so these figures can change until the audit is closed. "
        "%(n)d of %(num)d returns in.", p.returns_total, cycle=p.label, n=p.returns_in)


# -- text safety ------------------------------------------------------------------------------

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def needs_quoting(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_safe(value):
    """A CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if needs_quoting(value):
        return "'" + value
    return value


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "area"


def filename(audit, area, extension: str) -> str:
    """E.g. ``riverside-T1-audit.xlsx``."""
    return f"{slugify(area.name)}-{audit.label}-audit.{extension}"


# -- CSV --------------------------------------------------------------------------------------


def source_text(response) -> str:
    """Where an answer comes from: the agency in this audit, or its organisation's shared return (an
    exception: this area's own answer within it). Blank for no answer."""
    if response is None:
        return ""
    if response.source == SOURCE_SHARED:
        return _("shared return")
    if response.source == SOURCE_EXCEPTION:
        return _("shared return: exception for this area")
    return _("agency")


def build_csv(data: AuditExport) -> bytes:
    """One row per scored statement and participating agency; UTF-8 with a BOM so Excel reads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    tag = provisional_tag(data.provisional)
    figures = tag or _("final")
    writer.writerow(CSV_COLUMNS)
    for statement in data.framework.scored_statements:
        result = data.result.by_code[statement.code]
        for _link, agency in data.agencies:
            response = data.response(agency.id, statement.code)
            writer.writerow([csv_safe(v) for v in (
                data.audit.title, data.audit.label, statement.domain_number, statement.code,
                data.statement_text(statement), agency.display_name,
                response.score if response is not None else None,
                response.evidence if response is not None else "",
                response.assurance if response is not None else "",
                result.agreed, result.lowest, result.spread,
                "yes" if result.disagreement else "no", figures, source_text(response),
            )])
        if data.audit.imported:  # a baseline done elsewhere: no agencies, one row of agreed score and comment
            writer.writerow([csv_safe(v) for v in (
                data.audit.title, data.audit.label, statement.domain_number, statement.code,
                data.statement_text(statement), "", None, result.justification, "", result.agreed, None, None,
                "no", figures, _("imported baseline"))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- XLSX -------------------------------------------------------------------------------------


class _Sheet:
    """A worksheet with the few styles the export uses, and formula-safe writes."""

    def __init__(self, workbook, title, widths):
        from openpyxl.utils import get_column_letter

        self.ws = workbook.create_sheet(title)
        self.row = 0
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.sheet_view.zoomScale = 100
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True

    def put(self, row, column, value, *, bold=False, italic=False, size=None, fill=None, wrap=True, fmt=None,
            horizontal=None):
        from openpyxl.styles import Alignment, Font, PatternFill

        if isinstance(value, str):
            value = _ILLEGAL_XML.sub("", value)
        cell = self.ws.cell(row=row, column=column)
        cell.value = value
        if needs_quoting(value):
            cell.data_type = "s"  # text, never a formula
            cell.quotePrefix = True
        if bold or italic or size:
            cell.font = Font(bold=bold, italic=italic, size=size or 11)
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        cell.alignment = Alignment(wrap_text=wrap, vertical="top", horizontal=horizontal)
        if fmt:
            cell.number_format = fmt
        elif isinstance(value, datetime):
            cell.number_format = XLSX_DATETIME
        elif isinstance(value, date):
            cell.number_format = XLSX_DATE
        return cell

    def line(self, values, **style):
        """Write ``values`` on the next row, from column A."""
        self.row += 1
        for column, value in enumerate(values, start=1):
            if value is not None or style.get("fill"):
                self.put(self.row, column, value, **style)
        return self.row

    def header(self, values):
        from openpyxl.styles import Border, Side

        row = self.line(values, bold=True, fill=HEADER_FILL)
        for column in range(1, len(values) + 1):
            self.ws.cell(row=row, column=column).border = Border(bottom=Side(style="thin"))
        return row

    def merge_right(self, row, first, last):
        if last > first:
            self.ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)

    def attribution(self, data, column=1):
        self.row += 1
        self.line([None] * (column - 1) + [_("Source: %(text)s", text=data.framework.attribution)], italic=True)
        text = (data.framework.attribution or "").replace("&", "&&")[:250]
        self.ws.oddFooter.left.text = text
        self.ws.oddFooter.left.size = 8
        self.ws.oddFooter.right.text = "&P / &N"


HEADER_FILL = "DDE3EA"
DOMAIN_FILL = "EEF1F4"
PROVISIONAL_FILL = "FFF7BF"  # GOV.UK's yellow tag


def _titled(title: str, data) -> str:
    """A sheet's title row, with "(provisional, 2 of 3 returns in)" while the audit is open."""
    tag = provisional_tag(data.provisional)
    return f"{title} ({tag})" if tag else title


def _sheet_name(name, taken) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", " ", name).strip().strip("'") or "Sheet"
    candidate, number = clean[:31], 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate, number = clean[: 31 - len(suffix)] + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


def _yes_no(flag) -> str:
    return _("Yes") if flag else _("No")


def _summary_sheet(workbook, data, taken):
    framework, audit = data.framework, data.audit
    sheet = _Sheet(workbook, _sheet_name(_("Summary"), taken), (34, 44, 16, 16, 16, 16))
    sheet.line([_titled(_("%(framework)s: audit", framework=framework.title_for(data.lang)), data)],
               bold=True, size=14, wrap=False)
    sheet.ws.freeze_panes = "A2"
    notice = provisional_line(data.provisional)
    if notice:
        sheet.line([notice], bold=True, fill=PROVISIONAL_FILL, wrap=False)
    sheet.row += 1
    status = _("Open") if audit.is_open else _("Closed")
    for label, value in (
        (term("Partnership", data.area), data.area.display_name),
        (_("Audit"), audit.title),
        (_("Cycle"), audit.label),
        (_("Framework"), f"{framework.title_for(data.lang)}, {framework.edition} ({framework.publisher}), "
                         f"{_('catalogue version')} {audit.framework_version}"),
        (_("Status"), status),
        (_("Opened"), local_date(audit.opened_at) if audit.opened_at else None),
        (_("Date completed"), audit.completed_on),
        (_("Exported (UTC)"), utcnow().replace(microsecond=0)),
    ):
        sheet.row += 1
        sheet.put(sheet.row, 1, label, bold=True)
        sheet.put(sheet.row, 2, value, horizontal="left")

    total = len(framework.scored_statements)
    sheet.row += 1
    sheet.line([_("Participating agencies")], bold=True, size=12, wrap=False)
    sheet.header([_("Agency"), _("Statements scored"), _("Submitted")])
    for link, agency in data.agencies:
        sheet.line([agency.display_name, f"{data.scored_count(agency.id)} / {total}", link.submitted_at])

    sheet.row += 1
    sheet.line([_("Domain scores (mean of the agreed scores)")], bold=True, size=12, wrap=False)
    sheet.header([_("Domain"), _("Title"), _("Mean (0 to %(max)d)", max=framework.scale.max),
                  _("%% of %(max)d", max=framework.scale.max), _("Agreed items"), _("Disagreements")])
    disagreements = {}
    for statement in data.result.disagreements():
        disagreements[statement.domain] = disagreements.get(statement.domain, 0) + 1
    for domain_result in data.result.domains:
        domain = framework.domain(domain_result.number)
        sheet.line([
            f"{domain.number} {domain.short_title_for(data.lang)}", domain.title_for(data.lang), domain_result.mean,
            domain_result.percent / 100 if domain_result.percent is not None else None,
            f"{domain_result.agreed_count} / {domain_result.scored_count}", disagreements.get(domain.number, 0),
        ])
        sheet.ws.cell(row=sheet.row, column=3).number_format = "0.00"
        sheet.ws.cell(row=sheet.row, column=4).number_format = "0.0%"
    overall = data.result.overall_mean
    sheet.line([_("All domains"), _("Mean of every agreed score"), overall,
                overall / framework.scale.max if overall is not None else None,
                None, len(data.result.disagreements())], bold=True)
    sheet.ws.cell(row=sheet.row, column=3).number_format = "0.00"
    sheet.ws.cell(row=sheet.row, column=4).number_format = "0.0%"

    sheet.row += 1
    sheet.line([_("Radar data: domain mean by cycle")], bold=True, size=12, wrap=False)
    sheet.header([_("Domain")] + [a.label for a, _result in data.cycles])
    for domain in framework.domains:
        values = []
        for _cycle, result in data.cycles:
            values.append(next((d.mean for d in result.domains if d.number == domain.number), None))
        row = sheet.line([f"{domain.number} {domain.short_title_for(data.lang)}"] + values)
        for column in range(2, len(values) + 2):
            sheet.ws.cell(row=row, column=column).number_format = "0.00"

    sheet.row += 1
    sheet.line([_("Scoring key")], bold=True, size=12, wrap=False)
    for value in framework.scale.values:
        sheet.row += 1
        sheet.put(sheet.row, 1, value, horizontal="left")
        sheet.put(sheet.row, 2, framework.scale_label(value, data.lang))
    sheet.attribution(data)
    return sheet


def _domain_sheet(workbook, data, domain, taken):
    framework = data.framework
    agency_columns = []
    for _link, agency in data.agencies:
        agency_columns += [f"{agency.display_name}: {_('score')}",
                           f"{agency.display_name}: {framework.field_label('evidence', data.lang, _('Evidence'))}",
                           f"{agency.display_name}: {framework.field_label('assurance', data.lang, _('Assurance'))}"]
    fixed = [_("Code"), _("Statement"), _("Agreed score"), _("Lowest score"), _("Spread"),
             _("Disagreement (2 or more apart)"), _("Justification of the agreed score")]
    widths = (8, 60, 10, 10, 9, 16, 36) + (12, 40, 40) * len(data.agencies)
    sheet = _Sheet(workbook, _sheet_name(f"{domain.number} {domain.short_title_for(data.lang)}", taken), widths)
    sheet.line([None, _titled(_("%(area)s, %(cycle)s: domain %(n)d. %(title)s", area=data.area.display_name,
                                 cycle=data.audit.label, n=domain.number, title=domain.title_for(data.lang)), data)],
               bold=True, size=13, wrap=False)
    sheet.header(fixed + agency_columns)
    sheet.ws.freeze_panes = "C3"
    for statement in domain.statements:
        if not statement.scored:
            sheet.line([statement.code, data.statement_text(statement)], bold=True, fill=None)
            continue
        result = data.result.by_code[statement.code]
        values = [statement.code, data.statement_text(statement), result.agreed, result.lowest, result.spread,
                  _yes_no(result.disagreement), result.justification or None]
        for _link, agency in data.agencies:
            response = data.response(agency.id, statement.code)
            if response is None:
                values += [None, None, None]
            else:
                values += [response.score, response.evidence or None, response.assurance or None]
        sheet.line(values)
        if result.moderated:
            sheet.put(sheet.row, 3, result.agreed, bold=True)
    # The boxes at the foot of the printed tool: each agency's comments and date completed.
    sheet.row += 1
    comments_label = framework.field_label("comments", data.lang, _("Comments"))
    date_label = framework.field_label("date_completed", data.lang, _("Date completed"))
    sheet.line([None, _("%(comments)s and %(date)s, by agency", comments=comments_label, date=date_label.lower())],
               bold=True, size=12, wrap=False)
    last = len(fixed)
    for _link, agency in data.agencies:
        row_data = data.domain_responses.get((agency.id, domain.number))
        sheet.line([None, f"{agency.display_name}: {comments_label}"], bold=True)
        sheet.put(sheet.row, 3, (row_data.comments if row_data else "") or None)
        sheet.merge_right(sheet.row, 3, last)
        sheet.line([None, f"{agency.display_name}: {date_label}"], bold=True)
        sheet.put(sheet.row, 3, row_data.date_completed if row_data else None, fmt=XLSX_DATE, horizontal="left")
        sheet.merge_right(sheet.row, 3, 4)
    sheet.attribution(data, column=2)
    return sheet


def _agency_sheet(workbook, data, link, agency, taken):
    framework = data.framework
    sheet = _Sheet(workbook, _sheet_name(agency.display_name, taken), (8, 60, 10, 30, 45, 45, 22))
    submitted = (_("submitted %(date)s", date=long_date(link.submitted_at))
                 if link.submitted_at else _("not submitted"))
    sheet.line([None, _titled(_("%(agency)s, %(area)s, %(cycle)s (%(submitted)s)", agency=agency.display_name,
                                area=data.area.display_name, cycle=data.audit.label, submitted=submitted), data)],
               bold=True, size=13, wrap=False)
    sheet.header([_("Code"), _("Statement"), _("Score"), _("Score meaning"),
                  framework.field_label("evidence", data.lang, _("Evidence")),
                  framework.field_label("assurance", data.lang, _("Assurance")), _("Source")])
    sheet.ws.freeze_panes = "C3"
    for domain in framework.domains:
        sheet.line([None, _("Domain %(n)d. %(title)s", n=domain.number, title=domain.title_for(data.lang))],
                   bold=True, fill=DOMAIN_FILL)
        for column in (1, 3, 4, 5, 6, 7):
            sheet.put(sheet.row, column, None, fill=DOMAIN_FILL)
        for statement in domain.statements:
            if not statement.scored:
                sheet.line([statement.code, data.statement_text(statement)], bold=True)
                continue
            response = data.response(agency.id, statement.code)
            score = response.score if response is not None else None
            label = framework.scale_label(score, data.lang) if score is not None else None
            sheet.line([statement.code, data.statement_text(statement), score, label,
                        (response.evidence or None) if response else None,
                        (response.assurance or None) if response else None,
                        source_text(response) or None])
        row_data = data.domain_responses.get((agency.id, domain.number))
        sheet.line([None, framework.field_label("comments", data.lang, _("Comments"))], bold=True)
        sheet.put(sheet.row, 3, (row_data.comments if row_data else "") or None)
        sheet.merge_right(sheet.row, 3, 6)
        sheet.line([None, framework.field_label("date_completed", data.lang, _("Date completed"))], bold=True)
        sheet.put(sheet.row, 3, row_data.date_completed if row_data else None, fmt=XLSX_DATE, horizontal="left")
        sheet.merge_right(sheet.row, 3, 4)
        sheet.row += 1
    sheet.attribution(data, column=2)
    return sheet


def build_xlsx(data: AuditExport) -> bytes:
    """Summary, then a sheet per domain, then a sheet per agency."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = _titled(f"{data.area.display_name}: {data.audit.title} ({data.audit.label})", data)
    workbook.properties.creator = "hsbtrack"
    taken = set()
    _summary_sheet(workbook, data, taken)
    for domain in data.framework.domains:
        _domain_sheet(workbook, data, domain, taken)
    for link, agency in data.agencies:
        _agency_sheet(workbook, data, link, agency, taken)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- responses --------------------------------------------------------------------------------


def download(audit, kind: str) -> Response:
    """The export of ``audit`` as an attachment (``kind``: "xlsx" or "csv")."""
    data = gather(audit)
    if kind == "xlsx":
        body, mimetype = build_xlsx(data), XLSX_MIMETYPE
    elif kind == "csv":
        body, mimetype = build_csv(data), f"{CSV_MIMETYPE}; charset=utf-8"
    else:
        abort(404)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(audit, data.area, kind)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _audit_in_area(area_id, audit_id):
    return loaded("audit_id")  # loaded and checked by ``requires``


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/export.xlsx")
@requires(Perm.READ_RESPONSES)
def xlsx(area_id, audit_id):
    """The audit as an Excel workbook (every agency's evidence: readers of all responses)."""
    return download(_audit_in_area(area_id, audit_id), "xlsx")


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/export.csv")
@requires(Perm.READ_RESPONSES)
def csv_file(area_id, audit_id):
    """The audit as CSV (every agency's evidence: readers of all responses)."""
    return download(_audit_in_area(area_id, audit_id), "csv")
