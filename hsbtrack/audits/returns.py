"""Rules of agencies' returns: the deadline, the board's returns tracker, reminders, what a submit
leaves blank, sign-off by a senior officer, and the task panel of agency leads.

A *return* is one agency's scores for one audit: scored statement by statement, submitted when every
statement has a score, and — where the area asks for it (``returns_sign_off``) — signed off by a
senior officer of the agency before it counts as final. Nothing here reads the request.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from hsbtrack.areas.models import Agency, Area, Membership
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services
from hsbtrack.audits.models import OPEN, Audit, AuditAgency, Response, ReturnReminder
from hsbtrack.auth.models import User
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.events import Event
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.notifications.services import in_language_of, notify
from hsbtrack.permissions import grants_for, roles_registry
from hsbtrack.plugins.services import emit
from hsbtrack.timeutil import utcnow
from hsbtrack.transactions import locked

REMINDER_INTERVAL = timedelta(hours=24)  # the board's "send a reminder": once an agency a day
DATE_FORMAT = "d MMMM yyyy"


def _date(day: date) -> str:
    return format_date(day, DATE_FORMAT)


# -- the deadline ------------------------------------------------------------------------------


def set_return_due(audit: Audit, value, user=None) -> Audit:
    """Set or change (or, with a blank, remove) the date the returns are due. Board managers; not in
    the past; in the history."""
    services.require(user, Perm.MANAGE_AREA, audit.area_id)
    services._require_open(audit)
    due = services.parse_return_due(value)
    if due == audit.return_due_on:
        return audit
    changes = {"return_due_on": (audit.return_due_on, due)}
    audit.return_due_on = due
    history.record(area_id=audit.area_id, entity="audit", entity_id=audit.id, changes=changes, user=user,
                   audit_id=audit.id)
    db.session.commit()
    return audit


# -- the tracker -------------------------------------------------------------------------------


@dataclass
class ReturnStatus:
    """One agency's return: how far it is, when it last moved, submitted, signed off, last reminded."""

    agency: Agency
    link: AuditAgency
    scored: int
    total: int
    last_activity_at: datetime | None
    last_reminder_at: datetime | None

    @property
    def agency_id(self) -> int:
        return self.agency.id

    @property
    def submitted_at(self):
        return self.link.submitted_at

    @property
    def signed_off_at(self):
        return self.link.signed_off_at

    @property
    def left(self) -> int:
        return self.total - self.scored


def returns_status(audit: Audit) -> list[ReturnStatus]:
    """Every participating agency's return, by agency name, in three queries whatever their number."""
    codes = {s.code for s in services.framework_of(audit).scored_statements}
    rows = services.participants(audit)
    counts = {agency_id: (scored, latest) for agency_id, scored, latest in db.session.execute(
        select(Response.agency_id, func.count(Response.score), func.max(Response.updated_at))
        .where(Response.audit_id == audit.id, Response.code.in_(codes)).group_by(Response.agency_id))}
    reminded = dict(db.session.execute(
        select(ReturnReminder.agency_id, func.max(ReturnReminder.sent_at))
        .where(ReturnReminder.audit_id == audit.id).group_by(ReturnReminder.agency_id)).all())
    return [ReturnStatus(agency=agency, link=link, scored=counts.get(agency.id, (0, None))[0], total=len(codes),
                         last_activity_at=counts.get(agency.id, (0, None))[1], last_reminder_at=reminded.get(agency.id))
            for link, agency in rows]


# -- who hears about a return --------------------------------------------------------------------


def _roles_with(permission: str) -> set[str]:
    return {role.id for role in roles_registry().values() if permission in role.permissions}


def agency_people(area_id: int, agency_ids, permission: str = Perm.SCORE) -> dict[int, list[User]]:
    """``{agency id: [active users holding permission for it through a membership of that agency]}``
    (agency leads for SCORE, senior officers for SIGN_OFF), in one query."""
    agency_ids = list(agency_ids)
    out = {agency_id: [] for agency_id in agency_ids}
    if not agency_ids:
        return out
    rows = db.session.execute(
        select(Membership.agency_id, User).join(User, User.id == Membership.user_id)
        .where(Membership.area_id == area_id, Membership.agency_id.in_(agency_ids),
               Membership.role.in_(_roles_with(permission)), User.active.is_(True))
        .order_by(User.id))
    for agency_id, user in rows:
        if user not in out[agency_id]:
            out[agency_id].append(user)
    return out


