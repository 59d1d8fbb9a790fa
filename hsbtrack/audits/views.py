"""Audit pages: the list, opening an audit, its home (progress), the scoring pages, closing.

The scoring page of one domain works without JavaScript (one form POST saves the whole domain, with a
version per statement for optimistic locking); ``static/js/autosave.js`` adds saving as you go through
the JSON endpoints at the end of this module.
"""


from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import Form, SelectMultipleField
from wtforms.validators import Optional

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import (
    loaders,  # noqa: F401  (the audit_id loader)
    returns,
    services,
)
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import (
    BooleanField,
    DayMonthYearField,
    FlaskForm,
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    apply_service_errors,
)
from hsbtrack.i18n import current_language
from hsbtrack.permissions import can, can_score_for, loaded, requires
from hsbtrack.timeutil import local_date, local_today, parse_date, today
from hsbtrack.views_support import set_current_area

bp = Blueprint("audits", __name__)


# -- forms ------------------------------------------------------------------------------------


class OpenAuditForm(FlaskForm):
    # (choices are not checked here: the service checks every field at once, GOV.UK's rule)
    framework = SelectField(_l("Framework"), widget=GovSelect(), validators=[], validate_choice=False)
    title = StringField(_l("Title (optional)"), widget=GovTextInput(),
                        description=_l("For example, “Baseline audit 2026”. Left blank, it is named after the "
                                       "framework and the cycle."),
                        validators=[])  # (the service checks its length, with the other fields)
    agency_ids = SelectMultipleField(_l("Agencies taking part"), coerce=int, validators=[Optional()], validate_choice=False,
                                     widget=GovCheckboxesInput(),
                                     description=_l("Each agency taking part scores every statement for itself."))
    return_due_on = DayMonthYearField(_l("Date returns are due (optional)"),
                                      description=_l("When each agency should have scored every statement and "
                                                     "submitted its return, for example 15 1 2027. Agency leads see "
                                                     "it and are reminded 7 days before and the day after."))
    submit = SubmitField(_l("Open the audit"), widget=GovSubmitInput())


