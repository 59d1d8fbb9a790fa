"""Rules of partner organisations and shared returns (see :mod:`hsbtrack.organisations.models`).

Commands take the person acting (``user=``; None is the system) and check the access model
themselves: administrators create organisations, link areas and add members; the organisation's
leads (and administrators) open, answer, except and submit its shared returns.

A shared answer is written as the organisation's agency's response in every linked audit that is
still open, in a fixed number of SQL statements whatever the number of areas (a select of the
targets, a select of their rows, one bulk insert, one bulk update, one insert of the history, one
update of the audits' data versions); each area's history records it (entity ``shared_response``),
and each area's stale-moderation flags follow from the moved lowest scores, as for any answer.
"""

from dataclasses import dataclass, field

from flask import has_request_context
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, insert, or_, select, update

from hsbtrack.areas import services as areas
from hsbtrack.areas.models import Agency, Area, Membership, Region
from hsbtrack.audits import services as audits
from hsbtrack.audits.models import (
    OPEN,
    SHARED_SOURCES,
    SOURCE_AGENCY,
    SOURCE_EXCEPTION,
    SOURCE_SHARED,
    Audit,
    AuditAgency,
    Response,
)
from hsbtrack.auth.models import User
from hsbtrack.auth.services import invite, offboard
from hsbtrack.errors import ConflictError, ForbiddenError, NotFoundError, ServiceError
from hsbtrack.events import Event
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.history.models import HistoryEntry
from hsbtrack.organisations.models import (
    AREA_ROLE,
    ORGANISATION_LEAD,
    ORGANISATION_SENIOR_OFFICER,
    Organisation,
    OrganisationArea,
    OrganisationMember,
    SharedException,
    SharedResponse,
    SharedReturn,
    SharedReturnAudit,
)
from hsbtrack.permissions import forget_grants, grants_for
from hsbtrack.plugins.services import emit, prime_states, registry
from hsbtrack.timeutil import utcnow
from hsbtrack.transactions import locked, run_write

MAX_NAME = 200
ORGANISATION_ROLES = (ORGANISATION_LEAD, ORGANISATION_SENIOR_OFFICER)


# -- who may -------------------------------------------------------------------------------------


def _is_admin(user) -> bool:
    return user is not None and grants_for(user).is_admin


def is_member(user, organisation_id: int) -> bool:
    """An administrator, or someone holding a role on the organisation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if _is_admin(user):
        return True
    return db.session.scalar(select(OrganisationMember.id).where(
        OrganisationMember.organisation_id == organisation_id, OrganisationMember.user_id == user.id).limit(1)) is not None


def require_admin(user) -> None:
    if user is not None and not _is_admin(user):
        raise ForbiddenError(_("You do not have permission to do this"))


def has_role(user, organisation_id: int, role: str) -> bool:
    """An administrator, or someone holding ``role`` on the organisation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if _is_admin(user):
        return True
    return db.session.scalar(select(OrganisationMember.id).where(
        OrganisationMember.organisation_id == organisation_id, OrganisationMember.user_id == user.id,
        OrganisationMember.role == role).limit(1)) is not None


def require_lead(user, organisation_id: int) -> None:
    """Answering, exceptions, submission: the organisation's leads (and administrators)."""
    if user is not None and not has_role(user, organisation_id, ORGANISATION_LEAD):
        raise ForbiddenError(_("You do not have permission to do this"))


def require_senior_officer(user, organisation_id: int) -> None:
    """Sign-off: the organisation's senior officers (and administrators), as a senior officer of the
    agency signs its return off in an area."""
    if user is not None and not has_role(user, organisation_id, ORGANISATION_SENIOR_OFFICER):
        raise ForbiddenError(_("You do not have permission to do this"))


# -- organisations, links, members -------------------------------------------------------------------


def get_organisation(organisation_id) -> Organisation | None:
    return db.session.get(Organisation, organisation_id)


def organisations_for(user) -> list[Organisation]:
    """Every organisation for administrators; those the user holds a role on for anyone else."""
    query = select(Organisation).order_by(Organisation.name)
    if not _is_admin(user):
        query = query.join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id).where(
            OrganisationMember.user_id == getattr(user, "id", None)).distinct()
    return list(db.session.scalars(query))


def _name(value, field_name, required=True) -> str | None:
    text = audits.parse_text(value, field_name)
    if required and not text:
        raise ServiceError.field(field_name, _("Enter the organisation's name"))
    if len(text) > MAX_NAME:
        raise ServiceError.field(field_name, _("Must be %(n)d characters or fewer", n=MAX_NAME))
    return text or None


def create_organisation(name, name_cy=None, region_id=None, user=None) -> Organisation:
    """An administrator adds a partner organisation (install-wide, or in one region)."""
    require_admin(user)
    errors = {}
    clean = {}
    for key, value, required in (("name", name, True), ("name_cy", name_cy, False)):
        try:
            clean[key] = _name(value, key, required)
        except ServiceError as error:
            errors.update(error.fields)
    region = None
    if region_id not in (None, ""):
        try:
            region = db.session.get(Region, int(region_id))
        except (TypeError, ValueError):
            region = None
        if region is None:
            errors["region_id"] = _("Choose a region")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    if db.session.scalar(select(Organisation.id).where(Organisation.name == clean["name"])) is not None:
        raise ConflictError.field("name", _("There is already an organisation called %(name)s", name=clean["name"]))
    organisation = Organisation(name=clean["name"], name_cy=clean["name_cy"], region_id=region.id if region else None)
    db.session.add(organisation)
    db.session.commit()
    return organisation


def links(organisation) -> list[tuple[OrganisationArea, Area, Agency]]:
    """The organisation's areas, each with its agency there, by area name (one query)."""
    rows = db.session.execute(
        select(OrganisationArea, Area, Agency).join(Area, Area.id == OrganisationArea.area_id)
        .join(Agency, Agency.id == OrganisationArea.agency_id)
        .where(OrganisationArea.organisation_id == organisation.id)).all()
    return sorted(rows, key=lambda row: row[1].display_name.casefold())


def members(organisation) -> list[OrganisationMember]:
    return list(db.session.scalars(select(OrganisationMember).where(
        OrganisationMember.organisation_id == organisation.id).order_by(OrganisationMember.id)
        .options(db.joinedload(OrganisationMember.user))))


