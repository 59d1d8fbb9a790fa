"""Rules of the action plan: findings to actions, validation, updates, history, filters.

Who may do what: users with ``actions.edit`` in the area (board managers, regional coordinators)
create and edit actions; an action's owner may update its status, progress and completion evidence
and post progress updates.
"""

import re
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from hsbtrack.actions.models import (
    CLOSED_STATUSES,
    PRIORITIES,
    STATUSES,
    Action,
    ActionStatement,
    ActionUpdate,
    FindingDecision,
)
from hsbtrack.areas.models import Agency, Area, Membership
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services as audits
from hsbtrack.auth.models import User
from hsbtrack.auth.services import normalise_email
from hsbtrack.documents.models import COMPLETION, LINKED, Document, DocumentLink
from hsbtrack.errors import ConflictError, ForbiddenError, ServiceError
from hsbtrack.events import Event
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.permissions import can, is_admin, permissions_in_area, users_holding
from hsbtrack.plugins.services import emit
from hsbtrack.security import get_by_id
from hsbtrack.timeutil import local_today, parse_date, today, utcnow
from hsbtrack.transactions import locked, run_write

EDITABLE = ("title", "description", "owner_id", "agency_id", "due_on", "priority", "status", "progress",
            "completion_evidence")
OWNER_EDITABLE = ("status", "progress", "completion_evidence")


def status_labels() -> dict:
    return {"not_started": _("Not started"), "in_progress": _("In progress"), "blocked": _("Blocked"),
            "done": _("Done"), "cancelled": _("Cancelled")}


def priority_labels() -> dict:
    return {"high": _("High"), "medium": _("Medium"), "low": _("Low")}




def framework(slug):
    return current_app.extensions["hsbtrack_catalogue"].get(slug)


# -- parsing ----------------------------------------------------------------------------------


def _parse_codes(values, framework_slug) -> list[str]:
    fw = framework(framework_slug)
    codes = []
    for raw in values or []:
        code = str(raw).strip()
        try:
            statement = fw.statement(code)
        except KeyError:
            raise ServiceError.field("statements", _("%(code)s is not a statement of the framework", code=code)) from None
        if not statement.scored:
            raise ServiceError.field("statements", _("%(code)s is a heading: link the statements under it", code=code))
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ServiceError.field("statements", _("Link the action to at least one statement"))
    return codes


def _parse_choice(value, allowed, field, message):
    if value not in allowed:
        raise ServiceError.field(field, message)
    return value


def _parse_progress(value) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(str(value).strip())
        if str(value).strip() != str(number) and not isinstance(value, int):
            raise ValueError
    except (TypeError, ValueError):
        raise ServiceError.field("progress", _("Progress must be a whole number from 0 to 100")) from None
    if isinstance(value, bool) or not 0 <= number <= 100:
        raise ServiceError.field("progress", _("Progress must be a whole number from 0 to 100"))
    return number


def resolve_owner(area, owner_email=None, owner_id=None, restricted_to=None) -> User:
    """The owner must be an active user who may read the area's action plan (in the area or over its
    region) and, for a walled action, who may look behind its wall."""

    user = None
    if owner_id not in (None, ""):
        user = get_by_id(User, owner_id)
    elif owner_email:
        user = db.session.scalar(select(User).where(User.email == normalise_email(owner_email)))
    if user is None or not user.active or not can(user, Perm.READ_ACTIONS, area.id):
        raise ServiceError.field("owner", _("The owner must be someone who can see the action plan of %(area)s",
                                            area=area.display_name))
    if restricted_to is not None and not _holds(user, restricted_to, area.id):
        raise ServiceError.field("owner", _("The owner must be someone who may see this confidential record"))
    return user


def _parse_agency(area, agency_id):
    if agency_id in (None, ""):
        return None
    agency = get_by_id(Agency, agency_id)
    if agency is None or agency.area_id != area.id:
        raise ServiceError.field("agency_id", _("Choose an agency of %(area)s", area=area.display_name))
    return agency.id


def _parse_due_on(value, *, record_overdue=False, current=None) -> date:
    """A due date: today or later in the partnership's calendar, unless the action is being recorded late
    (from an earlier paper plan: ``record_overdue``) or the date is the one the action already has."""
    due_on = parse_date(value, "due_on", required=True)
    if due_on < local_today() and not record_overdue and due_on != current:
        raise ServiceError.field("due_on", _("The due date is in the past: enter today or a later date, or say "
                                             "that the action is being recorded late (from an earlier plan)"))
    return due_on


