"""CARM pages: thin views over ``services``. Case pages are for case workers (and admins) only:
everyone else gets 404, board managers included (they see the aggregates on the home page)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hsbtrack.actions.services import owner_choices
from hsbtrack.areas.roles import Perm
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import apply_service_errors
from hsbtrack.permissions import Target, loaded, record_loader, requires
from hsbtrack.plugins.blueprints import area_plugin_blueprint
from hsbtrack.timeutil import today
from hsbtrack.views_support import current_area, term

from . import services
from .forms import CaseForm, ClassificationForm, MeetingForm, PlanActionForm, StageForm
from .services import CASE_PERM

bp = area_plugin_blueprint("scotland", __name__)


def _area():
    return current_area()


@record_loader("case_id", blueprint="scotland")
def _load_case(case_id):
    case = db.session.get(services.CarmCase, case_id)
    return Target(case, area_id=case.area_id) if case is not None else None


def _case(case_id):
    """The case, loaded and checked by ``requires(CASE_PERM)`` (case workers and admins); every read
    is logged."""
    area, case = _area(), loaded("case_id")
    if request.method == "GET":
        services.log_read(case, current_user, request.endpoint.split(".")[-1])
    return area, case


def _people(area):
    return [("", _("Choose a person"))] + [(str(u.id), u.display_name) for u in owner_choices(area, restricted_to=CASE_PERM)]


def _saved(form, call, check=None):
    """Run ``call`` when the form parses; show the service's messages next to the fields. When the
    form itself is wrong (a date that is not a real date), ``check`` (validation only, saving
    nothing) still reports every other problem at once."""
    if not form.validate_on_submit():
        if not form.is_submitted():
            return None, 200
        if check is not None:
            try:
                check()
            except ServiceError as error:
                fields = {k: v for k, v in error.fields.items() if not getattr(form, k, None) or not form[k].errors}
                if fields:
                    apply_service_errors(form, ServiceError(error.message, fields))
        return None, 422
    try:
        return call(), 200
    except ServiceError as error:
        apply_service_errors(form, error)
        return None, error.status


@bp.route("/")
@requires(Perm.VIEW_AREA)
def home():
    area = _area()
    worker = services.is_case_worker(current_user, area)
    return render_template("scotland/home.html", area=area, worker=worker,
                           cases=services.cases_for_area(area) if worker else [],
                           data=services.aggregates(area), labels=services.group_labels(), shown=services.shown,
                           stages=services.STAGES, levels=services.LEVELS)


@bp.route("/cases/new", methods=["GET", "POST"])
@requires(CASE_PERM)
def new_case():
    area = _area()
    form = CaseForm()
    form.lead_professional_id.choices = _people(area)
    lead = _term("lead_professional")
    form.lead_professional_id.label.text = lead[:1].upper() + lead[1:]
    case, status = _saved(form, lambda: services.create_case(area, form.data, user=current_user),
                          check=lambda: services.validate_case(area, form.data))
    if case is not None:
        flash(_("Case %(ref)s has been added", ref=case.reference), "success")
        return redirect(url_for("scotland.case", case_id=case.id))
    return render_template("scotland/case_form.html", area=area, form=form), status


def _term(key):
    return term(key)


@bp.route("/cases/<int:case_id>")
@requires(CASE_PERM)
def case(case_id):
    area, case = _case(case_id)
    meetings = services.meetings(case)
    return render_template(
        "scotland/case.html", area=area, case=case, events=services.stage_events(case), meetings=meetings,
        missing={m.id: services.missing_core(m) for m in meetings}, classifications=services.classifications(case),
        plan=services.plan_actions(case), s=services, next_stages=services.next_stages(case), today=today())


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@requires(CASE_PERM)
def edit_case(case_id):
    area, case = _case(case_id)
    form = CaseForm() if request.method == "POST" else CaseForm(obj=case)
    form.lead_professional_id.choices = _people(area)
    if request.method == "GET":
        form.lead_professional_id.data = str(case.lead_professional_id or "")
    lead = _term("lead_professional")
    form.lead_professional_id.label.text = lead[:1].upper() + lead[1:]
    saved, status = _saved(form, lambda: services.update_case(area, case, form.data, user=current_user),
                           check=lambda: services.validate_case(area, form.data, case))
    if saved is not None:
        flash(_("Case %(ref)s has been saved", ref=case.reference), "success")
        return redirect(url_for("scotland.case", case_id=case.id))
    return render_template("scotland/case_form.html", area=area, form=form, case=case), status


@bp.route("/cases/<int:case_id>/stage", methods=["GET", "POST"])
@requires(CASE_PERM)
def stage(case_id):
    area, case = _case(case_id)
    form = StageForm()
    form.stage.choices = [(k, services.STAGES[k]) for k in services.next_stages(case)]
    if case.stage == "closed":
        abort(404)
    result, status = _saved(form, lambda: services.move_to(case, form.stage.data, form.on.data,
                                                           reason=form.reason.data, note=form.note.data,
                                                           user=current_user))
    if result is not None:
        flash(_("Case %(ref)s is now at: %(stage)s", ref=case.reference, stage=services.STAGES[case.stage]), "success")
        return redirect(url_for("scotland.case", case_id=case.id))
    return render_template("scotland/stage.html", area=area, case=case, form=form, s=services), status


@bp.route("/cases/<int:case_id>/meetings/new", methods=["GET", "POST"])
@requires(CASE_PERM)
def new_meeting(case_id):
    area, case = _case(case_id)
    form = MeetingForm()
    meeting, status = _saved(form, lambda: services.add_meeting(case, form.data, user=current_user))
    if meeting is not None:
        missing = services.missing_core(meeting)
        if missing:
            flash(_("The meeting has been saved. Core members missing: %(agencies)s",
                    agencies=", ".join(str(services.CORE_AGENCIES[k]) for k in missing)), "warning")
        else:
            flash(_("The meeting has been saved"), "success")
        return redirect(url_for("scotland.case", case_id=case.id))
    return render_template("scotland/meeting_form.html", area=area, case=case, form=form), status


@bp.route("/cases/<int:case_id>/classification", methods=["GET", "POST"])
@requires(CASE_PERM)
def classification(case_id):
    area, case = _case(case_id)
    form = ClassificationForm()
    entry, status = _saved(form, lambda: services.classify(case, form.level.data, form.on.data, form.reason.data,
                                                           user=current_user))
    if entry is not None:
        flash(_("Risk classification of %(ref)s: %(level)s", ref=case.reference, level=services.LEVELS[entry.level]),
              "success")
        return redirect(url_for("scotland.case", case_id=case.id))
    return render_template("scotland/classification_form.html", area=area, case=case, form=form), status


@bp.route("/cases/<int:case_id>/plan/new", methods=["GET", "POST"])
@requires(CASE_PERM)
def new_plan_action(case_id):
    area, case = _case(case_id)
    form = PlanActionForm()
    form.owner.choices = _people(area)
    if request.method == "GET" and request.args.get("section") in services.PLAN_SECTIONS:
        form.section.data = request.args["section"]

    def create():
        owner = next((u for u in owner_choices(area, restricted_to=CASE_PERM) if str(u.id) == form.owner.data), None)
        if owner is None:
            raise ServiceError.field("owner", _("Choose an owner"))
        return services.add_plan_action(area, case, form.section.data, title=form.title.data, owner=owner,
                                        due_on=form.due_on.data, user=current_user)

    action, status = _saved(form, create)
    if action is not None:
        flash(_("%(title)s has been added to the risk management plan", title=action.title), "success")
        return redirect(url_for("scotland.case", case_id=case.id))
    return render_template("scotland/plan_form.html", area=area, case=case, form=form), status


@bp.route("/cases/<int:case_id>/access-log")
@requires(CASE_PERM)
def access_log(case_id):
    area, case = _case(case_id)
    return render_template("scotland/access_log.html", area=area, case=case, rows=services.access_log(case),
                           pages=services.PAGES)