class ReturnDueForm(FlaskForm):
    return_due_on = DayMonthYearField(_l("Date returns are due"),
                                      description=_l("For example, 15 1 2027. Not in the past. Leave it blank for no "
                                                     "deadline."))
    submit = SubmitField(_l("Save the date"), widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A confirmation page's one button (its label is set by the view)."""

    submit = SubmitField(_l("Confirm"), widget=GovSubmitInput())


class AuditSettingsForm(FlaskForm):
    returns_sign_off = BooleanField(_l("Returns must be signed off by a senior officer"), widget=GovCheckboxInput(),
                                    description=_l("Section 11 practice: a submitted return counts as final only "
                                                   "once a senior officer of the agency has signed it off. Give "
                                                   "people the senior officer role for their agency on the members "
                                                   "page."))
    submit = SubmitField(_l("Save the settings"), widget=GovSubmitInput())


class DomainDateForm(Form):
    """The scoring page's "date completed" of a domain: the GOV.UK day, month and year boxes (the page's
    CSRF token is checked by the page's own form; the label is the framework's)."""

    date_completed = DayMonthYearField(_l("Date completed"))


def _domain_date_form(label, value=None):
    form = DomainDateForm(formdata=None, data={"date_completed": value})
    form.date_completed.label.text = label
    return form


def _read_domain_date(form) -> tuple:
    """``(date or None, error or None)`` from the posted boxes: day, month and year (the page), or one ISO
    value as the API takes it (a client posting the form without the page)."""
    parts = request.form.getlist("date_completed")
    if len(parts) == 1:
        try:
            value = parse_date(parts[0].strip(), "date_completed")
        except ServiceError as error:
            form.date_completed._raw_parts = [parts[0], "", ""]
            return None, error.fields.get("date_completed", error.message)
        form.date_completed.data = value
        return value, None
    form.process(request.form)
    field = form.date_completed
    if field.process_errors:
        return None, str(field.process_errors[0])
    return field.data, None


class CloseAuditForm(FlaskForm):
    completed_on = DayMonthYearField(_l("Date completed"), required_message=_l("Enter the date the audit was completed"),
                                     description=_l("For example, 27 3 2027. Not in the future, and not before the "
                                                    "audit opened."))
    override_reason = TextAreaField(_l("Why close it with these problems outstanding?"), widget=GovTextArea(),
                                    description=_l("Recorded in the audit's history, with your name."))
    submit = SubmitField(_l("Close the audit"), widget=GovSubmitInput())


class ReopenAuditForm(FlaskForm):
    reason = TextAreaField(_l("Why is the audit being reopened?"), widget=GovTextArea(),
                           description=_l("Recorded in the audit's history, with your name. Its figures become "
                                          "provisional again until it closes."))
    submit = SubmitField(_l("Reopen the audit"), widget=GovSubmitInput())


# -- loading, with the permission rules -----------------------------------------------------


def _load_audit(area_id: int, audit_id: int):
    """The area and its audit, as loaded and checked by ``requires`` (404 for another area's audit)."""
    return set_current_area(loaded("area_id")), loaded("audit_id")


def _load_scoring(area_id: int, audit_id: int, agency_id: int):
    """Area, audit, and the agency's participation row (``requires(Perm.SCORE)`` checked the agency)."""
    area, audit = _load_audit(area_id, audit_id)
    rows = services.participants(audit)
    match = next(((p, a) for p, a in rows if a.id == agency_id), None)
    if match is None:
        abort(404)
    participation, agency = match
    return area, audit, participation, agency, rows


def _framework_or_404(audit):
    try:
        return services.framework_of(audit)
    except KeyError:
        abort(404)


def _has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


# -- the list of audits -----------------------------------------------------------------------


@bp.route("/areas/<int:area_id>/audits/")
@requires(Perm.READ_AUDIT)
def index(area_id):
    area = set_current_area(loaded("area_id"))
    audits = services.audits_for_area(area.id)
    summaries = services.progress_summaries(area.id)
    frameworks = {}
    for audit in audits:
        if audit.framework not in frameworks:
            try:
                frameworks[audit.framework] = services.catalogue().get(audit.framework)
            except KeyError:
                frameworks[audit.framework] = None
    manage = can(current_user, Perm.MANAGE_AREA, area.id)
    open_slugs = {a.framework for a in audits if a.is_open}
    can_open = manage and any(f.slug not in open_slugs for f in services.catalogue().all())
    return render_template(
        "audits/index.html", area=area, audits=audits, summaries=summaries, frameworks=frameworks,
        schedule=services.schedule(area.id), manage=manage, can_open=can_open,
        open_audits=[a for a in audits if a.is_open], today=today(), lang=current_language(),
        sign_off_required=services.sign_off_required(area),
    )


@bp.route("/areas/<int:area_id>/audits/new", methods=["GET", "POST"])
@requires(Perm.MANAGE_AREA)
def new(area_id):
    area = set_current_area(loaded("area_id"))
    agencies = sorted(area.agencies, key=lambda a: a.display_name.lower())
    form = OpenAuditForm()
    form.framework.choices = [(f.slug, f.title_for(current_language())) for f in services.catalogue().all()]
    form.agency_ids.choices = [(a.id, a.display_name) for a in agencies]
    if request.method == "GET":
        form.framework.data = services.DEFAULT_FRAMEWORK
        form.agency_ids.data = [a.id for a in agencies]
    elif form.is_submitted() and (form.validate() or set(form.errors) == {"return_due_on"}):
        # an unreadable date is checked with every other field (every error at once), and opens nothing
        date_errors = list(form.return_due_on.errors)
        try:
            audit = services.open_audit(area, form.framework.data, form.title.data, form.agency_ids.data or [],
                                        user=current_user,
                                        return_due_on="unreadable" if date_errors else form.return_due_on.data)
        except ServiceError as error:
            apply_service_errors(form, error)
            if date_errors:
                form.return_due_on.errors = date_errors
        else:
            flash(_("%(title)s (%(label)s) is open: agencies can start scoring", title=audit.title,
                    label=audit.label), "success")
            return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id))
    return render_template("audits/new.html", area=area, form=form, agencies=agencies)


# -- an audit's home --------------------------------------------------------------------------


