"""Rules of the regional board: the North Wales preset, audit rounds, roll-ups, the regional
action plan and the shared commissioning register. No request objects here."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean, median

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from hsbtrack.actions import services as actions
from hsbtrack.actions.models import Action
from hsbtrack.areas import services as areas
from hsbtrack.areas.models import Agency, Area, Membership, Region, in_display_order, pick_name
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import figures
from hsbtrack.audits import services as audits
from hsbtrack.audits.charts import ChartCache
from hsbtrack.audits.consolidation import mean as fast_mean
from hsbtrack.audits.models import CLOSED, Audit
from hsbtrack.auth.models import User
from hsbtrack.errors import ConflictError, ForbiddenError, NotFoundError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.notifications.services import in_language_of, notify
from hsbtrack.organisations import services as organisations
from hsbtrack.permissions import can_in_region
from hsbtrack.plugins.models import PluginState
from hsbtrack.plugins.services import set_region_plugin
from hsbtrack.timeutil import parse_date, today  # noqa: F401  (views use services.today)
from hsbtrack_regional.models import (
    CommissioningArrangement,
    RegionalAction,
    RegionalAssignment,
    RegionalRound,
    RegionalRoundAudit,
)

PLUGIN = "regional"
NORTH_WALES = "North Wales"
NORTH_WALES_AUTHORITIES = ("Gwynedd", "Anglesey", "Conwy", "Denbighshire", "Flintshire", "Wrexham")
# Regional partners (police force, health board, probation) and the local agencies of each authority.
NORTH_WALES_AGENCIES = (
    "North Wales Police",
    "Betsi Cadwaladr University Health Board",
    "Probation Service",
    "Children's services",
    "Education",
)
# The official Welsh names, shown on Welsh pages (authorities whose name is the same in both
# languages, Gwynedd and Conwy, need none).
NORTH_WALES_WELSH_NAMES = {
    NORTH_WALES: "Gogledd Cymru",
    "Anglesey": "Ynys Môn",
    "Denbighshire": "Sir Ddinbych",
    "Flintshire": "Sir y Fflint",
    "Wrexham": "Wrecsam",
    "North Wales Police": "Heddlu Gogledd Cymru",
    "Betsi Cadwaladr University Health Board": "Bwrdd Iechyd Prifysgol Betsi Cadwaladr",
    "Probation Service": "Y Gwasanaeth Prawf",
    "Children's services": "Gwasanaethau plant",
    "Education": "Addysg",
}
COMMISSIONING_CODE = "1.7"
REVIEW_NOTICE_DAYS = 30
REPORT_DUE = (7, 31)  # the annual report is published by 31 July
REPORT_NOTICE_DAYS = 30


def _day(value: date) -> str:
    return format_date(value, "d MMMM yyyy")


# -- the North Wales preset ---------------------------------------------------------------------


@dataclass
class PresetResult:
    region: Region
    created: list = field(default_factory=list)  # names of what was created this time


def preset_north_wales(user=None) -> PresetResult:
    """Create the North Wales region, its six authorities and their partners. Running it again
    creates only what is missing (idempotent)."""
    region = db.session.scalar(select(Region).where(Region.name == NORTH_WALES))
    names = list(NORTH_WALES_AUTHORITIES)
    existing = {a.name: a for a in db.session.scalars(select(Area).where(Area.name.in_(names)))}
    clash = [a.name for a in existing.values() if a.region_id is not None and (region is None or a.region_id != region.id)]
    if clash:
        raise ConflictError(_("%(area)s already belongs to another region: the preset changed nothing",
                              area=clash[0]))
    welsh = NORTH_WALES_WELSH_NAMES
    result = PresetResult(region=region)
    if region is None:
        region = result.region = areas.create_region(NORTH_WALES, welsh[NORTH_WALES])
        result.created.append(region.name)
    region.name_cy = region.name_cy or welsh[NORTH_WALES]  # records made before Welsh names existed
    for name in names:
        area = existing.get(name)
        if area is None:
            area = areas.create_area(name, region.id, welsh.get(name))
            result.created.append(name)
        elif area.region_id != region.id:
            areas.set_area_region(area, region.id)
        area.name_cy = area.name_cy or welsh.get(name)
        have = {a.name: a for a in area.agencies}
        for agency in NORTH_WALES_AGENCIES:
            if agency not in have:
                areas.create_agency(area, agency, welsh.get(agency))
                result.created.append(f"{name}: {agency}")
            else:
                have[agency].name_cy = have[agency].name_cy or welsh.get(agency)
        if result.created:
            history.record(area_id=area.id, entity="regional_preset", entity_id=region.id, user=user,
                           changes={"preset": (None, NORTH_WALES)})
    db.session.commit()
    return result


# -- rounds ---------------------------------------------------------------------------------------


def member_areas(region) -> list[Area]:
    return in_display_order(db.session.scalars(select(Area).where(Area.region_id == region.id)))


def rounds_for_region(region_id: int) -> list[RegionalRound]:
    return list(db.session.scalars(select(RegionalRound).where(RegionalRound.region_id == region_id)
                                   .order_by(RegionalRound.framework, RegionalRound.cycle)))


def get_round(region, round_id: int) -> RegionalRound:
    row = db.session.get(RegionalRound, round_id)
    if row is None or row.region_id != region.id:
        raise NotFoundError(_("No such regional round"))
    return row


def open_round(region, framework_slug=audits.DEFAULT_FRAMEWORK, title=None, user=None) -> RegionalRound:
    """Open the region's next round: every member area opens its own audit of the framework (or an
    audit it already has open is linked). Checked for every area before anything is opened."""
    if user is not None and not can_in_region(user, Perm.MANAGE_REGION, region.id):
        raise ForbiddenError(_("Only the region's coordinators can open a regional round"))
    try:
        framework = audits.catalogue().get(framework_slug or audits.DEFAULT_FRAMEWORK)
    except KeyError:
        raise ServiceError.field("framework", _("Choose a framework from the catalogue")) from None
    members = member_areas(region)
    if not members:
        raise ServiceError.field("framework", _("This region has no member areas yet"))
    rounds = [r for r in rounds_for_region(region.id) if r.framework == framework.slug]
    if rounds:
        still_open = round_status(rounds[-1])
        if not all(row.finished for row in still_open):
            raise ConflictError.field("framework", _("The current round is still open: every authority must close "
                                                     "its audit first"))
    cycle = rounds[-1].cycle + 1 if rounds else 1
    title = audits.parse_text(title, "title")[:200] or _("Regional audit T%(cycle)d", cycle=cycle)
    agency_counts = dict(db.session.execute(
        select(Agency.area_id, db.func.count(Agency.id)).where(Agency.area_id.in_([a.id for a in members]))
        .group_by(Agency.area_id)).all())
    open_audits = {a.area_id: a for a in db.session.scalars(
        select(Audit).where(Audit.area_id.in_([a.id for a in members]), Audit.framework == framework.slug,
                            Audit.status != CLOSED))}
    missing = [a.display_name for a in members if not agency_counts.get(a.id) and a.id not in open_audits]
    if missing:
        raise ServiceError.field("framework", _("%(area)s has no agencies to take part: add them first",
                                                area=missing[0]))
    row = RegionalRound(region_id=region.id, framework=framework.slug, title=title, cycle=cycle,
                        opened_by_id=getattr(user, "id", None))
    db.session.add(row)
    db.session.flush()
    round_id = row.id
    for area in members:
        audit = open_audits.get(area.id) or audits.open_audit(area, framework.slug, title=title, user=user,
                                                              authorised_by_region=True)
        db.session.add(RegionalRoundAudit(round_id=round_id, area_id=area.id, audit_id=audit.id))
        history.record(area_id=area.id, entity="regional_round", entity_id=round_id, user=user,
                       changes={"audit_id": (None, audit.id)}, audit_id=audit.id)
    db.session.commit()
    return db.session.get(RegionalRound, round_id)


@dataclass
class MemberStatus:
    area: Area
    audit: Audit

    @property
    def finished(self) -> bool:
        return self.audit.status == CLOSED


def round_status(round_: RegionalRound) -> list[MemberStatus]:
    rows = db.session.execute(
        select(Area, Audit).join(RegionalRoundAudit, RegionalRoundAudit.area_id == Area.id)
        .join(Audit, Audit.id == RegionalRoundAudit.audit_id)
        .where(RegionalRoundAudit.round_id == round_.id)).all()
    return in_display_order((MemberStatus(area, audit) for area, audit in rows), lambda member: member.area)


def round_partners(round_: RegionalRound, members: list) -> list:
    """The partner organisations answering once for the round's authorities (North Wales Police for all
    six), each once: its shared return's areas, statements answered and exceptions by authority
    (:func:`hsbtrack.organisations.services.partners_in_region`; a fixed number of queries)."""
    return organisations.partners_in_region(round_.region_id, [m.audit.id for m in members])


def round_audit_sets(region_id: int | None = None) -> list[tuple[RegionalRound, list[int]]]:
    """Each round (of one region, or of every region) with its audits that are still open, in one query:
    what a partner organisation may answer once (``hsbtrack_shared_return_audit_sets``)."""
    query = (select(RegionalRound, RegionalRoundAudit.audit_id).join(RegionalRoundAudit)
             .join(Audit, Audit.id == RegionalRoundAudit.audit_id).where(Audit.status != CLOSED)
             .order_by(RegionalRound.id, RegionalRoundAudit.id))
    if region_id is not None:
        query = query.where(RegionalRound.region_id == region_id)
    rounds: dict[int, tuple] = {}
    for round_, audit_id in db.session.execute(query).all():
        rounds.setdefault(round_.id, (round_, []))[1].append(audit_id)
    return list(rounds.values())


def round_for_audit(audit_id: int) -> RegionalRound | None:
    return db.session.scalar(select(RegionalRound).join(RegionalRoundAudit)
                             .where(RegionalRoundAudit.audit_id == audit_id))


# -- roll-up ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    by_area: dict  # area id -> value (None where no score)
    lowest: float | None
    median: float | None
    spread: float | None
    mean: float | None


def _spread(by_area: dict) -> Spread:
    values = [v for v in by_area.values() if v is not None]
    if not values:
        return Spread(by_area, None, None, None, None)
    # the consolidation's mean: statistics.mean's value without its fractions for whole scores
    return Spread(by_area, min(values), median(values), max(values) - min(values), round(fast_mean(values), 2))


# -- what one authority sees of the others ---------------------------------------------------------
#
# Authorities keep their scores to themselves unless the region decides otherwise (``share_scores``,
# a setting of the region, off by default). While off, an authority's pages show beside its own
# figure only the median of the OTHER authorities and how many of them sit in each score band,
# and only when at least MIN_OTHERS others have a figure: never a lowest, highest or spread, which
# with two authorities would give the other's score away (own score + lowest + spread).

MIN_OTHERS = 3
BANDS = ((0, 1), (1, 2), (2, 3), (3, 4))  # 0 to under 1, 1 to under 2, 2 to under 3, 3 to 4


def shares_scores(region_id: int | None) -> bool:
    """Do the authorities of this region see each other's scores? (the region's own setting: an
    authority cannot switch it on for itself)."""

    if region_id is None:
        return False
    settings = db.session.scalar(select(PluginState.settings).where(PluginState.region_id == region_id,
                                                                    PluginState.plugin == "regional"))
    return bool((settings or {}).get("share_scores"))


def set_shares_scores(region, share: bool, user=None) -> None:
    current = db.session.scalar(select(PluginState.settings).where(PluginState.region_id == region.id,
                                                                   PluginState.plugin == "regional")) or {}
    set_region_plugin(region, "regional", settings={**current, "share_scores": bool(share)}, user=user)


@dataclass(frozen=True)
class Beside:
    """What an authority sees beside its own figure while scores are not shared."""

    own: float | None
    median: float | None  # of the other authorities; None when fewer than MIN_OTHERS have a figure
    bands: tuple | None  # how many other authorities in each of BANDS
    others: int  # other authorities with a figure


def _band(value) -> int:
    return next(i for i, (low, high) in enumerate(BANDS) if value < high or i == len(BANDS) - 1)


def beside_own(spread: Spread, own_area_id: int) -> Beside:
    others = [v for area_id, v in spread.by_area.items() if area_id != own_area_id and v is not None]
    own = spread.by_area.get(own_area_id)
    if len(others) < MIN_OTHERS:
        return Beside(own, None, None, len(others))
    counts = [0] * len(BANDS)
    for value in others:
        counts[_band(value)] += 1
    return Beside(own, median(others), tuple(counts), len(others))


@dataclass
class Rollup:
    round: RegionalRound
    framework: object
    members: list  # MemberStatus
    statements: list  # (statement, Spread)
    domains: list  # (domain, Spread)


# -- figures cached by the audits' data versions ------------------------------------------------------
# Roll-ups and trends are functions of the member audits' agreed scores alone, and those change only
# with an audit's data_version (every score and agreed-score change moves it on; opened_at tells a new
# audit from a deleted one that had the same id). Consolidating the round's audits, and the trend's up
# to 36, on every view was most of the cost of the round page, so the figures are kept in a small
# in-memory LRU keyed by those versions, as the charts drawn from them are. Cached values are shared
# between requests: tuples and frozen Spreads, never changed.

FIGURES_CACHE_SIZE = 128


def figures_cache():
    cache = current_app.extensions.get("hsbtrack_regional_figures")
    if cache is None:
        cache = current_app.extensions.setdefault("hsbtrack_regional_figures", ChartCache(FIGURES_CACHE_SIZE))
    return cache


def _framework_key(slug: str) -> tuple:
    framework = audits.catalogue().get(slug)
    return slug, getattr(framework, "version", None)


def rollup(round_: RegionalRound, members: list | None = None) -> Rollup:
    """Each authority's agreed score per statement and domain mean, with the regional lowest,
    median and spread. Agreed scores only: never evidence text. Constant queries (none once the
    figures of these audit versions are cached)."""
    members = round_status(round_) if members is None else members
    framework = audits.catalogue().get(round_.framework)
    key = ("rollup", round_.id, _framework_key(round_.framework), tuple(m.area.id for m in members),
           data_version_key([m.audit for m in members]))
    statements, domains = figures_cache().get_or_render(key, lambda: _rollup_figures(framework, members))
    return Rollup(round_, framework, members, list(statements), list(domains))


def _rollup_figures(framework, members) -> tuple[tuple, tuple]:
    """The agreed scores and domain means of the members' audits, computed by the database (two
    grouped queries whatever the number of authorities, over only the audits whose figures of their
    current data version are not cached: :func:`hsbtrack.audits.figures.figures_many`)."""
    found = figures.figures_many([m.audit for m in members])
    # (area id, that audit's figures) read off the ORM objects once: 32 authorities × 51 rows of
    # attribute look-ups were most of the time of a roll-up computed again after one score changed
    members_figures = [(m.area.id, found[m.audit.id]) for m in members]
    statements = []
    for statement in framework.scored_statements:
        code = statement.code
        statements.append((statement, _spread({area_id: f.agreed.get(code) for area_id, f in members_figures})))
    domains = []
    for i, domain in enumerate(framework.domains):
        domains.append((domain, _spread({area_id: f.domain_means[i] for area_id, f in members_figures})))
    return tuple(statements), tuple(domains)


def region_audits(region_id: int, framework: str | None = None) -> list[tuple[RegionalRound, Area, Audit]]:
    query = (select(RegionalRound, Area, Audit).join(RegionalRoundAudit, RegionalRoundAudit.round_id == RegionalRound.id)
             .join(Area, Area.id == RegionalRoundAudit.area_id).join(Audit, Audit.id == RegionalRoundAudit.audit_id)
             .where(RegionalRound.region_id == region_id).order_by(RegionalRound.cycle, Area.name))
    if framework:
        query = query.where(RegionalRound.framework == framework)
    return list(db.session.execute(query).all())


def trend(region_id: int, framework: str = audits.DEFAULT_FRAMEWORK, rows=None) -> list[tuple[RegionalRound, list]]:
    """T1 → T2 → T3: per round, the regional mean of each domain (mean of the authorities' domain
    means), the domain means computed by the database (:func:`hsbtrack.audits.figures.figures_many`).
    ``rows``: :func:`region_audits` of the same region and framework, when the caller has them."""
    rows = region_audits(region_id, framework) if rows is None else rows
    key = ("trend", region_id, _framework_key(framework), tuple((r.id, r.cycle, area.id) for r, area, _a in rows),
           data_version_key([audit for _r, _a, audit in rows]))
    means_by_round = figures_cache().get_or_render(key, lambda: _trend_means(rows))
    rounds = {round_.id: round_ for round_, _area, _audit in rows}
    return [(rounds[round_id], list(means)) for round_id, means in means_by_round]


def _trend_means(rows) -> tuple:
    """((round id, (regional mean of each domain, ...)), ...) by cycle."""
    results = figures.figures_many([audit for _r, _a, audit in rows])
    by_round = {}
    for round_, _area, audit in rows:
        by_round.setdefault(round_.id, (round_, []))[1].append(results[audit.id].domain_means)
    out = []
    for round_, domain_means in sorted(by_round.values(), key=lambda item: item[0].cycle):
        means = []
        for i in range(len(domain_means[0]) if domain_means else 0):
            values = [m[i] for m in domain_means if m[i] is not None]
            means.append(round(mean(values), 2) if values else None)
        out.append((round_.id, tuple(means)))
    return tuple(out)


def open_authorities(members, statuses=None) -> list[tuple[Area, "audits.Provisional"]]:
    """The authorities among ``members`` (MemberStatus) whose audit is still open, each with the core's
    :class:`~hsbtrack.audits.services.Provisional` (its returns in): their figures are provisional.
    One grouped query, none when every audit is closed; none either when the caller gives ``statuses``
    (``audits.provisional_status`` of at least these audits)."""
    if statuses is None:
        statuses = audits.provisional_status([m.audit for m in members])
    return [(m.area, statuses[m.audit.id]) for m in members if statuses[m.audit.id].provisional]


def open_authorities_by_round(region_id: int, framework: str = audits.DEFAULT_FRAMEWORK, rows=None,
                              statuses=None) -> dict[int, list]:
    """``{round id: [(area, Provisional)]}`` for the rounds of the trend (T1 → T3) that have an authority
    whose audit is still open: that round's regional means are provisional. ``rows`` as for :func:`trend`,
    ``statuses`` as for :func:`open_authorities`."""
    rows = region_audits(region_id, framework) if rows is None else rows
    round_of = {audit.id: round_.id for round_, _area, audit in rows}
    grouped = {}
    for area, status in open_authorities([MemberStatus(area, audit) for _r, area, audit in rows], statuses):
        grouped.setdefault(round_of[status.audit.id], []).append((area, status))
    return grouped


def data_version_key(rows) -> tuple:
    return tuple((a.id, a.data_version, a.opened_at.isoformat() if a.opened_at else None) for a in rows)


def latest_round_for_area(area) -> RegionalRound | None:
    return db.session.scalar(select(RegionalRound).join(RegionalRoundAudit)
                             .where(RegionalRoundAudit.area_id == area.id)
                             .order_by(RegionalRound.cycle.desc(), RegionalRound.id.desc()).limit(1))


# -- regional action plan -----------------------------------------------------------------------------


def _parse_area_ids(region, values) -> list[Area]:
    members = {a.id: a for a in member_areas(region)}
    chosen = []
    for raw in values or []:
        try:
            area_id = int(raw)
        except (TypeError, ValueError):
            area_id = None
        if area_id not in members:
            raise ServiceError.field("area_ids", _("Choose authorities of %(region)s", region=region.display_name))
        if members[area_id] not in chosen:
            chosen.append(members[area_id])
    if not chosen:
        raise ServiceError.field("area_ids", _("Choose at least one authority"))
    return chosen


def create_regional_action(region, *, title, due_on, statements, area_ids, owner, description="", user=None,
                           record_overdue=False) -> RegionalAction:
    """A regional action and, in each chosen authority, its own core action (status and updates are
    the authority's). All or nothing. A due date in the past needs ``record_overdue`` (the core's rule:
    an action recorded late, from an earlier plan)."""
    errors = {}
    try:
        chosen = _parse_area_ids(region, area_ids)
    except ServiceError as error:
        errors.update(error.fields)
        chosen = []
    created = []
    for area in chosen or member_areas(region)[:1]:
        try:
            created.append((area, actions.create_action(area, title=title, owner=owner, due_on=due_on,
                                                        statements=statements, description=description,
                                                        user=user, commit=False, record_overdue=record_overdue)))
        except ServiceError as error:
            errors.update(error.fields)
            break
    if errors:
        db.session.rollback()
        raise ServiceError(_("The regional action was not saved: check the fields"), errors)
    first = created[0][1]
    regional = RegionalAction(region_id=region.id, title=first.title, description=first.description,
                              due_on=first.due_on, codes=first.codes, created_by_id=getattr(user, "id", None))
    regional.assignments = [RegionalAssignment(area_id=area.id, action_id=action.id) for area, action in created]
    db.session.add(regional)
    db.session.flush()
    for area, action in created:
        history.record(area_id=area.id, entity="regional_action", entity_id=regional.id, user=user,
                       changes={"assigned": (None, action.id)})
    db.session.commit()
    return regional


def regional_plan(region_id: int) -> list[tuple[RegionalAction, list]]:
    """Every regional action with its assignments ``(area, action)``, in two queries."""
    regional = list(db.session.scalars(select(RegionalAction).where(RegionalAction.region_id == region_id)
                                       .order_by(RegionalAction.due_on, RegionalAction.id)))
    by_id = {r.id: [] for r in regional}
    if by_id:
        rows = db.session.execute(
            select(RegionalAssignment.regional_action_id, Area, Action)
            .join(Area, Area.id == RegionalAssignment.area_id).join(Action, Action.id == RegionalAssignment.action_id)
            .where(RegionalAssignment.regional_action_id.in_(list(by_id))).order_by(Area.name))
        for regional_id, area, action in rows:
            by_id[regional_id].append((area, action))
    return [(r, by_id[r.id]) for r in regional]


def status_summary(assignments) -> dict:
    counts = {}
    for _area, action in assignments:
        counts[action.status] = counts.get(action.status, 0) + 1
    return counts


def regional_actions_for_area(area_id: int) -> list[tuple[RegionalAction, Action]]:
    return list(db.session.execute(
        select(RegionalAction, Action).join(RegionalAssignment, RegionalAssignment.regional_action_id == RegionalAction.id)
        .join(Action, Action.id == RegionalAssignment.action_id).where(RegionalAssignment.area_id == area_id)
        .order_by(Action.due_on, Action.id)).all())


# -- shared commissioning register (statement 1.7) -------------------------------------------------------


def add_arrangement(region, *, arrangement, service, area_ids, cost_share="", start_on=None, review_on=None,
                    user=None) -> CommissioningArrangement:
    errors = {}
    arrangement = (arrangement or "").strip()
    service = (service or "").strip()
    if not arrangement:
        errors["arrangement"] = _("Enter the name of the arrangement")
    elif len(arrangement) > 300:
        errors["arrangement"] = _("Must be %(n)d characters or fewer", n=300)
    if not service:
        errors["service"] = _("Enter the service commissioned")
    elif len(service) > 300:
        errors["service"] = _("Must be %(n)d characters or fewer", n=300)
    if len(cost_share or "") > 300:
        errors["cost_share"] = _("Must be %(n)d characters or fewer", n=300)
    chosen = []
    try:
        chosen = _parse_area_ids(region, area_ids)
    except ServiceError as error:
        errors.update(error.fields)
    dates = {}
    for name, value in (("start_on", start_on), ("review_on", review_on)):
        try:
            dates[name] = parse_date(value, name)
        except ServiceError as error:
            errors.update(error.fields)
            continue
        if dates[name] is None:
            errors[name] = _("Enter a date")
    if dates.get("start_on") and dates.get("review_on") and dates["review_on"] < dates["start_on"]:
        errors["review_on"] = _("The review date must be on or after the start date")
    if errors:
        raise ServiceError(_("The arrangement was not saved: check the fields"), errors)
    row = CommissioningArrangement(region_id=region.id, arrangement=arrangement, service=service,
                                   partner_area_ids=[a.id for a in chosen], cost_share=(cost_share or "").strip(),
                                   start_on=dates["start_on"], review_on=dates["review_on"])
    db.session.add(row)
    db.session.flush()
    for area in chosen:
        history.record(area_id=area.id, entity="regional_commissioning", entity_id=row.id, user=user,
                       changes={"arrangement": (None, arrangement)})
    db.session.commit()
    return row


def arrangements(region_id: int) -> list[CommissioningArrangement]:
    return list(db.session.scalars(select(CommissioningArrangement)
                                   .where(CommissioningArrangement.region_id == region_id)
                                   .order_by(CommissioningArrangement.review_on, CommissioningArrangement.id)))


def arrangements_for_area(area) -> list[CommissioningArrangement]:
    if area.region_id is None:
        return []
    return [a for a in arrangements(area.region_id) if area.id in (a.partner_area_ids or [])]


def area_names(region_id: int) -> dict:
    """``{area id: name}`` of the region's authorities, in the language being written."""
    rows = db.session.execute(select(Area.id, Area.name, Area.name_cy).where(Area.region_id == region_id))
    return {area_id: pick_name(name, name_cy) for area_id, name, name_cy in rows}