def reminder_message(audit: Audit, area: Area, agency: Agency, left: int, stage: str) -> tuple[str, str, str]:
    """Subject, body and link of a reminder about a return, in the language in force (call it inside
    :func:`in_language_of`). ``stage``: manual, before_deadline or after_deadline."""
    values = {"agency": agency.display_name, "area": area.display_name, "label": audit.label, "left": left,
              "date": _date(audit.return_due_on) if audit.return_due_on else ""}
    if stage == "after_deadline":
        subject = _("The %(label)s return of %(agency)s was due on %(date)s", **values)
    elif audit.return_due_on:
        subject = _("The %(label)s return of %(agency)s is due on %(date)s", **values)
    else:
        subject = _("Reminder: the %(label)s return of %(agency)s", **values)
    body = (_("%(agency)s has %(left)d statements still to score in the %(label)s audit of %(area)s.", **values)
            if left else _("%(agency)s has scored every statement of the %(label)s audit of %(area)s.", **values))
    body += " " + _("Score them and submit the return from the audit page: each agency's scores count towards "
                    "the partnership's agreed scores.")
    link = url_for("audits.scoring_start", area_id=area.id, audit_id=audit.id, agency_id=agency.id)
    return subject, body, link


def _notify_leads(audit: Audit, agency: Agency, left: int, stage: str, key_prefix: str, users) -> int:
    sent = 0
    for user in users:
        with in_language_of(user):
            subject, body, link = reminder_message(audit, audit.area, agency, left, stage)
        if notify(user, key=f"{key_prefix}:{user.id}", kind="return", subject=subject, body=body, link=link,
                  area_id=audit.area_id):
            sent += 1
    return sent


def send_reminder(audit: Audit, agency_id: int, user=None) -> ReturnReminder:
    """The board chases an agency's return: a notification and email to each of its leads, in their
    language, recorded; at most one an agency every 24 hours (ConflictError, with when the last went)."""
    services.require(user, Perm.MANAGE_AREA, audit.area_id)
    services._require_open(audit)
    services._require_participant(audit, agency_id)
    link = locked(select(AuditAgency).where(AuditAgency.audit_id == audit.id, AuditAgency.agency_id == agency_id))
    agency = db.session.get(Agency, agency_id)
    if link.submitted_at is not None:
        raise ConflictError(_("%(agency)s has submitted its return already: there is nothing to remind it of",
                              agency=agency.display_name))
    now = utcnow()
    last = db.session.scalar(select(func.max(ReturnReminder.sent_at)).where(
        ReturnReminder.audit_id == audit.id, ReturnReminder.agency_id == agency_id))
    if last is not None and now - last < REMINDER_INTERVAL:
        raise ConflictError(_("%(agency)s was reminded on %(when)s. You can send another reminder from %(next)s.",
                              agency=agency.display_name, when=format_datetime(last, "d MMMM yyyy, HH:mm"),
                              next=format_datetime(last + REMINDER_INTERVAL, "d MMMM yyyy, HH:mm")))
    leads = agency_people(audit.area_id, [agency_id])[agency_id]
    if not leads:
        raise ServiceError.field("agency_id", _("%(agency)s has no agency lead to remind: give someone the agency "
                                                "lead role for it on the members page", agency=agency.display_name))
    reminder = ReturnReminder(audit_id=audit.id, agency_id=agency_id, sent_at=now, sent_by_id=getattr(user, "id", None),
                              kind="manual")
    db.session.add(reminder)
    db.session.flush()
    reminder_id = reminder.id
    left = next(s.left for s in returns_status(audit) if s.agency_id == agency_id)
    db.session.commit()  # the reminder is recorded before any email goes (each notification commits its own)
    _notify_leads(audit, agency, left, "manual", f"return:{audit.id}:{agency_id}:manual-{reminder_id}", leads)
    return db.session.get(ReturnReminder, reminder_id)


# -- submitting --------------------------------------------------------------------------------


@dataclass
class SubmissionReview:
    blank: list  # statements without a score (submitting is refused while there are any)
    without_evidence: list  # statements scored without evidence (allowed, but shown)
    total: int


def review_submission(audit: Audit, agency_id: int) -> SubmissionReview:
    """What a submit would send: the statements still blank and those scored without evidence."""
    framework = services.framework_of(audit)
    responses = services.responses_for_agency(audit, agency_id)
    blank, bare = [], []
    for statement in framework.scored_statements:
        row = responses.get(statement.code)
        if row is None or row.score is None:
            blank.append(statement)
        elif not (row.evidence or "").strip():
            bare.append(statement)
    return SubmissionReview(blank=blank, without_evidence=bare, total=len(framework.scored_statements))


# -- sign-off ----------------------------------------------------------------------------------