def _render_detail(area, audit, submit_errors=None, status=200):
    framework = _framework_or_404(audit)
    rows = services.participants(audit)
    progress = services.progress(audit)
    manage = can(current_user, Perm.MANAGE_AREA, area.id)
    scheduled = [s for s in services.schedule(area.id)
                 if s.framework == audit.framework and s.baseline_id == audit.id] if not audit.is_open else []
    links = {
        "moderation": (url_for("moderation.matrix", area_id=area.id, audit_id=audit.id)
                       if _has_endpoint("moderation.matrix") and can(current_user, Perm.READ_RESPONSES, area.id) else None),
        "overview": (url_for("overview.audit_overview", area_id=area.id, audit_id=audit.id)
                     if _has_endpoint("overview.audit_overview") else None),
    }
    # moderations to confirm again: shown to those who may open the grid, while the audit is open
    stale_count = len(services.consolidated(audit).stale()) if audit.is_open and links["moderation"] else 0
    return render_template(
        "audits/detail.html", area=area, audit=audit, framework=framework, rows=rows, progress=progress,
        stale_count=stale_count,
        manage=manage, may_reopen=manage and services.may_reopen(audit),
        scheduled=scheduled, links=links, submit_errors=submit_errors or {}, lang=current_language(),
        can_score=lambda agency_id: can_score_for(current_user, area.id, agency_id),
        can_sign_off=lambda agency_id: can(current_user, Perm.SIGN_OFF, area.id, agency_id),
        sign_off_required=services.sign_off_required(area),
        tracker=can(current_user, Perm.READ_RESPONSES, area.id),
        unsubmitted=[agency for participation, agency in rows if participation.submitted_at is None],
    ), status


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/")
@requires(Perm.READ_AUDIT)
def detail(area_id, audit_id):
    area, audit = _load_audit(area_id, audit_id)
    return _render_detail(area, audit)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/close", methods=["GET", "POST"])
@requires(Perm.MANAGE_AREA)
def close(area_id, audit_id):
    """The close check and confirmation: what is outstanding, the completion date, and a reason to
    close anyway when something is."""
    area, audit = _load_audit(area_id, audit_id)
    if not audit.is_open:
        return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id))
    form = CloseAuditForm() if request.method == "POST" else CloseAuditForm(formdata=None, completed_on=local_today())
    problems = services.close_check(audit)
    if form.validate_on_submit():
        try:
            services.close_audit(audit, user=current_user, completed_on=form.completed_on.data,
                                 override_reason=form.override_reason.data)
        except ServiceError as error:
            apply_service_errors(form, error)
            problems = getattr(error, "problems", problems)
        else:
            flash(_("%(label)s is closed", label=audit.label), "success")
            return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id))
    elif form.is_submitted() and problems and not (form.override_reason.data or "").strip():
        # the date could not be read, so nothing was tried: say what else is missing too, at once
        apply_service_errors(form, services.CloseNotReady(problems))
    status = 422 if form.errors else 200
    return render_template("audits/close.html", area=area, audit=audit, form=form, problems=problems,
                           grouped=_grouped_problems(problems), opened_on=local_date(audit.opened_at)), status


def _grouped_problems(problems) -> list[tuple[str, list]]:
    titles = {"missing_return": _("Returns not submitted"), "unsigned_return": _("Returns not signed off"),
              "stale_moderation": _("Agreed scores to confirm again"), "unscored": _("Statements no agency scored")}
    return [(titles[kind], [p for p in problems if p.kind == kind])
            for kind in services.CLOSE_PROBLEM_KINDS if any(p.kind == kind for p in problems)]


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/reopen", methods=["GET", "POST"])
@requires(Perm.MANAGE_AREA)
def reopen(area_id, audit_id):
    """Confirm reopening the latest closed audit, with a reason."""
    area, audit = _load_audit(area_id, audit_id)
    form = ReopenAuditForm()
    if form.validate_on_submit():
        try:
            services.reopen_audit(audit, user=current_user, reason=form.reason.data)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("%(label)s is open again", label=audit.label), "success")
            return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id))
    status = 422 if form.errors else 200
    return render_template("audits/reopen.html", area=area, audit=audit, form=form,
                           may_reopen=services.may_reopen(audit)), status


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/submit", methods=["GET", "POST"])
@requires(Perm.SCORE)
def submit(area_id, audit_id, agency_id):
    """Check and submit a return: what is still blank (submitting waits for it) and what is scored
    without evidence, then "Submit the return"."""
    area, audit, participation, agency, _rows = _load_scoring(area_id, audit_id, agency_id)
    form = ConfirmForm()
    form.submit.label.text = _("Submit the return")
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            services.submit_agency(audit, agency.id, user=current_user)
        except ServiceError as failure:
            error = failure.message
        else:
            flash(_("%(agency)s has submitted its scores", agency=agency.display_name), "success")
            return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id))
    review = returns.review_submission(audit, agency.id)
    return render_template("audits/submit.html", area=area, audit=audit, agency=agency, participation=participation,
                           review=review, form=form, error=error, lang=current_language(),
                           sign_off_required=services.sign_off_required(area),
                           framework=_framework_or_404(audit)), 422 if error else 200


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/sign-off", methods=["GET", "POST"])
@requires(Perm.SIGN_OFF)
def sign_off(area_id, audit_id, agency_id):
    """A senior officer of the agency confirms its submitted return (where the area asks for sign-off)."""
    area, audit, participation, agency, _rows = _load_scoring(area_id, audit_id, agency_id)
    form = ConfirmForm()
    form.submit.label.text = _("Sign off the return")
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            returns.sign_off(audit, agency.id, user=current_user)
        except ServiceError as failure:
            error = failure.message
        else:
            flash(_("The return of %(agency)s is signed off", agency=agency.display_name), "success")
            return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id))
    status = next(s for s in returns.returns_status(audit) if s.agency_id == agency.id)
    review = returns.review_submission(audit, agency.id)
    answers = services.responses_for_agency(audit, agency.id)
    responses = [(st.code, answers.get(st.code)) for st in _framework_or_404(audit).scored_statements]
    return render_template("audits/sign_off.html", area=area, audit=audit, agency=agency, status=status,
                           review=review, form=form, error=error, required=services.sign_off_required(area),
                           responses=responses,
                           lang=current_language()), 409 if error else 200


