"""Subject access (UK GDPR, article 15): everything held about one person, as a ZIP an administrator
downloads and passes on.

The ZIP holds ``index.html`` (readable offline: every part with its rows, in the person's language),
``data.json`` (the same, for machines: each part's rows as objects keyed by column) and one CSV per part
(``<key>.csv``). The parts are the core's (:func:`core_parts`) and the plugins' (``hsbtrack_personal_data``).

What is left out, and said so in the export: password hashes, two-factor secrets and recovery codes, API
token digests (that they exist, and when, is in); the bytes of documents they uploaded (their titles, names
and sizes are in); other people's writing beside theirs (a history entry shows the value they wrote, never
the one they replaced); the content of confidential records about children (a CARM plan action they own
shows its dates and status, not its text).

Small enough to build in memory and send at once: a person's rows number in the hundreds or thousands,
never a whole area's. It is built on request and never stored.
"""

import csv
import io
import json
import zipfile
from datetime import date, datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from hsbtrack.actions.models import Action, ActionUpdate
from hsbtrack.areas.models import Agency, Area, Membership, Region
from hsbtrack.audits.models import AuditAgency
from hsbtrack.auth.models import AccountEvent, ApiToken, LoginAttempt, RecoveryCode, User, UserIdentity
from hsbtrack.documents.models import Document, DocumentLink, DocumentVersion
from hsbtrack.downloads.models import DownloadEntry
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.history.models import HistoryEntry
from hsbtrack.jobs.models import Job
from hsbtrack.notifications.models import Notification
from hsbtrack.organisations.models import Organisation, OrganisationMember
from hsbtrack.plugins.services import registry
from hsbtrack.plugins.types import PersonalData
from hsbtrack.privacy.models import SUBJECT_ACCESS, PrivacyHold, PrivacyLogEntry
from hsbtrack.privacy.services import needles_for, record, subject_label
from hsbtrack.timeutil import utcnow
from hsbtrack.yearly_reports.models import YearlyReportVersion

RESTRICTED = _l("(confidential record: left out)")


def _place(area_name, region_name=None):
    return area_name or region_name or ""


def _account(user: User, hold) -> PersonalData:
    columns = (("field", _l("Field")), ("value", _l("Value")))
    rows = (
        ("id", user.id), ("email", user.email), ("name", user.name), ("language", user.locale),
        ("administrator", user.is_admin), ("active", user.active), ("created_at", user.created_at),
        ("activated_at", user.activated_at), ("last_login_at", user.last_login_at),
        ("email_notifications", user.email_notifications), ("digest_only", user.digest_only),
        ("sso_only", user.sso_only), ("password_set", bool(user.password_hash)),
        ("two_factor_set_up_at", user.totp_enabled_at),
        ("privacy_hold", hold.reason if hold else None),
    )
    return PersonalData("account", _l("Your account"), columns, rows, order=0, note=_l(
        "A password is kept only as a one-way hash, and a two-factor secret encrypted: neither is in this "
        "export, nor are the digests of API tokens and recovery codes (that they exist, and when, is)."))


def _memberships(user: User) -> list[PersonalData]:
    rows = db.session.execute(
        select(Membership.role, Area.name, Region.name, Agency.name, Membership.created_at)
        .outerjoin(Area, Area.id == Membership.area_id).outerjoin(Region, Region.id == Membership.region_id)
        .outerjoin(Agency, Agency.id == Membership.agency_id)
        .where(Membership.user_id == user.id).order_by(Membership.created_at, Membership.id)).all()
    organisations = db.session.execute(
        select(Organisation.name, OrganisationMember.role, OrganisationMember.created_at)
        .join(Organisation, Organisation.id == OrganisationMember.organisation_id)
        .where(OrganisationMember.user_id == user.id).order_by(OrganisationMember.id)).all()
    return [
        PersonalData("memberships", _l("Roles"), (("role", _l("Role")), ("place", _l("Area or region")),
                                                   ("agency", _l("Agency")), ("since", _l("Since"))),
                     tuple((role, _place(area, region), agency or "", since)
                           for role, area, region, agency, since in rows), order=10),
        PersonalData("organisation_roles", _l("Roles on partner organisations"),
                     (("organisation", _l("Organisation")), ("role", _l("Role")), ("since", _l("Since"))),
                     tuple(tuple(row) for row in organisations), order=11),
    ]