def sign_off(audit: Audit, agency_id: int, user=None) -> AuditAgency:
    """A senior officer of the agency signs its submitted return off (where the area asks for it).
    In the history; a change to the return afterwards withdraws it."""
    services.require(user, Perm.SIGN_OFF, audit.area_id, agency_id)
    services._require_open(audit)
    services._require_participant(audit, agency_id)
    agency = db.session.get(Agency, agency_id)
    if not services.sign_off_required(audit.area):
        raise ConflictError(_("%(area)s does not ask for returns to be signed off", area=audit.area.display_name))
    link = locked(select(AuditAgency).where(AuditAgency.audit_id == audit.id, AuditAgency.agency_id == agency_id))
    if link.submitted_at is None:
        raise ConflictError(_("%(agency)s has not submitted its return yet: it can be signed off once it is "
                              "submitted", agency=agency.display_name))
    if link.signed_off_at is not None:
        raise ConflictError(_("The return of %(agency)s is signed off already", agency=agency.display_name))
    changes = {"signed_off_at": (None, utcnow())}
    link.signed_off_at = changes["signed_off_at"][1]
    link.signed_off_by_id = getattr(user, "id", None)
    history.record(area_id=audit.area_id, entity="audit_agency", entity_id=link.id, changes=changes, user=user,
                   audit_id=audit.id)
    db.session.commit()
    emit(audit.area, link, Event.RETURN_SIGNED_OFF, changes, user)
    return link


def set_sign_off_required(area: Area, required: bool, user=None) -> Area:
    """The area's setting "returns must be signed off by a senior officer" (board managers; in the history)."""
    services.require(user, Perm.MANAGE_AREA, area.id)
    required = bool(required)
    if required == services.sign_off_required(area):
        return area
    area.settings = {**(area.settings or {}), "returns_sign_off": required}
    history.record(area_id=area.id, entity="area", entity_id=area.id,
                   changes={"returns_sign_off": (not required, required)}, user=user)
    db.session.commit()
    return area


# -- the task panel ------------------------------------------------------------------------------


@dataclass
class Task:
    """One line of an agency lead's (or senior officer's) task panel."""

    kind: str  # "score" or "sign_off"
    area: Area
    audit: Audit
    agency: Agency
    left: int
    total: int

    @property
    def due_on(self):
        return self.audit.return_due_on


def tasks_for(user, area_id: int | None = None) -> list[Task]:
    """What the user's agencies still owe: for each open audit an agency they lead takes part in and
    has not submitted, a "score" task; for a senior officer, a submitted return waiting for their
    sign-off where the area asks for it. In three queries, whatever the number of audits."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    registry = roles_registry()
    wanted = {}  # (area id, agency id) -> kinds
    for member_area, rows in grants_for(user).area_memberships.items():
        if area_id is not None and member_area != area_id:
            continue
        for role, agency_id in rows:
            definition = registry.get(role)
            if agency_id is None or definition is None:
                continue
            if Perm.SCORE in definition.permissions:
                wanted.setdefault((member_area, agency_id), set()).add("score")
            if Perm.SIGN_OFF in definition.permissions:
                wanted.setdefault((member_area, agency_id), set()).add("sign_off")
    if not wanted:
        return []
    agency_ids = {agency for _area, agency in wanted}
    rows = db.session.execute(
        select(AuditAgency, Audit, Agency, Area)
        .join(Audit, Audit.id == AuditAgency.audit_id).join(Agency, Agency.id == AuditAgency.agency_id)
        .join(Area, Area.id == Audit.area_id)
        .where(Audit.status == OPEN, AuditAgency.agency_id.in_(agency_ids), AuditAgency.signed_off_at.is_(None))
        .order_by(Audit.return_due_on, Audit.id, Agency.name)).all()
    rows = [r for r in rows if (r[1].area_id, r[0].agency_id) in wanted]
    scored = {}
    if rows:
        for audit_id, agency_id, code in db.session.execute(
                select(Response.audit_id, Response.agency_id, Response.code)
                .where(Response.audit_id.in_({r[1].id for r in rows}), Response.agency_id.in_(agency_ids),
                       Response.score.is_not(None))):
            scored.setdefault((audit_id, agency_id), []).append(code)
    tasks = []
    for link, audit, agency, area in rows:
        kinds = wanted[(area.id, agency.id)]
        try:
            codes = {s.code for s in services.framework_of(audit).scored_statements}
        except KeyError:
            continue
        done = len(codes.intersection(scored.get((audit.id, agency.id), ())))
        if link.submitted_at is None and "score" in kinds:
            tasks.append(Task("score", area, audit, agency, len(codes) - done, len(codes)))
        elif link.submitted_at is not None and "sign_off" in kinds and services.sign_off_required(area):
            tasks.append(Task("sign_off", area, audit, agency, len(codes) - done, len(codes)))
    return tasks

