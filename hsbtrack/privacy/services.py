"""The rules of UK GDPR erasure and holds, the privacy log, and the text replacement both use. No request
objects here: pages and the CLI call these with the administrator acting (``by=``).

**Erasure** (article 17) of a departed person, unless a hold is set (:class:`PrivacyHold`): in one
transaction, the plugins replace what they hold about them (``hsbtrack_erase_person``); their name and
address are replaced by "former member" wherever stored text holds them (the history's values — the one
exception to its append-only rule, docs/architecture.md —, other people's notifications, the texts of
actions, documents, answers and exceptions); their account goes (memberships, tokens, sign-in links,
recovery codes, account events, their own notifications and jobs, sessions); and their ``users`` row stays
as an empty placeholder with ``erased_at`` set, so that every record pointing to them reads "former member"
in the page's language. The privacy log and the history of each area they belonged to keep that a person
was erased, by whom, when and why — never who.
"""

import logging
import re

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from hsbtrack.actions.models import Action, ActionStatement, ActionUpdate, FindingDecision
from hsbtrack.areas.models import Membership
from hsbtrack.audits.models import AgreedScore, DomainResponse, Response, WorkbookUpload
from hsbtrack.auth.models import (
    FORMER_MEMBER,
    AccountEvent,
    ApiToken,
    LoginAttempt,
    OneTimeToken,
    RecoveryCode,
    User,
    UserIdentity,
    erased_placeholder_email,
)
from hsbtrack.documents.models import Document, DocumentLink, DocumentVersion
from hsbtrack.errors import ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.jobs.models import Job
from hsbtrack.notifications.models import Notification
from hsbtrack.organisations.models import OrganisationMember, SharedException, SharedResponse
from hsbtrack.plugins.services import registry
from hsbtrack.privacy.models import (
    ERASURE,
    HOLD_LIFTED,
    HOLD_SET,
    PrivacyHold,
    PrivacyLogEntry,
)
from hsbtrack.storage import storage
from hsbtrack.timeutil import utcnow

log = logging.getLogger(__name__)

ENTITY = "person"  # the history's name for an erased person (entity id: the placeholder's id)
MIN_NAME_LENGTH = 5  # a name is looked for in free text only when it is this long and has two words or more

# Text people write that may name a colleague: the person's name and address are replaced there too.
# (A plugin replaces in its own tables through ``hsbtrack_erase_person``, with :func:`replace_text`.)
TEXT_COLUMNS = (
    Notification.subject, Notification.body,
    Action.title, Action.description, Action.completion_evidence, ActionUpdate.note, FindingDecision.reason,
    Response.evidence, Response.assurance, DomainResponse.comments, AgreedScore.justification,
    Document.title, DocumentVersion.filename,
    SharedResponse.evidence, SharedResponse.assurance, SharedException.evidence, SharedException.reason,
)


def subject_label(user_or_id) -> str:
    """How the privacy log and the history name a person: by number only."""
    return f"person #{getattr(user_or_id, 'id', user_or_id)}"


def former_member_text(locale: str | None = None) -> str:
    """"former member" as stored in text, in ``locale`` (a notification's reader's) or the install's language."""
    with force_locale(locale or "en"):
        return str(FORMER_MEMBER)


def needles_for(user: User) -> list[str]:
    """What names the person in stored text: their address (and any a sign-in provider linked them on), and
    their name when it cannot be mistaken for an ordinary word (two words or more, 5 characters or more)."""
    needles = [user.email]
    needles += db.session.scalars(select(UserIdentity.email).where(UserIdentity.user_id == user.id,
                                                                   UserIdentity.email != "")).all()
    name = " ".join((user.name or "").split())
    if len(name) >= MIN_NAME_LENGTH and " " in name:
        needles.append(name)
    return [n for n in dict.fromkeys(n.strip() for n in needles) if n]


def _pattern(needles):
    return re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)), re.IGNORECASE)


def replace_text(columns, needles: list[str], replacement) -> int:
    """Replace each of ``needles`` (matched without regard to case) by ``replacement`` in the text
    ``columns`` (model attributes: ``Notification.body``...). ``replacement`` is a text, or a function of
    the row giving one (a notification's reader's language). Flushes; the caller commits. Returns how many
    rows changed."""
    needles = [n for n in needles if n]
    if not needles:
        return 0
    pattern = _pattern(needles)
    by_model = {}
    for column in columns:
        by_model.setdefault(column.class_, []).append(column)
    changed = 0
    for model, model_columns in by_model.items():
        condition = or_(*[func.lower(column).like(f"%{needle.lower()}%")
                          for column in model_columns for needle in needles])
        for row in db.session.scalars(select(model).where(condition)).all():
            text = replacement(row) if callable(replacement) else replacement
            touched = False
            for column in model_columns:
                value = getattr(row, column.key)
                if value and pattern.search(value):
                    setattr(row, column.key, pattern.sub(lambda _m, text=text: text, value))
                    touched = True
            changed += touched
    db.session.flush()
    return changed


