"""Rules of the audit cycle: opening audits, scoring, moderation, closing and scheduling.

Views and the API call these; nothing here reads the request. Every change to a score, evidence,
assurance, agreed score or justification is written to the history in the same transaction.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from hsbtrack.areas.models import Agency
from hsbtrack.areas.roles import Perm
from hsbtrack.audits.consolidation import Consolidated, consolidate
from hsbtrack.audits.models import (
    CLOSED,
    OPEN,
    SOURCE_AGENCY,
    SOURCE_EXCEPTION,
    SOURCE_SHARED,
    AgreedScore,
    Audit,
    AuditAgency,
    DomainResponse,
    Response,
    ScheduledAudit,
)
from hsbtrack.errors import ConflictError, ForbiddenError, NotFoundError, ServiceError, refuse_nul
from hsbtrack.events import Event
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.permissions import can
from hsbtrack.plugins.services import emit
from hsbtrack.timeutil import local_date, local_today, parse_date, utcnow
from hsbtrack.transactions import bump, locked, run_write

DEFAULT_FRAMEWORK = "nspcc-hsb-2019"
REAUDIT_MONTHS = (6, 12)  # T2 and T3, counted from the baseline's completion
MAX_TEXT = 20_000
DEFAULT_LOW_SCORE_THRESHOLD = 1


def low_score_threshold(area) -> int:
    """The area's "low score" threshold (an agreed score at or below it is low), default 1.

    One rule for the moderation table, the overview and the findings that become actions."""
    value = (area.settings or {}).get("low_score_threshold", DEFAULT_LOW_SCORE_THRESHOLD)
    try:
        return int(value)
    except (TypeError, ValueError):
        return DEFAULT_LOW_SCORE_THRESHOLD


def sign_off_required(area) -> bool:
    """Area setting (default off): a submitted return counts as final only once a senior officer of
    the agency has signed it off (Section 11 practice)."""
    return bool((area.settings or {}).get("returns_sign_off"))


def parse_return_due(value, field="return_due_on") -> date | None:
    """A return deadline a person gave: a real date (or none), not in the past in the partnership's
    calendar."""
    due = parse_date(value, field)
    if due is not None and due < local_today():
        raise ServiceError.field(field, _("The date returns are due cannot be in the past"))
    return due


def catalogue():
    return current_app.extensions["hsbtrack_catalogue"]


def framework_of(audit: Audit):
    return catalogue().get(audit.framework)


# -- input parsing ----------------------------------------------------------------------------


def parse_score(value, framework, field="score") -> int | None:
    """A whole number on the framework's scale, or None (blank) to clear the score."""
    scale = framework.scale
    message = _("Score must be a whole number from %(min)d to %(max)d", min=scale.min, max=scale.max)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise ServiceError.field(field, message)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ServiceError.field(field, message)
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        raise ServiceError.field(field, message)
    if not scale.min <= number <= scale.max:
        raise ServiceError.field(field, message)
    return number


def parse_text(value, field) -> str:
    text = "" if value is None else str(value)
    if len(text) > MAX_TEXT:
        raise ServiceError.field(field, _("Must be %(n)d characters or fewer", n=MAX_TEXT))
    return refuse_nul(text, field).strip()


def _scored_statement(framework, code):
    try:
        statement = framework.statement(code)
    except KeyError:
        raise NotFoundError.field("code", _("%(code)s is not a statement of this framework", code=code)) from None
    if not statement.scored:
        raise ServiceError.field("code", _("%(code)s is a heading and is not scored", code=code))
    return statement


def _versioned(expected) -> bool:
    return expected not in (None, "")


def _conflict_message(what) -> str:
    return _("Someone else changed %(what)s while you were editing it. Your change was not saved: "
             "reload to see their version.", what=what)


def _check_version(record, expected, what):
    """``expected`` is the version the user saw (0: they saw no record). None/blank: no check.
    A record that does not exist yet is at version 0."""
    if _versioned(expected) and (record.version if record is not None else 0) != int(expected):
        raise ConflictError(_conflict_message(what), {"version": _("Out of date")}, current=record)


# -- opening ----------------------------------------------------------------------------------


def audits_for_area(area_id: int, framework: str | None = None) -> list[Audit]:
    query = select(Audit).where(Audit.area_id == area_id).order_by(Audit.framework, Audit.cycle)
    if framework:
        query = query.where(Audit.framework == framework)
    return list(db.session.scalars(query))


MAX_TITLE = 200  # an audit's title (the column's length)


def require(user, permission: str, area_id: int, agency_id: int | None = None) -> None:
    """The access model's check, made by each command itself (pages and the API check before parsing
    too): a command called for a person carries ``user``; the scheduler, imports and plugins acting
    for the system pass None."""
    if user is not None and not can(user, permission, area_id, agency_id):
        raise ForbiddenError(_("You do not have permission to do this"))