# -- returns: deadline, tracker, reminders, settings -----------------------------------------


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/deadline", methods=["GET", "POST"])
@requires(Perm.MANAGE_AREA)
def deadline(area_id, audit_id):
    """Set or change the date the returns are due."""
    area, audit = _load_audit(area_id, audit_id)
    form = ReturnDueForm() if request.method == "POST" else ReturnDueForm(formdata=None,
                                                                          return_due_on=audit.return_due_on)
    if audit.is_open and form.validate_on_submit():
        try:
            returns.set_return_due(audit, form.return_due_on.data, user=current_user)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            if audit.return_due_on:
                flash(_("Returns are due on %(date)s", date=returns._date(audit.return_due_on)), "success")
            else:
                flash(_("The audit has no return deadline now"), "success")
            return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id))
    return render_template("audits/deadline.html", area=area, audit=audit, form=form), 422 if form.errors else 200


def _render_tracker(area, audit, error=None, error_agency=None, status=200):
    rows = returns.returns_status(audit)
    return render_template(
        "audits/returns.html", area=area, audit=audit, rows=rows, error=error, error_agency=error_agency,
        manage=can(current_user, Perm.MANAGE_AREA, area.id), sign_off_required=services.sign_off_required(area),
        submitted=sum(1 for r in rows if r.submitted_at), form=FlaskForm(), today=local_today(),
    ), status


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/returns")
@requires(Perm.READ_RESPONSES)
def tracker(area_id, audit_id):
    """The board's returns tracker: each agency's progress, last activity, submission and sign-off."""
    area, audit = _load_audit(area_id, audit_id)
    return _render_tracker(area, audit)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/returns/<int:agency_id>/remind", methods=["POST"])
