"""Documents, registered through the core's own hooks: the pages, the API, and what the scoring and
moderation pages (audits, below this feature) show of them, as template helpers."""

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services as audits
from hsbtrack.documents import api as documents_api
from hsbtrack.documents import (
    carry_over,
    carry_over_views,
    demo,
    evidence_index,
    lifecycle,
    partnership,
    scanning,
    services,
    shared,
    views,
)
from hsbtrack.i18n import current_language
from hsbtrack.permissions import can
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import ReportSection


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    api.register_blueprint(documents_api.bp)
    lifecycle.register(app, api)
    carry_over_views.register(app, api)
    partnership.register(app, api)  # the partnership's documents: statement page, moderation grid, cycles, API
    evidence_index.register(app)  # the evidence index of an audit: page and XLSX
    shared.register(app, api)  # documents behind a partner organisation's shared answers (issue 20)
    app.jinja_env.globals["response_documents"] = response_documents
    app.jinja_env.globals["statement_documents"] = statement_documents
    app.jinja_env.globals["document_upload_form"] = document_upload_form
    app.jinja_env.globals["document_size"] = document_size
    app.jinja_env.globals["document_max_mb"] = lambda: services.max_bytes() // (1024 * 1024)


def document_size(size) -> str:
    """A file size as people read it: 12 KB, 3.4 MB (in the reader's language's numbers)."""
    if size < 1024 * 1024:
        return _("%(n)s KB", n=format_decimal(max(1, round(size / 1024))))
    return _("%(n)s MB", n=format_decimal(round(size / (1024 * 1024), 1)))


def response_documents(audit, agency_id) -> dict:
    """``{code: [documents]}`` of one agency's responses (the scoring page: two queries)."""
    return {code: docs for (_agency, code), docs in services.documents_for_audit(audit, [agency_id]).items()}


def statement_documents(audit, code) -> dict:
    """``{agency_id: [documents]}`` for one statement, of the agencies whose responses the reader may read."""
    # (the download's own rule, so that every link listed opens: an area sharing evidence after
    # submission shows other agencies' text to leads, not yet their documents)
    readable = [agency_id for agency_id in audits.participant_ids(audit)
                if can(current_user, Perm.READ_OWN_RESPONSES, audit.area_id, agency_id)]
    return {agency_id: docs for (agency_id, c), docs in services.documents_for_audit(audit, readable).items()
            if c == code}


def document_upload_form(code):
    """The upload form of one statement, with the errors of the last refused upload if it was this one."""
    return views.upload_form(code)


@hookimpl
def hsbtrack_demo_data(area):
    demo.load_demo_documents(area)  # (after the audits demo: a wrapper around every demo)


@hookimpl
def hsbtrack_scheduled_jobs():
    return lifecycle.scheduled_jobs()


@hookimpl
def hsbtrack_record_saved(area, record, change):
    carry_over.on_record_saved(area, record, change)  # a re-audit opened: the previous cycle's documents


@hookimpl
def hsbtrack_scan_document(open_stream, filename, content_type, size):
    return scanning.scan_with_clamd(open_stream)  # ClamAV's clamd, when HSBTRACK_CLAMD_URL is set


@hookimpl
def hsbtrack_report_sections(area, audit, user):
    """The board report's "Evidence index": statement by statement, the documents the reader may open
    (a fixed number of queries, whatever their number)."""
    index = evidence_index.gather(audit, user, lang=current_language())
    return [ReportSection(_l("Evidence index"), "report-evidence-index", "documents/_report_evidence_index.html",
                          {"index": index}, order=20)]