def has_completion_document(action_id) -> bool:
    """Is a completion document (not in the bin) attached to the action? (one query)"""
    return db.session.scalar(
        select(DocumentLink.id).join(Document, Document.id == DocumentLink.document_id)
        .where(DocumentLink.action_id == action_id, DocumentLink.purpose == COMPLETION,
               DocumentLink.status == LINKED, Document.deleted_at.is_(None)).limit(1)) is not None


def _evidence_error() -> dict:
    # Done needs completion evidence: the text, or a completion document attached to the action
    # (hsbtrack.actions.documents; see check_update)
    return {"completion_evidence": _("Describe the completion evidence before marking the action done: "
                                     "what shows it is done")}


def _parse_title(value) -> str:
    title = (value or "").strip()
    if not title:
        raise ServiceError.field("title", _("Enter a title for the action"))
    if len(title) > 300:
        raise ServiceError.field("title", _("The title must be 300 characters or fewer"))
    return title


# -- walls: actions that only some readers may see --------------------------------------------
#
# An action may carry ``restricted_to``, a permission (e.g. the Scotland plugin's case permission
# on a CARM risk-management-plan action). Only readers holding it in the action's area see the
# action, wherever it would show: lists, counts, exports, papers, reminders, digests, the API.
# Every reading function below hides walled actions unless it is told who reads (``reader``) and
# that reader may look behind the wall: the safe default is "not shown".


def may_see(user, action) -> bool:
    """May ``user`` see this action at all (its wall, not the plan permission)?"""
    return action.restricted_to is None or _holds(user, action.restricted_to, action.area_id)


def _holds(user, permission, area_id) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_admin(user) or permission in permissions_in_area(user, area_id)


def walls(reader, area_id):
    """SQL condition: the actions of ``area_id`` that ``reader`` may see (None: nobody's walls open)."""
    from sqlalchemy import or_, true


    if reader is not None and getattr(reader, "is_authenticated", False):
        if is_admin(reader):
            return true()
        held = permissions_in_area(reader, area_id) if area_id is not None else set()
        if held:
            return or_(Action.restricted_to.is_(None), Action.restricted_to.in_(sorted(held)))
    return Action.restricted_to.is_(None)


# -- creating and changing --------------------------------------------------------------------


def _parse_action_fields(area, framework_slug, *, title, owner, due_on, statements, priority, status, agency_id,
                         restricted_to=None, record_overdue=False, completion_evidence=""
                         ) -> tuple[dict, User | None, dict]:
    """Every field of a new action read at once: ``(values, owner, errors)`` — all the errors, so that a
    form shows them together (GOV.UK's rule), never the first alone. A due date in the past needs
    ``record_overdue`` (an action recorded late from an earlier plan); a done action needs its
    completion evidence."""
    errors, values = {}, {}
    for name, parse in (
        ("title", lambda: _parse_title(title)),
        ("due_on", lambda: _parse_due_on(due_on, record_overdue=record_overdue)),
        ("statements", lambda: _parse_codes(statements, framework_slug)),
        ("priority", lambda: _parse_choice(priority or "medium", PRIORITIES, "priority",
                                           _("Choose a priority: high, medium or low"))),
        ("status", lambda: _parse_choice(status or "not_started", STATUSES, "status", _("Choose a known status"))),
        ("agency_id", lambda: _parse_agency(area, agency_id)),
    ):
        try:
            values[name] = parse()
        except ServiceError as error:
            errors.update(error.fields)
    if values.get("status") == "done" and not (completion_evidence or "").strip():
        errors.update(_evidence_error())
    if not isinstance(owner, User):
        try:
            owner = resolve_owner(area, owner_email=owner, restricted_to=restricted_to)
        except ServiceError as error:
            owner = None
            errors.update(error.fields)
    elif restricted_to is not None and not _holds(owner, restricted_to, area.id):
        errors["owner"] = _("The owner must be someone who may see this confidential record")
    return values, owner, errors


