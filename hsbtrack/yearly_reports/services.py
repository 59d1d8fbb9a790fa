"""The yearly reports' rules: which kinds there are and where, making a report for a period, saving its
narrative as a new version (never overwriting; a stale save refused), the history, and who may do what.

A report belongs to an area or to a region (its kind's ``scope``); a kind names the permissions that reading
and writing its reports need (:class:`hsbtrack.plugins.types.YearlyReportKind`). Every command checks them
itself (``user=None`` is the system). Saving is one transaction: the new version and its history entries,
or nothing."""

from datetime import date

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from hsbtrack.areas.models import Area, Region
from hsbtrack.errors import ConflictError, ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.permissions import can, can_in_region
from hsbtrack.plugins.services import enabled_plugins, region_enabled_plugins, registry
from hsbtrack.timeutil import local_today, parse_date
from hsbtrack.yearly_reports.models import YearlyReport, YearlyReportVersion

AREA, REGION = "area", "region"
HOOK = "hsbtrack_yearly_report_kinds"
MAX_TEXT = 50_000  # characters in one narrative section
MAX_NOTE = 500
ENTITY = "yearly_report"  # the history's name for a report


# -- kinds ---------------------------------------------------------------------------------------------


def all_kinds() -> list:
    """Every kind the core and the loaded plugins offer, by (order, plugin), read once per app."""
    cached = current_app.extensions.get("hsbtrack_yearly_report_kinds")
    if cached is None:
        cached = current_app.extensions["hsbtrack_yearly_report_kinds"] = registry().collect(HOOK)
    return cached


def kind_named(name: str | None):
    return next((k for k in all_kinds() if k.name == name), None)


def scope_of(place) -> str:
    return REGION if isinstance(place, Region) else AREA


def kinds_for(place) -> list:
    """The kinds offered for ``place`` (an area or a region): of its scope, from the core or a plugin that is
    on there (a region kind: on for the whole region), and whose ``applies(place)`` agrees."""
    scope = scope_of(place)
    enabled = region_enabled_plugins(place) if scope == REGION else enabled_plugins(place)
    offered = []
    for kind in all_kinds():
        if kind.scope != scope:
            continue
        if registry().is_plugin(kind.plugin) and kind.plugin not in enabled:
            continue
        if kind.applies is not None and not kind.applies(place):
            continue
        offered.append(kind)
    return offered


def kind_of(report):
    return kind_named(report.kind)


def title_of(kind) -> str:
    return str(kind.title()) if kind is not None else ""


# -- who may ---------------------------------------------------------------------------------------------


def holds(user, permission: str, place) -> bool:
    if scope_of(place) == REGION:
        return can_in_region(user, permission, place.id)
    return can(user, permission, place.id)


def may_read(user, report) -> bool:
    kind = kind_of(report)
    return kind is not None and holds(user, kind.read_permission, report.place)


def may_write(user, report) -> bool:
    kind = kind_of(report)
    return kind is not None and holds(user, kind.write_permission, report.place)


def _require(user, permission: str, place) -> None:
    if user is not None and not holds(user, permission, place):
        raise ForbiddenError(_("You do not have permission to do this"))


# -- reading ---------------------------------------------------------------------------------------------


def get_report(report_id) -> YearlyReport | None:
    return db.session.get(YearlyReport, report_id)


def reports_for(place, reader=None) -> list[YearlyReport]:
    """The reports of an area or a region, newest period first (with their versions: two queries), those of
    kinds ``reader`` may read (all when None)."""
    column = YearlyReport.region_id if scope_of(place) == REGION else YearlyReport.area_id
    reports = list(db.session.scalars(
        select(YearlyReport).where(column == place.id)
        .options(selectinload(YearlyReport.versions).joinedload(YearlyReportVersion.saved_by))
        .order_by(YearlyReport.period_end.desc(), YearlyReport.id.desc())))
    return [r for r in reports if kind_of(r) is not None and (reader is None or may_read(reader, r))]


def latest_version(report) -> YearlyReportVersion | None:
    return report.versions[-1] if report.versions else None


def version_number(report) -> int:
    """The number of the newest version (0: nothing saved yet)."""
    latest = latest_version(report)
    return latest.number if latest else 0


def get_version(report, number) -> YearlyReportVersion | None:
    return next((v for v in report.versions if v.number == number), None)