# -- the privacy log ----------------------------------------------------------------------------


def record(kind: str, *, subject: str = "", count: int | None = None, reason: str = "", by=None) -> PrivacyLogEntry:
    entry = PrivacyLogEntry(kind=kind, subject=subject[:100], count=count, reason=reason or "",
                            by_user_id=getattr(by, "id", None), at=utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


def log_entries(limit: int = 200) -> list[PrivacyLogEntry]:
    return db.session.scalars(select(PrivacyLogEntry).order_by(PrivacyLogEntry.at.desc(), PrivacyLogEntry.id.desc())
                              .limit(limit).options(db.joinedload(PrivacyLogEntry.by_user))).all()


# -- holds --------------------------------------------------------------------------------------


def hold_of(user: User) -> PrivacyHold | None:
    return db.session.scalar(select(PrivacyHold).where(PrivacyHold.user_id == user.id))


def require_admin(by) -> None:
    if by is None or not getattr(by, "is_admin", False):
        raise ForbiddenError(_("Only administrators can do this"))


def set_hold(user: User, reason: str, *, by) -> PrivacyHold:
    """Keep a person from being erased (litigation, a serious case review...): the reason is required.
    Setting it again changes the reason. In the privacy log and the account's events."""
    require_admin(by)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError.field("reason", _("Say why this person must not be erased"))
    if user.erased_at is not None:
        raise ServiceError.field("reason", _("This person has already been erased"))
    hold = hold_of(user)
    if hold is None:
        hold = PrivacyHold(user_id=user.id, reason=reason, set_at=utcnow(), set_by_id=by.id)
        db.session.add(hold)
    else:
        hold.reason, hold.set_at, hold.set_by_id = reason, utcnow(), by.id
    db.session.add(AccountEvent(user_id=user.id, event="privacy_hold_set", by_user_id=by.id, at=utcnow()))
    record(HOLD_SET, subject=subject_label(user), reason=reason, by=by)
    db.session.commit()
    return hold


def lift_hold(user: User, *, by) -> bool:
    require_admin(by)
    hold = hold_of(user)
    if hold is None:
        return False
    db.session.delete(hold)
    db.session.add(AccountEvent(user_id=user.id, event="privacy_hold_lifted", by_user_id=by.id, at=utcnow()))
    record(HOLD_LIFTED, subject=subject_label(user), by=by)
    db.session.commit()
    return True


# -- erasure ------------------------------------------------------------------------------------


def erasure_summary(user: User) -> dict:
    """What erasing ``user`` would change, for the confirmation page (counts only)."""

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "memberships": count(Membership, Membership.user_id == user.id)
        + count(OrganisationMember, OrganisationMember.user_id == user.id),
        "open_actions": count(Action, Action.owner_id == user.id, Action.status.not_in(("done", "cancelled"))),
        "actions": count(Action, Action.owner_id == user.id),
        "updates": count(ActionUpdate, ActionUpdate.user_id == user.id),
        "history": count(history.HistoryEntry, history.HistoryEntry.user_id == user.id),
        "tokens": count(ApiToken, ApiToken.user_id == user.id),
    }


placeholder_email = erased_placeholder_email  # (hsbtrack.auth.models: the area archive's import makes them too)


