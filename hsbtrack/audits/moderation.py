"""Moderation: statements × agencies, agreed scores with justifications, and each statement's history.

Everyone with a role in the area may read these pages (the partnership's picture is shared);
only users with ``Perm.MODERATE`` (board managers, admins) may change an agreed score, and only
while the audit is open. The rules themselves live in :mod:`hsbtrack.audits.services`.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import HiddenField

from hsbtrack.areas.models import Agency, pick_name
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import (
    loaders,  # noqa: F401  (the audit_id loader)
    services,
)
from hsbtrack.audits.models import SOURCE_EXCEPTION, SOURCE_SHARED, Response
from hsbtrack.auth.models import User
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import (
    FlaskForm,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    RadioField,
    SubmitField,
    TextAreaField,
    apply_service_errors,
)
from hsbtrack.history import services as history
from hsbtrack.i18n import current_language
from hsbtrack.permissions import can, can_read_responses_of, loaded, requires
from hsbtrack.plugins.services import collect
from hsbtrack.views_support import scored_statement_or_404, set_current_area

bp = Blueprint("moderation", __name__)

FILTERS = ("disagreements", "low", "stale")


class AgreedScoreForm(FlaskForm):
    # The service checks the score (whole number on the scale) and the justification rule, so the
    # radios accept any submitted value and the service's message is shown next to the field.
    score = RadioField(_l("Agreed score"), widget=GovRadioInput(), validate_choice=False, coerce=str)
    justification = TextAreaField(_l("Justification"), widget=GovTextArea())
    version = HiddenField()
    submit = SubmitField(_l("Save the agreed score"), widget=GovSubmitInput())


# -- helpers ----------------------------------------------------------------------------------


def _load(area_id: int, audit_id: int):
    """The area and its audit, as loaded and checked by ``requires``."""
    return set_current_area(loaded("area_id")), loaded("audit_id")


def _active_filters() -> dict:
    return {name: "1" for name in FILTERS if request.args.get(name) == "1"}


def _score_choices(framework, lang):
    return [(str(v), f"{v} – {framework.scale_label(v, lang)}") for v in framework.scale.values]


def _users_by_id(ids) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _agency_names_for_responses(response_ids) -> dict[int, str]:
    """``{response id: agency name}`` for history entries about agency responses, in one query."""
    ids = {i for i in response_ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Response.id, Agency.name, Agency.name_cy).join(Agency, Agency.id == Response.agency_id)
        .where(Response.id.in_(ids)))
    return {response_id: pick_name(name, name_cy) for response_id, name, name_cy in rows}


# -- the matrix -------------------------------------------------------------------------------


class ScoreCells:
    """The agency cells of one matrix row: each agency's score as a link to its evidence, with hidden
    text naming the agency (and "lowest" where agencies differ), or a dash and "not scored yet".

    Written here rather than cell by cell in the template: a matrix has statements × agencies cells
    (460 at 10 agencies), and Jinja's per-cell work was most of the page's time (make bench). The
    texts are translated once per page, each agency's name escaped once.
    """

    def __init__(self, participants, sources=None):
        read, lowest = _("read the evidence"), _("lowest")
        self.columns = [
            (agency.id, str(agency.id), " hsb-matrix__sep" if index == 0 else "",
             escape(f" – {agency.display_name}: {read}"), escape(f" – {agency.display_name}, {lowest}: {read}"),
             escape(_("%(agency)s: not scored yet", agency=agency.display_name)))
            for index, (_participant, agency) in enumerate(participants)]
        # answers from an organisation's shared return: ``{(agency_id, code): "shared" | "exception"}``
        self.sources = sources or {}
        self.shared_agencies = {agency_id for agency_id, _code in self.sources}
        self.marks = {
            SOURCE_SHARED: Markup('<span class="govuk-visually-hidden">, {}</span>').format(_("from the shared return")),
            SOURCE_EXCEPTION: Markup('<strong class="hsb-matrix__sub hsb-matrix__exception">{}</strong>').format(
                _("exception")),
        }

    def __call__(self, result, url: str, extra=None) -> Markup:
        """``extra``: ``{agency_id: html}`` shown in that agency's cell below its score (its documents, from
        the documents feature's ``moderation_grid_documents``; audits do not import documents)."""
        url = escape(url)
        extra = extra or {}
        scores, lowest, spread = result.agency_scores, result.lowest, result.spread
        sources, marks, code = self.sources, self.marks, result.code
        cells = []
        for agency_id, agency_key, sep, scored_text, lowest_text, unscored_text in self.columns:
            score = scores.get(agency_id)
            is_lowest = score is not None and score == lowest and spread
            if score is None:
                inner = f'<span aria-hidden="true">–</span><span class="govuk-visually-hidden">{unscored_text}</span>'
            else:
                inner = (f'{escape(score)}<span class="govuk-visually-hidden">'
                         f'{lowest_text if is_lowest else scored_text}</span>')
            source = sources.get((agency_id, code)) if sources else None
            mark, source_attr = (marks[source], f' data-source="{source}"') if source in marks else ("", "")
            cells.append(f'<td class="govuk-table__cell hsb-matrix__score{" hsb-matrix__score--lowest" if is_lowest else ""}'
                         f'{sep}" data-agency="{agency_key}"{source_attr}>\n'
                         f'<a class="govuk-link hsb-matrix__link" href="{url}#agency-{agency_key}">{inner}{mark}</a>\n'
                         f'{escape(extra.get(agency_id, ""))}</td>')
        return Markup("\n".join(cells))  # noqa: S704  # nosec B704  # every value above is escaped


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/moderation")
@requires(Perm.READ_RESPONSES)
def matrix(area_id, audit_id):
    area, audit = _load(area_id, audit_id)
    framework = services.framework_of(audit)
    lang = current_language()
    participants = services.participants(audit)
    result = services.consolidated(audit)
    threshold = services.low_score_threshold(area)
    filters = _active_filters()

    def is_low(r):
        return r.agreed is not None and r.agreed <= threshold

    def shown(r):
        if "disagreements" in filters and not r.disagreement:
            return False
        if "stale" in filters and not r.stale:
            return False
        return not ("low" in filters and not is_low(r))

    domains = []
    shown_count = 0
    for domain in framework.domains:
        rows, pending_heading = [], None
        for statement in domain.statements:
            if not statement.scored:
                pending_heading = statement
                continue
            r = result.by_code[statement.code]
            if not shown(r):
                continue
            if pending_heading is not None and statement.parent == pending_heading.code:
                rows.append({"heading": pending_heading})
                pending_heading = None
            rows.append({"statement": statement, "result": r, "low": is_low(r)})
            shown_count += 1
        domains.append({"domain": domain, "rows": rows})

    counts = {
        "total": len(result.statements),
        "disagreements": sum(1 for r in result.statements if r.disagreement),
        "low": sum(1 for r in result.statements if is_low(r)),
        "moderated": sum(1 for r in result.statements if r.moderated),
        "stale": sum(1 for r in result.statements if r.stale),
        "unscored": sum(1 for r in result.statements if r.lowest is None),
    }
    return render_template(
        "moderation/matrix.html", area=area, audit=audit, framework=framework, lang=lang,
        participants=participants, domains=domains, counts=counts, shown_count=shown_count, threshold=threshold,
        filters=filters, can_moderate=can(current_user, Perm.MODERATE, area.id) and audit.is_open,
        score_cells=ScoreCells(participants, services.response_sources(audit)),
    )


