"""The core's record types, registered through the core's own ``hsbtrack_area_archive_types`` hook
(:mod:`hsbtrack.area_archive.hooks`), in import order: every type after the types it refers to.

What belongs to an area (docs/area-archive.md, "What is in an archive"): the area, its agencies, the people
holding a role in it or named by one of its records (email, name, language: never a password, second factor or
token), their roles there, which plugins are on, its audits with everything recorded in them, its action plan,
its documents and their bytes, its yearly reports and its history. Install-wide records stay behind: regions
(the area joins the region of the same name where there is one), partner organisations and their shared
returns (a shared answer arrives as the agency's own), jobs, notifications, the download log.

``area`` and ``users`` are read by the importer itself (it creates the area and matches people by email), so
their ``import_rows`` is None.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from hsbtrack.actions.models import Action, ActionStatement, ActionUpdate, FindingDecision
from hsbtrack.area_archive.rows import insert_rows, model_rows, model_type
from hsbtrack.area_archive.schema import RecordType, col, key, ref
from hsbtrack.areas.models import Agency, Area, Membership, Region
from hsbtrack.audits.models import (
    SOURCE_AGENCY,
    AgreedScore,
    Audit,
    AuditAgency,
    DomainResponse,
    Response,
    ReturnReminder,
    ScheduledAudit,
)
from hsbtrack.auth.models import User
from hsbtrack.documents.models import Document, DocumentLink, DocumentVersion
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.plugins.models import PluginState
from hsbtrack.storage import storage
from hsbtrack.yearly_reports.models import YearlyReport, YearlyReportVersion

ORDER = 10  # before every plugin's types (their default order is 100)


def _of_area_audits(column):
    return lambda area: column.in_(select(Audit.id).where(Audit.area_id == area.id))


def _of_area_actions(column):
    return lambda area: column.in_(select(Action.id).where(Action.area_id == area.id))


def _of_area_documents(column):
    return lambda area: column.in_(select(Document.id).where(Document.area_id == area.id))


# -- the area and its people -----------------------------------------------------------------------------

AREA_FIELDS = (
    key(),
    col("name", "text", "its name (unique in an install: the import asks for another when it is taken)"),
    col("name_cy", "text", "its Welsh name", nullable=True),
    col("region", "text", "the name of its region; the import joins the region of that name, or leaves the area "
                          "without one when the install has none", nullable=True),
    col("settings", "json", "its settings (e.g. sign-off of returns, sharing evidence after submission)"),
    col("created_at", "datetime", "when it was created"),
)


def _export_area(area, context):
    region = db.session.get(Region, area.region_id) if area.region_id is not None else None
    yield {"id": area.id, "name": area.name, "name_cy": area.name_cy, "region": region.name if region else None,
           "settings": dict(area.settings or {}), "created_at": area.created_at}


AREA = RecordType("area", "The area itself: one row.", AREA_FIELDS, _export_area, None, order=ORDER,
                  history_entities=("area",), model=Area,
                  left_out={"region_id": "the region travels by its name (``region``)"})

USER_FIELDS = (
    key(),
    col("email", "text", "their email address: the import matches people by it (an existing account is reused; "
                         "someone new arrives as a pending account, and no invitation is sent)"),
    col("name", "text", "their name"),
    col("locale", "text", "the language they chose (en, cy)"),
    col("erased", "bool", "an erased person (UK GDPR, docs/privacy.md): exported without name or address, "
                          "imported as a placeholder shown as \"former member\", never matched to an account"),
)


def _export_users(area, context):
    """The people holding a role in the area and everyone its records name (an owner, who saved a score...).
    Written after every other type: those types say who they name (``context.user_ids``)."""
    ids = set(context.user_ids)
    ids |= set(db.session.scalars(select(Membership.user_id).where(Membership.area_id == area.id)))
    if not ids:
        return
    for row in db.session.execute(select(User.id, User.email, User.name, User.locale, User.erased_at)
                                  .where(User.id.in_(ids)).order_by(User.id)).mappings():
        erased = row["erased_at"] is not None
        yield {"id": row["id"], "email": "" if erased else row["email"], "name": "" if erased else row["name"],
               "locale": row["locale"], "erased": erased}


USERS = RecordType("users", "People: those holding a role in the area and those its records name.", USER_FIELDS,
                   _export_users, None, order=ORDER, model=User, left_out={
                       **{name: "the account's own, never exported (an imported person is a pending account)"
                          for name in ("password_hash", "is_admin", "active", "email_notifications", "digest_only",
                                       "session_version", "created_at", "last_login_at", "totp_secret",
                                       "totp_last_step", "totp_enabled_at", "activated_at", "sso_only")},
                       "erased_at": "travels as ``erased`` (when is the exporting install's own record)"})

AGENCIES = model_type("agencies", Agency, (
    key(), ref("area_id", "area"), col("name", "text", "its name (unique in the area)"),
    col("name_cy", "text", "its Welsh name", nullable=True), col("created_at", "datetime", "when it was added"),
), lambda area: Agency.area_id == area.id, title="The area's partner agencies.", order=ORDER)

MEMBERSHIPS = model_type("memberships", Membership, (
    key(), ref("user_id", "users", "who holds the role"), ref("area_id", "area"),
    ref("agency_id", "agencies", "the agency the role is for (agency leads)", nullable=True),
    col("role", "text", "the role (board_manager, agency_lead, a plugin's role...)"),
    col("created_at", "datetime", "when it was given"),
), lambda area: Membership.area_id == area.id, title="The roles people hold in the area (regional roles stay with "
                                                     "their region).", order=ORDER,
    left_out={"region_id": "an area's membership has none (regional roles stay with the region)"})

PLUGIN_STATE_FIELDS = (
    key(),
    col("scope", "text", "\"area\": the area's own choice; \"region\": its region's, which governed it. Where the "
                         "area joins a region of the same name, that region decides; where it arrives without "
                         "one, a region's choice becomes the area's own"),
    col("plugin", "text", "the plugin's name"),
    col("enabled", "bool", "whether it is on"),
    col("settings", "json", "its settings"),
    col("updated_at", "datetime", "when it was last changed"),
    ref("updated_by_id", "users", "who changed it last", nullable=True),
)


def _export_plugin_states(area, context):
    scope = PluginState.area_id == area.id
    if area.region_id is not None:
        scope = or_(scope, PluginState.region_id == area.region_id)
    for state in db.session.scalars(select(PluginState).where(scope).order_by(PluginState.id)):
        if state.enabled:
            context.needs_plugin(state.plugin)
        yield {"id": state.id, "scope": "area" if state.area_id is not None else "region", "plugin": state.plugin,
               "enabled": state.enabled, "settings": dict(state.settings or {}), "updated_at": state.updated_at,
               "updated_by_id": state.updated_by_id}


def _import_plugin_states(area, rows, context):
    installed = context.installed_plugins
    own = {r["plugin"]: r for r in rows if r["scope"] == "area"}
    region = {r["plugin"]: r for r in rows if r["scope"] == "region"}
    made = []
    for name in sorted(set(own) | set(region)):
        if name not in installed:
            if (own.get(name) or {}).get("enabled") or (region.get(name) or {}).get("enabled"):
                context.note(_("The plugin %(plugin)s is not installed here: it was left off.", plugin=name))
            continue
        area_row, region_row = own.get(name), region.get(name)
        if region_row is not None and area.region_id is None:
            # (the region does not come along: its choice for the area becomes the area's own)
            settings = {**region_row["settings"], **(area_row["settings"] if area_row else {})}
            base = {**region_row, "settings": settings, "id": (area_row or region_row)["id"]}
        elif area_row is not None:
            base = area_row
        else:
            continue  # (the region here decides)
        made.append(PluginState(plugin=name, area_id=area.id, enabled=base["enabled"], settings=base["settings"],
                                updated_at=base["updated_at"],
                                updated_by_id=context.new_id("users", base["updated_by_id"], nullable=True)))
    db.session.add_all(made)
    db.session.flush()
    return len(made)


PLUGIN_STATES = RecordType("plugin_states", "Which plugins are on in the area, with their settings (the area's own "
                                            "choices and its region's).", PLUGIN_STATE_FIELDS, _export_plugin_states,
                           _import_plugin_states, order=ORDER, model=PluginState,
                           left_out={"area_id": "the area (``scope`` area)", "region_id": "its region (``scope`` region)"})

# -- audits ----------------------------------------------------------------------------------------------

AUDITS = model_type("audits", Audit, (
    key(), ref("area_id", "area"), col("framework", "text", "the framework's slug (nspcc-hsb-2019)"),
    col("framework_version", "text", "the framework's version"), col("title", "text", "its title"),
    col("cycle", "int", "1 (T1, the baseline), 2, 3..."), col("status", "text", "open or closed"),
    ref("previous_id", "audits", "the previous cycle", nullable=True),
    col("opened_at", "datetime", "when it was opened"), ref("opened_by_id", "users", "who opened it", nullable=True),
    col("completed_on", "date", "its completion date", nullable=True),
    col("return_due_on", "date", "when the agencies' returns are due", nullable=True),
    ref("closed_by_id", "users", "who closed it", nullable=True),
    col("data_version", "int", "bumped by every score change"),
    col("imported", "bool", "an imported baseline (done elsewhere, agreed scores only)"),
    col("import_note", "text", "where an imported baseline came from"),
), lambda area: Audit.area_id == area.id, title="Audits: T1, T2, T3... of each framework.", order=ORDER,
    history_entities=("audit", "finding"))

AUDIT_AGENCIES = model_type("audit_agencies", AuditAgency, (
    key(), ref("audit_id", "audits"), ref("agency_id", "agencies"),
    col("submitted_at", "datetime", "when the agency submitted its return", nullable=True),
    ref("submitted_by_id", "users", "who submitted it", nullable=True),
    col("signed_off_at", "datetime", "when a senior officer signed it off", nullable=True),
    ref("signed_off_by_id", "users", "who signed it off", nullable=True),
), _of_area_audits(AuditAgency.audit_id), title="The agencies taking part in each audit, and their returns' "
                                                "submission and sign-off.", order=ORDER,
    history_entities=("audit_agency",))

RETURN_REMINDERS = model_type("return_reminders", ReturnReminder, (
    key(), ref("audit_id", "audits"), ref("agency_id", "agencies"), col("sent_at", "datetime", "when it was sent"),
    ref("sent_by_id", "users", "who sent it (empty: the scheduler)", nullable=True),
    col("kind", "text", "manual, before_deadline or after_deadline"),
), _of_area_audits(ReturnReminder.audit_id), title="Reminders sent to agencies about their returns (so that none is "
                                                    "sent twice).", order=ORDER)

RESPONSE_FIELDS = (
    key(), ref("audit_id", "audits"), ref("agency_id", "agencies"), col("code", "text", "the statement's code"),
    col("score", "int", "0 to 4", nullable=True), col("evidence", "text", "evidence supporting the score"),
    col("assurance", "text", "assurance systems in place locally"),
    col("updated_at", "datetime", "when it was last saved"),
    ref("updated_by_id", "users", "who saved it last", nullable=True),
    col("version", "int", "its edit counter"),
    col("source", "text", "always \"agency\": an answer that came from a partner organisation's shared return (or "
                          "an area's exception to one) is the agency's own answer in the archive"),
)


def _export_responses(area, context):
    for row in model_rows(Response, RESPONSE_FIELDS, _of_area_audits(Response.audit_id)(area)):
        row["source"] = SOURCE_AGENCY  # (shared answers travel as the area's own: organisations stay behind)
        yield row


RESPONSES = RecordType("responses", "Each agency's answer to each statement of each audit.", RESPONSE_FIELDS,
                       _export_responses,
                       lambda area, rows, context: insert_rows(Response, "responses", RESPONSE_FIELDS, rows, context),
                       order=ORDER, history_entities=("response",), model=Response,
                       left_out={"shared_return_id": "shared returns stay behind: the answer is the agency's own"})

DOMAIN_RESPONSES = model_type("domain_responses", DomainResponse, (
    key(), ref("audit_id", "audits"), ref("agency_id", "agencies"), col("domain", "int", "the domain's number"),
    col("comments", "text", "the agency's comments on the domain"),
    col("date_completed", "date", "the date the agency completed the domain", nullable=True),
    col("updated_at", "datetime", "when it was last saved"),
    ref("updated_by_id", "users", "who saved it last", nullable=True), col("version", "int", "its edit counter"),
), _of_area_audits(DomainResponse.audit_id), title="Each agency's comments and date completed per domain.",
    order=ORDER, history_entities=("domain_response",))

AGREED_SCORES = model_type("agreed_scores", AgreedScore, (
    key(), ref("audit_id", "audits"), col("code", "text", "the statement's code"),
    col("score", "int", "the moderated score", nullable=True),
    col("justification", "text", "why it differs from the lowest agency score"),
    col("basis_lowest", "int", "the lowest agency score it was agreed against", nullable=True),
    col("moderated_at", "datetime", "when it was agreed"),
    ref("moderated_by_id", "users", "who agreed it", nullable=True), col("version", "int", "its edit counter"),
), _of_area_audits(AgreedScore.audit_id), title="The partnership's agreed (moderated) scores.", order=ORDER,
    history_entities=("agreed_score",))

SCHEDULE = model_type("scheduled_audits", ScheduledAudit, (
    key(), ref("area_id", "area"), col("framework", "text", "the framework's slug"),
    col("kind", "text", "reaudit"), col("cycle", "int", "the cycle due"), col("due_on", "date", "when it is due"),
    ref("baseline_id", "audits", "the baseline it counts from", nullable=True),
    ref("audit_id", "audits", "the audit opened for it", nullable=True),
), lambda area: ScheduledAudit.area_id == area.id, title="Re-audits due (T2 at 6 months, T3 at 12).", order=ORDER)

# -- the action plan -------------------------------------------------------------------------------------

ACTIONS = model_type("actions", Action, (
    key(), ref("area_id", "area"), ref("audit_id", "audits", "the audit whose finding it answers", nullable=True),
    col("framework", "text", "the framework of its statements"), col("title", "text", "its title"),
    col("description", "text", "its description"), ref("owner_id", "users", "its owner"),
    ref("agency_id", "agencies", "the owning agency", nullable=True), col("due_on", "date", "when it is due"),
    col("priority", "text", "high, medium or low"),
    col("status", "text", "not_started, in_progress, blocked, done or cancelled"),
    col("progress", "int", "0 to 100"), col("completion_evidence", "text", "what shows it is done"),
    col("completed_on", "date", "when it was done", nullable=True), col("created_at", "datetime", "when it was made"),
    ref("created_by_id", "users", "who made it", nullable=True), col("updated_at", "datetime", "when it last changed"),
    col("version", "int", "its edit counter"),
    col("restricted_to", "text", "the permission a reader needs (a CARM plan action's wall), kept on import",
        nullable=True),
), lambda area: Action.area_id == area.id, title="The action plan.", order=ORDER, history_entities=("action",))

ACTION_STATEMENTS = model_type("action_statements", ActionStatement, (
    key(), ref("action_id", "actions"), col("code", "text", "a statement the action is meant to improve"),
), _of_area_actions(ActionStatement.action_id), title="The statements each action is linked to.", order=ORDER)

ACTION_UPDATES = model_type("action_updates", ActionUpdate, (
    key(), ref("action_id", "actions"), col("note", "text", "the progress note"),
    col("progress", "int", "the progress it reported", nullable=True), col("created_at", "datetime", "when"),
    ref("user_id", "users", "who wrote it", nullable=True),
), _of_area_actions(ActionUpdate.action_id), title="Dated progress updates of the actions.", order=ORDER)

FINDING_DECISIONS = model_type("finding_decisions", FindingDecision, (
    key(), ref("audit_id", "audits"), col("code", "text", "the statement of the finding"),
    col("decision", "text", "accepted or dismissed"), col("reason", "text", "why"),
    ref("action_id", "actions", "the action it became", nullable=True), col("decided_at", "datetime", "when"),
    ref("decided_by_id", "users", "who decided", nullable=True),
), _of_area_audits(FindingDecision.audit_id), title="What the board decided about each finding.", order=ORDER)

# -- documents -------------------------------------------------------------------------------------------

DOCUMENTS = model_type("documents", Document, (
    key(), ref("area_id", "area"), ref("agency_id", "agencies", "the owning agency", nullable=True),
    col("kind", "text", "response (an agency's), statement (the partnership's) or action"),
    col("title", "text", "its title"), col("effective_on", "date", "the date it speaks for", nullable=True),
    col("created_at", "datetime", "when it was uploaded"),
    ref("created_by_id", "users", "who uploaded it", nullable=True),
    col("deleted_at", "datetime", "since when it is in the bin (restorable)", nullable=True),
), lambda area: Document.area_id == area.id, title="Documents (evidence), including those in the bin.", order=ORDER,
    history_entities=("document",))

VERSION_FIELDS = (
    key(), ref("document_id", "documents"), col("number", "int", "1, 2, 3... per document"),
    col("file", "text", "the file in the archive holding its bytes (documents/<id>)"),
    col("filename", "text", "its file name"), col("content_type", "text", "its type, decided from its content"),
    col("size", "int", "its size in bytes"), col("sha256", "text", "the SHA-256 recorded when it was uploaded"),
    col("uploaded_at", "datetime", "when"), ref("uploaded_by_id", "users", "who uploaded it", nullable=True),
)


def _export_versions(area, context):
    # (the storage key is read with the row, and stays behind: the bytes go into the archive's own file)
    with_key = (*VERSION_FIELDS, col("storage_key", "text"))
    for row in model_rows(DocumentVersion, with_key, _of_area_documents(DocumentVersion.document_id)(area)):
        path = f"documents/{row['id']}"
        row["file"] = path
        context.attach(path, _opener(row.pop("storage_key")), size=row["size"],
                       what=_("document %(id)s version %(number)s", id=row["document_id"], number=row["number"]))
        yield row


def _opener(storage_key):
    return lambda: storage().open(storage_key)


def _import_versions(area, rows, context):
    from hsbtrack.documents import scanning

    def values(row, context):
        key_ = context.store_file(row["file"], f"documents/{area.id}")
        scanning.check(lambda: storage().open(key_), row["filename"], row["content_type"], row["size"],
                       area_id=area.id)
        return {"storage_key": key_}

    return insert_rows(DocumentVersion, "document_versions", VERSION_FIELDS, rows, context, values=values)


DOCUMENT_VERSIONS = RecordType("document_versions", "Each document's versions; the bytes of each are the archive's "
                                                    "file ``documents/<id>``.", VERSION_FIELDS, _export_versions,
                               _import_versions, order=ORDER, model=DocumentVersion,
                               left_out={"storage_key": "the bytes travel as the archive's file; a new key here"})

DOCUMENT_LINKS = model_type("document_links", DocumentLink, (
    key(), ref("document_id", "documents"), ref("audit_id", "audits", nullable=True),
    ref("agency_id", "agencies", nullable=True), col("code", "text", "the statement it evidences", nullable=True),
    ref("action_id", "actions", nullable=True), col("linked_at", "datetime", "when"),
    ref("linked_by_id", "users", "who linked it", nullable=True),
    col("status", "text", "linked, or waiting to be re-confirmed in a re-audit"),
    col("purpose", "text", "completion: the evidence an action was completed with", nullable=True),
), _of_area_documents(DocumentLink.document_id), title="What each document evidences.", order=ORDER)

# -- yearly reports --------------------------------------------------------------------------------------

REPORT_FIELDS = (
    key(), col("kind", "text", "the kind of report (england.yearly, a plugin's)"), ref("area_id", "area"),
    col("period_start", "date", "the first day of its period"), col("period_end", "date", "the last day"),
    ref("created_by_id", "users", "who started it", nullable=True), col("created_at", "datetime", "when"),
)


def _export_reports(area, context):
    from hsbtrack.plugins.services import registry
    from hsbtrack.yearly_reports.services import kind_named

    for row in model_rows(YearlyReport, REPORT_FIELDS, YearlyReport.area_id == area.id):
        kind = kind_named(row["kind"])
        if kind is not None and registry().is_plugin(kind.plugin):
            context.needs_plugin(kind.plugin)
        yield row


def _import_reports(area, rows, context):
    from hsbtrack.yearly_reports.services import kind_named

    kept = []
    for row in rows:
        if kind_named(row["kind"]) is None:
            context.skip("yearly_reports", row["id"])
            context.note(_("A yearly report of the kind %(kind)s was left out: no plugin here offers it.",
                           kind=row["kind"]))
            continue
        kept.append(row)
    return insert_rows(YearlyReport, "yearly_reports", REPORT_FIELDS, kept, context)


YEARLY_REPORTS = RecordType("yearly_reports", "The area's yearly reports (a region's stay with the region).",
                            REPORT_FIELDS, _export_reports, _import_reports, order=ORDER,
                            history_entities=("yearly_report",), model=YearlyReport,
                            left_out={"region_id": "a region's reports stay with the region"})

YEARLY_REPORT_VERSIONS = model_type("yearly_report_versions", YearlyReportVersion, (
    key(), ref("report_id", "yearly_reports"), col("number", "int", "1, 2, 3... per report"),
    col("sections", "json", "the narrative: {section key: text}"),
    ref("saved_by_id", "users", "who saved it", nullable=True), col("saved_at", "datetime", "when"),
    col("note", "text", "the note saved with it"),
), lambda area: YearlyReportVersion.report_id.in_(select(YearlyReport.id).where(YearlyReport.area_id == area.id)),
    title="Every saved version of each yearly report.", order=ORDER)

# -- history (last: it points at everything) -------------------------------------------------------------

HISTORY_FIELDS = (
    key(), ref("area_id", "area"), col("entity", "text", "what kind of record changed (response, action...)"),
    col("entity_id", "int", "its id: the import points it at the new record where the archive holds it (a type's "
                            "``history_entities``), else 0"),
    col("audit_id", "int", "the audit, where there is one (remapped; empty when not in the archive)", nullable=True),
    col("code", "text", "the statement's code, where there is one", nullable=True),
    col("field", "text", "the field that changed"),
    col("old_value", "json", "its value before (an id of a field named in docs/area-archive.md is remapped)",
        nullable=True),
    col("new_value", "json", "its value after (the same)", nullable=True),
    ref("user_id", "users", "who changed it", nullable=True), col("at", "datetime", "when"),
)

# Fields of history entries whose values are ids of the archive's records: remapped on import.
HISTORY_VALUE_REFS = {"agency_id": "agencies", "owner_id": "users", "audit_id": "audits", "action_id": "actions",
                      "document_id": "documents", "user_id": "users"}


def _import_history(area, rows, context):
    def remap_value(entry_field, value):
        target = HISTORY_VALUE_REFS.get(entry_field)
        if target is None or isinstance(value, bool) or not isinstance(value, int):
            return value
        return context.mapped_id(target, value, default=value)

    def values(row, context):
        target = context.history_type(row["entity"])
        entity_id = context.mapped_id(target, row["entity_id"], default=0) if target else 0
        audit_id = context.mapped_id("audits", row["audit_id"], default=None) if row["audit_id"] is not None else None
        return {"entity_id": entity_id, "audit_id": audit_id,
                "old_value": remap_value(row["field"], row["old_value"]),
                "new_value": remap_value(row["field"], row["new_value"])}

    return insert_rows(HistoryEntry, "history", HISTORY_FIELDS, rows, context, values=values)


def _export_history(area, context):
    for row in model_rows(HistoryEntry, HISTORY_FIELDS, HistoryEntry.area_id == area.id):
        if HISTORY_VALUE_REFS.get(row["field"]) == "users":  # (the people its values name come along too)
            context.user_ids.update(v for v in (row["old_value"], row["new_value"])
                                    if isinstance(v, int) and not isinstance(v, bool))
        yield row


HISTORY = RecordType("history", "The area's history: every change of a score, agreed score, action, document...",
                     HISTORY_FIELDS, _export_history, _import_history, order=1000, model=HistoryEntry)


def core_types() -> list[RecordType]:
    return [AREA, USERS, AGENCIES, MEMBERSHIPS, PLUGIN_STATES, AUDITS, AUDIT_AGENCIES, RETURN_REMINDERS, RESPONSES,
            DOMAIN_RESPONSES, AGREED_SCORES, SCHEDULE, ACTIONS, ACTION_STATEMENTS, ACTION_UPDATES, FINDING_DECISIONS,
            DOCUMENTS, DOCUMENT_VERSIONS, DOCUMENT_LINKS, YEARLY_REPORTS, YEARLY_REPORT_VERSIONS, HISTORY]
