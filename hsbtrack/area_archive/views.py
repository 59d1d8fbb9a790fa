"""The admin page "Export and import areas": an export button per area (a job: the archive is made off the
request, then offered for download on the job's page) and the upload form of an import, with its result (the
records imported, per type) or its errors at their fields. Administrators only (everyone else: 404).

Thin: the work is in :mod:`hsbtrack.area_archive.export` and :mod:`hsbtrack.area_archive.importing`.
"""

import os
import tempfile

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from sqlalchemy import select
from wtforms.validators import Length

from hsbtrack.area_archive import export, importing
from hsbtrack.areas.models import Area, Region, in_display_order
from hsbtrack.areas.roles import Perm
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import (
    BooleanField,
    FlaskForm,
    GovCheckboxInput,
    GovSubmitInput,
    GovTextInput,
    StringField,
    SubmitField,
    apply_service_errors,
)
from hsbtrack.jobs.models import Job
from hsbtrack.jobs.views import status_text
from hsbtrack.permissions import current_actor, loaded, requires
from hsbtrack.storage.limits import MB, takes_upload_of

bp = Blueprint("area_archive", __name__, url_prefix="/admin/area-archives")


def archive_max_bytes() -> int:
    return int(current_app.config.get("HSBTRACK_AREA_ARCHIVE_MAX_MB", 1024)) * MB


class ImportForm(FlaskForm):
    file = FileField(_l("Area archive"), widget=GovFileInput())
    name = StringField(_l("Name of the area here (optional)"), widget=GovTextInput(), validators=[Length(max=200)])
    skip_missing_plugins = BooleanField(_l("Import the area without the records of plugins not installed here"),
                                        widget=GovCheckboxInput())
    submit = SubmitField(_l("Import the area"), widget=GovSubmitInput())


def _index(form, status=200):
    rows = db.session.execute(select(Area, Region).outerjoin(Region, Region.id == Area.region_id)).all()
    rows = in_display_order(rows, lambda row: row[0])
    recent = db.session.scalars(select(Job).where(Job.kind == export.KIND).order_by(Job.id.desc()).limit(10)).all()
    return render_template("admin/area_archives.html", form=form, rows=rows, recent=recent, job_status=status_text,
                           max_mb=archive_max_bytes() // MB), status


@bp.get("/")
@requires(Perm.ADMIN)
def index():
    return _index(ImportForm())


@bp.post("/areas/<int:area_id>/export")
@requires(Perm.ADMIN)
def start_export(area_id):
    """"Export": the archive is made by a job; its page offers the file when it is ready."""
    job = export.start_export(loaded("area_id"), current_actor())
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/import")
@requires(Perm.ADMIN)
@takes_upload_of(archive_max_bytes)
def import_archive():
    form = ImportForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors = [*list(form.file.errors or []), _("Choose an area archive (a .zip file) to import")]
        return _index(form, 422)
    fd, path = tempfile.mkstemp(prefix="hsbtrack-import-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as out:
            upload.save(out)
        result = importing.import_archive(path, name=form.name.data or None,
                                          skip_missing_plugins=bool(form.skip_missing_plugins.data),
                                          user=current_actor())
    except ServiceError as error:
        apply_service_errors(form, error)
        return _index(form, 422)
    finally:
        os.unlink(path)
    return render_template("admin/area_archive_imported.html", result=result, area=result.area)
