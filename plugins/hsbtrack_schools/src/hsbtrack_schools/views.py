"""Pages of the schools plugin: thin, every rule is in ``services``."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hsbtrack.areas.models import Area
from hsbtrack.areas.roles import Perm
from hsbtrack.auth.services import invite
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import apply_service_errors
from hsbtrack.permissions import Target, can, loaded, record_loader, requires
from hsbtrack.plugins.blueprints import area_plugin_blueprint
from hsbtrack.views_support import current_area

from . import services
from .checklist import AREA_KEYS
from .forms import CsrfForm, ImportForm, LeadForm, LocalItemForm
from .models import HARMS, RATINGS, SOURCES, Round, School

bp = area_plugin_blueprint("schools", __name__)


def _labels() -> dict:
    return {"phases": services.phase_labels(), "ratings": services.rating_labels(),
            "sources": services.source_labels(), "harms": services.harm_labels(),
            "checklists": services.checklist_labels(), "RATINGS": RATINGS, "SOURCES": SOURCES, "HARMS": HARMS}


def _render(template, **context):
    return render_template(template, area=current_area(), **_labels(), **context)


def _require_view_all():
    if not services.can_view_all(current_user, current_area()):
        abort(404)


def _require_manage():
    if not services.can_manage(current_user, current_area()):
        abort(403)


# The records of this plugin's URLs, for the permission check (hsbtrack.permissions): a school lead
# sees only its own schools (and their rounds); the partnership's checklist only those who read the
# whole area's picture. Without that, the record does not exist for the reader (404).


@record_loader("school_id", blueprint="schools")
def _load_school(school_id):
    school = db.session.get(School, school_id)
    if school is None:
        return None
    area = db.session.get(Area, school.area_id)
    return Target(school, area_id=school.area_id, visible=lambda user: services.can_see_school(user, area, school))


@record_loader("round_id", blueprint="schools")
def _load_round(round_id):
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        return None

    area = db.session.get(Area, round_.area_id)

    def visible(user):
        if round_.school is not None:
            return services.can_see_school(user, area, round_.school)
        return services.can_view_all(user, area)

    return Target(round_, area_id=round_.area_id, visible=visible)


def _school(school_id) -> School:
    return loaded("school_id")


def _round(round_id) -> Round:
    return loaded("round_id")


def _require_assess(round_):
    if not services.can_assess(current_user, current_area(), round_.school):
        abort(403)


@bp.route("/")
@requires(Perm.VIEW_AREA)
def home():
    area = current_area()
    schools = services.visible_schools(current_user, area)
    latest = services.latest_rounds(area, "school")
    definition = services.checklist_for(area, "school")
    ratings = services.ratings_for([latest[s.id].id for s in schools if s.id in latest])
    progress = {latest[s.id].id: services.progress(definition, ratings[latest[s.id].id]) for s in schools if s.id in latest}
    return _render("schools/home.html", schools=schools, latest=latest, progress=progress,
                   leads=services.leads_by_school([s.id for s in schools]),
                   view_all=services.can_view_all(current_user, area), manage=services.can_manage(current_user, area))


@bp.route("/import", methods=["GET", "POST"])
@requires(Perm.MANAGE_AREA)
def import_schools():
    _require_manage()
    form, result, rows = ImportForm(), None, []
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            form.file.errors = [_("Choose a CSV file")]
        elif not upload.filename.lower().endswith((".csv", ".txt")):
            form.file.errors = [_("The file must be a CSV file (its name ends in .csv)")]
        else:
            try:
                result = services.import_schools(current_area(), upload.read(), user=current_user)
            except services.ImportFailed as error:
                form.file.errors = [error.message]
                rows = error.rows
            else:
                flash(_("Imported: %(created)d schools added, %(updated)d updated", created=result.created,
                        updated=result.updated), "success")
                return redirect(url_for("schools.home"))
    return _render("schools/import.html", form=form, rows=rows)


@bp.route("/<int:school_id>/", methods=["GET", "POST"])
@requires(Perm.VIEW_AREA, POST=Perm.MANAGE_AREA)
def school(school_id):
    area = current_area()
    school = _school(school_id)
    form = LeadForm()
    manage = services.can_manage(current_user, area)
    if request.method == "POST":
        _require_manage()
        if form.validate_on_submit():
            try:
                lead, created = services.add_lead(area, school, form.email.data, form.name.data, user=current_user)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                invite(lead, created, inviter=current_user)
                flash(_("%(email)s now leads %(school)s", email=lead.email, school=school.name), "success")
                return redirect(url_for("schools.school", school_id=school.id))
    rounds = services.rounds_of(area, school)
    definition = services.checklist_for(area, "school")
    ratings = services.ratings_for([r.id for r in rounds])
    progress = {r.id: services.progress(definition, ratings[r.id]) for r in rounds}
    return _render("schools/school.html", school=school, rounds=rounds, progress=progress, form=form, manage=manage,
                   assess=services.can_assess(current_user, area, school), start_form=CsrfForm(),
                   leads=services.leads_by_school([school.id]).get(school.id, []))


@bp.route("/<int:school_id>/rounds", methods=["POST"])
@requires(services.ASSESS)
def start_round(school_id):
    school = _school(school_id)
    if not services.can_assess(current_user, current_area(), school):
        abort(403)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        round_ = services.start_round(current_area(), school, user=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("schools.school", school_id=school.id))
    flash(_("Round %(n)d started", n=round_.number), "success")
    return redirect(url_for("schools.round", round_id=round_.id))


@bp.route("/partnership", methods=["GET", "POST"])
@requires(Perm.READ_AUDIT, POST=Perm.MANAGE_AREA)
def partnership():
    _require_view_all()
    area = current_area()
    form = CsrfForm()
    if request.method == "POST":
        _require_manage()
        if form.validate_on_submit():
            try:
                round_ = services.start_round(area, None, user=current_user)
            except ServiceError as error:
                flash(error.message, "error")
                return redirect(url_for("schools.partnership"))
            flash(_("Round %(n)d started", n=round_.number), "success")
            return redirect(url_for("schools.round", round_id=round_.id))
    rounds = services.rounds_of(area, None, "partnership")
    definition = services.checklist_for(area, "partnership")
    ratings = services.ratings_for([r.id for r in rounds])
    progress = {r.id: services.progress(definition, ratings[r.id]) for r in rounds}
    return _render("schools/partnership.html", rounds=rounds, progress=progress, form=form, definition=definition,
                   manage=services.can_manage(current_user, area))


@bp.route("/rounds/<int:round_id>/")
@requires(Perm.VIEW_AREA)
def round(round_id):
    area = current_area()
    round_ = _round(round_id)
    definition = services.checklist_for(area, round_.checklist)
    ratings = services.ratings_for([round_.id])[round_.id]
    return _render("schools/round.html", round=round_, definition=definition,
                   progress=services.progress(definition, ratings),
                   assess=services.can_assess(current_user, area, round_.school), form=CsrfForm(),
                   previous=services.previous_round(round_))


@bp.route("/rounds/<int:round_id>/areas/<section>", methods=["GET", "POST"])
@requires(Perm.VIEW_AREA, POST=services.ASSESS)
def section(round_id, section):
    area = current_area()
    round_ = _round(round_id)
    definition = services.checklist_for(area, round_.checklist)
    if section not in AREA_KEYS:
        abort(404)
    part = definition.area(section)
    assess = services.can_assess(current_user, area, round_.school)
    form, errors, conflict = CsrfForm(), {}, None
    ratings = services.ratings_for([round_.id])[round_.id]
    values = {code: {"rating": r.rating, "sources": r.sources, "notes": r.notes} for code, r in ratings.items()}
    if request.method == "POST":
        if not assess:
            abort(403)
        if form.validate_on_submit():
            values = {item.code: {"rating": request.form.get(f"{item.code}-rating", ""),
                                  "sources": request.form.getlist(f"{item.code}-sources"),
                                  "notes": request.form.get(f"{item.code}-notes", "")} for item in part.items}
            try:
                services.save_section(area, round_, section, values, user=current_user,
                                      expected_stamp=request.form.get("stamp"))
            except ConflictError as error:
                conflict = error.message
                values = {code: {"rating": r.rating, "sources": r.sources, "notes": r.notes}
                          for code, r in ratings.items()}
            except ServiceError as error:
                errors = error.fields
            else:
                flash(_("%(area)s saved", area=part.title), "success")
                keys = [a.key for a in definition.areas]
                following = keys[keys.index(section) + 1] if keys.index(section) + 1 < len(keys) else None
                if following and request.form.get("next") == "1":
                    return redirect(url_for("schools.section", round_id=round_.id, section=following))
                return redirect(url_for("schools.round", round_id=round_.id))
    previous = services.previous_round(round_)
    before = services.ratings_for([previous.id])[previous.id] if previous else {}
    return _render("schools/section.html", round=round_, definition=definition, part=part, values=values,
                   errors=errors, form=form, assess=assess, previous=previous, conflict=conflict,
                   stamp=services.section_stamp(ratings, [i.code for i in part.items]),
                   before={code: r.rating for code, r in before.items()}), (409 if conflict else 422 if errors else 200)


@bp.route("/rounds/<int:round_id>/harms", methods=["GET", "POST"])
@requires(Perm.VIEW_AREA, POST=services.ASSESS)
def harms(round_id):
    area = current_area()
    round_ = _round(round_id)
    if round_.school is None:
        abort(404)
    assess = services.can_assess(current_user, area, round_.school)
    form, errors = CsrfForm(), {}
    values = {k: str(v) for k, v in services.harm_counts([round_.id])[round_.id].items()}
    if request.method == "POST":
        if not assess:
            abort(403)
        if form.validate_on_submit():
            values = {k: request.form.get(k, "") for k in HARMS}
            try:
                services.save_harms(area, round_, values, user=current_user)
            except ServiceError as error:
                errors = error.fields
            else:
                flash(_("Counts saved"), "success")
                return redirect(url_for("schools.round", round_id=round_.id))
    return _render("schools/harms.html", round=round_, values=values, errors=errors, form=form,
                   assess=assess), (422 if errors else 200)


@bp.route("/rounds/<int:round_id>/complete", methods=["POST"])
@requires(services.ASSESS)
def complete(round_id):
    round_ = _round(round_id)
    _require_assess(round_)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        services.complete_round(current_area(), round_, user=current_user)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("Round %(n)d marked complete", n=round_.number), "success")
    return redirect(url_for("schools.scorecard", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/scorecard")
@requires(Perm.VIEW_AREA)
def scorecard(round_id):
    area = current_area()
    round_ = _round(round_id)
    return _render("schools/scorecard.html", round=round_, data=services.scorecard(area, round_),
                   make_actions=can(current_user, Perm.EDIT_ACTIONS, area.id), form=CsrfForm())


@bp.route("/rounds/<int:round_id>/items/<code>/action", methods=["POST"])
@requires(Perm.EDIT_ACTIONS)
def item_action(round_id, code):
    area = current_area()
    round_ = _round(round_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        action = services.make_action(area, round_, code, owner=current_user, user=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("schools.scorecard", round_id=round_.id))
    flash(_("Action added to the action plan"), "success")
    return redirect(url_for("actions.detail", area_id=area.id, action_id=action.id))


@bp.route("/rollup")
@requires(Perm.READ_AUDIT)
def rollup():
    _require_view_all()
    area = current_area()
    data = services.rollup(area)
    actions = services.item_actions([r.id for _s, r, _i in data["red_items"]])
    return _render("schools/rollup.html", data=data, actions=actions, form=CsrfForm(),
                   manage=services.can_manage(current_user, area))


@bp.route("/local-items", methods=["GET", "POST"])
@requires(Perm.READ_AUDIT, POST=Perm.MANAGE_AREA)
def local_items():
    _require_view_all()
    area = current_area()
    form = LocalItemForm()
    manage = services.can_manage(current_user, area)
    if request.method == "POST":
        _require_manage()
        if form.validate_on_submit():
            try:
                item = services.add_local_item(area, form.checklist.data, form.section.data, form.text.data,
                                               user=current_user)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                flash(_("Item %(code)s added", code=item.code), "success")
                return redirect(url_for("schools.local_items"))
    return _render("schools/local_items.html", form=form, items=services.local_items(area), manage=manage,
                   school_checklist=services.checklist_for(area, "school"),
                   partnership_checklist=services.checklist_for(area, "partnership"))
