"""Training pages under ``/areas/<area_id>/training/`` (thin: parse, call a service, render)."""

from datetime import date

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.audits.overview import cached_svg_response, language
from hsbtrack.errors import ServiceError
from hsbtrack.forms import apply_service_errors
from hsbtrack.permissions import requires
from hsbtrack.plugins.blueprints import area_plugin_blueprint
from hsbtrack.views_support import current_area

from . import charts, impact, importer, services, supervision, uploads
from .forms import (
    CourseForm,
    ImpactItemForm,
    ImpactResponseForm,
    LeftForm,
    PersonForm,
    SessionForm,
    SubmitOnlyForm,
    SupervisionForm,
    UploadForm,
    mapping_form,
)
from .models import STATUSES

bp = area_plugin_blueprint("training", __name__)


def _require_manage(area):
    if not services.can_manage(current_user, area):
        abort(403)


@bp.route("/")
@requires(Perm.READ_TRAINING)
def home():
    area = current_area()
    manage = services.can_manage(current_user, area)
    return render_template(
        "training/home.html", area=area, manage=manage, counts=services.counts(area),
        coverage=services.coverage(area), expiring=services.expiring_summary(area),
    )


@bp.route("/coverage")
@requires(Perm.READ_TRAINING)
def coverage():
    area = current_area()
    manage = services.can_manage(current_user, area)
    data = services.coverage(area)
    return render_template("training/coverage.html", area=area, manage=manage, coverage=data,
                           expiring=services.expiring(area) if manage else None,
                           expiring_summary=services.expiring_summary(area), today=date.today(),
                           trend=services.trend(area), chart=charts.coverage_chart(data))


@bp.route("/coverage/chart.svg")
@requires(Perm.READ_TRAINING)
def coverage_chart():
    """The coverage chart, rendered once per data (its key is a digest of what it draws) and language."""
    area = current_area()
    chart = charts.coverage_chart(services.coverage(area))
    key = ("training-coverage", area.id, chart.version, language())
    return cached_svg_response(key, lambda: charts.coverage_svg(chart))


@bp.route("/courses", methods=["GET", "POST"])
@requires(Perm.READ_TRAINING, POST=Perm.MANAGE_TRAINING)
def courses():
    area = current_area()
    manage = services.can_manage(current_user, area)
    form = CourseForm()
    form.tier.choices = [(t["number"], _("Tier %(n)d: %(name)s", n=t["number"], name=t["name"]))
                         for t in services.tiers(area)]
    if request.method == "POST":
        _require_manage(area)
        if form.validate_on_submit():
            try:
                services.create_course(
                    area, title=form.title.data, tier=form.tier.data, provider=form.provider.data,
                    length_hours=float(form.length_hours.data) if form.length_hours.data is not None else None,
                    refresher_months=form.refresher_months.data, user=current_user)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                flash(_("Course added"), "success")
                return redirect(url_for(".courses"))
    return render_template("training/courses.html", area=area, manage=manage, form=form,
                           courses=services.courses(area), tier_names=services.tier_names(area))


@bp.route("/people", methods=["GET", "POST"])
@requires(Perm.MANAGE_TRAINING)
def people():
    area = current_area()
    _require_manage(area)  # names are personal data: training leads and admins only
    form = PersonForm()
    form.agency_id.choices = [(a.id, a.display_name) for a in services.agencies(area)]
    disciplines = services.disciplines(area)
    form.discipline.choices = [(k, str(v)) for k, v in disciplines.items()]
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.create_person(area, name=form.name.data, email=form.email.data, agency_id=form.agency_id.data,
                                   discipline=form.discipline.data, user=current_user)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("Person added"), "success")
            return redirect(url_for(".people"))
    return render_template("training/people.html", area=area, form=form, people=services.people(area),
                           disciplines=disciplines)


@bp.route("/people/left", methods=["GET", "POST"])
@requires(Perm.MANAGE_TRAINING)
def person_left():
    """Record the day someone left: their training records are kept for the retention period after it."""
    area = current_area()
    _require_manage(area)
    form = LeftForm()
    everyone = services.people(area)
    form.person_id.choices = [(p.id, f"{p.name} ({p.agency.display_name})") for p in everyone]
    if request.method == "POST" and form.validate_on_submit():
        try:
            person = services.mark_left(area, person_id=form.person_id.data, left_on=form.left_on.data,
                                        user=current_user)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("%(name)s left on %(date)s", name=person.name, date=format_date(person.left_on, "d MMMM yyyy"))
                  if person.left_on else _("%(name)s is no longer recorded as having left", name=person.name),
                  "success")
            return redirect(url_for(".people"))
    return render_template("training/people_left.html", area=area, form=form, people=everyone)