def texts(report, number: int | None = None) -> dict:
    """``{section key: text}`` of a version (the newest by default), every section of the kind present."""
    kind = kind_of(report)
    version = get_version(report, number) if number is not None else latest_version(report)
    saved = (version.sections or {}) if version is not None else {}
    return {s.key: saved.get(s.key, "") for s in (kind.sections if kind else ())}


def draft(report, user) -> dict:
    """The data draft of ``report``'s period, as ``user`` may read it (the kind's ``assemble``)."""
    return kind_of(report).assemble(report, user) or {}


def history_area_ids(report) -> list[int]:
    """Where a report's saves are recorded: its area's history or, for a region's report, the history of each
    of the region's areas (as the regional plugin records its region-wide writes: every member authority
    sees what was written in its name). One query for a region."""
    if report.area_id is not None:
        return [report.area_id]
    return list(db.session.scalars(select(Area.id).where(Area.region_id == report.region_id).order_by(Area.id)))


# -- making a report -------------------------------------------------------------------------------------


def _parse_period(period_start, period_end) -> tuple[date | None, date | None, dict]:
    errors = {}
    start = end = None
    try:
        start = parse_date(period_start, "period_start")
        if start is None:
            errors["period_start"] = _("Enter the first day of the period")
    except ServiceError as error:
        errors.update(error.fields)
    try:
        end = parse_date(period_end, "period_end")
        if end is None:
            errors["period_end"] = _("Enter the last day of the period")
    except ServiceError as error:
        errors.update(error.fields)
    if start is not None and start > local_today():
        errors["period_start"] = _("The period cannot start in the future")
    if start is not None and end is not None and end < start:
        errors["period_end"] = _("The last day of the period must be on or after its first day")
    return start, end, errors


def _parse_sections(kind, sections) -> tuple[dict, dict]:
    """``({key: text}, errors)``: text for known sections only, each at most :data:`MAX_TEXT` characters."""
    if sections is None:
        return {}, {}
    if not isinstance(sections, dict):
        return {}, {"sections": _("Give the sections as an object of section names and texts")}
    known = {s.key for s in kind.sections} if kind is not None else set()
    errors, clean = {}, {}
    unknown = sorted(str(k) for k in sections if k not in known)
    if unknown and kind is not None:
        errors["sections"] = _("This report has no section called %(names)s. Its sections are: %(keys)s",
                               names=", ".join(unknown), keys=", ".join(s.key for s in kind.sections))
    for key, text in sections.items():
        if key not in known:
            continue
        text = "" if text is None else str(text)
        if "\x00" in text:
            errors[f"sections.{key}"] = _("Remove the NUL character from the text")
        elif len(text) > MAX_TEXT:
            errors[f"sections.{key}"] = _("A section must be %(n)d characters or fewer", n=MAX_TEXT)
        else:
            clean[key] = text.replace("\r\n", "\n").strip()
    return clean, errors


def _parse_note(note) -> tuple[str, dict]:
    note = "" if note is None else str(note).strip()
    if len(note) > MAX_NOTE:
        return note, {"note": _("The note must be %(n)d characters or fewer", n=MAX_NOTE)}
    return note, {}


def _choose_kind(place, name):
    offered = kinds_for(place)
    if name in (None, ""):
        if len(offered) == 1:
            return offered[0], {}
        if not offered:
            return None, {"kind": _("No kind of yearly report is available here")}
        return None, {"kind": _("Choose the kind of report")}
    kind = next((k for k in offered if k.name == name), None)
    if kind is None:
        return None, {"kind": _("There is no kind of yearly report called %(name)s here", name=str(name)[:80])}
    return kind, {}


def find_report(place, kind_name, period_start, period_end) -> YearlyReport | None:
    column = YearlyReport.region_id if scope_of(place) == REGION else YearlyReport.area_id
    return db.session.scalar(select(YearlyReport).where(
        column == place.id, YearlyReport.kind == kind_name, YearlyReport.period_start == period_start,
        YearlyReport.period_end == period_end).order_by(YearlyReport.id).limit(1))