# -- one statement ----------------------------------------------------------------------------


SHARED_HISTORY = ("shared_response", "shared_exception")  # (written by hsbtrack.organisations)


def _response_agencies(response_ids) -> dict[int, int]:
    """Response id -> agency id, in one query (to keep other agencies' evidence history hidden)."""

    ids = set(response_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(Response.id, Response.agency_id).where(Response.id.in_(ids))).all())


def _render_statement(area, audit, code, form=None, status=200, conflict=False, error_message=None):
    """The statement page. ``form``: the submitted agreed-score form (with its errors);
    ``conflict``: it was stale, so it now carries the current version; ``error_message``: a problem
    to show next to the agreed score (or at the top when there is no form)."""

    framework = services.framework_of(audit)
    statement = scored_statement_or_404(framework, code)
    lang = current_language()
    participants = services.participants(audit)
    result = services.consolidated(audit).by_code[code]
    agreed_row = services.agreed_rows(audit).get(code)
    # Evidence and assurance text (and their history) only of the agencies whose responses the reader
    # may read: every agency for board managers, their own for an agency lead (all, once every agency
    # has submitted, where the area shares evidence for the moderation meeting).
    all_submitted = all(p.submitted_at is not None for p, _a in participants)
    readable = {a.id for _p, a in participants if can_read_responses_of(current_user, area, a.id, all_submitted)}
    every_response = services.responses_for_statement(audit, code)
    responses = {agency_id: row for agency_id, row in every_response.items() if agency_id in readable}
    entries = history.entries_for_statement(audit.id, code)
    agency_of = _response_agencies(e.entity_id for e in entries if e.entity == "response")
    # a shared return's answers and exceptions are the history of the agencies they were written to (those
    # whose answer here came from a shared return): only for readers of all of them
    shared_agencies = {a for a, row in every_response.items() if row.shared_return_id is not None}
    shared_readable = (shared_agencies or {a.id for _p, a in participants}) <= readable
    entries = [e for e in entries if (e.entity != "response" or agency_of.get(e.entity_id) in readable)
               and (e.entity not in SHARED_HISTORY or shared_readable)]
    agency_names = _agency_names_for_responses(e.entity_id for e in entries if e.entity == "response")
    users = _users_by_id([r.updated_by_id for r in responses.values()]
                         + [agreed_row.moderated_by_id if agreed_row else None])
    evidence = [e for e in collect("hsbtrack_statement_evidence", area, audit=audit, codes=[code])
                if getattr(e, "code", code) == code]

    may_moderate = can(current_user, Perm.MODERATE, area.id)
    current_version = str(agreed_row.version) if agreed_row else "0"
    page_error = None
    if may_moderate and audit.is_open:
        if form is None:
            form = AgreedScoreForm(
                formdata=None,
                score=str(result.agreed) if result.agreed is not None else None,
                justification=result.justification,
                version=current_version,
            )
        elif conflict:
            # The page now shows the other person's change; submitting again is a deliberate choice.
            form.version.data = current_version
        form.score.choices = _score_choices(framework, lang)
        if error_message:
            form.score.errors = [*list(form.score.errors or []), error_message]
    else:
        if form is not None and form.errors:
            page_error = next(iter(form.errors.values()))[0]
        page_error = error_message or page_error
        form = None

    scored = framework.scored_statements
    index = next(i for i, s in enumerate(scored) if s.code == code)
    previous_statement = scored[index - 1] if index > 0 else None
    next_statement = scored[index + 1] if index + 1 < len(scored) else None
    parent = framework.statement(statement.parent) if statement.parent else None

    return render_template(
        "moderation/statement.html", area=area, audit=audit, framework=framework, lang=lang,
        statement=statement, parent=parent, domain=framework.domain(statement.domain_number), result=result,
        agreed_row=agreed_row, participants=participants, responses=responses, entries=entries,
        agency_names=agency_names, users=users, evidence=evidence, form=form, may_moderate=may_moderate,
        current_version=current_version, previous_statement=previous_statement, next_statement=next_statement,
        threshold=services.low_score_threshold(area), filters=_active_filters(), page_error=page_error,
    ), status


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/statements/<code>")
@requires(Perm.READ_AUDIT)
def statement(area_id, audit_id, code):
    area, audit = _load(area_id, audit_id)
    return _render_statement(area, audit, code)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/statements/<code>/agreed", methods=["POST"])
