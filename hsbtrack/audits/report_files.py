"""The board report as PDF and Word, made off the request by a job (:mod:`hsbtrack.jobs`).

Both are made from the report page's own context (:func:`hsbtrack.audits.overview.report_context`) and
template, rendered *as* the person who asked, in their language: the PDF through a print base template
(``overview/report_print.html``: contents with page numbers, "Page 3 of 12" in the footer, the charts as
vector SVG fetched inside the app) and WeasyPrint; the Word file by reading the same rendered HTML into
python-docx (headings, real tables, lists; the charts as PNG rasterised from the same SVG with cairosvg).
No figure is worked out twice.

Who may download: the job's file shows what its maker may read (an agency lead's report shows what an
agency lead may read), so only they — and administrators — may download it (the jobs' wall), and only while
they may read the report (``audit.read`` in the area)."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.utils import secure_filename

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import overview, services
from hsbtrack.errors import ServiceError
from hsbtrack.jobs import kinds
from hsbtrack.jobs import services as jobs
from hsbtrack.jobs.docx import html_to_docx
from hsbtrack.jobs.kinds import JobKind, Result
from hsbtrack.jobs.rendering import html_to_pdf
from hsbtrack.permissions import can, current_actor, loaded, requires

KIND = "audit.report"
PDF, DOCX = "pdf", "docx"
FORMATS = {
    PDF: ("application/pdf", ".pdf"),
    DOCX: ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
}

bp = Blueprint("report_files", __name__)


def format_names() -> dict:
    return {PDF: _("PDF"), DOCX: _("Word")}


# -- asking for one ----------------------------------------------------------------------------------


def start_report_job(audit, fmt, user):
    """Queue the board report of ``audit`` as ``fmt`` (pdf or docx) for ``user``, who may read the report."""
    if fmt not in FORMATS:
        raise ServiceError.field("format", _("Choose PDF or Word"))
    return jobs.create_job(KIND, user=user, area_id=audit.area_id, parameters={"audit_id": audit.id, "format": fmt})


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/report/file", methods=["POST"])
@requires(Perm.READ_AUDIT)
def start(area_id, audit_id):
    """The report page's "Download as PDF" and "Download as Word": start a job, then show its page."""
    audit = loaded("audit_id")
    fmt = request.form.get("format")
    if fmt not in FORMATS:
        abort(400)
    job = start_report_job(audit, fmt, current_actor())
    return redirect(url_for("jobs.detail", job_id=job.id))


# -- making it ----------------------------------------------------------------------------------------


def _audit_of(job):
    audit = services.get_audit((job.parameters or {}).get("audit_id"))
    return audit if audit is not None and audit.area_id == job.area_id else None


def _may_run(job, user) -> bool:
    audit = _audit_of(job)
    return audit is not None and can(user, Perm.READ_AUDIT, audit.area_id)


def file_name(area, audit, fmt) -> str:
    stem = secure_filename(f"{_('Board report')} {area.display_name} {audit.label}") or "board-report"
    return stem.lower()[:150] + FORMATS[fmt][1]


def page_footer_css() -> Markup:
    """The footer's "Page 3 of 12", in the reader's language, as CSS ``content``."""
    marker = "\x00"
    words = _("Page %(page)s of %(pages)s", page=marker + "page" + marker, pages=marker + "pages" + marker)
    parts = []
    for index, piece in enumerate(words.split(marker)):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return Markup(" ".join(parts))  # noqa: S704  # nosec B704  # CSS made from our own catalogue's words, quoted


def report_html(area, audit, user) -> str:
    return render_template("overview/report.html", base_template="overview/report_print.html",
                           page_footer=page_footer_css(), **overview.report_context(area, audit, user))


def run(job, user, progress) -> Result:
    audit = _audit_of(job)
    area = audit.area
    fmt = job.parameters["format"]
    progress(10, _("Gathering the figures"))
    html = report_html(area, audit, user)
    progress(40, _("Laying out the pages") if fmt == PDF else _("Writing the document"))
    data = html_to_pdf(html) if fmt == PDF else html_to_docx(html, progress)
    return Result(data, file_name(area, audit, fmt), FORMATS[fmt][0])


def _title(job) -> str:
    audit = _audit_of(job)
    fmt = format_names().get((job.parameters or {}).get("format"), "")
    if audit is None:
        return _("Board report (%(format)s)", format=fmt)
    return _("Board report as %(format)s: %(title)s", format=fmt, title=audit.title)


def _back(job):
    audit = _audit_of(job)
    if audit is None:
        return None
    return _("Back to the board report"), url_for("overview.report", area_id=audit.area_id, audit_id=audit.id)


kinds.register(JobKind(KIND, run=run, permission=Perm.READ_AUDIT, title=_title, may_run=_may_run, back=_back))
