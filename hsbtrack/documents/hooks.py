"""Documents, registered through the core's own hooks: the pages, the API, and what the scoring and
moderation pages (audits, below this feature) show of them, as template helpers."""

from flask import session
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services as audits
from hsbtrack.documents import api as documents_api
from hsbtrack.documents import carry_over, lifecycle, services, views
from hsbtrack.documents.forms import DocumentUploadForm
from hsbtrack.permissions import can
from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    api.register_blueprint(documents_api.bp)
    lifecycle.register(app, api)
    carry_over.register(app, api)
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
    """The upload form of one statement, with the error of the last refused upload if it was this one."""
    form = DocumentUploadForm(formdata=None)
    error = session.get(views.ERROR_KEY)
    if error and error.get("code") == code:
        session.pop(views.ERROR_KEY, None)
        form.title.data = error.get("title", "")
        form.effective_on._raw_parts = error.get("date")
        getattr(form, error["field"], form.file).errors = [error["message"]]
    return form


@hookimpl
def hsbtrack_scheduled_jobs():
    return lifecycle.scheduled_jobs()


@hookimpl
def hsbtrack_record_saved(area, record, change):
    carry_over.on_record_saved(area, record, change)  # a re-audit opened: the previous cycle's documents