def create_action(area, *, title, owner, due_on, statements, description="", agency_id=None, priority="medium",
                  status="not_started", audit=None, framework_slug=None, user=None, commit=True,
                  restricted_to=None, record_overdue=False, completion_evidence="") -> Action:
    """Create an action. ``commit=False`` leaves it in the caller's transaction (several at once).
    ``restricted_to``: a permission only whose holders see the action (see "walls" above).
    ``due_on`` is today or later unless ``record_overdue`` (recorded late, from an earlier plan); a
    ``done`` action needs ``completion_evidence``."""
    framework_slug = framework_slug or (audit.framework if audit is not None else "nspcc-hsb-2019")
    if audit is not None and audit.area_id != area.id:
        raise ServiceError.field("audit_id", _("Choose an audit of %(area)s", area=area.display_name))
    values, owner, errors = _parse_action_fields(
        area, framework_slug, title=title, owner=owner, due_on=due_on, statements=statements, priority=priority,
        status=status, agency_id=agency_id, restricted_to=restricted_to, record_overdue=record_overdue,
        completion_evidence=completion_evidence)
    if errors:
        raise ServiceError(_("The action was not saved: check the fields"), errors)
    action = Action(area_id=area.id, audit_id=audit.id if audit else None, framework=framework_slug,
                    title=values["title"], description=(description or "").strip(), owner_id=owner.id,
                    agency_id=values["agency_id"], due_on=values["due_on"], priority=values["priority"],
                    status=values["status"], progress=100 if values["status"] == "done" else 0,
                    completion_evidence=(completion_evidence or "").strip(),
                    completed_on=today() if values["status"] == "done" else None,
                    created_by_id=getattr(user, "id", None), restricted_to=restricted_to)
    action.statements = [ActionStatement(code=c) for c in values["statements"]]
    db.session.add(action)
    db.session.flush()
    history.record(area_id=area.id, entity="action", entity_id=action.id, user=user,
                   changes={"created": (None, values["title"])})
    if commit:
        db.session.commit()
        emit(area, action, Event.ACTION_CREATED, {"created": (None, action.title)}, user)
    return action


def can_edit(user, action) -> bool:
    return can(user, Perm.EDIT_ACTIONS, action.area_id)


def can_update(user, action) -> bool:
    return can_edit(user, action) or action.owner_id == getattr(user, "id", None)


def update_action(action, data: dict, user=None, expected_version=None) -> Action:
    """Change fields of an action. The owner may change only status, progress and completion evidence.

    A new due date in the past needs ``record_overdue`` in ``data`` (as for a new action); the action
    can be done only with completion evidence (text, or a completion document attached to it)."""
    return apply_update(check_update(action, data, user=user, expected_version=expected_version), user=user)


@dataclass
class CheckedUpdate:
    """A change to an action that passed every rule (:func:`check_update`), ready to write."""

    action: Action
    area: Area
    values: dict
    new_codes: list | None
    versioned: bool
    expected_version: object
    conflict: str


def check_update(action, data: dict, user=None, expected_version=None,
                 completion_document: bool = False) -> CheckedUpdate:
    """Every rule of :func:`update_action`, without writing: ForbiddenError and ConflictError at once,
    else a ServiceError naming every field in error. ``completion_document``: a completion document
    comes with the change (hsbtrack.actions.documents), which is completion evidence enough."""

    area = db.session.get(Area, action.area_id)
    data = dict(data)
    record_overdue = bool(data.pop("record_overdue", False))
    if user is not None and not can_update(user, action):
        raise ForbiddenError(_("Only the owner or the board can change this action"))
    allowed = EDITABLE if can_edit(user, action) else OWNER_EDITABLE
    unknown = [k for k in data if k not in (*EDITABLE, "statements", "owner_email")]
    if unknown:
        raise ServiceError.field(unknown[0], _("%(field)s cannot be changed", field=unknown[0]))
    forbidden = [k for k in data if k not in (*allowed, "statements", "owner_email") or
                 (k in ("statements", "owner_email") and allowed is OWNER_EDITABLE)]
    if forbidden:
        raise ForbiddenError(_("Only the board can change %(field)s", field=forbidden[0]))
    conflict = _("Someone else changed this action while you were editing it. Your change was not saved: "
                 "reload to see their version.")
    versioned = expected_version not in (None, "")
    if versioned and int(expected_version) != action.version:
        raise ConflictError(conflict, {"version": _("Out of date")}, current=action)
    values, errors = {}, {}
    parsers = {
        "title": _parse_title,
        "description": lambda v: (v or "").strip(),
        "due_on": lambda v: _parse_due_on(v, record_overdue=record_overdue, current=action.due_on),
        "priority": lambda v: _parse_choice(v, PRIORITIES, "priority", _("Choose a priority: high, medium or low")),
        "status": lambda v: _parse_choice(v, STATUSES, "status", _("Choose a known status")),
        "progress": _parse_progress,
        "completion_evidence": lambda v: (v or "").strip(),
        "agency_id": lambda v: _parse_agency(area, v),
        "owner_id": lambda v: resolve_owner(area, owner_id=v).id,
    }
    for name, value in data.items():
        try:
            if name == "owner_email":
                values["owner_id"] = resolve_owner(area, owner_email=value).id
            elif name == "statements":
                values["statements"] = _parse_codes(value, action.framework)
            else:
                values[name] = parsers[name](value)
        except ServiceError as error:
            errors.update(error.fields)
    if "status" not in errors:
        evidence = values.get("completion_evidence", action.completion_evidence)
        done_now = values.get("status", action.status) == "done"
        if done_now and not evidence and (action.status != "done" or action.completion_evidence) \
                and not completion_document and not has_completion_document(action.id):
            errors.update(_evidence_error())  # moving to done, or clearing the evidence of a done action
    if errors:
        raise ServiceError(_("The action was not saved: check the fields"), errors)
    if values.get("status") == "done":
        values.setdefault("progress", 100)
    new_codes = values.pop("statements", None)
    return CheckedUpdate(action, area, values, new_codes, versioned, expected_version, conflict)