def _history(user: User) -> list[PersonalData]:
    made = db.session.execute(
        select(HistoryEntry.at, Area.name, HistoryEntry.entity, HistoryEntry.entity_id, HistoryEntry.code,
               HistoryEntry.field, HistoryEntry.new_value)
        .join(Area, Area.id == HistoryEntry.area_id)
        .where(HistoryEntry.user_id == user.id).order_by(HistoryEntry.at, HistoryEntry.id)).all()
    columns = (("at", _l("When")), ("area", _l("Area")), ("record", _l("Record")), ("record_id", _l("Record number")),
               ("statement", _l("Statement")), ("field", _l("What changed")), ("value", _l("Value")))
    parts = [PersonalData("history", _l("Changes you made"), columns,
                          tuple((at, area, entity, entity_id, code or "", field, _plain(value))
                                for at, area, entity, entity_id, code, field, value in made), order=20,
                          note=_l("Each change with the value you wrote. The value before it is left out: "
                                  "it may be someone else's writing."))]
    condition = history.mentioning(needles_for(user))
    if condition is not None:
        naming = db.session.execute(
            select(HistoryEntry.at, Area.name, HistoryEntry.entity, HistoryEntry.entity_id, HistoryEntry.code,
                   HistoryEntry.field, HistoryEntry.old_value, HistoryEntry.new_value)
            .join(Area, Area.id == HistoryEntry.area_id)
            .where(condition, or_(HistoryEntry.user_id.is_(None), HistoryEntry.user_id != user.id))
            .order_by(HistoryEntry.at, HistoryEntry.id)).all()
        needles = needles_for(user)

        def named(*values):
            """How they are named there (the rest of the text is someone else's)."""
            text = " ".join(json.dumps(v, ensure_ascii=False).lower() for v in values if v is not None)
            return ", ".join(n for n in needles if n.lower() in text)

        parts.append(PersonalData(
            "history_naming_you", _l("Changes by others that name you"), columns,
            tuple((at, area, entity, entity_id, code or "", field, named(old, new))
                  for at, area, entity, entity_id, code, field, old, new in naming), order=21,
            note=_l("Where and how you are named. The rest of what they wrote is someone else's: ask the data "
                    "protection officer for it, with other people's details taken out.")))
    return parts


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _actions(user: User) -> list[PersonalData]:
    owned = db.session.execute(
        select(Action, Area.name).join(Area, Area.id == Action.area_id)
        .where(Action.owner_id == user.id).order_by(Action.id)).all()
    action_rows = []
    for action, area in owned:
        walled = action.restricted_to is not None
        action_rows.append((action.id, area, RESTRICTED if walled else action.title,
                            "" if walled else action.description, action.due_on, action.status, action.progress,
                            "" if walled else action.completion_evidence, action.completed_on))
    updates = db.session.execute(
        select(ActionUpdate, Action.restricted_to).join(Action, Action.id == ActionUpdate.action_id)
        .where(ActionUpdate.user_id == user.id).order_by(ActionUpdate.created_at, ActionUpdate.id)).all()
    return [
        PersonalData("actions_owned", _l("Actions you own"), (
            ("id", _l("Action number")), ("area", _l("Area")), ("title", _l("Title")),
            ("description", _l("Description")), ("due_on", _l("Due date")), ("status", _l("Status")),
            ("progress", _l("Progress")), ("completion_evidence", _l("Completion evidence")),
            ("completed_on", _l("Completed on"))), tuple(action_rows), order=30,
            note=_l("Actions of confidential records (a CARM case's risk management plan) show their dates and "
                    "status only.")),
        PersonalData("action_updates", _l("Progress updates you wrote"), (
            ("action", _l("Action number")), ("at", _l("When")), ("progress", _l("Progress")), ("note", _l("Note"))),
            tuple((u.action_id, u.created_at, u.progress, RESTRICTED if walled else u.note) for u, walled in updates),
            order=31),
    ]