@bp.route("/sessions", methods=["GET"])
@requires(Perm.READ_TRAINING)
def sessions():
    area = current_area()
    return render_template("training/sessions.html", area=area, manage=services.can_manage(current_user, area),
                           sessions=services.sessions(area))


@bp.route("/sessions/new", methods=["GET", "POST"])
@requires(Perm.MANAGE_TRAINING)
def new_session():
    area = current_area()
    _require_manage(area)
    form = SessionForm()
    course_list = services.courses(area)
    form.course_id.choices = [(c.id, c.title) for c in course_list]
    people = services.people(area)
    outcomes = {p.id: request.form.get(f"outcome-{p.id}", "") for p in people} if request.method == "POST" else {}
    outcome_error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.record_session(area, course_id=form.course_id.data, held_on=form.held_on.data,
                                    outcomes=outcomes, user=current_user)
        except ServiceError as error:
            outcome_error = error.fields.pop("outcomes", None)
            if error.fields:
                apply_service_errors(form, error)
        else:
            flash(_("Session recorded"), "success")
            return redirect(url_for(".coverage"))
    elif request.method == "POST" and not any(outcomes.values()):
        outcome_error = _("Record an outcome for at least one person")
    return render_template("training/session_form.html", area=area, form=form, people=people, outcomes=outcomes,
                           outcome_error=outcome_error, statuses=[(s, services.STATUS_LABELS[s]) for s in STATUSES],
                           disciplines=services.disciplines(area), has_courses=bool(course_list))


@bp.route("/headcounts", methods=["GET", "POST"])
@requires(Perm.READ_TRAINING, POST=Perm.MANAGE_TRAINING)
def headcounts():
    area = current_area()
    manage = services.can_manage(current_user, area)
    agencies = services.agencies(area)
    current = services.headcounts(area)
    disciplines = services.disciplines(area)
    form = SubmitOnlyForm()
    errors = {}
    values = {}
    if request.method == "POST":
        _require_manage(area)
        if form.validate_on_submit():
            for agency in agencies:
                for key in disciplines:
                    raw = request.form.get(f"hc-{agency.id}-{key}", "").strip()
                    if raw == "":
                        values[agency.id, key] = None
                    elif raw.isdigit():
                        values[agency.id, key] = int(raw)
                    else:
                        errors[f"hc-{agency.id}-{key}"] = _("Enter a whole number, like 12")
            if not errors:
                try:
                    services.set_headcounts(area, values, user=current_user)
                except ServiceError as error:
                    errors = error.fields
                else:
                    flash(_("Headcounts saved"), "success")
                    return redirect(url_for(".coverage"))
    raw = {k: request.form.get(k, "") for k in request.form} if request.method == "POST" else {
        f"hc-{a}-{d}": str(n) for (a, d), n in current.items()}
    return render_template("training/headcounts.html", area=area, manage=manage, agencies=agencies, raw=raw,
                           errors=errors, disciplines=disciplines, form=form)


# -- import and export ----------------------------------------------------------------------------


def _import_state_or_404(area, import_id):
    data = uploads.state(area, import_id)
    if data is None:
        abort(404)
    return data


@bp.route("/import", methods=["GET", "POST"])
@requires(Perm.MANAGE_TRAINING)
def import_upload():
    area = current_area()
    _require_manage(area)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            import_id = uploads.save_upload(area, current_user, upload.filename or "", upload.read())
        except importer.ImportFileError as error:
            form.file.errors = [*list(form.file.errors or []), str(error)]
        else:
            return redirect(url_for(".import_map", import_id=import_id))
    return render_template("training/import_upload.html", area=area, form=form)


@bp.route("/import/<import_id>/map", methods=["GET", "POST"])
@requires(Perm.MANAGE_TRAINING)
def import_map(import_id):
    area = current_area()
    _require_manage(area)
    data = _import_state_or_404(area, import_id)
    form_class = mapping_form(data["headers"], importer.FIELDS, importer.REQUIRED)
    if request.method == "GET":
        form = form_class(data={f"col_{k}": "" if v is None else str(v) for k, v in data["mapping"].items()})
    else:
        form = form_class()
    _headers, rows = uploads.rows_of(import_id, data) if request.method == "GET" else (None, None)
    if form.validate_on_submit():
        mapping = {name: int(getattr(form, f"col_{name}").data) if getattr(form, f"col_{name}").data not in ("", None)
                   else None for name in importer.FIELDS}
        problems = importer.mapping_errors(mapping)
        if problems:
            for name, message in problems.items():
                field = getattr(form, f"col_{name}", None) or form.col_name
                field.errors = [*list(field.errors or []), str(message)]
        else:
            data["mapping"] = mapping
            uploads.write_state(import_id, data)
            return redirect(url_for(".import_preview", import_id=import_id))
    if rows is None:
        _headers, rows = uploads.rows_of(import_id, data)
    return render_template("training/import_map.html", area=area, form=form, data=data, sample=rows[:3],
                           fields=importer.FIELDS)