def apply_update(checked: CheckedUpdate, user=None, then=None) -> Action:
    """Write a change :func:`check_update` accepted, in one transaction with the history. ``then(action)``:
    more of the same write, run after the change is flushed (a lost race shows before it); it commits
    (hsbtrack.actions.documents: the completion document stored with the change)."""
    action, area, values, new_codes = checked.action, checked.area, checked.values, checked.new_codes
    versioned, expected_version, conflict = checked.versioned, checked.expected_version, checked.conflict
    action_id = action.id

    def attempt():
        current = _locked_action(action_id)  # (fresh after a lost race: run_write rolled back)
        if versioned and int(expected_version) != current.version:
            raise ConflictError(conflict, {"version": _("Out of date")}, current=current)
        changes = history.diff(current, values)
        if new_codes is not None and new_codes != current.codes:
            changes["statements"] = (current.codes, new_codes)
            current.statements = [s for s in current.statements if s.code in new_codes] + [
                ActionStatement(code=c) for c in new_codes if c not in current.codes]
        for name, (_old, new) in changes.items():
            if name != "statements":
                setattr(current, name, new)
        if "status" in changes:
            current.completed_on = today() if current.status == "done" else None
        if changes:
            current.updated_at = utcnow()
            history.record(area_id=current.area_id, entity="action", entity_id=current.id, changes=changes,
                           user=user)
        if then is not None:
            db.session.flush()
            then(current)  # (commits)
        elif changes:
            db.session.commit()
        return changes

    changes = run_write(attempt, versioned=versioned, conflict_message=conflict,
                        current=lambda: db.session.get(Action, action_id))
    if changes:
        emit(area, action, Event.ACTION_SAVED, changes, user)
    return action


def _locked_action(action_id) -> Action:
    return locked(select(Action).where(Action.id == action_id))


def add_update(action, note, progress=None, user=None) -> ActionUpdate:
    if not can_update(user, action):
        raise ForbiddenError(_("Only the owner or the board can post updates"))
    note = (note or "").strip()
    if not note:
        raise ServiceError.field("note", _("Write what has happened"))
    value = None if progress in (None, "") else _parse_progress(progress)
    action_id = action.id

    def attempt():  # an update is never a conflict: it adds to the action (last write wins on progress)
        current = _locked_action(action_id)
        update = ActionUpdate(action_id=action_id, note=note, progress=value, user_id=getattr(user, "id", None))
        db.session.add(update)
        changes = {"update": (None, note)}
        if value is not None and value != current.progress:
            changes["progress"] = (current.progress, value)
            current.progress = value
            if current.status == "not_started" and value > 0:
                changes["status"] = (current.status, "in_progress")
                current.status = "in_progress"
        current.updated_at = utcnow()
        history.record(area_id=current.area_id, entity="action", entity_id=action_id, changes=changes, user=user)
        db.session.commit()
        return update, changes

    update, changes = run_write(attempt, versioned=False, conflict_message=_(
        "Someone else changed this action at the same moment. Your update was not saved: try again."))
    emit(action.area, action, Event.ACTION_PROGRESS_POSTED, changes, user)
    return update