def open_audit(area, framework_slug=DEFAULT_FRAMEWORK, title=None, agency_ids=None, user=None,
               authorised_by_region=False, opened_at=None, return_due_on=None) -> Audit:
    """Open the next audit of ``area``: T1 first, then re-audits starting from the previous cycle.

    ``authorised_by_region``: the caller has checked a regional permission that covers opening it (a
    regional round, opened by the region's coordinator, who holds no role in the member area).
    ``opened_at``: when an audit recorded afterwards really began (the demo, imports); now otherwise.
    ``return_due_on``: when agencies' returns are due (optional; not in the past)."""
    if not authorised_by_region:
        require(user, Perm.MANAGE_AREA, area.id)
    errors = {}  # every problem at once (GOV.UK's rule), then the conflict with an open audit
    try:
        framework = catalogue().get(framework_slug or DEFAULT_FRAMEWORK)
    except KeyError:
        framework = None
        errors["framework"] = _("Choose a framework from the catalogue")
    title = parse_text(title, "title")
    if len(title) > MAX_TITLE:
        errors["title"] = _("Title must be %(n)d characters or fewer", n=MAX_TITLE)
    agencies = {a.id: a for a in area.agencies}
    chosen = []
    for raw in (list(agencies) if agency_ids is None else agency_ids):
        try:
            agency_id = int(raw)
        except (TypeError, ValueError):
            agency_id = None
        if agency_id not in agencies:
            errors["agency_ids"] = _("Choose agencies of %(area)s", area=area.display_name)
            break
        chosen.append(agency_id)
    if not chosen and "agency_ids" not in errors:
        errors["agency_ids"] = _("Choose at least one agency to take part")
    try:
        return_due_on = parse_return_due(return_due_on) if opened_at is None else parse_date(return_due_on,
                                                                                              "return_due_on")
    except ServiceError as error:
        errors.update(error.fields)
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    existing = audits_for_area(area.id, framework.slug)
    if any(a.status == OPEN for a in existing):
        raise ConflictError.field("framework", _("An audit of this framework is already open in %(area)s", area=area.display_name))
    previous = existing[-1] if existing else None
    cycle = previous.cycle + 1 if previous else 1
    title = title or _("%(framework)s audit T%(cycle)d", framework=framework.title, cycle=cycle)
    audit = Audit(area_id=area.id, framework=framework.slug, framework_version=framework.version, title=title,
                  cycle=cycle, status=OPEN, previous_id=previous.id if previous else None,
                  opened_by_id=getattr(user, "id", None), opened_at=opened_at or utcnow(),
                  return_due_on=return_due_on)
    audit.participants = [AuditAgency(agency_id=a) for a in sorted(set(chosen))]
    db.session.add(audit)
    db.session.flush()
    slot = db.session.scalar(select(ScheduledAudit).where(
        ScheduledAudit.area_id == area.id, ScheduledAudit.framework == framework.slug, ScheduledAudit.cycle == cycle))
    if slot is not None:
        slot.audit_id = audit.id
    db.session.commit()
    emit(area, audit, Event.AUDIT_OPENED, {"status": (None, OPEN), "previous_id": (None, audit.previous_id)}, user)
    return audit


def get_audit(audit_id: int) -> Audit | None:
    return db.session.get(Audit, audit_id)


def participant_ids(audit: Audit) -> list[int]:
    return [p.agency_id for p in audit.participants]


def participants(audit: Audit) -> list[tuple[AuditAgency, Agency]]:
    return list(db.session.execute(
        select(AuditAgency, Agency).join(Agency, Agency.id == AuditAgency.agency_id)
        .where(AuditAgency.audit_id == audit.id).order_by(Agency.name)
    ).all())


def _require_open(audit):
    if audit.status != OPEN:
        raise ConflictError(_("This audit is closed: its scores can no longer change"))


def _require_participant(audit, agency_id):
    if agency_id not in participant_ids(audit):
        raise NotFoundError.field("agency_id", _("This agency is not taking part in the audit"))


# -- scoring ----------------------------------------------------------------------------------


def responses_for_agency(audit: Audit, agency_id: int) -> dict[str, Response]:
    rows = db.session.scalars(select(Response).where(Response.audit_id == audit.id, Response.agency_id == agency_id))
    return {r.code: r for r in rows}


def responses_for_statement(audit: Audit, code: str) -> dict[int, Response]:
    """Every agency's answer to one statement, ``{agency_id: Response}``, in one query."""
    rows = db.session.scalars(select(Response).where(Response.audit_id == audit.id, Response.code == code))
    return {r.agency_id: r for r in rows}