@bp.route("/import/<import_id>/preview", methods=["GET"])
@requires(Perm.MANAGE_TRAINING)
def import_preview(import_id):
    area = current_area()
    _require_manage(area)
    data = _import_state_or_404(area, import_id)
    _headers, rows = uploads.rows_of(import_id, data)
    result = importer.validate(area, rows, data["mapping"])
    mapping = data["mapping"]
    sample = [[(row[mapping[f]] if mapping.get(f) is not None and mapping[f] < len(row) else "") for f in importer.FIELDS]
              for row in rows[:10]]
    return render_template("training/import_preview.html", area=area, data=data, result=result, sample=sample,
                           fields=importer.FIELDS, form=SubmitOnlyForm(), import_id=import_id,
                           shown=importer.MAX_ERRORS_SHOWN)


@bp.route("/import/<import_id>/run", methods=["POST"])
@requires(Perm.MANAGE_TRAINING)
def import_run(import_id):
    area = current_area()
    _require_manage(area)
    data = _import_state_or_404(area, import_id)
    form = SubmitOnlyForm()
    if form.validate_on_submit() and data["stage"] in ("uploaded", "refused", "failed"):
        uploads.start(area, current_user, import_id)
    return redirect(url_for(".import_progress", import_id=import_id))


@bp.route("/import/<import_id>")
@requires(Perm.MANAGE_TRAINING)
def import_progress(import_id):
    area = current_area()
    _require_manage(area)
    data = _import_state_or_404(area, import_id)
    errors = [(number, [importer.problem_text(r) for r in reasons]) for number, reasons in data.get("errors") or []]
    return render_template("training/import_progress.html", area=area, data=data, import_id=import_id, errors=errors)


@bp.route("/import/<import_id>/status.json")
@requires(Perm.MANAGE_TRAINING)
def import_status(import_id):
    area = current_area()
    _require_manage(area)
    data = _import_state_or_404(area, import_id)
    total = data.get("total") or 0
    percent = int(100 * data.get("done", 0) / total) if total else 0
    return jsonify({"stage": data["stage"], "done": data.get("done", 0), "total": total, "percent": percent,
                    "finished": data["stage"] in ("done", "refused", "failed")})


@bp.route("/export.csv")
@requires(Perm.MANAGE_TRAINING)
def export_csv():
    area = current_area()
    _require_manage(area)  # the export holds names
    body = "\ufeff" + importer.export_csv(area)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="training-{area.id}-completions.csv"'})