def _area_memberships(user_id: int, role: str, pairs) -> None:
    """The role in each linked area, for the organisation's agency there (skipping those held)."""
    pairs = list(pairs)
    if not pairs:
        return
    held = set(db.session.execute(select(Membership.area_id, Membership.agency_id).where(
        Membership.user_id == user_id, Membership.role == role,
        Membership.area_id.in_([area_id for area_id, _agency in pairs]))).all())
    for area_id, agency_id in pairs:
        if (area_id, agency_id) not in held:
            db.session.add(Membership(user_id=user_id, area_id=area_id, agency_id=agency_id, role=role))


def _record_in_areas(area_ids, organisation_id: int, changes: dict, user) -> None:
    """One change to the organisation, in the history of each of ``area_ids`` at one time (one insert): the
    organisation's history shows it once, naming the areas."""
    now, user_id = utcnow(), getattr(user, "id", None)
    rows = [{"area_id": area_id, "entity": "organisation", "entity_id": organisation_id, "audit_id": None,
             "code": None, "field": name, "old_value": history._plain(old), "new_value": history._plain(new),
             "user_id": user_id, "at": now} for area_id in area_ids for name, (old, new) in changes.items()]
    if rows:
        db.session.execute(insert(HistoryEntry), rows)


def link_area(organisation, area_id, agency_id=None, user=None) -> OrganisationArea:
    """Link an area: its existing agency ``agency_id`` (which keeps its responses and history), or
    the area's agency of the organisation's name (made if it has none)."""
    require_admin(user)
    try:
        area = db.session.get(Area, int(area_id))
    except (TypeError, ValueError):
        area = None
    if area is None:
        raise ServiceError.field("area_id", _("Choose an area"))
    agency = None
    if agency_id not in (None, ""):
        try:
            agency = db.session.get(Agency, int(agency_id))
        except (TypeError, ValueError):
            agency = None
        if agency is None or agency.area_id != area.id:
            raise ServiceError.field("agency_id", _("Choose an agency of %(area)s", area=area.display_name))
    if db.session.scalar(select(OrganisationArea.id).where(OrganisationArea.organisation_id == organisation.id,
                                                          OrganisationArea.area_id == area.id)) is not None:
        raise ConflictError.field("area_id", _("%(area)s is linked already", area=area.display_name))
    if agency is None:
        agency = db.session.scalar(select(Agency).where(Agency.area_id == area.id, Agency.name == organisation.name))
    if agency is None:
        agency = Agency(area_id=area.id, name=organisation.name, name_cy=organisation.name_cy)
        db.session.add(agency)
        db.session.flush()
    elif db.session.scalar(select(OrganisationArea.id).where(OrganisationArea.agency_id == agency.id)) is not None:
        raise ConflictError.field("agency_id", _("%(agency)s is linked to another organisation",
                                                 agency=agency.display_name))
    link = OrganisationArea(organisation_id=organisation.id, area_id=area.id, agency_id=agency.id)
    db.session.add(link)
    db.session.flush()
    for member in members(organisation):
        _area_memberships(member.user_id, AREA_ROLE[member.role], [(area.id, agency.id)])
    history.record(area_id=area.id, entity="organisation", entity_id=organisation.id, user=user,
                   changes={"linked_agency_id": (None, agency.id)})
    db.session.commit()
    forget_grants()
    return link


def add_member(organisation, email, role=ORGANISATION_LEAD, name="", user=None):
    """Give someone (an account made if new) a role on the organisation, and so in every linked area
    the same role for the organisation's agency there. Returns (member, user, created)."""
    require_admin(user)
    if role not in ORGANISATION_ROLES:
        raise ServiceError.field("role", _("Choose the organisation lead role"))
    person, created = areas.get_or_create_user(email, name)
    if db.session.scalar(select(OrganisationMember.id).where(
            OrganisationMember.organisation_id == organisation.id, OrganisationMember.user_id == person.id,
            OrganisationMember.role == role)) is not None:
        db.session.rollback()
        raise ConflictError.field("email", _("%(email)s already has this role here", email=person.email))
    member = OrganisationMember(organisation_id=organisation.id, user_id=person.id, role=role)
    db.session.add(member)
    linked = [(link.area_id, link.agency_id) for link, _area, _agency in links(organisation)]
    _area_memberships(person.id, AREA_ROLE[role], linked)
    _record_in_areas([area_id for area_id, _agency in linked], organisation.id, {role: (None, person.email)}, user)
    db.session.commit()
    forget_grants()
    if user is not None and has_request_context():  # a person asked, on the page or the API (not the system)
        invite(person, created, inviter=user)  # (new, or never signed in: the invitation email, its link for this request)
    return member, person, created


# -- shared returns ----------------------------------------------------------------------------------


@dataclass
class AuditSet:
    """A set of open audits an organisation may answer once: ``key`` says where it comes from
    (``framework:<slug>`` for every open audit of a framework, or a plugin's, ``regional:round:3``)."""

    key: str
    title: str
    framework: str
    audit_ids: list = field(default_factory=list)


def _open_linked_audits(organisation) -> list[tuple[Audit, int]]:
    """Open audits of linked areas in which the organisation's agency takes part, with that agency."""
    return list(db.session.execute(
        select(Audit, OrganisationArea.agency_id)
        .join(OrganisationArea, OrganisationArea.area_id == Audit.area_id)
        .join(AuditAgency, and_(AuditAgency.audit_id == Audit.id, AuditAgency.agency_id == OrganisationArea.agency_id))
        .where(OrganisationArea.organisation_id == organisation.id, Audit.status == OPEN)
        .order_by(Audit.framework, Audit.area_id)).all())


def offered_audit_sets(organisation) -> list[AuditSet]:
    """What the organisation may answer once: each framework's open audits in its areas, and the sets
    plugins offer through ``hsbtrack_shared_return_audit_sets`` (a regional round), limited to the
    open audits of its areas where its agency takes part."""
    rows = _open_linked_audits(organisation)
    answerable = {audit.id for audit, _agency in rows}
    sets: dict[str, AuditSet] = {}
    for audit, _agency in rows:
        framework = audits.catalogue().get(audit.framework)
        offered = sets.setdefault(audit.framework, AuditSet(f"framework:{audit.framework}", framework.title,
                                                            audit.framework))
        offered.audit_ids.append(audit.id)
    result = []
    for item in registry().collect("hsbtrack_shared_return_audit_sets", organisation=organisation):
        ids = [i for i in item.audit_ids if i in answerable]
        if ids:
            result.append(AuditSet(item.key, item.title, item.framework, ids))
    return result + [s for s in sets.values() if len(s.audit_ids) > 1 or not result]


