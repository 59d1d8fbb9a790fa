"""Action plan pages: findings to actions, the plan, an action, my actions, a statement across cycles,
and the plan's exports (XLSX, CSV, printable board paper).

Everyone with a role in the area reads these pages; users with ``Perm.EDIT_ACTIONS`` (board managers,
regional coordinators, admins) create and edit actions and decide findings; an action's owner may
change its status, progress and completion evidence and post progress updates. Every rule lives in
:mod:`hsbtrack.actions.services`; each page runs a fixed number of queries whatever the number of
actions, statements or cycles.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hsbtrack.actions import documents as action_documents
from hsbtrack.actions import (
    exports,
    loaders,  # noqa: F401  (the action_id loader)
    services,
)
from hsbtrack.actions.forms import (
    AcceptFindingsForm,
    ActionForm,
    DismissFindingForm,
    LinkFindingForm,
    OwnerUpdateForm,
    ProgressUpdateForm,
    owner_label,
)
from hsbtrack.actions.models import CLOSED_STATUSES, Action, ActionUpdate, FindingDecision
from hsbtrack.areas.roles import Perm
from hsbtrack.areas.services import add_area_member
from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.audits import services as audits
from hsbtrack.audits.models import Audit
from hsbtrack.auth.models import User
from hsbtrack.auth.services import invite
from hsbtrack.documents.forms import DocumentUploadForm
from hsbtrack.documents.models import COMPLETION
from hsbtrack.downloads.services import logged_as_download
from hsbtrack.errors import ConflictError, ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import apply_service_errors
from hsbtrack.history import services as history
from hsbtrack.i18n import current_language
from hsbtrack.permissions import can, loaded, requires, visible_area_ids
from hsbtrack.storage.limits import takes_documents
from hsbtrack.timeutil import today
from hsbtrack.views_support import scored_statement_or_404, set_current_area, url_each

bp = Blueprint("actions", __name__)

MAX_CYCLES_ON_ACTION = 3  # T1 → T2 → T3 beside an action's statements




# -- helpers ----------------------------------------------------------------------------------


def _framework(slug):
    try:
        return audits.catalogue().get(slug)
    except KeyError:
        return None


def _load_audit(area_id: int, audit_id: int):
    """The area and its audit, as loaded and checked by ``requires``."""
    return set_current_area(loaded("area_id")), loaded("audit_id")


def _load_action(area_id: int, action_id: int):
    """The area and its action, as loaded and checked by ``requires`` (the action's wall included)."""
    return set_current_area(loaded("area_id")), loaded("action_id")


def _owner_choices(area, current=None):
    users = services.owner_choices(area)
    choices = [("", _("Choose an owner"))] + [(str(u.id), owner_label(u)) for u in users]
    if current is not None and all(u.id != current.id for u in users):
        choices.append((str(current.id), owner_label(current)))  # e.g. an owner who has since left the area
    return choices


def _agency_choices(area):
    return [("", _("No agency"))] + [(str(a.id), a.display_name) for a in area.agencies]


def _priority_choices():
    return list(services.priority_labels().items())


def _status_choices():
    return list(services.status_labels().items())


def _owner_or_none(area, owner_id):
    """The chosen owner, or None: the service then reports the problem on the owner field."""
    try:
        return services.resolve_owner(area, owner_id=owner_id)
    except ServiceError:
        return None


def _ready(form) -> bool:
    """The form is valid, or wrong only in its date. In the second case the service is still called (with no
    date, so it saves nothing) to report every other problem at once, beside the date's own message."""
    if form.validate_on_submit():
        return True
    return form.is_submitted() and set(form.errors) == {"due_on"}


def _show_errors(form, error) -> None:
    """The service's messages next to the fields; the form's own date message wins over the service's."""
    fields = {k: v for k, v in error.fields.items() if not (k == "due_on" and form.due_on.errors)}
    if fields or not form.errors:
        apply_service_errors(form, ServiceError(error.message, fields))


def score_change(previous, current) -> str | None:
    """"up 2", "down 1", "no change" between two cycles (None when either is missing)."""
    if previous is None or current is None:
        return None
    if current > previous:
        return _("up %(n)d", n=current - previous)
    if current < previous:
        return _("down %(n)d", n=previous - current)
    return _("no change")


def score_trail(cycle_audits, results, code) -> list[dict]:
    """A statement's agreed score through the cycles, with the change from the cycle before."""
    trail, previous = [], None
    for audit in cycle_audits:
        result = results[audit.id].by_code.get(code)
        agreed = result.agreed if result is not None else None
        trail.append({"audit": audit, "result": result, "agreed": agreed, "previous": previous,
                      "change": score_change(previous, agreed)})
        previous = agreed
    return trail


def _parse_int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def plan_filters(args, framework) -> services.PlanFilter:
    """The plan's filters from the query string (the API's rule; values it does not know are dropped)."""
    return services.plan_filter(
        framework, status=args.get("status"), overdue=(args.get("overdue") or "").lower() in ("1", "true", "on", "yes"),
        statement=args.get("statement"), domain=_parse_int(args.get("domain")), owner_id=_parse_int(args.get("owner")),
        agency_id=_parse_int(args.get("agency")), sort=args.get("sort"))


def _filter_args(filters) -> dict:
    """The query string of ``filters`` (for the export links), without defaults."""
    args = {"status": filters.status, "statement": filters.statement, "domain": filters.domain,
            "owner": filters.owner_id, "agency": filters.agency_id,
            "overdue": "1" if filters.overdue else None, "sort": filters.sort if filters.sort != "due_on" else None}
    return {k: v for k, v in args.items() if v not in (None, "")}


# -- findings to actions ----------------------------------------------------------------------


def _accept_form(area, formdata=None):
    form = AcceptFindingsForm() if formdata is not None else AcceptFindingsForm(formdata=None)
    form.owner.choices = _owner_choices(area)
    form.agency_id.choices = _agency_choices(area)
    form.priority.choices = _priority_choices()
    if formdata is None:
        form.due_on.data = audits.add_months(today(), 3)
        form.priority.data = "medium"
        form.grouping.data = "each"
    return form


def _render_findings(area, audit, accept_form=None, dismiss_form=None, title_errors=None, link_form=None, status=200):
    """The findings page: one list of the audit's findings, each with its decision or, undecided, the
    open actions already on its statement ("Add to this action"), a "New action" choice for the form
    after the list, and "Dismiss"."""
    framework = audits.framework_of(audit)
    lang = current_language()
    items = services.findings(audit, lang)
    edit = can(current_user, Perm.EDIT_ACTIONS, area.id)
    if accept_form is None and edit:
        accept_form = _accept_form(area)
    action_ids = [f.decision.action_id for f in items if f.decision is not None and f.decision.action_id]
    accepted = {action_id: title for action_id, title in db.session.execute(
        select(Action.id, Action.title).where(Action.id.in_(action_ids)))} if action_ids else {}
    undecided = [f for f in items if f.decision is None]
    open_actions = services.open_actions_for_findings(audit, [f.code for f in undecided], reader=current_user)
    labels = {a.id: a.label for a in audits.audits_for_area(area.id, audit.framework)}
    error_form = None
    if link_form is not None and link_form.errors:
        error_form = link_form
    elif dismiss_form is not None and dismiss_form.errors:
        error_form = dismiss_form
    elif accept_form is not None and accept_form.errors:
        error_form = accept_form
    return render_template(
        "actions/findings.html", area=area, audit=audit, framework=framework, findings=items, undecided=undecided,
        accepted=accepted, edit=edit, accept_form=accept_form, dismiss_form=dismiss_form, form=error_form,
        open_actions=open_actions, audit_labels=labels, statuses=services.status_labels(), today=today(),
        title_errors=title_errors or {}, threshold=audits.low_score_threshold(area), lang=lang,
        chosen=set(accept_form.codes.data or []) if accept_form is not None and accept_form.codes.data else set(),
        posted_titles={f.code: request.form.get(f"title-{f.code}") for f in undecided}
        if request.method == "POST" else {},
    ), status


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/findings", methods=["GET", "POST"])
@requires(Perm.READ_AUDIT, POST=Perm.EDIT_ACTIONS)
def findings(area_id, audit_id):
    area, audit = _load_audit(area_id, audit_id)
    if request.method == "GET":
        return _render_findings(area, audit)
    form = _accept_form(area, formdata=request.form)
    title_errors = {}
    if _ready(form):
        merge = form.grouping.data == "merge"
        codes = [c for c in (form.codes.data or []) if c]
        try:
            actions = services.accept_findings(
                audit, codes, owner=_owner_or_none(area, form.owner.data), due_on=form.due_on.data,
                title=((form.title.data or "").strip() or None) if merge else None,
                titles={code: request.form.get(f"title-{code}", "") for code in codes},
                description=form.description.data or "", agency_id=form.agency_id.data or None,
                priority=form.priority.data or "medium", merge=merge, user=current_user,
                record_overdue=bool(form.record_overdue.data), lang=current_language())
        except ServiceError as error:
            title_errors = {k[len("title-"):]: v for k, v in error.fields.items() if k.startswith("title-")}
            others = {k: v for k, v in error.fields.items() if not k.startswith("title-")}
            if others or not title_errors:
                _show_errors(form, ServiceError(error.message, others))
            # each title's error in the summary too, linking to its input (every error at once)
            form.extra_errors = {f"title-{code.replace('.', '-')}": [message] for code, message in title_errors.items()}
            status = 422 if form.due_on.errors else error.status
            return _render_findings(area, audit, accept_form=form, title_errors=title_errors, status=status)
        flash(ngettext("%(num)d action created from the findings", "%(num)d actions created from the findings",
                       len(actions)), "success")
        return redirect(url_for("actions.findings", area_id=area.id, audit_id=audit.id))
    return _render_findings(area, audit, accept_form=form, status=422)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/findings/link", methods=["POST"])
@requires(Perm.EDIT_ACTIONS)
def link_finding(area_id, audit_id):
    """“Add to this action”: the finding is answered by an action already open on its statement."""
    area, audit = _load_audit(area_id, audit_id)
    form = LinkFindingForm()
    code = (form.code.data or "").strip()
    action = db.session.get(Action, _parse_int(form.action_id.data)) if _parse_int(form.action_id.data) else None
    status = 422
    if form.validate_on_submit():
        try:
            if action is None:
                raise ServiceError.field("action_id", _("Choose an action of %(area)s", area=area.display_name))
            services.add_finding_to_action(audit, code, action, user=current_user)
        except ServiceError as error:
            db.session.rollback()
            form.code.errors = [next(iter(error.fields.values()), error.message)]
            status = error.status
        else:
            flash(_("%(code)s has been added to “%(title)s”", code=code, title=action.title), "success")
            return redirect(url_for("actions.findings", area_id=area.id, audit_id=audit.id) + f"#finding-{code.replace('.', '-')}")
    form.code.id = f"finding-{code.replace('.', '-')}"  # the summary's link goes to the finding
    return _render_findings(area, audit, link_form=form, status=status)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/findings/dismiss", methods=["POST"])
@requires(Perm.EDIT_ACTIONS)
def dismiss_finding(area_id, audit_id):
    area, audit = _load_audit(area_id, audit_id)
    form = DismissFindingForm()
    code = (form.code.data or "").strip()
    if form.validate_on_submit():
        try:
            services.dismiss_finding(audit, code, form.reason.data, user=current_user)
        except ServiceError as error:
            form.reason.errors = [*list(form.reason.errors or []), next(iter(error.fields.values()), error.message)]
            status = error.status
        else:
            flash(_("%(code)s has been dismissed: the reason is kept", code=code), "success")
            return redirect(url_for("actions.findings", area_id=area.id, audit_id=audit.id))
    else:
        status = 422
    form.reason.id = f"reason-{code.replace('.', '-')}"
    return _render_findings(area, audit, dismiss_form=form, status=status)


# -- the action plan --------------------------------------------------------------------------


# The tag colour of each status, for the status_tag macro and the plan's rows.
STATUS_TAG_CLASSES = {"not_started": "govuk-tag--grey", "in_progress": "", "blocked": "govuk-tag--orange",
                      "done": "govuk-tag--green", "cancelled": "govuk-tag--purple"}
bp.add_app_template_global(STATUS_TAG_CLASSES, "status_tag_classes")


class PlanRows:
    """The rows of the action plan's tables: the same markup as the macros status_tag, overdue_flag,
    due, progress_text and statement_links of actions/_macros.html give, built here because a page
    has fifty rows and Jinja's work per cell was the larger part of the page (make bench). Links are
    built from one url_for per route, texts translated once."""

    def __init__(self, area_id: int, statuses: dict, on):
        self.detail_url = url_each("actions.detail", "action_id", area_id=area_id)
        self.statement_url = url_each("actions.statement", "code", area_id=area_id)
        self.statement_text = escape(_("Statement"))
        self.overdue = f'<strong class="govuk-tag govuk-tag--red hsb-overdue" data-overdue>{escape(_("Overdue"))}</strong>'
        self.progress_format = _("%(n)d%%")
        self.statuses = statuses
        self.on = on

    def __call__(self, action) -> Markup:
        status = action.status
        links = ", ".join(f'<a class="govuk-link hsb-code" href="{escape(self.statement_url(code))}"><span '
                          f'class="govuk-visually-hidden">{self.statement_text} </span>{escape(code)}</a>'
                          for code in action.codes)
        return Markup(  # noqa: S704  # nosec B704  # every value below is escaped
            f'<tr class="govuk-table__row" data-action="{escape(action.id)}">\n'
            f'<th scope="row" class="govuk-table__header govuk-!-font-weight-regular"><a class="govuk-link" '
            f'href="{escape(self.detail_url(action.id))}">{escape(action.title)}</a></th>\n'
            f'<td class="govuk-table__cell">{links}</td>\n'
            f'<td class="govuk-table__cell">{escape(action.owner.display_name) if action.owner else ""}</td>\n'
            f'<td class="govuk-table__cell">{escape(action.agency.display_name) if action.agency else "–"}</td>\n'
            f'<td class="govuk-table__cell"><span class="hsb-nowrap">{escape(format_date(action.due_on, "d MMM yyyy"))}'
            f'</span> {self.overdue if action.is_overdue(self.on) else ""}</td>\n'
            f'<td class="govuk-table__cell"><strong class="govuk-tag {STATUS_TAG_CLASSES.get(status, "govuk-tag--grey")} '
            f'hsb-action-status" data-status="{escape(status)}">{escape(self.statuses.get(status, status))}</strong></td>\n'
            f'<td class="govuk-table__cell govuk-table__cell--numeric"><span class="hsb-nowrap" '
            f'data-progress="{escape(action.progress)}">{escape(self.progress_format % {"n": action.progress})}</span></td>\n'
            "</tr>")


@bp.route("/areas/<int:area_id>/actions/")
@requires(Perm.READ_ACTIONS)
def plan(area_id):
    area = set_current_area(loaded("area_id"))
    framework = _framework(audits.DEFAULT_FRAMEWORK)
    filters = plan_filters(request.args, framework)
    data = exports.gather(area, filters, lang=current_language(), page=request.args.get("page", 1, type=int), reader=current_user)
    owners = services.owner_choices(area)
    statuses = services.status_labels()
    return render_template(
        "actions/plan.html", area=area, data=data, filters=filters, framework=framework, owners=owners,
        area_audits=audits.audits_for_area(area.id),
        edit=can(current_user, Perm.EDIT_ACTIONS, area.id), filter_args=_filter_args(filters),
        statuses=statuses, priorities=services.priority_labels(), sorts=exports.sort_labels(),
        owner_label=owner_label, lang=current_language(), plan_row=PlanRows(area.id, statuses, data.on),
    )


@bp.route("/areas/<int:area_id>/actions/board-paper")
@requires(Perm.READ_ACTIONS)
@logged_as_download("actions.board_paper")
def board_paper(area_id):
    area = set_current_area(loaded("area_id"))
    filters = plan_filters(request.args, _framework(audits.DEFAULT_FRAMEWORK))
    data = exports.gather(area, filters, lang=current_language(), overdue_first=True, reader=current_user)
    docs = action_documents.documents_for_actions([a.id for a in data.actions])  # (two queries)
    return render_template("actions/board_paper.html", area=area, data=data, filters=filters,
                           statuses=services.status_labels(), priorities=services.priority_labels(),
                           filter_args=_filter_args(filters), lang=current_language(),
                           completion_documents={action_id: d[COMPLETION] for action_id, d in docs.items()})


@bp.route("/areas/<int:area_id>/actions/export.xlsx")
@requires(Perm.READ_ACTIONS)
def export_xlsx(area_id):
    area = loaded("area_id")
    filters = plan_filters(request.args, _framework(audits.DEFAULT_FRAMEWORK))
    return exports.download(area, filters, "xlsx", lang=current_language(), reader=current_user)


@bp.route("/areas/<int:area_id>/actions/export.csv")
@requires(Perm.READ_ACTIONS)
def export_csv(area_id):
    area = loaded("area_id")
    filters = plan_filters(request.args, _framework(audits.DEFAULT_FRAMEWORK))
    return exports.download(area, filters, "csv", lang=current_language(), reader=current_user)


# -- adding and editing -----------------------------------------------------------------------


def _statement_choices(framework, lang):
    return [(s.code, f"{s.code} {s.text_for(lang)}") for s in framework.scored_statements]


def _prepare_action_form(form, area, framework, current_owner=None):
    form.owner.choices = _owner_choices(area, current_owner)
    form.agency_id.choices = _agency_choices(area)
    form.priority.choices = _priority_choices()
    form.status.choices = _status_choices()
    form.statements.choices = _statement_choices(framework, current_language())


def _create_with_owner(area, form):
    """Create the action; with an email address, invite that person first (only once every other field is
    valid, so that a rejected action leaves no new account behind). Returns (action, invited user or None)."""

    fields = {
        "title": form.title.data, "description": form.description.data or "", "due_on": form.due_on.data,
        "statements": form.statements.data or [], "agency_id": form.agency_id.data or None,
        "priority": form.priority.data or "medium", "status": form.status.data or "not_started",
        "record_overdue": bool(form.record_overdue.data), "completion_evidence": form.completion_evidence.data or "",
    }
    email = (form.owner_email.data or "").strip()
    if not email:
        owner = _owner_or_none(area, form.owner.data)
        return services.create_action(area, owner=owner, user=current_user, **fields), None
    try:
        return services.create_action(area, owner=email, user=current_user, **fields), None
    except ServiceError as error:
        if set(error.fields) != {"owner"}:
            raise ServiceError(error.message, {("owner_email" if k == "owner" else k): v
                                               for k, v in error.fields.items()}) from None
    # Every other field is valid and the address is not an owner yet: invite them as a viewer.
    try:
        _membership, user, created = add_area_member(area, email, "viewer")
    except ServiceError as error:
        raise ServiceError(error.message, {"owner_email": error.message}) from None
    invite(user, created, inviter=current_user)
    return services.create_action(area, owner=user, user=current_user, **fields), user


@bp.route("/areas/<int:area_id>/actions/new", methods=["GET", "POST"])
@requires(Perm.EDIT_ACTIONS)
def new(area_id):
    area = set_current_area(loaded("area_id"))
    framework = _framework(audits.DEFAULT_FRAMEWORK)
    if framework is None:
        abort(404)
    form = ActionForm() if request.method == "POST" else ActionForm(formdata=None)
    del form.progress, form.version, form.completion_file, form.completion_title
    _prepare_action_form(form, area, framework)
    status = 200
    if request.method == "GET":
        form.due_on.data = audits.add_months(today(), 3)
        form.priority.data = "medium"
        form.status.data = "not_started"
        form.statements.data = [c for c in request.args.getlist("statement") if c in framework.codes]
    elif _ready(form):
        try:
            action, invited = _create_with_owner(area, form)
        except ServiceError as error:
            _show_errors(form, error)
            status = 422 if form.due_on.errors else error.status
        else:
            if invited is not None:
                flash(_("%(title)s has been added; %(email)s has been invited by email to own it",
                        title=action.title, email=invited.email), "success")
            else:
                flash(_("%(title)s has been added to the action plan", title=action.title), "success")
            return redirect(url_for("actions.detail", area_id=area.id, action_id=action.id))
    else:
        status = 422
    return render_template("actions/form.html", area=area, form=form, framework=framework, action=None,
                           board=True, conflict=None, refused=None, chosen=set(form.statements.data or []),
                           lang=current_language()), status


def _edit_data(form, action, board) -> dict:
    """The changes to send to the service. The owner's form sends only what an owner may change; anything
    else posted (say, a title) is passed on so that the service refuses it."""
    if board:
        data = {"title": form.title.data, "description": form.description.data or "", "owner_id": form.owner.data,
                "agency_id": form.agency_id.data or None, "due_on": form.due_on.data,
                "priority": form.priority.data, "status": form.status.data, "progress": form.progress.data,
                "completion_evidence": form.completion_evidence.data or "",
                "record_overdue": bool(form.record_overdue.data)}
        codes = form.statements.data or []
        if set(codes) != set(action.codes):
            data["statements"] = codes
    else:
        data = {"status": form.status.data, "progress": form.progress.data,
                "completion_evidence": form.completion_evidence.data or ""}
        for name in services.EDITABLE:
            if name not in data and name in request.form:
                data[name] = request.form.get(name)
        if "owner" in request.form:
            data["owner_id"] = request.form.get("owner")
    if data.get("status") == "done" and action.status != "done" and \
            str(data.get("progress", "")).strip() == str(action.progress):
        data.pop("progress")  # the service sets 100% when an action is marked done
    return data


def _completion_upload(form):
    """The completion document sent with the edit form, if any."""
    upload = form.completion_file.data
    if upload is None or not getattr(upload, "filename", None):
        return None
    return action_documents.Upload(upload.stream, upload.filename, title=form.completion_title.data)


def _completion_errors(error):
    """The document's errors at the edit form's completion fields."""
    names = {"file": "completion_file", "title": "completion_title"}
    return ServiceError(error.message, {names.get(k, k): v for k, v in (error.fields or {}).items()})


CONFIRM_CANCEL = "confirm_cancel"  # the field the "Yes, cancel the action" button posts


def _asks_to_cancel(form, action) -> bool:
    """The form is otherwise valid and moves the action to cancelled without the page's confirmation yet.
    (Only the page asks: the API cancels in one call, and the services keep the rules either way.)"""
    return (not form.errors and form.status.data == "cancelled" and action.status != "cancelled"
            and not request.form.get(CONFIRM_CANCEL))


def _carried_fields() -> list[tuple[str, str]]:
    """The posted values to send again, unchanged, with the confirmation."""
    return [(name, value) for name, value in request.form.items(multi=True)
            if name not in ("csrf_token", "submit", CONFIRM_CANCEL)]


@bp.route("/areas/<int:area_id>/actions/<int:action_id>/edit", methods=["GET", "POST"])
@requires(Perm.READ_ACTIONS)
@takes_documents
def edit(area_id, action_id):
    area, action = _load_action(area_id, action_id)
    board = services.can_edit(current_user, action)
    if not board and action.owner_id != current_user.id:
        abort(403)
    framework = _framework(action.framework)
    if framework is None:
        abort(404)
    form_class = ActionForm if board else OwnerUpdateForm
    form = form_class() if request.method == "POST" else form_class(formdata=None)
    if board:
        del form.owner_email
        _prepare_action_form(form, area, framework, current_owner=action.owner)
    else:
        form.status.choices = _status_choices()
    conflict, refused, confirm_cancel, status = None, None, None, 200
    if request.method == "GET":
        form.status.data = action.status
        form.progress.data = str(action.progress)
        form.completion_evidence.data = action.completion_evidence
        form.version.data = str(action.version)
        if board:
            form.title.data = action.title
            form.description.data = action.description
            form.statements.data = action.codes
            form.owner.data = str(action.owner_id)
            form.agency_id.data = str(action.agency_id) if action.agency_id else ""
            form.due_on.data = action.due_on
            form.priority.data = action.priority
    elif (_ready(form) if board else form.validate_on_submit()):
        if _asks_to_cancel(form, action):
            confirm_cancel = _carried_fields()  # nothing saved: the page asks first
        else:
            try:
                action_documents.update_action(action, _edit_data(form, action, board), upload=_completion_upload(form),
                                               user=current_user, expected_version=form.version.data or None)
            except ConflictError as error:
                db.session.rollback()
                conflict, status = error.message, 409
            except ForbiddenError as error:
                db.session.rollback()  # e.g. an owner posting a new title: only the board may change it
                refused, status = error.message, 403
            except ServiceError as error:
                db.session.rollback()
                error = _completion_errors(error)
                if board:
                    _show_errors(form, error)
                else:
                    apply_service_errors(form, error)
                status = 422 if board and form.due_on.errors else error.status
            else:
                flash(_("The action has been saved"), "success")
                return redirect(url_for("actions.detail", area_id=area.id, action_id=action.id))
    else:
        status = 422
    if conflict:
        db.session.refresh(action)
    return render_template("actions/form.html", area=area, form=form, framework=framework, action=action,
                           board=board, conflict=conflict, refused=refused, confirm_cancel=confirm_cancel,
                           cancel_confirmed=bool(request.form.get(CONFIRM_CANCEL)),
                           chosen=set(form.statements.data or []) if board else set(), statuses=services.status_labels(),
                           priorities=services.priority_labels(), lang=current_language()), status


# -- an action --------------------------------------------------------------------------------


def _history_rows(entries, area):
    """History entries as (entry, field label, old text, new text), names looked up in one query."""
    labels = {
        "created": _("Created"), "title": _("Title"), "description": _("Description"), "owner_id": _("Owner"),
        "agency_id": _("Owning agency"), "due_on": _("Due date"), "priority": _("Priority"), "status": _("Status"),
        "progress": _("Progress"), "completion_evidence": _("Completion evidence"), "statements": _("Statements"),
        "update": _("Progress update"), "finding": _("Finding added"), "document": _("Document added"),
        "completion_document": _("Completion document added"),
    }
    # Always the same two look-ups, whatever the history holds (a constant number of queries).
    user_ids = {v for e in entries if e.field == "owner_id" for v in (e.old_value, e.new_value) if v is not None}
    users = {u.id: owner_label(u) for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    agencies = {a.id: a.display_name for a in area.agencies}
    statuses, priorities = services.status_labels(), services.priority_labels()

    def text(field, value):
        if value is None or value == "":
            return None
        if field == "owner_id":
            return users.get(value, _("someone who has left"))
        if field == "agency_id":
            return agencies.get(value, _("an agency that was removed"))
        if field == "status":
            return statuses.get(value, value)
        if field == "priority":
            return priorities.get(value, value)
        if field == "progress":
            return f"{value}%"
        if field == "statements":
            return ", ".join(value) if isinstance(value, list) else str(value)
        if field in ("due_on", "completed_on"):
            from datetime import date

            try:
                return date.fromisoformat(str(value))
            except ValueError:
                return str(value)
        return str(value)

    return [(e, labels.get(e.field, e.field), text(e.field, e.old_value), text(e.field, e.new_value))
            for e in entries]


def _document_form(posted=False):
    """The "Documents" section's upload form (its fields named ``document-…``: one page, several forms)."""
    return DocumentUploadForm(prefix="document") if posted else DocumentUploadForm(prefix="document", formdata=None)


def _render_detail(area, action, update_form=None, status=200, document_form=None):
    framework = _framework(action.framework)
    lang = current_language()
    cycle_audits = audits.audits_for_area(area.id, action.framework)[-MAX_CYCLES_ON_ACTION:] if framework else []
    results = audits.consolidated_many(cycle_audits)
    statements = []
    for code in action.codes:
        statement = None
        if framework is not None:
            try:
                statement = framework.statement(code)
            except KeyError:
                statement = None
        statements.append({"code": code, "text": statement.text_for(lang) if statement else "",
                           "trail": score_trail(cycle_audits, results, code)})
    updates = list(db.session.scalars(
        select(ActionUpdate).where(ActionUpdate.action_id == action.id)
        .options(joinedload(ActionUpdate.user)).order_by(ActionUpdate.created_at.desc(), ActionUpdate.id.desc())))
    origins = list(db.session.execute(
        select(FindingDecision.code, Audit).join(Audit, Audit.id == FindingDecision.audit_id)
        .where(FindingDecision.action_id == action.id).order_by(FindingDecision.code)).all())
    may_update = services.can_update(current_user, action)
    if update_form is None and may_update:
        update_form = ProgressUpdateForm(formdata=None)
    if document_form is None and may_update:
        document_form = _document_form()
    failed = next((f for f in (update_form, document_form) if f is not None and f.errors), None)
    return render_template(
        "actions/detail.html", area=area, action=action, framework=framework, statements=statements,
        cycle_audits=cycle_audits, updates=updates, history=_history_rows(history.entries_for("action", action.id), area),
        origins=origins, may_update=may_update, may_edit=services.can_edit(current_user, action),
        is_owner=action.owner_id == current_user.id, update_form=update_form,
        form=failed, documents=action_documents.documents_for_action(action), document_form=document_form,
        statuses=services.status_labels(), priorities=services.priority_labels(), today=today(), lang=lang,
        owner_label=owner_label,
    ), status


@bp.route("/areas/<int:area_id>/actions/<int:action_id>")
@requires(Perm.READ_ACTIONS)
def detail(area_id, action_id):
    area, action = _load_action(area_id, action_id)
    return _render_detail(area, action)


@bp.route("/areas/<int:area_id>/actions/<int:action_id>/documents", methods=["POST"])
@requires(Perm.READ_ACTIONS)
@takes_documents
def upload_document(area_id, action_id):
    """A document attached to the action from its page (its owner or the board: 403 for other readers)."""
    area, action = _load_action(area_id, action_id)
    if not services.can_update(current_user, action):
        abort(403)
    form = _document_form(posted=True)
    upload = form.file.data if form.file.data and getattr(form.file.data, "filename", None) else None
    if form.validate_on_submit():
        try:
            action_documents.upload_to_action(action, upload.stream if upload else None,
                                              upload.filename if upload else None, title=form.title.data,
                                              effective_on=form.effective_on.data, user=current_user)
        except ServiceError as error:
            db.session.rollback()
            apply_service_errors(form, error)
            return _render_detail(area, action, document_form=form, status=error.status)
        flash(_("The document has been added to “%(title)s”", title=action.title), "success")
        return redirect(url_for("actions.detail", area_id=area.id, action_id=action.id) + "#documents")
    if "csrf_token" in form.errors:
        abort(400)
    if upload is None:  # every error at once: the date's and the missing file's
        form.file.errors = [*list(form.file.errors or []), _("Choose a file to upload")]
    return _render_detail(area, action, document_form=form, status=422)


@bp.route("/areas/<int:area_id>/actions/<int:action_id>/updates", methods=["POST"])
@requires(Perm.READ_ACTIONS)
def add_update(area_id, action_id):
    area, action = _load_action(area_id, action_id)
    if not services.can_update(current_user, action):
        abort(403)
    form = ProgressUpdateForm()
    back_to_mine = form.return_to.data == "mine"
    status = 422
    if form.validate_on_submit():
        try:
            services.add_update(action, form.note.data, form.progress.data, user=current_user)
        except ServiceError as error:
            db.session.rollback()
            apply_service_errors(form, error)
            status = error.status
        else:
            flash(_("Your update on “%(title)s” has been posted", title=action.title), "success")
            if back_to_mine:
                return redirect(url_for("actions.mine") + f"#action-{action.id}")
            return redirect(url_for("actions.detail", area_id=area.id, action_id=action.id))
    if back_to_mine:
        set_current_area(None)
        return _render_mine(failed_form=form, failed_id=action.id, status=status)
    return _render_detail(area, action, update_form=form, status=status)


# -- my actions -------------------------------------------------------------------------------


def _render_mine(failed_form=None, failed_id=None, status=200):
    visible = visible_area_ids(current_user, Perm.READ_ACTIONS)
    actions = [a for a in services.actions_for_user(current_user) if visible is None or a.area_id in visible]
    groups = {}
    for action in actions:
        groups.setdefault(action.area_id, (action.area, []))[1].append(action)
    ordered = sorted(groups.values(), key=lambda group: group[0].name.lower())
    on = today()
    open_count = sum(1 for a in actions if a.status not in CLOSED_STATUSES)
    overdue_count = sum(1 for a in actions if a.is_overdue(on))
    if failed_form is not None:
        for name in ("note", "progress"):
            getattr(failed_form, name).id = f"{name}-{failed_id}"
    return render_template(
        "actions/mine.html", groups=ordered, total=len(actions), open_count=open_count, overdue_count=overdue_count,
        today=on, statuses=services.status_labels(), failed_form=failed_form, failed_id=failed_id,
        form=failed_form if failed_form is not None and failed_form.errors else None,
        may_update=lambda a: services.can_update(current_user, a),
    ), status


@bp.route("/my-actions")
@requires(Perm.SIGNED_IN)
def mine():
    return _render_mine()


# -- a statement across cycles ----------------------------------------------------------------


@bp.route("/areas/<int:area_id>/statements/<code>")
@requires(Perm.READ_AUDIT)
def statement(area_id, code):
    area = set_current_area(loaded("area_id"))
    framework = _framework(request.args.get("framework") or audits.DEFAULT_FRAMEWORK)
    if framework is None:
        abort(404)
    item = scored_statement_or_404(framework, code)
    lang = current_language()
    cycle_audits = audits.audits_for_area(area.id, framework.slug)
    results = audits.consolidated_many(cycle_audits)
    participants = audits.participants_by_audit([a.id for a in cycle_audits])
    agencies = {}
    for rows in participants.values():
        for _link, agency in rows:
            agencies[agency.id] = agency
    agency_list = sorted(agencies.values(), key=lambda a: a.display_name.lower())
    taking_part = {audit_id: {agency.id for _link, agency in rows} for audit_id, rows in participants.items()}
    actions = (services.actions_for_statements(area.id, [code], reader=current_user).get(code, [])
               if can(current_user, Perm.READ_ACTIONS, area.id) else [])
    return render_template(
        "actions/statement.html", area=area, framework=framework, statement=item,
        domain=framework.domain(item.domain_number), trail=score_trail(cycle_audits, results, code),
        agencies=agency_list, taking_part=taking_part, actions=actions, today=today(),
        statuses=services.status_labels(), edit=can(current_user, Perm.EDIT_ACTIONS, area.id), lang=lang,
        owner_label=owner_label,
    )