def domain_responses_for_agency(audit: Audit, agency_id: int) -> dict[int, DomainResponse]:
    rows = db.session.scalars(
        select(DomainResponse).where(DomainResponse.audit_id == audit.id, DomainResponse.agency_id == agency_id))
    return {r.domain: r for r in rows}


def _response_row(audit_id, agency_id, code) -> Response | None:
    return locked(select(Response).where(
        Response.audit_id == audit_id, Response.agency_id == agency_id, Response.code == code))


def save_response(audit: Audit, agency_id: int, code: str, *, score=None, evidence=None, assurance=None,
                  user=None, expected_version=None, fields=("score", "evidence", "assurance")) -> Response:
    """Save one agency's answer to one statement. Only the named ``fields`` are changed.

    ``expected_version``: the version the user read (0: no answer yet); None: last write wins. A race
    lost at the database is retried or told as described in :mod:`hsbtrack.transactions`."""
    require(user, Perm.SCORE, audit.area_id, agency_id)
    framework = framework_of(audit)
    _scored_statement(framework, code)
    _require_open(audit)
    _require_participant(audit, agency_id)
    values = {}
    if "score" in fields:
        values["score"] = parse_score(score, framework)
    if "evidence" in fields:
        values["evidence"] = parse_text(evidence, "evidence")
    if "assurance" in fields:
        values["assurance"] = parse_text(assurance, "assurance")
    audit_id, area_id, what = audit.id, audit.area_id, _("statement %(code)s", code=code)
    # (already loaded by the participant check: no query unless the return was signed off)
    link = next((p for p in audit.participants if p.agency_id == agency_id), None)

    def attempt() -> Response:
        row = _response_row(audit_id, agency_id, code)
        _check_version(row, expected_version, what)
        if row is None:
            row = Response(audit_id=audit_id, agency_id=agency_id, code=code, score=None, evidence="", assurance="")
            db.session.add(row)
        changes = history.diff(row, values)
        if not changes:
            if row in db.session.new:
                db.session.expunge(row)  # nothing to say: don't store an empty answer
            return row, changes
        for name, (_old, new) in changes.items():
            setattr(row, name, new)
        row.updated_at = utcnow()
        row.updated_by_id = getattr(user, "id", None)
        if row.source == SOURCE_SHARED:
            # Changed here, in this area's audit, on an answer from the organisation's shared return: it
            # becomes this area's exception (the shared answer no longer overwrites it; the organisation
            # records it with its reason when it hears the event, hsbtrack.organisations.hooks).
            changes["source"] = (row.source, SOURCE_EXCEPTION)
            row.source = SOURCE_EXCEPTION
        db.session.flush()
        history.record(area_id=area_id, entity="response", entity_id=row.id, changes=changes, user=user,
                       audit_id=audit_id, code=code)
        if link is not None and link.signed_off_at is not None:
            _withdraw_sign_off(link, area_id, user)
        if "score" in changes:
            bump(Audit, audit_id, "data_version")
        db.session.commit()
        return row, changes

    row, changes = run_write(attempt, versioned=_versioned(expected_version), conflict_message=_conflict_message(what),
                             current=lambda: _response_row(audit_id, agency_id, code))
    if changes:
        emit(audit.area, row, Event.RESPONSE_SCORED, changes, user)
    return row


def _domain_row(audit_id, agency_id, domain) -> DomainResponse | None:
    return locked(select(DomainResponse).where(
        DomainResponse.audit_id == audit_id, DomainResponse.agency_id == agency_id, DomainResponse.domain == domain))


def save_domain_response(audit: Audit, agency_id: int, domain: int, *, comments=None, date_completed=None,
                         user=None, expected_version=None, fields=("comments", "date_completed")) -> DomainResponse:
    """Save an agency's comments and date completed for one domain. Only the named ``fields`` change."""
    require(user, Perm.SCORE, audit.area_id, agency_id)
    framework = framework_of(audit)
    try:
        domain = framework.domain(int(domain)).number
    except (KeyError, ValueError, TypeError):
        raise NotFoundError.field("domain", _("No such domain")) from None
    _require_open(audit)
    _require_participant(audit, agency_id)
    values, errors = {}, {}
    for name, parse in (("comments", lambda: parse_text(comments, "comments")),
                        ("date_completed", lambda: parse_date(date_completed, "date_completed"))):
        if name in fields:
            try:
                values[name] = parse()
            except ServiceError as error:
                errors.update(error.fields)
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    audit_id, area_id, what = audit.id, audit.area_id, _("the domain comments")

    def attempt() -> DomainResponse:
        row = _domain_row(audit_id, agency_id, domain)
        if row is not None:  # (a first save is never a conflict: version 0 or none alike)
            _check_version(row, expected_version, what)
        else:
            row = DomainResponse(audit_id=audit_id, agency_id=agency_id, domain=domain, comments="")
            db.session.add(row)
        changes = history.diff(row, values)
        if not changes:
            if row in db.session.new:
                db.session.expunge(row)  # nothing to say: don't store an empty answer
            return row
        for name, (_old, new) in changes.items():
            setattr(row, name, new)
        row.updated_at = utcnow()
        row.updated_by_id = getattr(user, "id", None)
        db.session.flush()
        history.record(area_id=area_id, entity="domain_response", entity_id=row.id, changes=changes, user=user,
                       audit_id=audit_id, code=f"domain-{domain}")
        db.session.commit()
        return row

    return run_write(attempt, versioned=_versioned(expected_version), conflict_message=_conflict_message(what),
                     current=lambda: _domain_row(audit_id, agency_id, domain))