def create_report(place, *, kind=None, period_start=None, period_end=None, user=None, sections=None, note=None,
                  based_on=None) -> tuple[YearlyReport, bool]:
    """Make the report of ``kind`` for ``place`` (an area or region) and the period — or find the one made
    already for that very period — and, when ``sections`` are given, save them as its next version.
    Returns ``(report, created)``. Every field's error at once (``ServiceError``); nothing half-saved."""
    chosen, errors = _choose_kind(place, kind)
    if chosen is not None:
        _require(user, chosen.write_permission, place)
    start, end, period_errors = _parse_period(period_start, period_end)
    errors.update(period_errors)
    clean, section_errors = _parse_sections(chosen, sections)
    errors.update(section_errors)
    note, note_errors = _parse_note(note)
    errors.update(note_errors)
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    report = find_report(place, chosen.name, start, end)
    created = report is None
    if created:
        report = YearlyReport(kind=chosen.name, period_start=start, period_end=end,
                              created_by_id=getattr(user, "id", None),
                              **({"region_id": place.id} if scope_of(place) == REGION else {"area_id": place.id}))
        db.session.add(report)
        db.session.flush()
        for area_id in history_area_ids(report):
            history.record(area_id=area_id, entity=ENTITY, entity_id=report.id, user=user,
                           changes={"created": (None, {"kind": chosen.name, "period_start": start.isoformat(),
                                                       "period_end": end.isoformat()})})
    if sections is not None:
        _add_version(report, chosen, clean, user=user, based_on=based_on, note=note)
    _commit()
    return report, created


# -- saving the narrative ----------------------------------------------------------------------------------


def conflict_message(report) -> str:
    latest = latest_version(report)
    if latest is None:
        return _("This report changed since you opened it. Nothing was saved: reload it and try again.")
    who = latest.saved_by.display_name if latest.saved_by is not None else _("someone")
    return _("%(who)s saved version %(number)d of this report at %(when)s, after you opened it. Nothing was "
             "saved: copy your text, reload the report and add your changes to theirs.",
             who=who, number=latest.number, when=format_datetime(latest.saved_at, "d MMMM yyyy, HH:mm"))


def _parse_based_on(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ServiceError.field("version", _("The version must be a whole number")) from None
    if number < 0:
        raise ServiceError.field("version", _("The version must be a whole number"))
    return number


def _add_version(report, kind, clean: dict, *, user, based_on, note) -> YearlyReportVersion:
    based_on = _parse_based_on(based_on)
    current = version_number(report)
    if based_on is not None and based_on != current:
        raise ConflictError(conflict_message(report), {"version": conflict_message(report)})
    before = texts(report)
    after = {**before, **clean}  # (sections not sent keep their text: the API may send one)
    version = YearlyReportVersion(report_id=report.id, number=current + 1, sections=after,
                                  saved_by_id=getattr(user, "id", None), note=note)
    db.session.add(version)
    report.versions.append(version)
    changes = {"version": (current or None, current + 1)}
    changes.update({f"section.{key}": (before.get(key) or None, text) for key, text in after.items()
                    if text != before.get(key, "")})
    for area_id in history_area_ids(report):
        history.record(area_id=area_id, entity=ENTITY, entity_id=report.id, changes=changes, user=user)
    return version


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError:  # (two saves of the same version number: the other was first)
        db.session.rollback()
        raise ConflictError(_("Someone else saved this report at the same moment. Nothing was saved: reload it "
                              "and try again."), {"version": _("Someone else saved this report at the same moment")}) from None


def save_version(report, sections: dict, *, user=None, based_on=None, note=None) -> YearlyReportVersion:
    """Save ``sections`` (``{key: text}``; sections left out keep their text) as the report's next version.
    ``based_on``: the version number the writer edited (0: none yet) — when someone saved since, a
    :class:`ConflictError` with the ``version`` field, nothing saved. None: the last write wins."""
    kind = kind_of(report)
    if kind is None:
        raise ServiceError(_("This kind of report is no longer available"))
    _require(user, kind.write_permission, report.place)
    clean, errors = _parse_sections(kind, sections)
    note, note_errors = _parse_note(note)
    errors.update(note_errors)
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    _locked(report)
    version = _add_version(report, kind, clean, user=user, based_on=based_on, note=note)
    _commit()
    return version


def _locked(report) -> None:
    """Read the report's row locked (PostgreSQL), so that two saves queue; SQLite's writers queue already."""
    db.session.execute(select(YearlyReport.id).where(YearlyReport.id == report.id).with_for_update())
    db.session.refresh(report, ["versions"])


def place_named(area_id=None, region_id=None):
    return db.session.get(Region, region_id) if region_id is not None else db.session.get(Area, area_id)