def shared_returns(organisation) -> list[SharedReturn]:
    return list(db.session.scalars(select(SharedReturn).where(SharedReturn.organisation_id == organisation.id)
                                   .order_by(SharedReturn.id.desc())))


def get_shared_return(shared_return_id) -> SharedReturn | None:
    return db.session.get(SharedReturn, shared_return_id)


def open_shared_return(organisation, audit_ids, title=None, source_key="chosen", user=None) -> SharedReturn:
    """Answer a set of open audits once. Each must be open, of one framework, in a linked area (one per
    area) with the organisation's agency taking part. The same set asked again gives the same return."""
    require_lead(user, organisation.id)
    answerable = {audit.id: audit for audit, _agency in _open_linked_audits(organisation)}
    try:
        chosen = sorted({int(i) for i in (audit_ids or [])})
    except (TypeError, ValueError):
        chosen = None
    if not chosen:
        raise ServiceError.field("audit_ids", _("Choose the audits to answer"))
    picked = [answerable.get(i) for i in chosen]
    if any(a is None for a in picked):
        raise ServiceError.field("audit_ids", _("Choose open audits of areas this organisation is linked to"))
    if len({a.framework for a in picked}) > 1:
        raise ServiceError.field("audit_ids", _("Choose audits of one framework"))
    if len({a.area_id for a in picked}) < len(picked):
        raise ServiceError.field("audit_ids", _("Choose one audit in each area"))
    title = audits.parse_text(title, "title")[:MAX_NAME]
    framework = picked[0].framework
    taken = db.session.execute(
        select(SharedReturnAudit.shared_return_id, SharedReturnAudit.audit_id).join(SharedReturn)
        .where(SharedReturn.organisation_id == organisation.id, SharedReturnAudit.audit_id.in_(chosen))).all()
    if taken:
        returns = {return_id for return_id, _audit in taken}
        existing = get_shared_return(next(iter(returns)))
        if len(returns) == 1 and {a for _r, a in taken} == set(chosen) and len(existing.audits) == len(chosen):
            return existing  # (asked again)
        raise ConflictError.field("audit_ids", _("Some of these audits are answered by another shared return already"))
    row = SharedReturn(organisation_id=organisation.id, framework=framework, source_key=str(source_key)[:100],
                       title=title or audits.catalogue().get(framework).title, created_by_id=getattr(user, "id", None))
    row.audits = [SharedReturnAudit(audit_id=a.id, area_id=a.area_id) for a in picked]
    db.session.add(row)
    db.session.flush()
    now, user_id = utcnow(), getattr(user, "id", None)  # (one time: the organisation's history shows it once)
    db.session.execute(insert(HistoryEntry), [
        {"area_id": audit.area_id, "entity": "shared_return", "entity_id": row.id, "audit_id": audit.id,
         "code": None, "field": "audit_id", "old_value": None, "new_value": audit.id, "user_id": user_id, "at": now}
        for audit in picked])
    db.session.commit()
    return row


@dataclass
class Target:
    """One linked audit a shared answer goes to."""

    audit_id: int
    area_id: int
    agency_id: int
    link_id: int
    signed_off_at: object
    audit: Audit | None = None


def return_audits(shared_return) -> list[tuple[Audit, Area, int]]:
    """The return's audits (open or closed) with their area and the organisation's agency there, by area
    name, in one query."""
    rows = db.session.execute(
        select(Audit, Area, OrganisationArea.agency_id)
        .join(SharedReturnAudit, SharedReturnAudit.audit_id == Audit.id)
        .join(Area, Area.id == Audit.area_id)
        .join(OrganisationArea, and_(OrganisationArea.area_id == Area.id,
                                     OrganisationArea.organisation_id == shared_return.organisation_id))
        .where(SharedReturnAudit.shared_return_id == shared_return.id)).all()
    return sorted(rows, key=lambda row: row[1].display_name.casefold())


def _targets(shared_return_id: int, organisation_id: int, code: str | None = None, area_id: int | None = None,
             skip_exceptions=True) -> list[Target]:
    """The open audits a write reaches (one query): every open audit of the return whose area's agency
    takes part, without the areas that have an exception for ``code``."""
    query = (select(Audit, AuditAgency.agency_id, AuditAgency.id, AuditAgency.signed_off_at)
             .join(SharedReturnAudit, SharedReturnAudit.audit_id == Audit.id)
             .join(OrganisationArea, and_(OrganisationArea.area_id == Audit.area_id,
                                          OrganisationArea.organisation_id == organisation_id))
             .join(AuditAgency, and_(AuditAgency.audit_id == Audit.id, AuditAgency.agency_id == OrganisationArea.agency_id))
             .where(SharedReturnAudit.shared_return_id == shared_return_id, Audit.status == OPEN))
    if area_id is not None:
        query = query.where(Audit.area_id == area_id)
    if skip_exceptions and code is not None:
        query = query.where(~exists().where(SharedException.shared_return_id == shared_return_id,
                                            SharedException.area_id == Audit.area_id, SharedException.code == code))
    return [Target(audit.id, audit.area_id, agency_id, link_id, signed_off, audit)
            for audit, agency_id, link_id, signed_off in db.session.execute(query).all()]


def open_targets(shared_return) -> list[Target]:
    """The open audits the shared return reaches, each with the organisation's agency there (one query):
    where a document of the shared answer is linked (hsbtrack.documents.shared)."""
    return sorted(_targets(shared_return.id, shared_return.organisation_id), key=lambda t: (t.area_id, t.audit_id))