# -- findings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    code: str
    domain: int
    text: str
    agreed: int | None
    lowest: int | None
    spread: int | None
    low: bool
    disagreement: bool
    decision: FindingDecision | None
    draft_title: str = ""


SHORT_TEXT_MAX = 90
# Where a statement's first clause ends: a comma, semicolon, colon or full stop, a dash or a bracket
# (looked for after its first few words, so that "Living at home (including …)" keeps its bracket and
# "Local community-based teams, including CAMHS …" its aside).
_CLAUSE_END = re.compile(r"[,;:.]\s|\s[–—-]\s|\s\(")
_CLAUSE_MIN = 40
# Words a cut-short title should not end on.
_DANGLING = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "including", "of", "on", "or", "the", "their",
             "to", "which", "with"}


def short_text(text: str, limit: int = SHORT_TEXT_MAX) -> str:
    """A statement's short text: its first clause, cut at a word boundary (never mid-word) when longer
    than ``limit``, with "…" after the last whole word."""
    text = " ".join((text or "").split())
    end = _CLAUSE_END.search(text, _CLAUSE_MIN)
    clause = (text[:end.start()] if end else text).rstrip(" ,;:.")
    if len(clause) > limit:
        words = clause[:limit + 1].split(" ")[:-1]  # the last piece may be a word cut short: drop it
        while len(words) > 1 and words[-1].lower().strip(",;:") in _DANGLING:
            words.pop()
        clause = (" ".join(words).rstrip(" ,;:") + "…") if words else clause.split(" ", 1)[0]
    if clause.count("(") > clause.count(")") and clause.rfind(" (") > 0:
        clause = clause[:clause.rfind(" (")]  # never a bracket left open
    return clause[:1].upper() + clause[1:]


def draft_title(framework, code: str, lang: str | None = None) -> str:
    """The draft title of a finding's action: the domain's short title and the statement's short text
    (the catalogue has no short title per statement), e.g. "Responses: We capture accurate data …"."""
    statement = framework.statement(code)
    return _("%(domain)s: %(statement)s", domain=framework.domain_short_title(statement.domain_number, lang),
             statement=short_text(statement.text_for(lang)))


def findings(audit, lang: str | None = None) -> list[Finding]:
    """Low agreed scores (≤ the area's threshold) and disagreements (spread ≥ 2), with decisions and
    draft titles (in ``lang``)."""

    area = audit.area
    threshold = audits.low_score_threshold(area)
    result = audits.consolidated(audit)
    fw = audits.framework_of(audit)
    decisions = {d.code: d for d in db.session.scalars(select(FindingDecision).where(FindingDecision.audit_id == audit.id))}
    out = []
    for item in result.statements:
        low = item.agreed is not None and item.agreed <= threshold
        if low or item.disagreement:
            out.append(Finding(item.code, item.domain, fw.statement(item.code).text, item.agreed, item.lowest,
                               item.spread, low, item.disagreement, decisions.get(item.code),
                               draft_title(fw, item.code, lang)))
    return out


def open_actions_for_findings(audit, codes, reader=None) -> dict[str, list[Action]]:
    """The open actions of the audit's area already linked to each statement of ``codes`` (from this
    cycle or an earlier one), as ``reader`` may see them, soonest due first: one query."""
    rows = db.session.execute(
        select(ActionStatement.code, Action).join(Action, Action.id == ActionStatement.action_id)
        .where(Action.area_id == audit.area_id, Action.framework == audit.framework,
               Action.status.not_in(CLOSED_STATUSES), ActionStatement.code.in_(list(codes)), walls(reader, audit.area_id))
        .order_by(Action.due_on, Action.id))
    out = {}
    for code, action in rows:
        out.setdefault(code, []).append(action)
    return out


