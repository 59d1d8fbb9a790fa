"""A yearly report as PDF and Word, made off the request by a job (kind ``yearly_report.file``; parameters: the
report, the version and the format).

Both come from one rendering of the kind's print template (``yearly_reports/print.html`` by default: the
narrative sections of the version, then the data draft, with a contents list), *as* the person who asked, in
their language: the PDF through WeasyPrint (the board report's print stylesheet, page numbers, the document's
language and title), the Word file through the one HTML→python-docx reader the board report uses
(:mod:`hsbtrack.jobs.docx`). Only the person who asked (and administrators) may download the file (the
jobs' wall), and only while they may read the report."""

from flask import render_template, url_for
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from hsbtrack.audits.report_files import page_footer_css  # (one footer for every paper)
from hsbtrack.errors import ServiceError
from hsbtrack.jobs import kinds
from hsbtrack.jobs import services as jobs
from hsbtrack.jobs.docx import html_to_docx
from hsbtrack.jobs.kinds import JobKind, Result
from hsbtrack.jobs.rendering import html_to_pdf
from hsbtrack.timeutil import today
from hsbtrack.yearly_reports import services

KIND = "yearly_report.file"
PDF, DOCX = "pdf", "docx"
FORMATS = {
    PDF: ("application/pdf", ".pdf"),
    DOCX: ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
}


def format_names() -> dict:
    return {PDF: _("PDF"), DOCX: _("Word")}


def start_file_job(report, fmt, user, number=None):
    """Queue ``report`` (version ``number``, the newest by default) as ``fmt`` for ``user``, who may read it."""
    if fmt not in FORMATS:
        raise ServiceError.field("format", _("Choose PDF or Word"))
    number = services.version_number(report) if number is None else number
    if number and services.get_version(report, number) is None:
        raise ServiceError.field("version", _("This report has no version %(n)d", n=number))
    return jobs.create_job(KIND, user=user, area_id=report.area_id, region_id=report.region_id,
                           parameters={"report_id": report.id, "version": number, "format": fmt})


def _report_of(job):
    report = services.get_report((job.parameters or {}).get("report_id"))
    if report is None or report.area_id != job.area_id or report.region_id != job.region_id:
        return None
    return report


def _permission(job) -> str:
    report = _report_of(job)
    kind = services.kind_of(report) if report is not None else None
    return kind.read_permission if kind is not None else "audit.read"


def _may_run(job, user) -> bool:
    report = _report_of(job)
    return report is not None and services.may_read(user, report)


def file_name(report, fmt) -> str:
    kind = services.kind_of(report)
    stem = secure_filename(f"{services.title_of(kind)} {report.place.display_name} "
                           f"{report.period_start.isoformat()} {report.period_end.isoformat()}") or "yearly-report"
    return stem.lower()[:150] + FORMATS[fmt][1]


def report_html(report, user, number=None) -> str:
    """The paper as HTML: the kind's print template with the version's narrative and the data draft."""
    kind = services.kind_of(report)
    version = services.get_version(report, number) if number else services.latest_version(report)
    return render_template(kind.print_template, report=report, kind=kind, place=report.place,
                           title=services.title_of(kind), version=version,
                           texts=services.texts(report, version.number if version else None),
                           draft=services.draft(report, user), print=True, today=today(),
                           page_footer=page_footer_css())


def run(job, user, progress) -> Result:
    report = _report_of(job)
    fmt = job.parameters["format"]
    progress(10, _("Gathering the figures"))
    html = report_html(report, user, job.parameters.get("version") or None)
    progress(40, _("Laying out the pages") if fmt == PDF else _("Writing the document"))
    data = html_to_pdf(html) if fmt == PDF else html_to_docx(html, progress)
    return Result(data, file_name(report, fmt), FORMATS[fmt][0])


def _title(job) -> str:
    report = _report_of(job)
    fmt = format_names().get((job.parameters or {}).get("format"), "")
    if report is None:
        return _("Yearly report (%(format)s)", format=fmt)
    return _("%(title)s as %(format)s: %(place)s", title=services.title_of(services.kind_of(report)), format=fmt,
             place=report.place.display_name)


def report_url(report) -> str:
    if report.region_id is not None:
        return url_for("yearly_reports_region.detail", region_id=report.region_id, report_id=report.id)
    return url_for("yearly_reports.detail", area_id=report.area_id, report_id=report.id)


def _back(job):
    report = _report_of(job)
    if report is None:
        return None
    return _("Back to the yearly report"), report_url(report)


kinds.register(JobKind(KIND, run=run, permission=_permission, title=_title, may_run=_may_run, back=_back))