def _write_rows(shared_return_id: int, code: str, targets: list[Target], values: dict, user, entity: str,
                entity_id: int, extra_changes: dict | None = None, source: str = SOURCE_SHARED) -> dict[int, dict]:
    """Write ``values`` (score, evidence, assurance) as the agency's response in each target audit:
    one select, one bulk insert, one bulk update, the withdrawn sign-offs in one update, the history in
    one insert and the data versions in one update, whatever the number of targets. Returns each
    area's changes ``{area_id: {field: (old, new)}}``. The caller commits.

    ``source``: ``shared`` for the shared answer (which skips a response changed in its area since,
    an exception even before the organisation recorded it), ``exception`` for an area's own answer."""
    if not targets:
        return {}
    audit_ids = [t.audit_id for t in targets]
    agency_ids = [t.agency_id for t in targets]
    existing = {(r.audit_id, r.agency_id): r for r in db.session.execute(
        select(Response.id, Response.audit_id, Response.agency_id, Response.score, Response.evidence,
               Response.assurance, Response.source, Response.shared_return_id)
        .where(Response.code == code, Response.audit_id.in_(audit_ids), Response.agency_id.in_(agency_ids))).all()}
    now, user_id = utcnow(), getattr(user, "id", None)
    wanted = {**values, "source": source}
    inserts, updates, history_rows, scored_audits, changed_links = [], [], [], [], []
    changes_by_area = {}
    for target in targets:
        row = existing.get((target.audit_id, target.agency_id))
        if (source == SOURCE_SHARED and row is not None and row.source == SOURCE_EXCEPTION
                and row.shared_return_id == shared_return_id and entity == "shared_response"):
            continue  # (this area's own answer)
        before = ({"score": None, "evidence": "", "assurance": "", "source": SOURCE_AGENCY} if row is None else
                  {"score": row.score, "evidence": row.evidence, "assurance": row.assurance, "source": row.source})
        changes = {k: (before[k], v) for k, v in wanted.items() if before[k] != v}
        linked_elsewhere = row is not None and row.shared_return_id != shared_return_id
        if not changes and not linked_elsewhere:
            continue
        changes.update(extra_changes or {})
        changes_by_area[target.area_id] = changes
        if row is None:
            inserts.append({"audit_id": target.audit_id, "agency_id": target.agency_id, "code": code,
                            "score": values.get("score"), "evidence": values.get("evidence", ""),
                            "assurance": values.get("assurance", ""), "updated_at": now, "updated_by_id": user_id,
                            "version": 1, "source": source, "shared_return_id": shared_return_id})
        else:
            updates.append(row.id)
        if "score" in changes:
            scored_audits.append(target.audit_id)
        if target.signed_off_at is not None:
            changed_links.append(target)
        for name, (old, new) in changes.items():
            history_rows.append({"area_id": target.area_id, "entity": entity, "entity_id": entity_id,
                                 "audit_id": target.audit_id, "code": code, "field": name,
                                 "old_value": history._plain(old), "new_value": history._plain(new),
                                 "user_id": user_id, "at": now})
    if inserts:
        db.session.execute(insert(Response), inserts)
    if updates:
        db.session.execute(
            update(Response).where(Response.id.in_(updates)).values(
                **values, source=source, shared_return_id=shared_return_id, updated_at=now,
                updated_by_id=user_id, version=Response.version + 1),
            execution_options={"synchronize_session": False})
    if changed_links:  # a signed-off return changed: the sign-off no longer covers it (in every area)
        db.session.execute(update(AuditAgency).where(AuditAgency.id.in_([t.link_id for t in changed_links]))
                           .values(signed_off_at=None, signed_off_by_id=None),
                           execution_options={"synchronize_session": False})
        db.session.execute(update(SharedReturn).where(SharedReturn.id == shared_return_id,
                                                      SharedReturn.signed_off_at.is_not(None))
                           .values(signed_off_at=None, signed_off_by_id=None),
                           execution_options={"synchronize_session": False})
        history_rows += [{"area_id": t.area_id, "entity": "audit_agency", "entity_id": t.link_id,
                          "audit_id": t.audit_id, "code": None, "field": "signed_off_at",
                          "old_value": history._plain(t.signed_off_at), "new_value": None, "user_id": user_id,
                          "at": now} for t in changed_links]
    if history_rows:
        db.session.execute(insert(HistoryEntry), history_rows)
    if scored_audits:
        db.session.execute(update(Audit).where(Audit.id.in_(scored_audits))
                           .values(data_version=Audit.data_version + 1),
                           execution_options={"synchronize_session": False})
    return changes_by_area


def _tell(targets: list[Target], record, changes_by_area: dict, event, user) -> None:
    """After the commit: the event in each area that changed (the areas' plugin states in one query)."""
    changed = [t for t in targets if t.area_id in changes_by_area]
    if not changed:
        return
    area_rows = {a.id: a for a in db.session.scalars(select(Area).where(Area.id.in_([t.area_id for t in changed])))}
    prime_states(area_rows.values())
    for target in changed:
        emit(area_rows[target.area_id], record, event, changes_by_area[target.area_id], user)


def _framework(shared_return):
    return audits.catalogue().get(shared_return.framework)


def _shared_row(shared_return_id, code) -> SharedResponse | None:
    return locked(select(SharedResponse).where(SharedResponse.shared_return_id == shared_return_id,
                                               SharedResponse.code == code))


def shared_responses(shared_return) -> dict[str, SharedResponse]:
    return {r.code: r for r in db.session.scalars(
        select(SharedResponse).where(SharedResponse.shared_return_id == shared_return.id))}


def exceptions(shared_return) -> dict[str, list[SharedException]]:
    """``{code: [exception, ...]}`` (each with its area), in one query."""
    result = {}
    for row in db.session.scalars(select(SharedException).where(SharedException.shared_return_id == shared_return.id)
                                  .options(db.joinedload(SharedException.area))):
        result.setdefault(row.code, []).append(row)
    for rows in result.values():
        rows.sort(key=lambda r: r.area.display_name.casefold())
    return result


