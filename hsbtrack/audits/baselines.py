"""A baseline done elsewhere: a past audit the partnership ran on the NSPCC's paper tool or spreadsheet,
recorded here as a closed first cycle (an *imported baseline*) so that the next cycle compares against it.

What it is: an :class:`~hsbtrack.audits.models.Audit` with ``imported`` set, cycle 1, closed on the
date the board gives, with the agreed scores the board gives (``AgreedScore`` rows, each optional
comment kept as the row's ``justification``) and no agencies and no agency responses. Its label says
"T1 (imported baseline)" wherever a cycle's label shows (audit list, overview, comparison, graphs' keys,
reports, exports). The next audit opened in the area is T2 with it as the previous cycle.

Where it may be recorded: **only as the first cycle of its framework in the area** (no audit of that
framework yet). Putting one before an existing T1 would renumber cycles already named in reports,
the history, actions' findings ("T1 1.3") and papers sent out; the board records it before opening
its first audit here instead.

The cycle's date rules do not apply (no opening date, no "not before it opened"), except that the date
must be a real date and not in the future (the partnership's calendar). It schedules no re-audit unless
the board asks (``schedule_reaudits``: T2 at +6 and T3 at +12 months from its date, as closing a T1 here
does). Its creation, with every agreed score, is in the history. It cannot be reopened.
"""

from datetime import datetime, time

from flask_babel import gettext as _
from sqlalchemy import select

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services
from hsbtrack.audits.models import CLOSED, AgreedScore, Audit, ScheduledAudit
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.events import Event
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.plugins.services import emit
from hsbtrack.timeutil import local_today, parse_date

MAX_NOTE = 2000


def may_import(area_id: int, framework_slug: str) -> bool:
    """Whether an imported baseline may be recorded for this framework: the area has no audit of it yet."""
    return not services.audits_for_area(area_id, framework_slug)


def create_imported_baseline(area, *, completed_on, scores=None, comments=None, note=None, title=None,
                             framework_slug=None, schedule_reaudits=False, user=None) -> Audit:
    """Record a past audit done elsewhere as the area's closed first cycle (see the module's note).

    ``scores``: ``{code: 0..4 or blank}``; ``comments``: ``{code: text}``; both for scored statements
    of the framework. Every problem is reported at once (``ServiceError`` with a field per problem:
    ``completed_on``, ``framework``, ``title``, ``note``, ``score-<code>``, ``comment-<code>``,
    ``scores``); nothing is saved unless everything is right."""
    services.require(user, Perm.MANAGE_AREA, area.id)
    errors = {}
    try:
        framework = services.catalogue().get(framework_slug or services.DEFAULT_FRAMEWORK)
    except KeyError:
        framework = None
        errors["framework"] = _("Choose a framework from the catalogue")
    completed = None
    try:
        completed = parse_date(completed_on, "completed_on")
        if completed is None:
            errors["completed_on"] = _("Enter the date the baseline audit was completed")
        elif completed > local_today():
            errors["completed_on"] = _("The date the baseline audit was completed cannot be in the future")
    except ServiceError as error:
        errors.update(error.fields)
    for name, value, limit in (("title", title, services.MAX_TITLE), ("note", note, MAX_NOTE)):
        try:
            text = services.parse_text(value, name)
        except ServiceError as error:
            errors.update(error.fields)
            continue
        if len(text) > limit:
            errors[name] = _("Must be %(n)d characters or fewer", n=limit)
        if name == "title":
            title = text
        else:
            note = text
    agreed = {}  # code -> [score, comment]
    if framework is not None:
        scored = {s.code for s in framework.scored_statements}
        for kind, given in (("score", scores or {}), ("comment", comments or {})):
            for code, value in given.items():
                field = f"{kind}-{code}"
                if code not in scored:
                    errors[field] = _("%(code)s is not a scored statement of this framework", code=code)
                    continue
                try:
                    parsed = (services.parse_score(value, framework, field) if kind == "score"
                              else services.parse_text(value, field))
                except ServiceError as error:
                    errors[field] = f"{code}: {error.message}"
                    continue
                if parsed not in (None, ""):
                    agreed.setdefault(code, [None, ""])[0 if kind == "score" else 1] = parsed
        if not errors and not any(score is not None for score, _comment in agreed.values()):
            errors["scores"] = _("Enter at least one agreed score")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    if not may_import(area.id, framework.slug):
        raise ConflictError.field("framework", _(
            "An imported baseline can only be the first cycle of %(framework)s in %(area)s, and an audit of it "
            "has been opened here already", framework=framework.title, area=area.display_name))
    opened = datetime.combine(completed, time(12, 0))
    audit = Audit(area_id=area.id, framework=framework.slug, framework_version=framework.version,
                  title=title or _("Baseline done elsewhere (%(year)d)", year=completed.year), cycle=1, status=CLOSED,
                  imported=True, import_note=note or "", opened_at=opened, opened_by_id=getattr(user, "id", None),
                  completed_on=completed, closed_by_id=getattr(user, "id", None))
    db.session.add(audit)
    db.session.flush()
    changes = {"status": (None, CLOSED), "imported": (None, True), "completed_on": (None, completed)}
    if note:
        changes["note"] = (None, note)
    changes["schedule_reaudits"] = (None, bool(schedule_reaudits))
    history.record(area_id=area.id, entity="audit", entity_id=audit.id, changes=changes, user=user, audit_id=audit.id)
    order = {code: i for i, code in enumerate(framework.codes)}
    for code in sorted(agreed, key=order.__getitem__):
        score, comment = agreed[code]
        row = AgreedScore(audit_id=audit.id, code=code, score=score, justification=comment, basis_lowest=None,
                          moderated_by_id=getattr(user, "id", None))
        db.session.add(row)
        db.session.flush()
        recorded = {"score": (None, score)}
        if comment:
            recorded["justification"] = (None, comment)
        history.record(area_id=area.id, entity="agreed_score", entity_id=row.id, changes=recorded, user=user,
                       audit_id=audit.id, code=code)
    if schedule_reaudits:
        for cycle, months in enumerate(services.REAUDIT_MONTHS, start=2):
            exists = db.session.scalar(select(ScheduledAudit.id).where(
                ScheduledAudit.area_id == area.id, ScheduledAudit.framework == framework.slug,
                ScheduledAudit.cycle == cycle))
            if exists is None:
                db.session.add(ScheduledAudit(area_id=area.id, framework=framework.slug, cycle=cycle,
                                              due_on=services.add_months(completed, months), baseline_id=audit.id))
    db.session.commit()
    emit(area, audit, Event.AUDIT_CLOSED, changes, user)
    return audit