def _account_records(user: User) -> list[PersonalData]:
    events = db.session.execute(select(AccountEvent.at, AccountEvent.event, AccountEvent.by_user_id)
                                .where(AccountEvent.user_id == user.id).order_by(AccountEvent.at, AccountEvent.id)).all()
    needles = [n.lower() for n in needles_for(user) if "@" in n]
    attempts = db.session.execute(select(LoginAttempt.at, LoginAttempt.ip, LoginAttempt.success)
                                  .where(func.lower(LoginAttempt.email).in_(needles))
                                  .order_by(LoginAttempt.at, LoginAttempt.id)).all() if needles else []
    tokens = db.session.execute(select(ApiToken.name, ApiToken.created_at, ApiToken.last_used_at, ApiToken.expires_at,
                                       ApiToken.revoked_at).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id)).all()
    identities = db.session.execute(select(UserIdentity.provider_slug, UserIdentity.issuer, UserIdentity.subject,
                                           UserIdentity.email, UserIdentity.created_at, UserIdentity.last_used_at)
                                    .where(UserIdentity.user_id == user.id).order_by(UserIdentity.id)).all()
    codes = db.session.execute(select(RecoveryCode.created_at, RecoveryCode.used_at)
                               .where(RecoveryCode.user_id == user.id).order_by(RecoveryCode.id)).all()
    downloads = db.session.execute(select(DownloadEntry.at, Area.name, DownloadEntry.kind, DownloadEntry.ref,
                                          DownloadEntry.filename, DownloadEntry.via)
                                   .outerjoin(Area, Area.id == DownloadEntry.area_id)
                                   .where(DownloadEntry.user_id == user.id)
                                   .order_by(DownloadEntry.at, DownloadEntry.id)).all()
    return [
        PersonalData("account_events", _l("Your account's security events"), (
            ("at", _l("When")), ("event", _l("What happened")), ("by", _l("By"))),
            tuple((at, event, _("yourself") if by == user.id else (_("an administrator") if by else ""))
                  for at, event, by in events), order=40),
        PersonalData("sign_in_attempts", _l("Sign-in attempts with your address"), (
            ("at", _l("When")), ("ip", _l("Internet address")), ("success", _l("Signed in"))),
            tuple(tuple(row) for row in attempts), order=41),
        PersonalData("api_tokens", _l("Your API tokens"), (
            ("name", _l("Name")), ("created_at", _l("Made")), ("last_used_at", _l("Last used")),
            ("expires_at", _l("Expires")), ("revoked_at", _l("Revoked"))), tuple(tuple(row) for row in tokens),
            order=42),
        PersonalData("sign_in_links", _l("Sign-in providers linked to your account"), (
            ("provider", _l("Provider")), ("issuer", _l("Issuer")), ("subject", _l("Your identifier there")),
            ("email", _l("Email")), ("created_at", _l("Linked")), ("last_used_at", _l("Last used"))),
            tuple(tuple(row) for row in identities), order=43),
        PersonalData("recovery_codes", _l("Your recovery codes"), (
            ("created_at", _l("Made")), ("used_at", _l("Used"))), tuple(tuple(row) for row in codes), order=44),
        PersonalData("downloads", _l("What you downloaded (the download log)"), (
            ("at", _l("When")), ("area", _l("Area")), ("kind", _l("What")), ("ref", _l("Records")),
            ("filename", _l("File")), ("via", _l("Through"))), tuple(tuple(row) for row in downloads), order=45),
    ]


def _notifications(user: User) -> PersonalData:
    rows = db.session.execute(select(Notification.created_at, Notification.kind, Notification.subject,
                                     Notification.body, Notification.link, Notification.read_at,
                                     Notification.emailed_at)
                              .where(Notification.user_id == user.id)
                              .order_by(Notification.created_at, Notification.id)).all()
    return PersonalData("notifications", _l("Notifications to you"), (
        ("at", _l("When")), ("kind", _l("Kind")), ("subject", _l("Subject")), ("body", _l("Message")),
        ("link", _l("Link")), ("read_at", _l("Read")), ("emailed_at", _l("Emailed"))),
        tuple(tuple(row) for row in rows), order=50)


def _work(user: User) -> list[PersonalData]:
    walled = (select(DocumentLink.document_id).join(Action, Action.id == DocumentLink.action_id)
              .where(Action.restricted_to.is_not(None)))
    versions = db.session.execute(
        select(DocumentVersion.uploaded_at, Area.name, Document.id, Document.title, DocumentVersion.number,
               DocumentVersion.filename, DocumentVersion.content_type, DocumentVersion.size,
               Document.id.in_(walled))
        .join(Document, Document.id == DocumentVersion.document_id).join(Area, Area.id == Document.area_id)
        .where(DocumentVersion.uploaded_by_id == user.id)
        .order_by(DocumentVersion.uploaded_at, DocumentVersion.id)).all()
    returns = db.session.execute(
        select(AuditAgency.audit_id, Agency.name, AuditAgency.submitted_at, AuditAgency.signed_off_at,
               AuditAgency.submitted_by_id == user.id, AuditAgency.signed_off_by_id == user.id)
        .join(Agency, Agency.id == AuditAgency.agency_id)
        .where(or_(AuditAgency.submitted_by_id == user.id, AuditAgency.signed_off_by_id == user.id))
        .order_by(AuditAgency.id)).all()
    jobs = db.session.execute(select(Job.created_at, Job.kind, Job.status, Job.result_filename)
                              .where(Job.requested_by_id == user.id).order_by(Job.created_at, Job.id)).all()
    saves = db.session.execute(select(YearlyReportVersion.saved_at, YearlyReportVersion.report_id,
                                      YearlyReportVersion.number)
                               .where(YearlyReportVersion.saved_by_id == user.id)
                               .order_by(YearlyReportVersion.saved_at, YearlyReportVersion.id)).all()
    return [
        PersonalData("documents_uploaded", _l("Documents you uploaded"), (
            ("at", _l("When")), ("area", _l("Area")), ("document", _l("Document number")), ("title", _l("Title")),
            ("version", _l("Version")), ("filename", _l("File name")), ("content_type", _l("Type")),
            ("size", _l("Size (bytes)"))),
            tuple((at, area, doc_id, RESTRICTED if restricted else title, number,
                   RESTRICTED if restricted else filename, kind, size)
                  for at, area, doc_id, title, number, filename, kind, size, restricted in versions), order=60,
            note=_l("The files themselves are not in this export: ask for a copy of any of them.")),
        PersonalData("returns", _l("Audit returns you submitted or signed off"), (
            ("audit", _l("Audit number")), ("agency", _l("Agency")), ("submitted_at", _l("Submitted")),
            ("signed_off_at", _l("Signed off"))),
            tuple((audit_id, agency, submitted if by_them else None, signed if signed_by_them else None)
                  for audit_id, agency, submitted, signed, by_them, signed_by_them in returns), order=61),
        PersonalData("jobs", _l("Papers you asked for"), (
            ("at", _l("When")), ("kind", _l("What")), ("status", _l("Status")), ("filename", _l("File name"))),
            tuple(tuple(row) for row in jobs), order=62),
        PersonalData("yearly_report_saves", _l("Yearly report versions you saved"), (
            ("at", _l("When")), ("report", _l("Report number")), ("version", _l("Version"))),
            tuple(tuple(row) for row in saves), order=63),
    ]