def save_shared_response(shared_return, code, *, score=None, evidence=None, assurance=None, user=None,
                         expected_version=None, fields=("score", "evidence", "assurance")) -> SharedResponse:
    """The organisation's answer to one statement, written as its agency's response in every linked open
    audit (not where an area has an exception for the statement). Only the named ``fields`` change.

    ``expected_version``: the version of the shared answer the user read (0: none yet); a newer one is a
    409, never a server error."""
    require_lead(user, shared_return.organisation_id)
    framework = _framework(shared_return)
    audits.scored_statement(framework, code)
    values, errors = {}, {}
    for name, parse in (("score", lambda: audits.parse_score(score, framework)),
                        ("evidence", lambda: audits.parse_text(evidence, "evidence")),
                        ("assurance", lambda: audits.parse_text(assurance, "assurance"))):
        if name in fields:
            try:
                values[name] = parse()
            except ServiceError as error:
                errors.update(error.fields)
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    return_id, organisation_id = shared_return.id, shared_return.organisation_id
    what = _("statement %(code)s", code=code)
    versioned = expected_version not in (None, "")

    def attempt():
        row = _shared_row(return_id, code)
        if versioned and (row.version if row is not None else 0) != int(expected_version):
            raise ConflictError(_conflict(what), {"version": _("Out of date")}, current=row)
        if row is None:
            row = SharedResponse(shared_return_id=return_id, code=code, score=None, evidence="", assurance="")
            db.session.add(row)
        changes = history.diff(row, values)
        if changes:
            for name, (_old, new) in changes.items():
                setattr(row, name, new)
            row.updated_at, row.updated_by_id = utcnow(), getattr(user, "id", None)
            db.session.flush()
        elif row in db.session.new:
            db.session.expunge(row)
            return row, [], {}
        targets = _targets(return_id, organisation_id, code)
        full = {name: getattr(row, name) for name in ("score", "evidence", "assurance")}
        by_area = _write_rows(return_id, code, targets, full, user, "shared_response", row.id)
        db.session.commit()
        return row, targets, by_area

    row, targets, by_area = run_write(attempt, versioned=versioned, conflict_message=_conflict(what),
                                      current=lambda: _shared_row(return_id, code))
    _tell(targets, row, by_area, Event.RESPONSE_SCORED, user)
    return row


def _conflict(what) -> str:
    return _("Someone else changed %(what)s while you were editing it. Your change was not saved: "
             "reload to see their version.", what=what)


def _return_area(shared_return, area_id) -> int:
    try:
        area_id = int(area_id)
    except (TypeError, ValueError):
        area_id = None
    if area_id not in {link.area_id for link in shared_return.audits}:
        raise NotFoundError.field("area_id", _("This area is not answered by the shared return"))
    return area_id


def _exception_row(return_id, area_id, code) -> SharedException | None:
    return locked(select(SharedException).where(SharedException.shared_return_id == return_id,
                                                SharedException.area_id == area_id, SharedException.code == code))


def set_exception(shared_return, area_id, code, *, score=None, evidence=None, reason=None, user=None,
                  expected_version=None) -> SharedException:
    """Where one area's arrangements differ: its own score and evidence for one statement, with a
    reason. Written as that area's response (still marked as from the shared return); the shared
    answer no longer overwrites it."""
    require_lead(user, shared_return.organisation_id)
    framework = _framework(shared_return)
    audits.scored_statement(framework, code)
    area_id = _return_area(shared_return, area_id)
    errors, values = {}, {}
    for name, parse in (("score", lambda: audits.parse_score(score, framework)),
                        ("evidence", lambda: audits.parse_text(evidence, "evidence")),
                        ("reason", lambda: audits.parse_text(reason, "reason"))):
        try:
            values[name] = parse()
        except ServiceError as error:
            errors.update(error.fields)
    if "reason" not in errors and not values.get("reason"):
        errors["reason"] = _("Say why this area's answer differs from the shared answer")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    return_id, organisation_id = shared_return.id, shared_return.organisation_id
    what = _("the exception for %(code)s", code=code)
    versioned = expected_version not in (None, "")

    def attempt():
        row = _exception_row(return_id, area_id, code)
        if versioned and (row.version if row is not None else 0) != int(expected_version):
            raise ConflictError(_conflict(what), {"version": _("Out of date")}, current=row)
        if row is None:
            row = SharedException(shared_return_id=return_id, area_id=area_id, code=code, score=None, evidence="",
                                  reason="")
            db.session.add(row)
        changes = history.diff(row, values)
        for name, (_old, new) in changes.items():
            setattr(row, name, new)
        row.updated_at, row.updated_by_id = utcnow(), getattr(user, "id", None)
        db.session.flush()
        targets = _targets(return_id, organisation_id, code, area_id=area_id, skip_exceptions=False)
        shared = _shared_row(return_id, code)
        answer = {"score": values["score"], "evidence": values["evidence"],
                  "assurance": shared.assurance if shared is not None else ""}
        reason_change = {"exception_reason": (None, values["reason"])} if "reason" in changes else {}
        by_area = _write_rows(return_id, code, targets, answer, user, "shared_exception", row.id, reason_change,
                              source=SOURCE_EXCEPTION)
        if not by_area and changes:  # (a closed audit: the exception is kept on the return only)
            history.record(area_id=area_id, entity="shared_exception", entity_id=row.id, changes=changes, user=user,
                           code=code)
        db.session.commit()
        return row, targets, by_area

    row, targets, by_area = run_write(attempt, versioned=versioned, conflict_message=_conflict(what),
                                      current=lambda: _exception_row(return_id, area_id, code))
    _tell(targets, row, by_area, Event.RESPONSE_SCORED, user)
    return row


def remove_exception(shared_return, area_id, code, user=None) -> None:
    """The area follows the shared answer again (written back to its response, if its audit is open)."""
    require_lead(user, shared_return.organisation_id)
    audits.scored_statement(_framework(shared_return), code)
    area_id = _return_area(shared_return, area_id)
    return_id, organisation_id = shared_return.id, shared_return.organisation_id

    def attempt():
        row = _exception_row(return_id, area_id, code)
        if row is None:
            raise NotFoundError(_("There is no exception for this area and statement"))
        exception_id, reason = row.id, row.reason
        db.session.delete(row)
        db.session.flush()
        shared = _shared_row(return_id, code)
        answer = {name: getattr(shared, name) if shared is not None else default
                  for name, default in (("score", None), ("evidence", ""), ("assurance", ""))}
        targets = _targets(return_id, organisation_id, code, area_id=area_id, skip_exceptions=False)
        by_area = _write_rows(return_id, code, targets, answer, user, "shared_exception", exception_id,
                              {"exception_reason": (reason, None)})
        if not by_area:
            history.record(area_id=area_id, entity="shared_exception", entity_id=exception_id, user=user, code=code,
                           changes={"exception_reason": (reason, None)})
        db.session.commit()
        return row, targets, by_area

    row, targets, by_area = run_write(attempt, versioned=False, conflict_message=_conflict(code))
    _tell(targets, row, by_area, Event.RESPONSE_SCORED, user)


def progress(shared_return) -> dict:
    """``{"scored", "total"}``: statements the shared answer scores, of the framework's scored ones."""
    framework = _framework(shared_return)
    codes = {s.code for s in framework.scored_statements}
    scored = sum(1 for code, row in shared_responses(shared_return).items() if code in codes and row.score is not None)
    return {"scored": scored, "total": len(codes)}