@requires(Perm.MANAGE_AREA)
def remind(area_id, audit_id, agency_id):
    """Send an agency's leads a reminder about their return (at most one a day)."""
    area, audit = _load_audit(area_id, audit_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    agency = loaded("agency_id")
    try:
        returns.send_reminder(audit, agency.id, user=current_user)
    except ServiceError as error:
        return _render_tracker(area, audit, error=error.message, error_agency=agency.id, status=error.status)
    flash(_("A reminder has been sent to the agency leads of %(agency)s", agency=agency.display_name), "success")
    return redirect(url_for("audits.tracker", area_id=area.id, audit_id=audit.id))


@bp.route("/areas/<int:area_id>/audits/settings", methods=["GET", "POST"])
@requires(Perm.MANAGE_AREA)
def settings(area_id):
    """The area's audit settings: whether returns must be signed off by a senior officer."""
    area = set_current_area(loaded("area_id"))
    form = AuditSettingsForm() if request.method == "POST" else AuditSettingsForm(
        formdata=None, returns_sign_off=services.sign_off_required(area))
    if form.validate_on_submit():
        returns.set_sign_off_required(area, form.returns_sign_off.data, user=current_user)
        flash(_("The audit settings are saved"), "success")
        return redirect(url_for("audits.index", area_id=area.id))
    return render_template("audits/settings.html", area=area, form=form)


# -- scoring ----------------------------------------------------------------------------------


def _slug(code: str) -> str:
    """A statement code as an HTML id part: 1.6a -> 1-6a."""
    return code.replace(".", "-")


def _conflict_message(code):
    return _("Someone else saved an answer to %(code)s while you were editing it, so your answer was not saved. "
             "Their answer is shown below; yours is repeated here so you can enter it again.", code=code)


def _statement_state(row):
    return {
        "score": row.score if row is not None else None,
        "evidence": row.evidence if row is not None else "",
        "assurance": row.assurance if row is not None else "",
        "version": row.version if row is not None else 0,
        "error": None,
        "conflict": None,
    }


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/")
@requires(Perm.SCORE)
def scoring_start(area_id, audit_id, agency_id):
    """Start scoring at the first domain with blanks (or the first domain)."""
    _area, audit, _p, agency, _rows = _load_scoring(area_id, audit_id, agency_id)
    framework = _framework_or_404(audit)
    domains = services.progress(audit)[agency.id]["domains"]
    number = next((n for n, (scored, total) in sorted(domains.items()) if scored < total),
                  framework.domains[0].number)
    return redirect(url_for("audits.score", area_id=area_id, audit_id=audit_id, agency_id=agency_id, number=number))


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/domains/<int:number>",
          methods=["GET", "POST"])