def add_finding_to_action(audit, code, action, user=None) -> FindingDecision:
    """Answer a finding with an existing open action ("Add to this action") instead of a new one: the
    finding is decided (accepted, linked to the action), the action gains the statement if it did not
    have it, and the action's history says which audit's finding it now answers."""
    if action is None or action.area_id != audit.area_id or (user is not None and not may_see(user, action)):
        raise ServiceError.field("action_id", _("Choose an action of %(area)s", area=audit.area.display_name))
    if user is not None and not can_edit(user, action):
        raise ForbiddenError(_("Only the board can add findings to an action"))
    if action.status in CLOSED_STATUSES:
        raise ServiceError.field("action_id", _("Choose an open action: “%(title)s” is done or cancelled",
                                                title=action.title))
    if action.framework != audit.framework:
        raise ServiceError.field("action_id", _("Choose an action on the framework of this audit"))
    known = {f.code: f for f in findings(audit)}
    if code not in known:
        raise ServiceError.field("code", _("%(code)s is not a finding of this audit", code=code))
    if known[code].decision is not None:
        raise ConflictError.field("code", _("%(code)s has already been decided", code=code))
    action_id = action.id

    def attempt():
        current = _locked_action(action_id)
        if db.session.scalar(select(FindingDecision.id).where(FindingDecision.audit_id == audit.id,
                                                              FindingDecision.code == code)):
            raise ConflictError.field("code", _("%(code)s has already been decided", code=code))
        changes = {"finding": (None, f"{audit.label} {code}")}
        if code not in current.codes:
            changes["statements"] = (current.codes, [*current.codes, code])
            current.statements.append(ActionStatement(code=code))
        current.updated_at = utcnow()
        decision = FindingDecision(audit_id=audit.id, code=code, decision="accepted", action_id=action_id,
                                   decided_by_id=getattr(user, "id", None))
        db.session.add(decision)
        history.record(area_id=current.area_id, entity="action", entity_id=action_id, changes=changes, user=user)
        history.record(area_id=audit.area_id, entity="finding", entity_id=audit.id, code=code, audit_id=audit.id,
                       changes={"accepted": (None, current.title)}, user=user)
        db.session.commit()
        return decision, changes

    decision, changes = run_write(attempt, versioned=False, conflict_message=_(
        "Someone else decided this finding at the same moment: reload the page."))
    emit(audit.area, action, Event.ACTION_SAVED, changes, user)
    return decision


def accept_findings(audit, codes, *, owner, due_on, title=None, description="", agency_id=None, priority="medium",
                    merge=False, user=None, titles=None, record_overdue=False, lang=None) -> list[Action]:
    """Turn findings into actions: one action each, or one merged action linked to all ``codes``.

    ``titles`` (optional, ``{code: title}``) replaces the draft title of a finding's own action; a bad
    one is reported on field ``title-<code>`` before anything is saved.
    """
    known = {f.code: f for f in findings(audit, lang)}
    codes = [c for c in codes or [] if c]
    if not codes:
        raise ServiceError.field("codes", _("Choose at least one finding"))
    for code in codes:
        if code not in known:
            raise ServiceError.field("codes", _("%(code)s is not a finding of this audit", code=code))
        if known[code].decision is not None:
            raise ConflictError.field("codes", _("%(code)s has already been decided", code=code))
    groups = [codes] if merge else [[c] for c in codes]
    titles = {code: (text or "").strip() for code, text in (titles or {}).items()}
    group_titles, errors = [], {}
    for group in groups:
        if title and (merge or len(groups) == 1):
            field, text = "title", title
        else:
            field, text = f"title-{group[0]}", titles.get(group[0]) or known[group[0]].draft_title
        try:
            group_titles.append(_parse_title(text))
        except ServiceError as error:
            errors[field] = error.message
    # the fields every action shares, read with the titles: every problem reported at once
    _values, _owner, shared_errors = _parse_action_fields(
        audit.area, audit.framework, title="-", owner=owner, due_on=due_on, statements=codes, priority=priority,
        status="not_started", agency_id=agency_id, record_overdue=record_overdue)
    errors.update(shared_errors)
    if errors:
        raise ServiceError(_("The actions were not saved: check the fields"), errors)
    actions = []
    try:  # all or nothing: one transaction for every action and decision
        for group, group_title in zip(groups, group_titles, strict=True):
            action = create_action(audit.area, title=group_title, owner=owner, due_on=due_on, statements=group,
                                   description=description, agency_id=agency_id, priority=priority, audit=audit,
                                   user=user, commit=False, record_overdue=record_overdue)
            for code in group:
                db.session.add(FindingDecision(audit_id=audit.id, code=code, decision="accepted", action_id=action.id,
                                               decided_by_id=getattr(user, "id", None)))
            actions.append(action)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for action in actions:
        emit(audit.area, action, Event.ACTION_CREATED, {"created": (None, action.title)}, user)
    return actions