@requires(Perm.MODERATE)
def set_agreed(area_id, audit_id, code):
    area, audit = _load(area_id, audit_id)
    framework = services.framework_of(audit)
    scored_statement_or_404(framework, code)
    form = AgreedScoreForm()
    form.score.choices = _score_choices(framework, current_language())
    try:
        row = services.set_agreed_score(audit, code, form.score.data, form.justification.data, user=current_user,
                                        expected_version=form.version.data)
    except ConflictError as error:
        db.session.rollback()
        form.score.errors = [error.message]
        return _render_statement(area, audit, code, form=form, status=error.status, conflict=True)
    except ServiceError as error:
        db.session.rollback()
        apply_service_errors(form, error)
        return _render_statement(area, audit, code, form=form, status=422)
    flash(_("The agreed score of %(code)s is %(score)d", code=code, score=row.score), "success")
    return redirect(url_for(".statement", area_id=area.id, audit_id=audit.id, code=code, **_active_filters()))


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/statements/<code>/reset", methods=["POST"])
@requires(Perm.MODERATE)
def reset(area_id, audit_id, code):
    area, audit = _load(area_id, audit_id)
    scored_statement_or_404(services.framework_of(audit), code)
    try:
        services.reset_agreed_score(audit, code, user=current_user, expected_version=request.form.get("version"))
    except ServiceError as error:
        db.session.rollback()
        return _render_statement(area, audit, code, status=error.status, error_message=error.message)
    flash(_("The agreed score of %(code)s is back to the lowest agency score", code=code), "success")
    return redirect(url_for(".statement", area_id=area.id, audit_id=audit.id, code=code, **_active_filters()))