@requires(Perm.SCORE)
def score(area_id, audit_id, agency_id, number):
    area, audit, participation, agency, _rows = _load_scoring(area_id, audit_id, agency_id)
    framework = _framework_or_404(audit)
    try:
        domain = framework.domain(number)
    except KeyError:
        abort(404)
    responses = services.responses_for_agency(audit, agency.id)
    domain_rows = services.domain_responses_for_agency(audit, agency.id)
    scored = domain.scored_statements
    states = {s.code: _statement_state(responses.get(s.code)) for s in scored}
    domain_row = domain_rows.get(domain.number)
    domain_state = {
        "comments": domain_row.comments if domain_row else "",
        "date_completed": domain_row.date_completed if domain_row else None,
        "version": domain_row.version if domain_row else 0,
        "error": {}, "conflict": None,
    }
    date_label = framework.field_label("date_completed", current_language(), _("Date completed"))
    date_form = _domain_date_form(date_label, domain_state["date_completed"])
    errors = []  # (message, href) for the error summary
    status = 200

    if request.method == "POST":
        form = FlaskForm()
        if not form.validate_on_submit():
            abort(400)
        if not audit.is_open:
            raise ConflictError(_("This audit is closed, so its scores can no longer change"))
        # 1. Read and check everything first: one bad input and nothing is saved.
        posted = {}
        for statement in scored:
            code, slug = statement.code, _slug(statement.code)
            raw_score = request.form.get(f"score-{code}")
            values = {"score": raw_score, "evidence": request.form.get(f"evidence-{code}", ""),
                      "assurance": request.form.get(f"assurance-{code}", ""),
                      "version": request.form.get(f"version-{code}", "0")}
            state = states[code]
            state.update(score=raw_score, evidence=values["evidence"], assurance=values["assurance"],
                         version=values["version"])
            try:
                parsed = {"score": services.parse_score(raw_score, framework),
                          "evidence": services.parse_text(values["evidence"], "evidence"),
                          "assurance": services.parse_text(values["assurance"], "assurance")}
            except ServiceError as error:
                field = next(iter(error.fields), "score")
                state["error"] = {"field": field, "message": error.message}
                anchor = f"score-{slug}-{framework.scale.min}" if field == "score" else f"{field}-{slug}"
                errors.append((f"{code}: {error.message}", f"#{anchor}"))
                continue
            posted[code] = (parsed, values["version"])
        comments = request.form.get("comments", "")
        date_completed, date_error = _read_domain_date(date_form)
        domain_state.update(comments=comments, date_completed=date_completed,
                            version=request.form.get("domain_version", "0"))
        try:
            parsed_domain = {"comments": services.parse_text(comments, "comments"),
                             "date_completed": date_completed}
        except ServiceError as error:
            for field, message in error.fields.items():
                domain_state["error"][field] = message
                errors.append((message, f"#{field}"))
            parsed_domain = None
        if date_error:  # next to the day, month and year boxes, and in the summary
            domain_state["error"]["date_completed"] = date_error
            date_form.date_completed.errors = [date_error]
            errors.append((date_error, "#date_completed-day"))
            parsed_domain = None

        if not errors:
            # 2. Save statement by statement; a conflict stops only that statement.
            conflicts = {}
            for statement in scored:
                code = statement.code
                parsed, version = posted[code]
                row = responses.get(code)
                current = (row.score, row.evidence, row.assurance) if row is not None else (None, "", "")
                if (parsed["score"], parsed["evidence"], parsed["assurance"]) == current:
                    continue  # unchanged: nothing to save, nothing to conflict with
                try:  # (version 0 where an answer now exists is a conflict too: the service says so)
                    services.save_response(audit, agency.id, code, **parsed, user=current_user,
                                           expected_version=version)
                except ConflictError:
                    conflicts[code] = parsed
            domain_conflict = None
            current_domain = ((domain_row.comments, domain_row.date_completed) if domain_row is not None
                              else ("", None))
            if (parsed_domain["comments"], parsed_domain["date_completed"]) != current_domain:
                try:
                    services.save_domain_response(audit, agency.id, domain.number, **parsed_domain,
                                                  user=current_user, expected_version=domain_state["version"])
                except ConflictError:
                    domain_conflict = {"comments": comments, "date_completed": date_completed}
            if not conflicts and domain_conflict is None:
                following = [d.number for d in framework.domains if d.number > domain.number]
                if request.form.get("action") == "next" and following:
                    flash(_("Domain %(n)d is saved", n=domain.number), "success")
                    return redirect(url_for("audits.score", area_id=area.id, audit_id=audit.id,
                                            agency_id=agency.id, number=following[0]))
                if request.form.get("action") == "submit" and participation.submitted_at is None:
                    return redirect(url_for("audits.submit", area_id=area.id, audit_id=audit.id, agency_id=agency.id))
                if request.form.get("action") == "next":
                    flash(_("Domain %(n)d is saved. When every statement has a score, submit %(agency)s’s "
                            "scores below.", n=domain.number, agency=agency.display_name), "success")
                    return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id)
                                    + f"#agency-{agency.id}")
                flash(_("Domain %(n)d is saved", n=domain.number), "success")
                return redirect(url_for("audits.score", area_id=area.id, audit_id=audit.id, agency_id=agency.id,
                                        number=domain.number))
            # 3. Some conflicts: show what is saved now, and the user's answers that were not saved.
            db.session.expire_all()
            responses = services.responses_for_agency(audit, agency.id)
            states = {s.code: _statement_state(responses.get(s.code)) for s in scored}
            for code, parsed in conflicts.items():
                states[code]["conflict"] = {"message": _conflict_message(code), "yours": parsed}
                errors.append((_("%(code)s: someone else changed it, your answer was not saved", code=code),
                               f"#statement-{_slug(code)}"))
            domain_row = services.domain_responses_for_agency(audit, agency.id).get(domain.number)
            domain_state = {
                "comments": domain_row.comments if domain_row else "",
                "date_completed": domain_row.date_completed if domain_row else None,
                "version": domain_row.version if domain_row else 0,
                "error": {}, "conflict": None,
            }
            date_form = _domain_date_form(date_label, domain_state["date_completed"])
            if domain_conflict is not None:
                domain_state["conflict"] = {
                    "message": _("Someone else changed the comments or date of this domain while you were "
                                 "editing them, so yours were not saved. Theirs are shown; yours are repeated "
                                 "here."),
                    "yours": domain_conflict,
                }
                errors.append((_("Comments: someone else changed them, yours were not saved"), "#comments"))
            status = 409

    previous = services.previous_responses_for_agency(audit, agency.id)  # one query, even for T1
    progress = services.progress(audit)[agency.id]
    return render_template(
        "audits/score.html", area=area, audit=audit, agency=agency, participation=participation,
        framework=framework, domain=domain, states=states, domain_state=domain_state, errors=errors,
        date_form=date_form,
        previous=previous, progress=progress, lang=current_language(), slug=_slug, editable=audit.is_open,
        conflicted=status == 409,
    ), status