def submit_shared_return(shared_return, user=None) -> SharedReturn:
    """The organisation says its return is complete: submitted once, counted as its agency's return in
    each linked open audit's tracker (``AuditAgency.submitted_at``; one update, one history insert)."""
    require_lead(user, shared_return.organisation_id)
    done = progress(shared_return)
    if done["scored"] < done["total"]:
        raise ServiceError.field("submit", _("Score all %(total)d statements before submitting: %(n)d are still blank",
                                             total=done["total"], n=done["total"] - done["scored"]))
    targets = _targets(shared_return.id, shared_return.organisation_id)
    now, user_id = utcnow(), getattr(user, "id", None)
    links_ = db.session.execute(select(AuditAgency.id, AuditAgency.submitted_at).where(
        AuditAgency.id.in_([t.link_id for t in targets]))).all() if targets else []
    before = dict(links_)
    if targets:
        db.session.execute(update(AuditAgency).where(AuditAgency.id.in_([t.link_id for t in targets]))
                           .values(submitted_at=now, submitted_by_id=user_id),
                           execution_options={"synchronize_session": False})
        db.session.execute(insert(HistoryEntry), [
            {"area_id": t.area_id, "entity": "audit_agency", "entity_id": t.link_id, "audit_id": t.audit_id,
             "code": None, "field": "submitted_at", "old_value": history._plain(before.get(t.link_id)),
             "new_value": history._plain(now), "user_id": user_id, "at": now} for t in targets])
    shared_return.submitted_at, shared_return.submitted_by_id = now, user_id
    db.session.commit()
    _tell(targets, shared_return, {t.area_id: {"submitted_at": (None, now)} for t in targets}, Event.AGENCY_SUBMITTED,
          user)
    return shared_return


def shared_marks(audit_ids) -> dict[tuple[int, int, str], int]:
    """``{(audit_id, agency_id, code): shared_return_id}`` for responses from a shared return (one query),
    for pages and exports that mark them."""
    ids = list(audit_ids)
    if not ids:
        return {}
    return {(a, g, c): r for a, g, c, r in db.session.execute(
        select(Response.audit_id, Response.agency_id, Response.code, Response.shared_return_id)
        .where(Response.audit_id.in_(ids), Response.source.in_(SHARED_SOURCES))).all()}


def organisations_in_region(region_id: int) -> list[tuple[Organisation, int]]:
    """Organisations linked to areas of the region, with how many of its areas each serves (one query)."""
    rows = db.session.execute(
        select(Organisation, db.func.count(OrganisationArea.id))
        .join(OrganisationArea, OrganisationArea.organisation_id == Organisation.id)
        .join(Area, Area.id == OrganisationArea.area_id)
        .where(Area.region_id == region_id).group_by(Organisation.id).order_by(Organisation.name)).all()
    return [(organisation, count) for organisation, count in rows]


@dataclass
class ReturnInRound:
    """One shared return of an organisation, as a roll-up over some areas' audits shows it."""

    shared_return: SharedReturn
    area_ids: set = field(default_factory=set)  # the areas (of the audits asked about) it answers
    scored: int = 0  # statements its shared answer scores
    total: int = 0  # the framework's scored statements
    exceptions: dict = field(default_factory=dict)  # {area_id: [code, ...]}: the areas' own answers


@dataclass
class Partner:
    """An organisation answering once for several areas of a region (``partners_in_region``)."""

    organisation: Organisation
    linked_areas: int  # how many of the region's areas it is linked to
    returns: list = field(default_factory=list)  # [ReturnInRound]


def partners_in_region(region_id: int, audit_ids) -> list[Partner]:
    """The organisations linked to areas of the region, each once, with their shared returns answering any
    of ``audit_ids`` (a regional round's): the areas each answers, how many statements its shared answer
    scores, and the exceptions by area (codes only: no score, evidence or reason). Four queries at most,
    whatever the number of areas, organisations and answers."""
    found = organisations_in_region(region_id)
    partners = {organisation.id: Partner(organisation, count) for organisation, count in found}
    ids = list(audit_ids)
    if not partners or not ids:
        return list(partners.values())
    rows = db.session.execute(
        select(SharedReturn, SharedReturnAudit.area_id).join(SharedReturnAudit)
        .where(SharedReturnAudit.audit_id.in_(ids), SharedReturn.organisation_id.in_(list(partners)))
        .order_by(SharedReturn.id)).all()
    by_id: dict[int, ReturnInRound] = {}
    for shared_return, area_id in rows:
        item = by_id.get(shared_return.id)
        if item is None:
            framework = _framework(shared_return)
            item = by_id[shared_return.id] = ReturnInRound(shared_return, total=len(framework.scored_statements))
            partners[shared_return.organisation_id].returns.append(item)
        item.area_ids.add(area_id)
    if not by_id:
        return list(partners.values())
    scored_codes = {}
    for return_id, code in db.session.execute(select(SharedResponse.shared_return_id, SharedResponse.code).where(
            SharedResponse.shared_return_id.in_(list(by_id)), SharedResponse.score.is_not(None))).all():
        scored_codes.setdefault(return_id, set()).add(code)
    order = {}
    for return_id, item in by_id.items():
        order[return_id] = {s.code: i for i, s in enumerate(_framework(item.shared_return).scored_statements)}
        item.scored = len(scored_codes.get(return_id, set()) & set(order[return_id]))
    for return_id, area_id, code in db.session.execute(
            select(SharedException.shared_return_id, SharedException.area_id, SharedException.code)
            .where(SharedException.shared_return_id.in_(list(by_id)))).all():
        if area_id in by_id[return_id].area_ids:
            by_id[return_id].exceptions.setdefault(area_id, []).append(code)
    for return_id, item in by_id.items():
        for codes in item.exceptions.values():
            codes.sort(key=lambda code, o=order[return_id]: o.get(code, len(o)))
    return list(partners.values())