@bp.route("/export.xlsx")
@requires(Perm.MANAGE_TRAINING)
def export_xlsx():
    area = current_area()
    _require_manage(area)  # the export holds names
    return Response(importer.export_xlsx(area), mimetype=importer.XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="training-{area.id}-completions.xlsx"'})


# -- impact -----------------------------------------------------------------------------------------


@bp.route("/impact")
@requires(Perm.READ_TRAINING)
def impact_home():
    area = current_area()
    return render_template("training/impact.html", area=area, manage=services.can_manage(current_user, area),
                           change=impact.paired_change(area), labels=impact.SUBSCALE_LABELS,
                           subscales=impact.SUBSCALES, version=impact.data_version(area),
                           n_items=len(impact.items(area)))


@bp.route("/impact/chart.svg")
@requires(Perm.READ_TRAINING)
def impact_chart():
    area = current_area()
    lang = language()
    tiers = tuple(sorted(services.tier_names(area).items()))
    key = ("training-impact", area.id, impact.data_version(area), lang, hash(tuple(map(str, tiers))))
    return cached_svg_response(key, lambda: impact.chart_svg(area, lang))


@bp.route("/impact/items", methods=["GET", "POST"])
@requires(Perm.READ_TRAINING, POST=Perm.MANAGE_TRAINING)
def impact_items():
    area = current_area()
    manage = services.can_manage(current_user, area)
    form = ImpactItemForm()
    if request.method == "POST":
        _require_manage(area)
        if form.validate_on_submit():
            try:
                impact.add_item(area, subscale=form.subscale.data, text=form.text.data, user=current_user)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                flash(_("Item added"), "success")
                return redirect(url_for(".impact_items"))
    return render_template("training/impact_items.html", area=area, manage=manage, form=form,
                           items=impact.items(area), labels=impact.SUBSCALE_LABELS)


@bp.route("/impact/answers", methods=["GET", "POST"])
@requires(Perm.MANAGE_TRAINING)
def impact_answers():
    area = current_area()
    _require_manage(area)  # answers are per named person
    form = ImpactResponseForm()
    form.course_id.choices = [(c.id, c.title) for c in services.courses(area)]
    form.person_id.choices = [(p.id, f"{p.name} – {p.agency.display_name}") for p in services.people(area)]
    item_list = impact.items(area)
    scores = {}
    item_errors = {}
    if request.method == "POST":
        for item in item_list:
            raw = request.form.get(f"item-{item.id}", "")
            scores[item.id] = int(raw) if raw.isdigit() else None
        if form.validate_on_submit():
            try:
                impact.record_responses(area, course_id=form.course_id.data, person_id=form.person_id.data,
                                        phase=form.phase.data, answered_on=form.answered_on.data, scores=scores,
                                        user=current_user)
            except ServiceError as error:
                item_errors = {k: v for k, v in error.fields.items() if k.startswith("item-") or k == "scores"}
                rest = {k: v for k, v in error.fields.items() if k not in item_errors}
                if rest:
                    apply_service_errors(form, ServiceError(error.message, rest))
            else:
                flash(_("Answers saved"), "success")
                return redirect(url_for(".impact_answers"))
        else:
            item_errors = {f"item-{i.id}": _("Choose a rating from 1 to 5") for i in item_list
                           if scores.get(i.id) not in impact.SCALE}
    return render_template("training/impact_answers.html", area=area, form=form, items=item_list, scores=scores,
                           item_errors=item_errors, labels=impact.SUBSCALE_LABELS, scale=impact.SCALE)


# -- supervision ------------------------------------------------------------------------------------


@bp.route("/supervision", methods=["GET", "POST"])
@requires(Perm.READ_TRAINING, POST=Perm.MANAGE_TRAINING)
def supervision_log():
    area = current_area()
    manage = services.can_manage(current_user, area)
    form = SupervisionForm()
    if manage:
        form.person_id.choices = [(p.id, f"{p.name} – {p.agency.display_name}") for p in services.people(area)]
    if request.method == "POST":
        _require_manage(area)
        if form.validate_on_submit():
            try:
                supervision.log(area, person_id=form.person_id.data, held_on=form.held_on.data, kind=form.kind.data,
                                user=current_user)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                flash(_("Supervision logged"), "success")
                return redirect(url_for(".supervision_log"))
    return render_template("training/supervision.html", area=area, manage=manage, form=form,
                           summary=supervision.by_agency(area), kinds=supervision.KINDS,
                           recent=supervision.recent(area) if manage else [])


@bp.route("/tiers", methods=["GET", "POST"])
@requires(Perm.READ_TRAINING, POST=Perm.MANAGE_TRAINING)
def tier_settings():
    """The plugin's settings for the area: tiers, disciplines and refresher reminders."""
    area = current_area()
    manage = services.can_manage(current_user, area)
    form = SubmitOnlyForm()
    errors = {}
    names = [str(t["name"]) for t in services.tiers(area)]
    disciplines_text = services.disciplines_text(area) if manage else ""
    remind = services.remind_people(area)
    if request.method == "POST":
        _require_manage(area)
        names = [request.form.get(f"tier-{i}", "") for i in range(1, 9)]
        # (a post without the textarea keeps the list as it is)
        disciplines_text = request.form.get("disciplines", services.disciplines_text(area))
        remind = request.form.get("remind_people") == "yes"
        if form.validate_on_submit():
            try:
                services.save_settings(area, tier_names_in=names, disciplines_in=disciplines_text, remind=remind,
                                       user=current_user)
            except ServiceError as failure:
                errors = {k: str(v) for k, v in failure.fields.items()}
            else:
                flash(_("Settings saved"), "success")
                return redirect(url_for(".tier_settings"))
    names = (names + [""] * 8)[:8]
    return render_template("training/tiers.html", area=area, manage=manage, names=names, form=form, errors=errors,
                           remind_people=remind, disciplines_text=disciplines_text,
                           disciplines=services.disciplines(area))