def progress(audit: Audit) -> dict:
    """``{agency_id: {"scored": n, "total": n, "domains": {number: (scored, total)}, "shared": n,
    "exceptions": n}}`` in one query. ``shared``: answers that came from the agency's organisation's
    shared return (``Response.source``); ``exceptions``: this area's own answers within it."""
    framework = framework_of(audit)
    domain_of = {s.code: s.domain_number for s in framework.scored_statements}
    totals = {d.number: len(d.scored_statements) for d in framework.domains}
    result = {a: {"scored": 0, "total": len(domain_of), "domains": {n: [0, t] for n, t in totals.items()},
                  "shared": 0, "exceptions": 0}
              for a in participant_ids(audit)}
    rows = db.session.execute(
        select(Response.agency_id, Response.code, Response.score, Response.source)
        .where(Response.audit_id == audit.id, (Response.score.is_not(None)) | (Response.source != SOURCE_AGENCY)))
    for agency_id, code, score, source in rows:
        if agency_id in result and code in domain_of:
            if score is not None:
                result[agency_id]["scored"] += 1
                result[agency_id]["domains"][domain_of[code]][0] += 1
            if source == SOURCE_SHARED:
                result[agency_id]["shared"] += 1
            elif source == SOURCE_EXCEPTION:
                result[agency_id]["exceptions"] += 1
    return result


def submit_agency(audit: Audit, agency_id: int, user=None) -> AuditAgency:
    """An agency says its scores are complete. Every scored statement must have a score."""
    require(user, Perm.SCORE, audit.area_id, agency_id)
    _require_open(audit)
    _require_participant(audit, agency_id)
    done = progress(audit)[agency_id]
    if done["scored"] < done["total"]:
        raise ServiceError.field("submit", _("Score all %(total)d statements before submitting: %(n)d are still blank",
                                             total=done["total"], n=done["total"] - done["scored"]))
    row = next(p for p in audit.participants if p.agency_id == agency_id)
    changes = {"submitted_at": (row.submitted_at, utcnow())}
    row.submitted_at = changes["submitted_at"][1]
    row.submitted_by_id = getattr(user, "id", None)
    history.record(area_id=audit.area_id, entity="audit_agency", entity_id=row.id, changes=changes, user=user,
                   audit_id=audit.id)
    db.session.commit()
    emit(audit.area, row, Event.AGENCY_SUBMITTED, {"submitted_at": (None, row.submitted_at)}, user)
    return row


def _withdraw_sign_off(link: AuditAgency, area_id: int, user) -> None:
    """A signed-off return changed: the sign-off no longer covers it (in the history, same transaction)."""
    history.record(area_id=area_id, entity="audit_agency", entity_id=link.id,
                   changes={"signed_off_at": (link.signed_off_at, None)}, user=user, audit_id=link.audit_id)
    link.signed_off_at, link.signed_off_by_id = None, None


# -- consolidation and moderation -------------------------------------------------------------


def scores_matrix(audit: Audit) -> dict:
    """``{code: {agency_id: score}}`` for the audit's participants, in one query."""
    matrix = {}
    rows = db.session.execute(
        select(Response.code, Response.agency_id, Response.score)
        .join(AuditAgency, (AuditAgency.audit_id == Response.audit_id) & (AuditAgency.agency_id == Response.agency_id))
        .where(Response.audit_id == audit.id, Response.score.is_not(None))
    )
    for code, agency_id, score in rows:
        matrix.setdefault(code, {})[agency_id] = score
    return matrix


def agreed_rows(audit: Audit) -> dict[str, AgreedScore]:
    return {r.code: r for r in db.session.scalars(select(AgreedScore).where(AgreedScore.audit_id == audit.id))}


def consolidated(audit: Audit) -> Consolidated:
    agreed = {code: (row.score, row.justification, row.basis_lowest) for code, row in agreed_rows(audit).items()}
    return consolidate(framework_of(audit), scores_matrix(audit), agreed)