def erase_person(user: User, *, by, reason: str) -> PrivacyLogEntry:
    """Erase a departed person (see the module text). Refused for a person on hold (with the hold's reason),
    for oneself, and without a reason. All or nothing; returns the privacy log's entry."""
    require_admin(by)
    reason = (reason or "").strip()
    if user.erased_at is not None:
        raise ServiceError.field("reason", _("This person has already been erased"))
    if user.id == by.id:
        raise ForbiddenError(_("You cannot erase yourself"))
    hold = hold_of(user)
    if hold is not None:
        raise ForbiddenError(_("This person is on hold and cannot be erased: %(reason)s. Lift the hold first.",
                               reason=hold.reason))
    if not reason:
        raise ServiceError.field("reason", _("Say why this person is erased (never their name)"))
    person, now = subject_label(user), utcnow()
    needles = needles_for(user)
    area_ids = sorted(set(db.session.scalars(select(Membership.area_id).where(Membership.user_id == user.id,
                                                                              Membership.area_id.is_not(None)))))
    stored = former_member_text()
    try:
        counts = []
        # 1. the plugins' records (they still read the person's name and address)
        for what, n in registry().collect("hsbtrack_erase_person", None, user=user, replacement=stored):
            counts.append((what, n))
        # 2. stored text naming them: the history's values, other people's notifications, what people wrote
        counts.append(("history entries", history.replace_personal_data(needles, stored)))
        db.session.execute(delete(Notification).where(Notification.user_id == user.id))
        counts.append(("texts", replace_text(TEXT_COLUMNS, needles, _reader_language_replacement)))
        # 3. the account: roles, credentials, its own records
        files = list(db.session.scalars(select(Job.result_key).where(Job.requested_by_id == user.id,
                                                                     Job.result_key.is_not(None))))
        for model, column in ((Membership, Membership.user_id), (OrganisationMember, OrganisationMember.user_id),
                              (ApiToken, ApiToken.user_id), (OneTimeToken, OneTimeToken.user_id),
                              (RecoveryCode, RecoveryCode.user_id), (UserIdentity, UserIdentity.user_id),
                              (AccountEvent, AccountEvent.user_id), (Job, Job.requested_by_id),
                              (WorkbookUpload, WorkbookUpload.user_id)):
            db.session.execute(delete(model).where(column == user.id))
        db.session.execute(delete(LoginAttempt).where(func.lower(LoginAttempt.email).in_([n.lower() for n in needles])))
        # 4. the placeholder
        user.name, user.email = "", placeholder_email(user.id)
        user.password_hash = user.totp_secret = user.totp_last_step = user.totp_enabled_at = None
        user.last_login_at = user.activated_at = None
        user.is_admin = user.sso_only = user.email_notifications = user.digest_only = False
        user.active, user.locale = False, "en"
        user.session_version = (user.session_version or 1) + 1  # every session of theirs ends
        user.erased_at = now
        # 5. that it happened (never who)
        entry = record(ERASURE, subject=person, reason=reason, by=by,
                       count=sum(n for _what, n in counts if isinstance(n, int)))
        for area_id in area_ids:
            history.record(area_id=area_id, entity=ENTITY, entity_id=user.id, user=by,
                           changes={"erased": (None, {"log": entry.id, "reason": reason})})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for key in files:  # the papers they made, once the rows are gone (bytes left behind harm no one)
        try:
            storage().delete(key)
        except Exception:
            log.exception("erasure of %s: could not delete %s from storage", person, key)
    return entry


def _reader_language_replacement(row) -> str:
    """In a notification, "former member" in its reader's language; elsewhere in the install's."""
    if isinstance(row, Notification):
        reader = db.session.get(User, row.user_id)
        return former_member_text(getattr(reader, "locale", None))
    return former_member_text()


# -- deleting records for good (retention rules) --------------------------------------------------


def delete_actions(action_ids) -> list[str]:
    """Delete actions for good, with everything made from them: their statements, updates, documents (kind
    ``action``: linked to them alone), reminders to their owners, and every history entry about them and
    their documents. For retention rules whose records own actions (a CARM case's risk management plan).
    The weekly digests that list one (``- <title> (<area>, <date>)``) go too. Flushes; the caller commits.
    Returns the storage keys of the documents' files, to delete once committed."""
    action_ids = sorted(set(action_ids))
    if not action_ids:
        return []
    titles = list(db.session.scalars(select(Action.title).where(Action.id.in_(action_ids))))
    document_ids = sorted(set(db.session.scalars(
        select(DocumentLink.document_id).where(DocumentLink.action_id.in_(action_ids)))))
    keys = list(db.session.scalars(select(DocumentVersion.storage_key)
                                   .where(DocumentVersion.document_id.in_(document_ids)))) if document_ids else []
    history.forget("action", action_ids)
    history.forget("document", document_ids)
    for action_id in action_ids:
        db.session.execute(delete(Notification).where(Notification.key.like(f"action:{action_id}:%")))
    for title in titles:
        db.session.execute(delete(Notification).where(Notification.kind == "digest",
                                                      Notification.body.contains(f"- {title} (", autoescape=True)))
    if document_ids:
        for model, column in ((DocumentLink, DocumentLink.document_id), (DocumentVersion, DocumentVersion.document_id),
                              (Document, Document.id)):
            db.session.execute(delete(model).where(column.in_(document_ids)))
    db.session.execute(update(FindingDecision).where(FindingDecision.action_id.in_(action_ids)).values(action_id=None))
    for model, column in ((ActionStatement, ActionStatement.action_id), (ActionUpdate, ActionUpdate.action_id),
                          (DocumentLink, DocumentLink.action_id), (Action, Action.id)):
        db.session.execute(delete(model).where(column.in_(action_ids)))
    db.session.flush()
    return keys