def _privacy(user: User) -> PersonalData:
    rows = db.session.execute(select(PrivacyLogEntry.at, PrivacyLogEntry.kind, PrivacyLogEntry.reason)
                              .where(PrivacyLogEntry.subject == subject_label(user))
                              .order_by(PrivacyLogEntry.at, PrivacyLogEntry.id)).all()
    return PersonalData("privacy_log", _l("Privacy requests about you"), (
        ("at", _l("When")), ("kind", _l("What happened")), ("reason", _l("Reason"))),
        tuple(tuple(row) for row in rows), order=90)


def core_parts(user: User) -> list[PersonalData]:
    """What the core holds about ``user`` (a fixed number of queries)."""
    hold = db.session.scalar(select(PrivacyHold).where(PrivacyHold.user_id == user.id))
    return [_account(user, hold), *_memberships(user), *_history(user), *_actions(user), *_account_records(user),
            _notifications(user), *_work(user), _privacy(user)]


def parts_for(user: User) -> list[PersonalData]:
    """Every part, the core's and the plugins', in their order (the core registers its own through the hook)."""
    return registry().collect("hsbtrack_personal_data", None, user=user)


# -- the ZIP ------------------------------------------------------------------------------------


def _cell(value):
    """A cell for JSON and CSV: dates as ISO text, lazy strings as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _shown(value) -> str:
    """A cell for index.html."""
    from flask_babel import format_date, format_datetime

    if isinstance(value, datetime):
        return format_datetime(value, "d MMMM yyyy, HH:mm")
    if isinstance(value, date):
        return format_date(value, "d MMMM yyyy")
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def _(text):  # (a plain gettext under the export's forced language)
    from flask_babel import gettext

    return gettext(text)


def subject_access_zip(user: User, *, by) -> tuple[bytes, str]:
    """The export of ``user``, made by the administrator ``by``: ``(ZIP bytes, file name)``. In the person's
    language; recorded (the privacy log and the account's events) and committed."""
    made_at = utcnow()
    with force_locale(user.locale or "en"):
        parts = parts_for(user)
        listed = [{"key": p.key, "title": str(p.title), "note": str(p.note or ""),
                   "columns": [(key, str(label)) for key, label in p.columns],
                   "rows": [[_cell(c) for c in row] for row in p.rows],
                   "shown": [[_shown(c) for c in row] for row in p.rows]} for p in parts]
        html = render_template("privacy/subject_access_index.html", user=user, parts=listed, made_at=made_at)
    data = {"person": {"id": user.id, "email": user.email, "name": user.name},
            "made_at": made_at.isoformat() + "Z",
            "parts": {p["key"]: {"title": p["title"], "note": p["note"],
                                 "rows": [dict(zip([k for k, _label in p["columns"]], row, strict=True)) for row in p["rows"]]}
                      for p in listed}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", html)
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for part in listed:
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow([label for _key, label in part["columns"]])
            writer.writerows([["" if c is None else c for c in row] for row in part["rows"]])
            archive.writestr(f"{part['key']}.csv", text.getvalue())
    db.session.add(AccountEvent(user_id=user.id, event="subject_access_export", by_user_id=by.id, at=made_at))
    record(SUBJECT_ACCESS, subject=subject_label(user), by=by)
    db.session.commit()
    return buffer.getvalue(), f"subject-access-{user.id}-{made_at:%Y-%m-%d}.zip"