def set_agreed_score(audit: Audit, code: str, score, justification="", user=None, expected_version=None) -> AgreedScore:
    """Record the partnership's agreed score. Above the lowest agency score needs a justification."""
    require(user, Perm.MODERATE, audit.area_id)
    framework = framework_of(audit)
    _scored_statement(framework, code)
    _require_open(audit)
    value = parse_score(score, framework)
    if value is None:
        raise ServiceError.field("score", _("Choose the agreed score"))
    justification = parse_text(justification, "justification")
    lowest = consolidate(framework, {code: scores_matrix(audit).get(code, {})}, {}).by_code[code].lowest
    if lowest is not None and value > lowest and not justification:
        raise ServiceError.field(
            "justification",
            _("Explain why the agreed score is higher than the lowest agency score (%(lowest)d)", lowest=lowest),
        )
    audit_id, area_id, what = audit.id, audit.area_id, _("the agreed score of %(code)s", code=code)

    def attempt():
        row = _agreed_row(audit_id, code)
        _check_version(row, expected_version, what)
        if row is None:
            row = AgreedScore(audit_id=audit_id, code=code, score=None, justification="")
            db.session.add(row)
            before = {"score": lowest, "justification": ""}
        else:
            before = {"score": row.score, "justification": row.justification}
            if row.basis_lowest != lowest:  # saving it again confirms it against today's lowest score
                before["confirmed_against"] = row.basis_lowest
        values = {"score": value, "justification": justification, "confirmed_against": lowest}
        changes = {k: (before[k], v) for k, v in values.items() if k in before and before[k] != v}
        row.score, row.justification, row.basis_lowest = value, justification, lowest
        row.moderated_at = utcnow()
        row.moderated_by_id = getattr(user, "id", None)
        db.session.flush()
        if changes:
            history.record(area_id=area_id, entity="agreed_score", entity_id=row.id, changes=changes, user=user,
                           audit_id=audit_id, code=code)
            bump(Audit, audit_id, "data_version")
        db.session.commit()
        return row, changes

    return _write_agreed_score(audit, code, attempt, expected_version, what, user)


def _write_agreed_score(audit, code, attempt, expected_version, what, user) -> AgreedScore | None:
    """Run one write of an agreed score (set or reset) and tell the plugins what changed."""
    row, changes = run_write(attempt, versioned=_versioned(expected_version), conflict_message=_conflict_message(what),
                             current=lambda: _agreed_row(audit.id, code))
    if changes:
        emit(audit.area, row, Event.AGREED_SCORE_SET, changes, user)
    return row


def _agreed_row(audit_id, code) -> AgreedScore | None:
    return locked(select(AgreedScore).where(AgreedScore.audit_id == audit_id, AgreedScore.code == code))


def reset_agreed_score(audit: Audit, code: str, user=None, expected_version=None) -> None:
    """Go back to the default rule (lowest agency score).

    ``expected_version``: the version of the agreed score the user saw; if someone has changed it
    since, nothing is reset (ConflictError).
    """
    require(user, Perm.MODERATE, audit.area_id)
    _require_open(audit)
    audit_id, area_id, what = audit.id, audit.area_id, _("the agreed score of %(code)s", code=code)

    def attempt():
        row = _agreed_row(audit_id, code)
        if row is None:
            return None, {}
        _check_version(row, expected_version, what)
        lowest = consolidate(framework_of(audit), {code: scores_matrix(audit).get(code, {})}, {}).by_code[code].lowest
        changes = {"score": (row.score, lowest), "justification": (row.justification, "")}
        history.record(area_id=area_id, entity="agreed_score", entity_id=row.id, changes=changes,
                       user=user, audit_id=audit_id, code=code)
        db.session.delete(row)
        bump(Audit, audit_id, "data_version")
        db.session.commit()
        return row, changes

    _write_agreed_score(audit, code, attempt, expected_version, what, user)


# -- closing and the schedule -----------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


CLOSE_PROBLEM_KINDS = ("missing_return", "unsigned_return", "stale_moderation", "unscored")


@dataclass(frozen=True)
class CloseProblem:
    """Something that makes an audit's figures less than final. ``kind`` is one of
    :data:`CLOSE_PROBLEM_KINDS` (``unsigned_return`` comes with returns' sign-off)."""

    kind: str
    message: str
    code: str | None = None
    agency_id: int | None = None


class CloseNotReady(ConflictError):
    """Closing was asked for with problems outstanding and no reason to override them."""

    def __init__(self, problems: list[CloseProblem]):
        super().__init__(
            _("The audit is not ready to close: resolve the problems listed, or give a reason to close it anyway"),
            {"override_reason": _("Give a reason to close the audit with these problems outstanding")})
        self.problems = problems