def adopt_local_change(area, response, user_id=None) -> SharedException | None:
    """An answer from the shared return changed in one area's own audit (``audits.save_response`` marks
    it ``exception``): the organisation records it as that area's exception, so that the next shared
    answer does not silently overwrite it, with the reason "Changed in the audit of <area> by <name>"
    (a reason the lead may change; removing the exception brings the shared answer back). Heard after
    the save's commit, through ``hsbtrack_record_saved``."""
    if getattr(response, "source", None) != SOURCE_EXCEPTION or response.shared_return_id is None:
        return None
    return_id, code = response.shared_return_id, response.code
    if db.session.scalar(select(SharedReturnAudit.id).where(SharedReturnAudit.shared_return_id == return_id,
                                                            SharedReturnAudit.audit_id == response.audit_id)) is None:
        return None  # (the area was unlinked since: its answer is its agency's own)
    person = db.session.get(User, user_id) if user_id is not None else None
    name = (person.name or person.email) if person is not None else _("the system")
    row = _exception_row(return_id, area.id, code)
    values = {"score": response.score, "evidence": response.evidence}
    if row is None:
        row = SharedException(shared_return_id=return_id, area_id=area.id, code=code, score=None, evidence="",
                              reason="")
        db.session.add(row)
        values["reason"] = _("Changed in the audit of %(area)s by %(name)s", area=area.display_name, name=name)
    changes = history.diff(row, values)
    if not changes:
        return row
    for name_, (_old, new) in changes.items():
        setattr(row, name_, new)
    row.updated_at, row.updated_by_id = utcnow(), user_id
    db.session.flush()
    history.record(area_id=area.id, entity="shared_exception", entity_id=row.id, user=person, code=code,
                   audit_id=response.audit_id,
                   changes={("exception_reason" if k == "reason" else k): v for k, v in changes.items()})
    db.session.commit()
    return row


# -- sign-off ----------------------------------------------------------------------------------------


def sign_off_targets(shared_return) -> list[tuple[Target, object]]:
    """The linked open audits whose area asks for returns to be signed off, each with its area's
    settings read in the same query: ``[(target, signed_off_at)]``."""
    targets = _targets(shared_return.id, shared_return.organisation_id)
    if not targets:
        return []
    settings = dict(db.session.execute(select(Area.id, Area.settings).where(
        Area.id.in_({t.area_id for t in targets}))).all())
    return [t for t in targets if (settings.get(t.area_id) or {}).get("returns_sign_off")]


def sign_off_shared_return(shared_return, user=None) -> SharedReturn:
    """A senior officer of the organisation signs the submitted shared return off once: the sign-off of
    its agency's return in every linked open audit whose area asks for one (one update, one history
    insert), counted in each area's tracker. A later change to the shared answers withdraws it in
    every area (``_write_rows``); a change in one area's own audit withdraws that area's."""
    require_senior_officer(user, shared_return.organisation_id)
    if shared_return.submitted_at is None:
        raise ConflictError(_("The shared return has not been submitted yet: it can be signed off once it is "
                              "submitted"))
    targets = sign_off_targets(shared_return)
    if not targets:
        raise ConflictError(_("None of the linked areas asks for returns to be signed off"))
    link_ids = [t.link_id for t in targets]
    rows = dict(db.session.execute(select(AuditAgency.id, AuditAgency.submitted_at).where(
        AuditAgency.id.in_(link_ids))).all())
    waiting = [t for t in targets if rows.get(t.link_id) is not None and t.signed_off_at is None]
    if not waiting and shared_return.signed_off_at is not None:
        raise ConflictError(_("The shared return is signed off already"))
    now, user_id = utcnow(), getattr(user, "id", None)
    if waiting:
        db.session.execute(update(AuditAgency).where(AuditAgency.id.in_([t.link_id for t in waiting]))
                           .values(signed_off_at=now, signed_off_by_id=user_id),
                           execution_options={"synchronize_session": False})
        db.session.execute(insert(HistoryEntry), [
            {"area_id": t.area_id, "entity": "audit_agency", "entity_id": t.link_id, "audit_id": t.audit_id,
             "code": None, "field": "signed_off_at", "old_value": None, "new_value": history._plain(now),
             "user_id": user_id, "at": now} for t in waiting])
    shared_return.signed_off_at, shared_return.signed_off_by_id = now, user_id
    db.session.commit()
    _tell(waiting, shared_return, {t.area_id: {"signed_off_at": (None, now)} for t in waiting},
          Event.RETURN_SIGNED_OFF, user)
    return shared_return


# -- removal -----------------------------------------------------------------------------------------


def _offboard_if_left(person, by) -> None:
    """Their last role gone (in any area or organisation) and no administrator: they have left (tokens
    revoked, sessions ended), as when an area removes someone's last role."""
    if person.is_admin:
        return
    left = db.session.scalar(select(db.func.count()).select_from(Membership).where(Membership.user_id == person.id))
    left += db.session.scalar(select(db.func.count()).select_from(OrganisationMember).where(
        OrganisationMember.user_id == person.id))
    if not left:
        offboard(person, "last_role_removed", by)


def _remove_area_memberships(user_id: int, roles, pairs) -> int:
    """The memberships made for the organisation: ``roles``' area roles for its agency in ``pairs``."""
    pairs = list(pairs)
    if not pairs or not roles:
        return 0
    rows = db.session.scalars(select(Membership).where(
        Membership.user_id == user_id, Membership.role.in_({AREA_ROLE[r] for r in roles}),
        Membership.area_id.in_({a for a, _g in pairs}))).all()
    wanted = set(pairs)
    gone = [m for m in rows if (m.area_id, m.agency_id) in wanted]
    for membership in gone:
        db.session.delete(membership)
    return len(gone)


def remove_member(organisation, user_id, user=None) -> None:
    """An administrator removes someone's roles on the organisation, with the memberships in its linked
    areas that were made for it; if that was their last role, they have left (``offboard``). In each
    linked area's history."""
    require_admin(user)
    rows = list(db.session.scalars(select(OrganisationMember).where(
        OrganisationMember.organisation_id == organisation.id, OrganisationMember.user_id == user_id)
        .options(db.joinedload(OrganisationMember.user))))
    if not rows:
        raise NotFoundError(_("This person holds no role on the organisation"))
    person = rows[0].user
    pairs = [(link.area_id, link.agency_id) for link, _area, _agency in links(organisation)]
    _remove_area_memberships(person.id, [r.role for r in rows], pairs)
    for row in rows:
        db.session.delete(row)
    _record_in_areas([area_id for area_id, _agency in pairs], organisation.id,
                     {row.role: (person.email, None) for row in rows}, user)
    db.session.flush()
    _offboard_if_left(person, user)
    db.session.commit()
    forget_grants()


