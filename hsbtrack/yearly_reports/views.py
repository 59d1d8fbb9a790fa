"""The yearly report pages, for an area (``/areas/<id>/yearly-reports/``) and, for region-scoped kinds, for a
region (``/regions/<id>/yearly-reports/``): the list, a new report (kind and period), the report (the data
draft read-only, a text box per narrative section, saving a new version, the versions, PDF and Word).

Area pages name ``audit.read`` to read and ``area.manage`` to write; region pages ``region.view`` and
``region.manage``; for a report, its kind's own permissions stand in for them (``loaders``)."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hsbtrack.areas.roles import Perm
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.forms import apply_service_errors
from hsbtrack.permissions import current_actor, loaded, requires
from hsbtrack.timeutil import local_today, today
from hsbtrack.views_support import set_current_area
from hsbtrack.yearly_reports import files, forms, services
from hsbtrack.yearly_reports import loaders as report_loaders

bp = Blueprint(report_loaders.AREA_BLUEPRINT, __name__, url_prefix="/areas/<int:area_id>/yearly-reports")
region_bp = Blueprint(report_loaders.REGION_BLUEPRINT, __name__, url_prefix="/regions/<int:region_id>/yearly-reports")


class Place:
    """What a page needs to know about where it is: the area or region, its blueprint and URL arguments."""

    def __init__(self, record, region: bool):
        self.record, self.region = record, region
        self.endpoint = report_loaders.REGION_BLUEPRINT if region else report_loaders.AREA_BLUEPRINT
        self.args = {"region_id": record.id} if region else {"area_id": record.id}
        self.write_permission = Perm.MANAGE_REGION if region else Perm.MANAGE_AREA

    def url(self, name, **values):
        return url_for(f"{self.endpoint}.{name}", **self.args, **values)

    @property
    def home(self):
        if self.region:
            return url_for("regions.detail", region_id=self.record.id)
        return url_for("dashboard.area", area_id=self.record.id)


def _area_place():
    return Place(set_current_area(loaded("area_id")), region=False)


def _region_place():
    return Place(loaded("region_id"), region=True)


def _may_write_here(place) -> bool:
    user = current_actor()
    return any(services.holds(user, k.write_permission, place.record) for k in services.kinds_for(place.record))


def last_year_to_march(on: date) -> tuple[date, date]:
    """The last full year to 31 March (partnerships' reporting years follow the financial year)."""
    year = on.year if on >= date(on.year, 3, 31) else on.year - 1
    return date(year - 1, 4, 1), date(year, 3, 31)


# -- the list ---------------------------------------------------------------------------------------------


def _index(place):
    reports = services.reports_for(place.record, reader=current_actor())
    rows = [{"report": r, "title": services.title_of(services.kind_of(r)),
             "latest": services.latest_version(r)} for r in reports]
    return render_template("yearly_reports/index.html", here=place, rows=rows,
                           may_write=_may_write_here(place), offered=services.kinds_for(place.record))


@bp.route("/")
@requires(Perm.READ_AUDIT)
def index(area_id):
    return _index(_area_place())


@region_bp.route("/", endpoint="index")
@requires(Perm.VIEW_REGION)
def region_index(region_id):
    return _index(_region_place())


# -- a new report ------------------------------------------------------------------------------------------


def _date_value(field):
    """What the service reads for a date field: the date, or None (the form has said why)."""
    return field.data if isinstance(field.data, date) else None


def _new(place):
    offered = [k for k in services.kinds_for(place.record) if services.holds(current_actor(), k.write_permission,
                                                                               place.record)]
    form = forms.NewReportForm() if request.method == "POST" else forms.NewReportForm(formdata=None)
    form.kind.choices = [(k.name, services.title_of(k)) for k in offered]
    status = 200
    if request.method == "GET":
        form.kind.data = offered[0].name if offered else None
        form.period_start.data, form.period_end.data = last_year_to_march(local_today())
    else:
        form.validate()
        try:
            report, created = services.create_report(
                place.record, kind=form.kind.data if len(offered) != 1 else offered[0].name,
                period_start=_date_value(form.period_start), period_end=_date_value(form.period_end),
                user=current_actor())
        except ServiceError as error:
            for name, message in error.fields.items():  # every error at once: the form's and the rules'
                field = getattr(form, name, None)
                if field is not None and not field.errors:
                    field.errors = [*list(field.errors or []), message]
            if not form.errors:
                apply_service_errors(form, error)
            status = error.status
        else:
            if not form.errors:
                if created:
                    flash(_("The report has been made. Write its sections below."), "success")
                else:
                    flash(_("There is already a report of this kind for that period: here it is."), "success")
                return redirect(place.url("detail", report_id=report.id))
            status = 422
    return render_template("yearly_reports/new.html", here=place, form=form, offered=offered), status


@bp.route("/new", methods=["GET", "POST"])
@requires(Perm.MANAGE_AREA)
def new(area_id):
    return _new(_area_place())


@region_bp.route("/new", methods=["GET", "POST"], endpoint="new")
@requires(Perm.MANAGE_REGION)
def region_new(region_id):
    return _new(_region_place())


# -- the report --------------------------------------------------------------------------------------------


def _place_errors(form, kind, error) -> None:
    """The service's fields on the page's: ``sections.<key>`` at its text box, ``version`` (a stale save) at the
    first text box, where the writer is."""
    first = forms.field_name(kind.sections[0].key) if kind.sections else "note"
    mapped = {}
    for name, message in error.fields.items():
        if name.startswith("sections."):
            name = forms.field_name(name.split(".", 1)[1])
        elif name in ("version", "sections"):
            name = first
        mapped[name] = message
    apply_service_errors(form, ServiceError(error.message, mapped or {first: error.message}))


def _detail(place, report):
    kind = services.kind_of(report)
    user = current_actor()
    writer = services.may_write(user, report)
    form = forms.narrative_form(kind, formdata=request.method == "POST")
    status, conflict = 200, None
    if request.method == "POST":
        sections = {s.key: getattr(form, forms.field_name(s.key)).data or "" for s in kind.sections}
        try:
            version = services.save_version(report, sections, user=user, based_on=form.version.data or "0",
                                             note=form.note.data)
        except ServiceError as error:
            _place_errors(form, kind, error)
            status = 409 if isinstance(error, ConflictError) else error.status
            conflict = isinstance(error, ConflictError)
            form.version.data = str(services.version_number(report)) if conflict else form.version.data
        else:
            flash(_("Version %(n)d has been saved.", n=version.number), "success")
            return redirect(place.url("detail", report_id=report.id))
    else:
        for key, text in services.texts(report).items():
            getattr(form, forms.field_name(key)).data = text
        form.version.data = str(services.version_number(report))
    return render_template("yearly_reports/detail.html", here=place, place=report.place, report=report, today=today(), kind=kind,
                           title=services.title_of(kind), form=form if writer else None, writer=writer,
                           latest=services.latest_version(report), texts=services.texts(report),
                           draft=services.draft(report, user), conflict=conflict, print=False), status


@bp.route("/<int:report_id>", methods=["GET", "POST"])
@requires(Perm.READ_AUDIT, POST=Perm.MANAGE_AREA)
def detail(area_id, report_id):
    return _detail(_area_place(), loaded("report_id"))


@region_bp.route("/<int:report_id>", methods=["GET", "POST"], endpoint="detail")
@requires(Perm.VIEW_REGION, POST=Perm.MANAGE_REGION)
def region_detail(region_id, report_id):
    return _detail(_region_place(), loaded("report_id"))


def _version(place, report, number):
    version = services.get_version(report, number)
    if version is None:
        abort(404)
    kind = services.kind_of(report)
    return render_template("yearly_reports/version.html", here=place, place=report.place, report=report, kind=kind,
                           title=services.title_of(kind), version=version,
                           texts=services.texts(report, number), newest=services.version_number(report))


@bp.route("/<int:report_id>/versions/<int:number>")
@requires(Perm.READ_AUDIT)
def version(area_id, report_id, number):
    return _version(_area_place(), loaded("report_id"), number)


@region_bp.route("/<int:report_id>/versions/<int:number>", endpoint="version")
@requires(Perm.VIEW_REGION)
def region_version(region_id, report_id, number):
    return _version(_region_place(), loaded("report_id"), number)


def _file(place, report):
    fmt = request.form.get("format")
    number = request.form.get("version", "")
    if fmt not in files.FORMATS or (number and not number.isdigit()):
        abort(400)
    try:
        job = files.start_file_job(report, fmt, current_actor(), int(number) if number else None)
    except ServiceError:
        abort(404)
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.route("/<int:report_id>/file", methods=["POST"])
@requires(Perm.READ_AUDIT)
def file(area_id, report_id):
    """"Download as PDF" and "Download as Word": start a job, then show its page."""
    return _file(_area_place(), loaded("report_id"))


@region_bp.route("/<int:report_id>/file", methods=["POST"], endpoint="file")
@requires(Perm.VIEW_REGION)
def region_file(region_id, report_id):
    return _file(_region_place(), loaded("report_id"))