def close_check(audit: Audit) -> list[CloseProblem]:
    """What stands between the audit and final figures: returns not submitted, returns not signed off
    (where the area asks for sign-off), agreed scores whose lowest score has changed since they were
    agreed, statements nobody scored."""
    links = participants(audit)
    problems = [CloseProblem("missing_return", _("%(agency)s has not submitted its return", agency=agency.display_name),
                             agency_id=agency.id)
                for link, agency in links if link.submitted_at is None]
    if sign_off_required(audit.area):
        problems += [CloseProblem("unsigned_return", _("The return of %(agency)s has not been signed off by a senior "
                                                       "officer", agency=agency.display_name), agency_id=agency.id)
                     for link, agency in links if link.submitted_at is not None and link.signed_off_at is None]
    result = consolidated(audit)
    problems += [CloseProblem("stale_moderation", _("The agreed score of %(code)s was agreed against a lowest agency "
                                                    "score that has changed since", code=s.code), code=s.code)
                 for s in result.stale()]
    problems += [CloseProblem("unscored", _("%(code)s has no score from any agency", code=s.code), code=s.code)
                 for s in result.statements if s.agreed is None]
    return problems


def _completion_date(audit: Audit, completed_on) -> date:
    """The completion date a person gave (today by default): not in the future, not before the audit
    opened, both in the partnership's own calendar (not UTC's)."""
    completed = parse_date(completed_on, "completed_on") or local_today()
    opened = local_date(audit.opened_at)
    if completed > local_today():
        raise ServiceError.field("completed_on", _("The completion date cannot be in the future"))
    if completed < opened:
        raise ServiceError.field("completed_on", _("The completion date cannot be before the audit opened (%(date)s)",
                                                   date=format_date(opened, "d MMMM yyyy")))
    return completed


def close_audit(audit: Audit, user=None, completed_on=None, override_reason=None) -> Audit:
    """Close the audit: its figures become final. Closing the baseline (T1) schedules T2 at +6 and T3
    at +12 months from the completion date.

    With problems outstanding (:func:`close_check`) it closes only with ``override_reason``, which goes
    into the history; otherwise :class:`CloseNotReady` (409) lists them."""
    require(user, Perm.MANAGE_AREA, audit.area_id)
    _require_open(audit)
    completed = _completion_date(audit, completed_on)
    reason = parse_text(override_reason, "override_reason")
    problems = close_check(audit)
    if problems and not reason:
        raise CloseNotReady(problems)
    audit.status = CLOSED
    audit.completed_on = completed
    audit.closed_by_id = getattr(user, "id", None)
    if audit.cycle == 1:
        for offset, months in enumerate(REAUDIT_MONTHS, start=2):
            exists = db.session.scalar(select(func.count()).select_from(ScheduledAudit).where(
                ScheduledAudit.area_id == audit.area_id, ScheduledAudit.framework == audit.framework,
                ScheduledAudit.cycle == offset))
            if not exists:
                db.session.add(ScheduledAudit(area_id=audit.area_id, framework=audit.framework, cycle=offset,
                                              due_on=add_months(completed, months), baseline_id=audit.id))
    changes = {"status": (OPEN, CLOSED), "completed_on": (None, completed)}
    if problems:
        changes["override_reason"] = (None, reason)
    history.record(area_id=audit.area_id, entity="audit", entity_id=audit.id, changes=changes, user=user,
                   audit_id=audit.id)
    db.session.commit()
    emit(audit.area, audit, Event.AUDIT_CLOSED, changes, user)
    return audit


def _later_audits(audit: Audit) -> list[Audit]:
    """The audits of the same framework in the area opened after this one, by cycle."""
    return [a for a in audits_for_area(audit.area_id, audit.framework) if a.cycle > audit.cycle]


def may_reopen(audit: Audit) -> bool:
    """Closed, and the latest audit of its framework in the area (the one a reopen would not overtake);
    never an imported baseline (it has no returns to reopen)."""
    return audit.status == CLOSED and not audit.imported and not _later_audits(audit)


def reopen_audit(audit: Audit, user=None, reason=None) -> Audit:
    """Open a closed audit again, with a reason (in the history): only the latest audit of its framework
    in the area, and not while a later one is open. Re-audits scheduled from it and not yet opened
    are dropped; closing it again schedules them from the new completion date."""
    require(user, Perm.MANAGE_AREA, audit.area_id)
    if audit.status != CLOSED:
        raise ConflictError(_("This audit is open already"))
    if audit.imported:
        raise ConflictError(_("An imported baseline cannot be reopened: it was done elsewhere"))
    later = _later_audits(audit)
    if later:
        raise ConflictError(_("%(label)s has been opened since: only the latest audit can be reopened",
                              label=later[-1].label))
    reason = parse_text(reason, "reason")
    if not reason:
        raise ServiceError.field("reason", _("Say why the audit is being reopened"))
    completed = audit.completed_on
    audit.status, audit.completed_on, audit.closed_by_id = OPEN, None, None
    for slot in db.session.scalars(select(ScheduledAudit).where(ScheduledAudit.baseline_id == audit.id,
                                                               ScheduledAudit.audit_id.is_(None))):
        db.session.delete(slot)
    changes = {"status": (CLOSED, OPEN), "completed_on": (completed, None), "reason": (None, reason)}
    history.record(area_id=audit.area_id, entity="audit", entity_id=audit.id, changes=changes, user=user,
                   audit_id=audit.id)
    db.session.commit()
    emit(audit.area, audit, Event.AUDIT_REOPENED, changes, user)
    return audit