def unlink_area(organisation, area_id, user=None) -> None:
    """An administrator unlinks an area: shared answers stop reaching it (its audits leave the
    organisation's shared returns, with their exceptions), the memberships made for the organisation
    there go (offboarding those left with no role). Its responses stay, as its agency's own; their
    source still says they came from the shared return (for the history)."""
    require_admin(user)
    link = db.session.scalar(select(OrganisationArea).where(OrganisationArea.organisation_id == organisation.id,
                                                            OrganisationArea.area_id == area_id))
    if link is None:
        raise NotFoundError(_("This area is not linked to the organisation"))
    area_id, agency_id = link.area_id, link.agency_id
    return_ids = select(SharedReturn.id).where(SharedReturn.organisation_id == organisation.id)
    db.session.execute(delete(SharedReturnAudit).where(SharedReturnAudit.area_id == area_id,
                                                          SharedReturnAudit.shared_return_id.in_(return_ids)))
    db.session.execute(delete(SharedException).where(SharedException.area_id == area_id,
                                                        SharedException.shared_return_id.in_(return_ids)))
    people = members(organisation)
    for member in people:
        _remove_area_memberships(member.user_id, [member.role], [(area_id, agency_id)])
    db.session.delete(link)
    history.record(area_id=area_id, entity="organisation", entity_id=organisation.id, user=user,
                   changes={"linked_agency_id": (agency_id, None)})
    db.session.flush()
    for person in {m.user for m in people}:
        _offboard_if_left(person, user)
    db.session.commit()
    forget_grants()


# -- the organisation's history ------------------------------------------------------------------------
#
# What is recorded about an organisation lives in the history of each linked area (``history_entries``:
# links and unlinks, members added and removed, its shared returns' audits, shared answers, exceptions,
# submissions and sign-offs, in each area they reached). The organisation's history page reads them
# back once: the entries one change wrote to several areas (the same time, person, record and field)
# are one line naming those areas. Features above this one add their own (the documents of the shared
# answers) through HISTORY_SOURCES.

HISTORY_PAGE_SIZE = 50
# functions (organisation_id, return ids: a select) -> a condition on HistoryEntry, or None
HISTORY_SOURCES: list = []


def _history_condition(organisation_id: int, shared_return_id: int | None = None):
    returns = select(SharedReturn.id).where(SharedReturn.organisation_id == organisation_id)
    if shared_return_id is not None:
        returns = returns.where(SharedReturn.id == shared_return_id)
    return_audits = select(SharedReturnAudit.audit_id).where(SharedReturnAudit.shared_return_id.in_(returns))
    agencies = select(OrganisationArea.agency_id).where(OrganisationArea.organisation_id == organisation_id)
    entry = HistoryEntry
    conditions = [
        and_(entry.entity == "shared_return", entry.entity_id.in_(returns)),
        and_(entry.entity == "shared_response", entry.entity_id.in_(
            select(SharedResponse.id).where(SharedResponse.shared_return_id.in_(returns)))),
        # (an exception removed since is found by its audit)
        and_(entry.entity == "shared_exception", or_(
            entry.entity_id.in_(select(SharedException.id).where(SharedException.shared_return_id.in_(returns))),
            entry.audit_id.in_(return_audits))),
        # the organisation's agency's return in the audits of its shared returns: submitted, signed off
        and_(entry.entity == "audit_agency", entry.entity_id.in_(
            select(AuditAgency.id).where(AuditAgency.agency_id.in_(agencies), AuditAgency.audit_id.in_(return_audits)))),
    ]
    if shared_return_id is None:
        conditions.append(and_(entry.entity == "organisation", entry.entity_id == organisation_id))
    for source in HISTORY_SOURCES:
        extra = source(organisation_id, returns)
        if extra is not None:
            conditions.append(extra)
    return or_(*conditions)


@dataclass
class HistoryEvent:
    """One change, as the organisation's history shows it: the areas whose history recorded it."""

    at: object
    user: object
    entity: str
    entity_id: int
    code: str | None
    field: str
    areas: list = field(default_factory=list)  # [Area], by name
    old_values: list = field(default_factory=list)  # the distinct values before (usually one)
    new_values: list = field(default_factory=list)


@dataclass
class HistoryPage:
    events: list
    page: int
    pages: int
    total: int


def history_page(organisation, page=1, shared_return_id=None, per_page=HISTORY_PAGE_SIZE) -> HistoryPage:
    """One page of the organisation's history (or one shared return's), newest first, in four queries
    whatever its length and the number of areas: the count of changes, the page of changes, their
    entries, the areas they name."""
    condition = _history_condition(organisation.id, shared_return_id)
    key = (HistoryEntry.at, HistoryEntry.entity, HistoryEntry.entity_id, HistoryEntry.code, HistoryEntry.field,
           HistoryEntry.user_id)
    groups = select(*key, func.max(HistoryEntry.id).label("last_id")).where(condition).group_by(*key)
    total = db.session.scalar(select(func.count()).select_from(groups.subquery()))
    pages = max(1, -(-total // per_page))
    try:
        page = min(max(1, int(page)), pages)
    except (TypeError, ValueError):
        page = 1
    chosen = groups.subquery()
    rows = db.session.execute(select(chosen).order_by(chosen.c.at.desc(), chosen.c.last_id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    if not rows:
        return HistoryPage([], page, pages, total)
    wanted = {(r.at, r.entity, r.entity_id, r.code, r.field, r.user_id): i for i, r in enumerate(rows)}
    events = [None] * len(rows)
    entries = db.session.scalars(
        select(HistoryEntry).where(condition, HistoryEntry.at.in_({r.at for r in rows}))
        .order_by(HistoryEntry.id).options(db.joinedload(HistoryEntry.user))).all()
    area_ids = {e.area_id for e in entries}
    areas = {a.id: a for a in db.session.scalars(select(Area).where(Area.id.in_(area_ids)))} if area_ids else {}
    for entry in entries:
        index = wanted.get((entry.at, entry.entity, entry.entity_id, entry.code, entry.field, entry.user_id))
        if index is None:
            continue
        event = events[index]
        if event is None:
            event = events[index] = HistoryEvent(entry.at, entry.user, entry.entity, entry.entity_id, entry.code,
                                                 entry.field)
        area = areas.get(entry.area_id)
        if area is not None and area not in event.areas:
            event.areas.append(area)
        for values, value in ((event.old_values, entry.old_value), (event.new_values, entry.new_value)):
            if value not in values:
                values.append(value)
    for event in events:
        if event is not None:
            event.areas.sort(key=lambda a: a.display_name.casefold())
    return HistoryPage([e for e in events if e is not None], page, pages, total)