def dismiss_finding(audit, code, reason, user=None) -> FindingDecision:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError.field("reason", _("Say why this finding needs no action"))
    if code not in {f.code for f in findings(audit)}:
        raise ServiceError.field("code", _("%(code)s is not a finding of this audit", code=code))
    if db.session.scalar(select(FindingDecision).where(FindingDecision.audit_id == audit.id, FindingDecision.code == code)):
        raise ConflictError.field("code", _("%(code)s has already been decided", code=code))
    decision = FindingDecision(audit_id=audit.id, code=code, decision="dismissed", reason=reason,
                               decided_by_id=getattr(user, "id", None))
    db.session.add(decision)
    history.record(area_id=audit.area_id, entity="finding", entity_id=audit.id, code=code, audit_id=audit.id,
                   changes={"dismissed": (None, reason)}, user=user)
    db.session.commit()
    return decision


# -- reading ----------------------------------------------------------------------------------


@dataclass
class PlanFilter:
    status: str | None = None
    overdue: bool = False
    statement: str | None = None
    domain: int | None = None
    owner_id: int | None = None
    agency_id: int | None = None
    sort: str = "due_on"


PLAN_SORTS = ("due_on", "priority", "status", "title")


def plan_filter(framework, *, status=None, overdue=False, statement=None, domain=None, owner_id=None,
                agency_id=None, sort=None, strict: bool = False) -> PlanFilter:
    """The plan's filters, read by one rule for the pages and the API. A value that names no status,
    statement, domain or sort order is a field error when ``strict`` (the API: 422), and is dropped
    otherwise (a page's query string may come from an old bookmark)."""
    errors = {}

    def keep(field, value, known, message):
        if value in (None, ""):
            return None
        if value in known:
            return value
        if strict:
            errors[field] = message
        return None

    domains = {d.number for d in framework.domains} if framework is not None else set()
    codes = set(framework.codes) if framework is not None else set()
    chosen = PlanFilter(
        status=keep("status", status, STATUSES, _("Choose a known status")),
        overdue=bool(overdue),
        statement=keep("statement", (statement or "").strip() or None, codes,
                       _("%(code)s is not a statement of the framework", code=statement)),
        domain=keep("domain", domain, domains, _("Choose a domain of the framework")),
        owner_id=owner_id,
        agency_id=agency_id,
        sort=keep("sort", sort, PLAN_SORTS, _("Sort by due date, priority, status or title")) or "due_on",
    )
    if errors:
        raise ServiceError(_("Check the filters"), errors)
    return chosen


def plan_query(area_ids, filters: PlanFilter | None = None, on: date | None = None, reader=None):
    """The plan of one area (or several), as ``reader`` may see it (walled actions only for those
    who may look behind the wall; with several areas, walled actions are left out)."""
    filters = filters or PlanFilter()
    on = on or today()
    several = isinstance(area_ids, list | set | tuple)
    query = (select(Action).where(Action.area_id.in_(area_ids) if several else Action.area_id == area_ids)
             .where(walls(None if several else reader, None if several else area_ids))
             .options(selectinload(Action.statements), joinedload(Action.owner), joinedload(Action.agency)))
    if filters.status:
        query = query.where(Action.status == filters.status)
    if filters.overdue:
        query = query.where(Action.due_on < on, Action.status.not_in(CLOSED_STATUSES))
    if filters.statement:
        query = query.where(Action.id.in_(select(ActionStatement.action_id).where(ActionStatement.code == filters.statement)))
    if filters.domain:
        prefix = f"{int(filters.domain)}."
        query = query.where(Action.id.in_(select(ActionStatement.action_id).where(ActionStatement.code.startswith(prefix))))
    if filters.owner_id:
        query = query.where(Action.owner_id == filters.owner_id)
    if filters.agency_id:
        query = query.where(Action.agency_id == filters.agency_id)
    priority_rank = case({"high": 0, "medium": 1, "low": 2}, value=Action.priority, else_=3)
    order = {"due_on": (Action.due_on, Action.id), "priority": (priority_rank, Action.due_on),
             "status": (Action.status, Action.due_on), "title": (Action.title,)}.get(filters.sort, (Action.due_on,))
    return query.order_by(*order)


def plan(area_id, filters: PlanFilter | None = None, reader=None) -> list[Action]:
    return list(db.session.scalars(plan_query(area_id, filters, reader=reader)))