def schedule(area_id: int) -> list[ScheduledAudit]:
    return list(db.session.scalars(
        select(ScheduledAudit).where(ScheduledAudit.area_id == area_id).order_by(ScheduledAudit.due_on)))


def comparable_audits(audit: Audit) -> list[Audit]:
    """The area's audits of the same framework, T1 first (for overlays and comparisons)."""
    return audits_for_area(audit.area_id, audit.framework)




# -- reading for the audit pages (engineer A) -------------------------------------------------


def previous_responses_for_agency(audit: Audit, agency_id: int) -> dict[str, Response]:
    """The agency's answers in the previous cycle, for reference on a re-audit, in one query
    (also for a baseline, where it finds nothing, so that pages run the same queries)."""
    previous_id = select(Audit.previous_id).where(Audit.id == audit.id).scalar_subquery()
    rows = db.session.scalars(select(Response).where(Response.audit_id == previous_id,
                                                     Response.agency_id == agency_id))
    return {r.code: r for r in rows}


def progress_summaries(area_id: int) -> dict[int, dict]:
    """Per audit of the area: ``{"agencies", "submitted", "scored"}`` (participants, participants that
    submitted, scores entered by participants), in two queries whatever the number of audits."""
    result = {}
    rows = db.session.execute(
        select(AuditAgency.audit_id, func.count(AuditAgency.id), func.count(AuditAgency.submitted_at))
        .join(Audit, Audit.id == AuditAgency.audit_id)
        .where(Audit.area_id == area_id)
        .group_by(AuditAgency.audit_id)
    )
    for audit_id, agencies, submitted in rows:
        result[audit_id] = {"agencies": agencies, "submitted": submitted, "scored": 0}
    rows = db.session.execute(
        select(Response.audit_id, func.count(Response.id))
        .join(Audit, Audit.id == Response.audit_id)
        .join(AuditAgency, (AuditAgency.audit_id == Response.audit_id) & (AuditAgency.agency_id == Response.agency_id))
        .where(Audit.area_id == area_id, Response.score.is_not(None))
        .group_by(Response.audit_id)
    )
    for audit_id, scored in rows:
        result.setdefault(audit_id, {"agencies": 0, "submitted": 0, "scored": 0})["scored"] = scored
    return result


# -- bulk reads for the API and the exports ---------------------------------------------------


def scored_statement(framework, code):
    """The scored statement ``code`` (NotFoundError if unknown, ServiceError for a heading)."""
    return _scored_statement(framework, code)


def participants_by_audit(audit_ids) -> dict[int, list[tuple[AuditAgency, Agency]]]:
    """``{audit_id: [(AuditAgency, Agency), ...]}`` for several audits in one query (agencies by name)."""
    result = {audit_id: [] for audit_id in audit_ids}
    if not result:
        return result
    rows = db.session.execute(
        select(AuditAgency, Agency).join(Agency, Agency.id == AuditAgency.agency_id)
        .where(AuditAgency.audit_id.in_(list(result))).order_by(Agency.name)
    )
    for link, agency in rows:
        result[link.audit_id].append((link, agency))
    return result


def response_sources(audit: Audit) -> dict[tuple[int, str], str]:
    """``{(agency_id, code): "shared" | "exception"}``: the audit's answers that came from an organisation's
    shared return (``Response.source``), in one query; answered-here ones are left out."""
    return {(agency_id, code): source for agency_id, code, source in db.session.execute(
        select(Response.agency_id, Response.code, Response.source)
        .where(Response.audit_id == audit.id, Response.source != SOURCE_AGENCY))}


def audit_responses(audit: Audit, agency_id: int | None = None) -> list[Response]:
    """The audit's responses (of one agency, or all), by agency then printed statement order, in one query."""
    query = select(Response).where(Response.audit_id == audit.id)
    if agency_id is not None:
        query = query.where(Response.agency_id == agency_id)
    order = {code: i for i, code in enumerate(framework_of(audit).codes)}
    return sorted(db.session.scalars(query), key=lambda r: (r.agency_id, order.get(r.code, len(order)), r.code))