# -- reminders ---------------------------------------------------------------------------------------------


def coordinators(region_ids) -> dict[int, list]:
    result = {rid: [] for rid in region_ids}
    if not result:
        return result
    rows = db.session.execute(select(Membership.region_id, User).join(User, User.id == Membership.user_id)
                              .where(Membership.region_id.in_(list(result)),
                                     Membership.role == "regional_coordinator"))
    for region_id, user in rows:
        result[region_id].append(user)
    return result


def enabled_region_ids() -> list[int]:
    return list(db.session.scalars(select(PluginState.region_id).where(
        PluginState.plugin == PLUGIN, PluginState.enabled.is_(True), PluginState.region_id.is_not(None))))


def chase_reviews(on: date) -> int:
    """Tell the coordinators of regions where the plugin is on about arrangements due for review
    within :data:`REVIEW_NOTICE_DAYS` days (or overdue). One notification per arrangement, review
    date and person, however often it runs."""
    from flask import url_for


    region_ids = enabled_region_ids()
    if not region_ids:
        return 0
    rows = db.session.scalars(select(CommissioningArrangement).where(
        CommissioningArrangement.region_id.in_(region_ids),
        CommissioningArrangement.review_on <= on + timedelta(days=REVIEW_NOTICE_DAYS))).all()
    people = coordinators({r.region_id for r in rows})
    sent = 0
    for row in rows:
        for user in people.get(row.region_id, []):
            with in_language_of(user):
                subject = _("Shared commissioning review due on %(day)s: %(name)s", day=_day(row.review_on),
                            name=row.arrangement)
                body = _("The arrangement %(name)s (%(service)s) is due for review on %(day)s.",
                         name=row.arrangement, service=row.service, day=_day(row.review_on))
            link = url_for("regional_region.commissioning", region_id=row.region_id)
            if notify(user, key=f"regional:commissioning:{row.id}:{row.review_on.isoformat()}:{user.id}",
                      kind="regional.commissioning_review", subject=subject, body=body, link=link):
                sent += 1
    return sent


def report_deadline(on: date) -> date:
    deadline = date(on.year, *REPORT_DUE)
    return deadline if deadline >= on else date(on.year + 1, *REPORT_DUE)


def remind_annual_report(on: date) -> int:
    """In the :data:`REPORT_NOTICE_DAYS` days before 31 July, remind each coordinator once a year."""
    from flask import url_for


    deadline = report_deadline(on)
    if (deadline - on).days > REPORT_NOTICE_DAYS:
        return 0
    sent = 0
    for region_id, users in coordinators(enabled_region_ids()).items():
        for user in users:
            with in_language_of(user):
                subject = _("The regional annual report is due by %(day)s", day=_day(deadline))
                body = _("Write the annual report in the region's yearly reports: its draft gathers the year's "
                         "regional picture and action progress, and it can be downloaded as PDF or Word.")
            link = url_for("yearly_reports_region.index", region_id=region_id)
            if notify(user, key=f"regional:annual-report:{region_id}:{deadline.year}:{user.id}",
                      kind="regional.annual_report", subject=subject, body=body, link=link):
                sent += 1
    return sent