def actions_for_user(user) -> list[Action]:
    """'My actions': every action the user owns, in every area, open ones first (the owner of a
    walled action may see it: owners are chosen among those who may)."""
    query = (select(Action).where(Action.owner_id == user.id)
             .options(selectinload(Action.statements), selectinload(Action.area))
             .order_by(Action.status.in_(CLOSED_STATUSES), Action.due_on))
    return list(db.session.scalars(query))


def status_counts(area_id, reader=None) -> dict:
    rows = db.session.execute(select(Action.status, func.count())
                              .where(Action.area_id == area_id, walls(reader, area_id)).group_by(Action.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: number for status, number in rows})  # (dict() would read a Result as a mapping)
    return counts


def counts_and_overdue(area_id, on=None, reader=None) -> tuple[dict, int]:
    """:func:`status_counts` and how many open actions are past their due date, in one query (the
    plan page loaded every overdue action just to count them)."""
    on = on or today()
    rows = db.session.execute(
        select(Action.status, func.count(), func.sum(case((Action.due_on < on, 1), else_=0)))
        .where(Action.area_id == area_id, walls(reader, area_id)).group_by(Action.status))
    counts = dict.fromkeys(STATUSES, 0)
    overdue = 0
    for status, number, late in rows:
        counts[status] = number
        if status not in CLOSED_STATUSES:
            overdue += int(late or 0)
    return counts, overdue


def due_soon_and_overdue(area_id, days=7, on=None, reader=None) -> tuple[list[Action], list[Action]]:
    on = on or today()
    from datetime import timedelta

    rows = list(db.session.scalars(
        select(Action).where(Action.area_id == area_id, Action.status.not_in(CLOSED_STATUSES),
                             Action.due_on <= on + timedelta(days=days), walls(reader, area_id))
        .options(selectinload(Action.owner)).order_by(Action.due_on)))
    return [a for a in rows if a.due_on >= on], [a for a in rows if a.due_on < on]


def actions_for_statements(area_id, codes, reader=None) -> dict[str, list[Action]]:
    rows = db.session.execute(
        select(ActionStatement.code, Action).join(Action, Action.id == ActionStatement.action_id)
        .where(Action.area_id == area_id, ActionStatement.code.in_(list(codes)), walls(reader, area_id))
        .options(selectinload(Action.owner)).order_by(Action.due_on))
    out = {}
    for code, action in rows:
        out.setdefault(code, []).append(action)
    return out




def owner_choices(area, restricted_to=None) -> list[User]:
    """Active users who may own an action of ``area`` (who may read its plan, there or over its region;
    for a walled action, who may also look behind the wall), by name."""
    from sqlalchemy import or_


    scope = Membership.area_id == area.id
    if area.region_id is not None:
        scope = or_(scope, Membership.region_id == area.region_id)

    candidates = db.session.scalars(
        select(User).where(User.active.is_(True), User.id.in_(select(Membership.user_id).where(scope)))
        .order_by(func.lower(func.coalesce(func.nullif(User.name, ""), User.email)), User.id))
    needed = {Perm.READ_ACTIONS} | ({restricted_to} if restricted_to else set())
    return users_holding(candidates, needed, area)


# -- the board report's "What we did" -----------------------------------------------------------


def cycle_actions_by_statement(audit, previous=None, reader=None) -> dict[str, list[Action]]:
    """``{code: [Action, ...]}``: the actions of ``audit``'s cycle, by linked statement (an action
    linked to two statements is under both), as ``reader`` may see them, in one query whatever their
    number. The actions of a cycle: those raised from the findings of this audit or of the cycle
    before it (whose findings this cycle measures again), and those added to the plan without an
    audit since the cycle before opened (since this audit opened, for a baseline)."""
    from sqlalchemy import and_, or_

    audit_ids = [audit.id] + ([previous.id] if previous is not None else [])
    since = (previous or audit).opened_at
    rows = db.session.execute(
        select(ActionStatement.code, Action).join(Action, Action.id == ActionStatement.action_id)
        .where(Action.area_id == audit.area_id, Action.framework == audit.framework,
               or_(Action.audit_id.in_(audit_ids), and_(Action.audit_id.is_(None), Action.created_at >= since)),
               walls(reader, audit.area_id))
        .options(joinedload(Action.owner)).order_by(Action.due_on, Action.id))
    out = {}
    for code, action in rows:
        out.setdefault(code, []).append(action)
    return out