def audit_domain_responses(audit: Audit) -> list[DomainResponse]:
    """Every agency's domain comments and dates completed, in one query."""
    return list(db.session.scalars(
        select(DomainResponse).where(DomainResponse.audit_id == audit.id)
        .order_by(DomainResponse.agency_id, DomainResponse.domain)))


def agreed_many(audits) -> dict[int, Consolidated]:
    """Agreed scores and domain means of several audits, for pages that show nothing more (the
    dashboard, regional roll-ups and trends), in two queries. The database keeps only the lowest
    score of each statement, so one row per statement comes back rather than one per agency; the
    results have no agency scores, spread, mean or median (see :func:`consolidate`)."""
    audits = list(audits)
    ids = [a.id for a in audits]
    if not ids:
        return {}
    lowest = {audit_id: {} for audit_id in ids}
    rows = db.session.execute(
        select(Response.audit_id, Response.code, func.min(Response.score))
        .join(AuditAgency, (AuditAgency.audit_id == Response.audit_id) & (AuditAgency.agency_id == Response.agency_id))
        .where(Response.audit_id.in_(ids), Response.score.is_not(None))
        .group_by(Response.audit_id, Response.code)
    )
    for audit_id, code, score in rows:
        lowest[audit_id][code] = score
    agreed = {audit_id: {} for audit_id in ids}
    for audit_id, code, score, justification, basis in db.session.execute(
            select(AgreedScore.audit_id, AgreedScore.code, AgreedScore.score, AgreedScore.justification,
                   AgreedScore.basis_lowest).where(AgreedScore.audit_id.in_(ids))):
        agreed[audit_id][code] = (score, justification, basis)
    return {a.id: consolidate(framework_of(a), {}, agreed[a.id], lowest_scores=lowest[a.id]) for a in audits}


def consolidated_many(audits) -> dict[int, Consolidated]:
    """:func:`consolidated` for several audits (e.g. T1, T2, T3 of an area) in two queries."""
    audits = list(audits)
    ids = [a.id for a in audits]
    if not ids:
        return {}
    matrices = {audit_id: {} for audit_id in ids}
    rows = db.session.execute(
        select(Response.audit_id, Response.code, Response.agency_id, Response.score)
        .join(AuditAgency, (AuditAgency.audit_id == Response.audit_id) & (AuditAgency.agency_id == Response.agency_id))
        .where(Response.audit_id.in_(ids), Response.score.is_not(None))
    )
    for audit_id, code, agency_id, score in rows:
        matrices[audit_id].setdefault(code, {})[agency_id] = score
    agreed = {audit_id: {} for audit_id in ids}
    for row in db.session.scalars(select(AgreedScore).where(AgreedScore.audit_id.in_(ids))):
        agreed[row.audit_id][row.code] = (row.score, row.justification, row.basis_lowest)
    return {a.id: consolidate(framework_of(a), matrices[a.id], agreed[a.id]) for a in audits}


# -- provisional figures ----------------------------------------------------------------------
#
# One definition, used by every page, the regional roll-up and the API: an audit's figures are
# provisional while it is open (agencies can still score, moderators can still agree), and a
# provisional figure is always shown with how many returns (participants that submitted) are in.


@dataclass(frozen=True)
class Provisional:
    """Whether ``audit``'s figures are provisional, with how many returns are in."""

    audit: Audit
    provisional: bool
    returns_in: int = 0
    returns_total: int = 0

    @property
    def label(self) -> str:
        return self.audit.label

    def __bool__(self) -> bool:
        return self.provisional


def provisional_from_participants(audit: Audit, participants) -> Provisional:
    """:class:`Provisional` from participants already loaded (``[(AuditAgency, Agency)]``): no query."""
    if not audit.is_open:
        return Provisional(audit, False)
    links = [link for link, _agency in participants]
    return Provisional(audit, True, sum(1 for link in links if link.submitted_at is not None), len(links))


def provisional_status(audits) -> dict[int, Provisional]:
    """``{audit_id: Provisional}`` for several audits: one grouped query for the open ones, none when
    every audit is closed (a closed audit's figures are final)."""
    audits = [a for a in audits if a is not None]
    open_ids = [a.id for a in audits if a.is_open]
    counts = {}
    if open_ids:
        counts = {audit_id: (submitted, total) for audit_id, total, submitted in db.session.execute(
            select(AuditAgency.audit_id, func.count(AuditAgency.id), func.count(AuditAgency.submitted_at))
            .where(AuditAgency.audit_id.in_(open_ids)).group_by(AuditAgency.audit_id))}
    return {a.id: Provisional(a, True, *counts.get(a.id, (0, 0))) if a.is_open else Provisional(a, False)
            for a in audits}
