"""Rules of the schools plugin: schools and their leads, CSV import, rounds and ratings, the
scorecard, the area roll-up, evidence for the audit and actions from red items. No request objects.

Queries: every page-level function reads a fixed number of tables (schools, rounds, ratings, local
items, harm counts), never one query per school or item.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hsbtrack.actions.services import create_action
from hsbtrack.areas.demo import DEMO_PASSWORD
from hsbtrack.areas.models import Membership
from hsbtrack.areas.roles import Perm
from hsbtrack.areas.services import add_area_member, get_or_create_user
from hsbtrack.audits.services import audits_for_area
from hsbtrack.auth.services import hash_password
from hsbtrack.errors import ConflictError, ServiceError, nul_message
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.i18n import current_language
from hsbtrack.permissions import area_roles, can, forget_grants
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.plugins.types import Evidence
from hsbtrack.timeutil import local_date, today, utcnow

from . import checklist as checklists
from .models import (
    HARMS,
    RATINGS,
    SOURCES,
    HarmCount,
    ItemAction,
    LocalItem,
    Rating,
    Round,
    School,
    SchoolLead,
)

PLUGIN = "schools"
ROLE = "school_lead"
ASSESS = "schools.assess"
MAX_IMPORT_ROWS = 5000
MAX_NOTES = 5000
MAX_COUNT = 100000
EVIDENCE_STATEMENTS = ("2.4", "2.5", "3.3", "3.6")


def phase_labels() -> dict:
    return {"secondary": _("Secondary"), "further_education": _("Further education"), "other": _("Other")}


def rating_labels() -> dict:
    return {"green": _("Green"), "amber": _("Amber"), "red": _("Red"), "not_assessed": _("Not yet assessed")}


def source_labels() -> dict:
    return {"students": _("Students"), "staff": _("Staff"), "parents": _("Parents and carers"),
            "policies": _("Policies and procedures"), "logs": _("Safeguarding logs")}


def harm_labels() -> dict:
    return {"rumours": _("Rumours about sexual activity"), "name_calling": _("Sexual name-calling"),
            "abusive_relationships": _("Abusive relationships"), "online_harassment": _("Online harassment"),
            "image_sharing": _("Non-consensual image sharing"), "unwanted_touching": _("Unwanted touching"),
            "sexual_assault": _("Sexual assault and rape")}


def checklist_labels() -> dict:
    return {"school": _l("School self-assessment"), "partnership": _l("Multi-agency checklist")}


# -- who sees what ------------------------------------------------------------------------------


def can_manage(user, area) -> bool:
    return can(user, Perm.MANAGE_AREA, area.id)


def can_view_all(user, area) -> bool:
    """Every school's checklist and the partnership's: those who read the area's audit picture (a
    school lead reads only its own schools)."""
    return can(user, Perm.READ_AUDIT, area.id)


def lead_school_ids(user, area) -> set[int]:
    """Schools of ``area`` the user leads (one query, cached for the request)."""
    cache = g.setdefault("_schools_lead_ids", {})
    key = (getattr(user, "id", None), area.id)
    if key not in cache:
        if ROLE not in area_roles(user, area.id):
            cache[key] = set()
        else:
            cache[key] = set(db.session.scalars(
                select(SchoolLead.school_id).join(School, School.id == SchoolLead.school_id)
                .where(SchoolLead.user_id == user.id, School.area_id == area.id)))
    return cache[key]


def can_see_school(user, area, school) -> bool:
    return school.area_id == area.id and (can_view_all(user, area) or school.id in lead_school_ids(user, area))


def can_assess(user, area, school) -> bool:
    """Board managers assess any school; a school lead assesses their own school only."""
    if school is None:  # the partnership's checklist
        return can_manage(user, area)
    return school.area_id == area.id and (can_manage(user, area) or school.id in lead_school_ids(user, area))


def visible_schools(user, area) -> list[School]:
    query = select(School).where(School.area_id == area.id).order_by(School.name)
    if not can_view_all(user, area):
        ids = lead_school_ids(user, area)
        if not ids:
            return []
        query = query.where(School.id.in_(ids))
    return list(db.session.scalars(query))


# -- checklists --------------------------------------------------------------------------------


def local_items(area, kind: str | None = None) -> list[LocalItem]:
    query = select(LocalItem).where(LocalItem.area_id == area.id).order_by(LocalItem.id)
    if kind:
        query = query.where(LocalItem.checklist == kind)
    return list(db.session.scalars(query))


def checklist_for(area, kind: str = "school") -> checklists.Checklist:
    """The shipped checklist with the area's own items (one query, cached for the request)."""
    cache = g.setdefault("_schools_checklists", {})
    lang = current_language()
    if (area.id, kind, lang) not in cache:
        extra = [(i.section, i.code, i.text) for i in local_items(area, kind)]
        cache[area.id, kind, lang] = checklists.shipped(kind).localised(lang).with_local(extra)
    return cache[area.id, kind, lang]


def add_local_item(area, kind, section, text, user=None) -> LocalItem:
    errors = {}
    if kind not in checklists.KINDS:
        errors["checklist"] = _("Choose the school self-assessment or the multi-agency checklist")
    if section not in checklists.AREA_KEYS:
        errors["section"] = _("Choose one of the four areas of the checklist")
    text = " ".join((text or "").split())
    if not text:
        errors["text"] = _("Enter the item, as a statement the school can rate")
    elif len(text) > 500:
        errors["text"] = _("The item must be 500 characters or fewer")
    if errors:
        raise ServiceError(_("The item was not added: check the fields"), errors)
    taken = db.session.scalar(select(func.count()).select_from(LocalItem)
                              .where(LocalItem.area_id == area.id, LocalItem.checklist == kind))
    prefix = "L" if kind == "school" else "ML"
    item = LocalItem(area_id=area.id, checklist=kind, section=section, code=f"{prefix}{taken + 1}", text=text)
    db.session.add(item)
    db.session.flush()
    history.record(area_id=area.id, entity="schools_local_item", entity_id=item.id, user=user,
                   changes={"created": (None, f"{item.code} {text}")})
    db.session.commit()
    g.pop("_schools_checklists", None)
    return item


# -- schools and leads -------------------------------------------------------------------------


def parse_phase(value) -> str | None:
    raw = " ".join(str(value or "").lower().replace("_", " ").replace("-", " ").split())
    aliases = {"secondary": "secondary", "secondary school": "secondary", "further education": "further_education",
               "fe": "further_education", "college": "further_education", "other": "other"}
    aliases.update({str(label).lower(): key for key, label in phase_labels().items()})
    return aliases.get(raw)


def _school_values(name, phase, dsl_name, dsl_email) -> tuple[dict, dict]:
    from email_validator import EmailNotValidError, validate_email

    errors, values = {}, {}
    values["name"] = " ".join(str(name or "").split())
    if not values["name"]:
        errors["name"] = _("Enter the name of the school")
    elif len(values["name"]) > 200:
        errors["name"] = _("The name must be 200 characters or fewer")
    values["phase"] = parse_phase(phase)
    if values["phase"] is None:
        errors["phase"] = _("Phase must be secondary, further education or other")
    values["dsl_name"] = " ".join(str(dsl_name or "").split())
    if len(values["dsl_name"]) > 200:
        errors["dsl_name"] = _("The designated safeguarding lead's name must be 200 characters or fewer")
    values["dsl_email"] = str(dsl_email or "").strip().lower()
    if values["dsl_email"]:
        try:
            validate_email(values["dsl_email"], check_deliverability=False)
        except EmailNotValidError:
            errors["dsl_email"] = _("Enter an email address in the correct format, like name@example.org")
    return values, errors


def create_school(area, name, phase="secondary", dsl_name="", dsl_email="", user=None) -> School:
    values, errors = _school_values(name, phase, dsl_name, dsl_email)
    if errors:
        raise ServiceError(_("The school was not saved: check the fields"), errors)
    taken = db.session.scalar(select(func.count()).select_from(School).where(
        School.area_id == area.id, func.lower(School.name) == values["name"].lower()))
    if taken:
        raise ConflictError.field("name", _("%(area)s already has a school called %(name)s", area=area.display_name,
                                            name=values["name"]))
    school = School(area_id=area.id, **values)
    db.session.add(school)
    db.session.flush()
    history.record(area_id=area.id, entity="schools_school", entity_id=school.id, user=user,
                   changes={"created": (None, school.name)})
    db.session.commit()
    return school


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, messages)


COLUMNS = ("name", "phase", "dsl_name", "dsl_email")


class ImportFailed(ServiceError):
    def __init__(self, message, rows):
        super().__init__(message, {"file": message})
        self.rows = rows


def import_schools(area, data: bytes | str, user=None) -> ImportResult:
    """Create or update the area's schools from CSV with the header ``name, phase, dsl_name,
    dsl_email``. All or nothing: if any row is wrong, nothing is saved and every bad row is named."""
    if isinstance(data, bytes):
        if b"\x00" in data[:65536]:
            raise ImportFailed(_("The file is not a CSV file (it holds binary data)"), [])
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFailed(_("The file must be a CSV file saved as UTF-8"), []) from None
    reader = csv.DictReader(io.StringIO(data))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("name", "phase") if c not in header]
    if missing:
        raise ImportFailed(_("The first row must name the columns: name, phase, dsl_name, dsl_email "
                             "(missing: %(missing)s)", missing=", ".join(missing)), [])
    reader.fieldnames = header
    existing = {s.name.lower(): s for s in db.session.scalars(select(School).where(School.area_id == area.id))}
    result, seen, rows = ImportResult(), {}, []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            raise ImportFailed(_("The file has more than %(n)d rows: split it", n=MAX_IMPORT_ROWS), [])
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        values, errors = _school_values(row.get("name"), row.get("phase"), row.get("dsl_name"), row.get("dsl_email"))
        messages = list(errors.values())
        key = values["name"].lower()
        if key and key in seen:
            messages.append(_("%(name)s is also on row %(line)d", name=values["name"], line=seen[key]))
        seen.setdefault(key, line)
        if messages:
            result.errors.append((line, messages))
        else:
            rows.append(values)
    if result.errors:
        raise ImportFailed(ngettext_rows(len(result.errors)), result.errors)
    if not rows:
        raise ImportFailed(_("The file has no schools in it"), [])
    for values in rows:
        school = existing.get(values["name"].lower())
        if school is None:
            school = School(area_id=area.id, **values)
            db.session.add(school)
            db.session.flush()
            history.record(area_id=area.id, entity="schools_school", entity_id=school.id, user=user,
                           changes={"created": (None, school.name)})
            result.created += 1
        else:
            changes = history.diff(school, {k: v for k, v in values.items() if k != "name"})
            if changes:
                for name, (_old, new) in changes.items():
                    setattr(school, name, new)
                history.record(area_id=area.id, entity="schools_school", entity_id=school.id, user=user,
                               changes=changes)
                result.updated += 1
    db.session.commit()
    return result


def ngettext_rows(n: int) -> str:
    from flask_babel import ngettext

    return ngettext("Nothing was imported: %(num)d row has a problem",
                    "Nothing was imported: %(num)d rows have problems", n)


def leads_by_school(school_ids) -> dict[int, list]:
    if not school_ids:
        return {}
    rows = db.session.scalars(select(SchoolLead).where(SchoolLead.school_id.in_(school_ids))
                              .options(db.joinedload(SchoolLead.user)).order_by(SchoolLead.id))
    result = {}
    for row in rows:
        result.setdefault(row.school_id, []).append(row.user)
    return result


def add_lead(area, school, email, name="", user=None):
    """Give ``email`` (created if new) the school-lead role in the area, tied to ``school``.
    Returns (user, created)."""

    lead, created = get_or_create_user(email, name)
    has_role = db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.user_id == lead.id, Membership.area_id == area.id, Membership.role == ROLE))
    if not has_role:
        _m, lead, _c = add_area_member(area, lead.email, ROLE, None, name)
    if db.session.scalar(select(func.count()).select_from(SchoolLead).where(
            SchoolLead.user_id == lead.id, SchoolLead.school_id == school.id)):
        raise ConflictError.field("email", _("%(email)s already leads this school", email=lead.email))
    row = SchoolLead(user_id=lead.id, school_id=school.id)
    db.session.add(row)
    db.session.flush()
    history.record(area_id=area.id, entity="schools_lead", entity_id=row.id, user=user,
                   changes={"lead": (None, f"{lead.email} – {school.name}")})
    db.session.commit()
    forget_grants()
    g.pop("_schools_lead_ids", None)
    return lead, created


# -- rounds and ratings ------------------------------------------------------------------------


def rounds_of(area, school=None, kind="school") -> list[Round]:
    query = select(Round).where(Round.area_id == area.id, Round.checklist == kind).order_by(Round.number)
    query = query.where(Round.school_id == school.id) if school is not None else query.where(Round.school_id.is_(None))
    return list(db.session.scalars(query))


def start_round(area, school=None, user=None) -> Round:
    kind = "school" if school is not None else "partnership"
    latest = db.session.scalar(select(Round).where(
        Round.area_id == area.id, Round.checklist == kind,
        Round.school_id == school.id if school is not None else Round.school_id.is_(None),
    ).order_by(Round.number.desc()).limit(1))
    if latest is not None and latest.completed_at is None:
        raise ConflictError.field("round", _("Round %(n)d is not complete yet: finish it before starting another",
                                             n=latest.number))
    last = latest.number if latest is not None else 0
    definition = checklists.shipped(kind)
    round_ = Round(area_id=area.id, school_id=school.id if school else None, checklist=kind,
                   checklist_version=definition.version, number=last + 1,
                   created_by_id=getattr(user, "id", None))
    db.session.add(round_)
    db.session.flush()
    history.record(area_id=area.id, entity="schools_round", entity_id=round_.id, user=user,
                   changes={"started": (None, round_.number)})
    db.session.commit()
    return round_


def ratings_for(round_ids) -> dict[int, dict[str, Rating]]:
    """``{round id: {item code: Rating}}`` in one query."""
    result = {rid: {} for rid in round_ids}
    if not round_ids:
        return result
    for rating in db.session.scalars(select(Rating).where(Rating.round_id.in_(list(round_ids)))):
        result[rating.round_id][rating.item_code] = rating
    return result


def previous_round(round_: Round) -> Round | None:
    return db.session.scalar(select(Round).where(
        Round.area_id == round_.area_id, Round.checklist == round_.checklist, Round.number < round_.number,
        Round.school_id == round_.school_id if round_.school_id is not None else Round.school_id.is_(None),
    ).order_by(Round.number.desc()).limit(1))


def section_stamp(ratings: dict, codes) -> str:
    """When the ratings of these items were last saved: the page sends it back, so that a save
    over someone else's newer one is refused (optimistic locking) instead of silently lost."""
    stamps = [ratings[c].updated_at for c in codes if c in ratings]
    return max(stamps).isoformat() if stamps else ""


def save_section(area, round_: Round, section: str, data: dict, user=None, expected_stamp=None) -> int:
    """Save the ratings of one area of the checklist. ``data``: ``{code: {"rating", "sources",
    "notes"}}``. Every error is reported (fields ``<code>-rating`` etc.) and nothing is saved."""
    definition = checklist_for(area, round_.checklist)
    try:
        items = definition.area(section).items
    except KeyError:
        raise ServiceError.field("section", _("Choose one of the four areas of the checklist")) from None
    errors, clean = {}, {}
    for item in items:
        entry = data.get(item.code) or {}
        rating = entry.get("rating") or "not_assessed"
        if rating not in RATINGS:
            errors[f"{item.code}-rating"] = _("Choose red, amber, green or not yet assessed")
        sources = list(dict.fromkeys(entry.get("sources") or []))
        if any(s not in SOURCES for s in sources):
            errors[f"{item.code}-sources"] = _("Choose evidence sources from the list")
        notes = (entry.get("notes") or "").strip()
        if len(notes) > MAX_NOTES:
            errors[f"{item.code}-notes"] = _("Notes must be %(n)d characters or fewer", n=MAX_NOTES)
        elif "\x00" in notes:
            errors[f"{item.code}-notes"] = nul_message()
        if rating in ("red", "amber", "green") and not sources:
            errors[f"{item.code}-sources"] = _("Say which evidence the rating of %(code)s is based on", code=item.code)
        clean[item.code] = {"rating": rating, "sources": sorted(sources, key=SOURCES.index) if not errors else sources,
                            "notes": notes}
    if errors:
        raise ServiceError(_("The ratings were not saved: check the items marked"), errors)
    existing = ratings_for([round_.id])[round_.id]
    if expected_stamp is not None and expected_stamp != section_stamp(existing, [i.code for i in items]):
        raise ConflictError(_("Someone else saved ratings in this area after you opened the page. "
                              "Their ratings are shown now: make your changes again."), {})
    changed = 0
    now = utcnow()
    for code, values in clean.items():
        row = existing.get(code)
        if row is None:
            if values == {"rating": "not_assessed", "sources": [], "notes": ""}:
                continue
            row = Rating(round_id=round_.id, item_code=code, rating="not_assessed", sources=[], notes="")
            db.session.add(row)
        changes = history.diff(row, values)
        if changes:
            for name, (_old, new) in changes.items():
                setattr(row, name, new)
            row.updated_at, row.updated_by_id = now, getattr(user, "id", None)
            db.session.flush()
            history.record(area_id=area.id, entity="schools_rating", entity_id=row.id, user=user, code=code,
                           changes=changes)
            changed += 1
    db.session.commit()
    return changed


def harm_counts(round_ids) -> dict[int, dict[str, int]]:
    result = {rid: {} for rid in round_ids}
    if round_ids:
        for row in db.session.scalars(select(HarmCount).where(HarmCount.round_id.in_(list(round_ids)))):
            result[row.round_id][row.category] = row.count
    return result


def save_harms(area, round_: Round, data: dict, user=None) -> None:
    errors, clean = {}, {}
    for category in HARMS:
        raw = str(data.get(category) or "").strip()
        if raw == "":
            clean[category] = None
            continue
        if not raw.isdigit() or int(raw) > MAX_COUNT:
            errors[category] = _("Enter a whole number from 0 to %(n)d", n=MAX_COUNT)
        else:
            clean[category] = int(raw)
    if errors:
        raise ServiceError(_("The counts were not saved: check the fields"), errors)
    existing = {r.category: r for r in db.session.scalars(select(HarmCount).where(HarmCount.round_id == round_.id))}
    for category, count in clean.items():
        row = existing.get(category)
        old = row.count if row else None
        if old == count:
            continue
        if count is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(HarmCount(round_id=round_.id, category=category, count=count))
        else:
            row.count = count
        history.record(area_id=area.id, entity="schools_round", entity_id=round_.id, user=user,
                       code=category, changes={"harm_count": (old, count)})
    db.session.commit()


def complete_round(area, round_: Round, user=None) -> Round:
    if round_.completed_at is not None:
        raise ConflictError.field("round", _("This round is already complete"))
    round_.completed_at = utcnow()
    history.record(area_id=area.id, entity="schools_round", entity_id=round_.id, user=user,
                   changes={"completed_at": (None, round_.completed_at)})
    db.session.commit()
    return round_


# -- progress, scorecard, roll-up ----------------------------------------------------------------


def progress(definition, ratings: dict) -> dict:
    """``{"areas": {key: (assessed, total)}, "assessed", "total", "percent"}``; an item counts as
    assessed when it has a red, amber or green rating."""
    areas = {}
    for area in definition.areas:
        done = sum(1 for i in area.items if i.code in ratings and ratings[i.code].rating != "not_assessed")
        areas[area.key] = (done, len(area.items))
    assessed = sum(d for d, _t in areas.values())
    total = sum(t for _d, t in areas.values())
    return {"areas": areas, "assessed": assessed, "total": total,
            "percent": round(100 * assessed / total) if total else 0}


def rating_of(ratings: dict, code: str) -> str:
    row = ratings.get(code)
    return row.rating if row is not None else "not_assessed"


RANK = {"red": 0, "amber": 1, "green": 2}


def change(now: str, before: str | None) -> str | None:
    """"better", "worse", "same", or None when either round has no rating for the item."""
    if before is None or now not in RANK or before not in RANK:
        return None
    return "same" if RANK[now] == RANK[before] else "better" if RANK[now] > RANK[before] else "worse"


def counts(definition, ratings: dict, area_key: str | None = None) -> dict:
    result = dict.fromkeys(RATINGS, 0)
    for item in definition.items:
        if area_key is None or item.area == area_key:
            result[rating_of(ratings, item.code)] += 1
    return result


def scorecard(area, round_: Round) -> dict:
    definition = checklist_for(area, round_.checklist)
    before = previous_round(round_)
    ids = [round_.id] + ([before.id] if before else [])
    ratings = ratings_for(ids)
    now_r, before_r = ratings[round_.id], ratings.get(before.id, {}) if before else {}
    harms = harm_counts(ids)
    actions = {a.item_code: a.action_id for a in db.session.scalars(
        select(ItemAction).where(ItemAction.round_id == round_.id))}
    sections = []
    for section in definition.areas:
        rows = []
        for item in section.items:
            now = rating_of(now_r, item.code)
            was = rating_of(before_r, item.code) if before else None
            rows.append({"item": item, "rating": now, "previous": was, "change": change(now, was),
                         "row": now_r.get(item.code), "action_id": actions.get(item.code)})
        sections.append({"area": section, "rows": rows, "counts": counts(definition, now_r, section.key),
                         "previous_counts": counts(definition, before_r, section.key) if before else None})
    return {"definition": definition, "round": round_, "previous": before, "sections": sections,
            "counts": counts(definition, now_r), "previous_counts": counts(definition, before_r) if before else None,
            "progress": progress(definition, now_r), "harms": harms[round_.id],
            "previous_harms": harms.get(before.id) if before else None}


def latest_rounds(area, kind="school") -> dict:
    """``{school id (None for the partnership): latest round}`` in one query."""
    result = {}
    for round_ in db.session.scalars(select(Round).where(Round.area_id == area.id, Round.checklist == kind)
                                     .order_by(Round.number)):
        result[round_.school_id] = round_
    return result


def rollup(area) -> dict:
    """The schools × items matrix of each school's latest round, share of green per checklist
    area, and the schools that have not assessed. Fixed number of queries."""
    definition = checklist_for(area, "school")
    schools = list(db.session.scalars(select(School).where(School.area_id == area.id).order_by(School.name)))
    latest = latest_rounds(area, "school")
    ratings = ratings_for([r.id for r in latest.values()])
    rows, not_assessed = [], []
    per_area = {a.key: dict.fromkeys(RATINGS, 0) for a in definition.areas}
    red_items = []
    for school in schools:
        round_ = latest.get(school.id)
        got = ratings.get(round_.id, {}) if round_ else {}
        prog = progress(definition, got)
        if round_ is None or prog["assessed"] == 0:
            not_assessed.append(school)
            if round_ is None:
                rows.append({"school": school, "round": None, "cells": [], "progress": prog})
                continue
        cells = []
        for item in definition.items:
            value = rating_of(got, item.code)
            cells.append((item, value))
            per_area[item.area][value] += 1
            if value == "red":
                red_items.append((school, round_, item))
        rows.append({"school": school, "round": round_, "cells": cells, "progress": prog})
    shares = {}
    for key, tally in per_area.items():
        total = sum(tally.values())
        shares[key] = {"counts": tally, "total": total, "green_percent": round(100 * tally["green"] / total) if total else None}
    assessed = len(schools) - len(not_assessed)
    partnership = latest_rounds(area, "partnership").get(None)
    p_definition = checklist_for(area, "partnership")
    p_ratings = ratings_for([partnership.id])[partnership.id] if partnership else {}
    return {"definition": definition, "schools": schools, "rows": rows, "not_assessed": not_assessed,
            "assessed": assessed, "shares": shares, "red_items": red_items,
            "partnership_round": partnership, "partnership_definition": p_definition,
            "partnership_counts": counts(p_definition, p_ratings) if partnership else None,
            "partnership_progress": progress(p_definition, p_ratings) if partnership else None}


def evidence(area, codes) -> list:
    """The roll-up as evidence on the audit statements the checklist areas inform."""
    from flask import has_request_context, url_for


    definition = checklists.shipped("school")
    wanted = [c for c in codes if any(c in a.statements for a in definition.areas)]
    if not wanted:
        return []
    data = rollup(area)
    url = url_for("schools.rollup", area_id=area.id) if has_request_context() else f"/areas/{area.id}/schools/rollup"
    titles = {a.key: a.title for a in data["definition"].areas}
    result = []
    for code in wanted:
        parts = [_("%(assessed)d of %(total)d schools have assessed their response to harmful sexual behaviour.",
                   assessed=data["assessed"], total=len(data["schools"]))]
        for area_def in data["definition"].areas:
            if code not in area_def.statements:
                continue
            share = data["shares"][area_def.key]
            if share["total"]:
                parts.append(_("%(area)s: %(green)d%% of items green, %(red)d red, %(amber)d amber.",
                               area=titles[area_def.key], green=share["green_percent"],
                               red=share["counts"]["red"], amber=share["counts"]["amber"]))
        if data["partnership_counts"] is not None:
            parts.append(_("Multi-agency checklist (round %(n)d): %(green)d green, %(amber)d amber, %(red)d red.",
                           n=data["partnership_round"].number, green=data["partnership_counts"]["green"],
                           amber=data["partnership_counts"]["amber"], red=data["partnership_counts"]["red"]))
        result.append(Evidence(code, _l("Schools' self-assessments (Beyond Referrals)"), " ".join(parts), url=url,
                               order=40))
    return result


# -- actions from red items ---------------------------------------------------------------------


def make_action(area, round_: Round, code: str, owner, due_on=None, user=None):
    """Turn a red item of a school's round into a core action linked to the item's statements,
    naming the school."""

    definition = checklist_for(area, round_.checklist)
    try:
        item = definition.item(code)
    except KeyError:
        raise ServiceError.field("item", _("%(code)s is not an item of the checklist", code=code)) from None
    ratings = ratings_for([round_.id])[round_.id]
    if rating_of(ratings, code) != "red":
        raise ServiceError.field("item", _("Only red items become actions"))
    if db.session.scalar(select(func.count()).select_from(ItemAction).where(
            ItemAction.round_id == round_.id, ItemAction.item_code == code)):
        raise ConflictError.field("item", _("This item already has an action"))
    statements = list(item.statements) or list(definition.area(item.area).statements)
    who = round_.school.name if round_.school is not None else _("Multi-agency checklist")
    title = _("%(school)s: %(item)s", school=who, item=item.text)
    if len(title) > 300:
        title = title[:299] + "…"
    description = _("Rated red in round %(n)d of the self-assessment (item %(code)s, %(area)s).",
                    n=round_.number, code=code, area=definition.area(item.area).title)
    audits = [a for a in audits_for_area(area.id, "nspcc-hsb-2019")]
    audit = audits[-1] if audits else None
    action = create_action(area, title=title, owner=owner, due_on=due_on or today() + timedelta(days=90),
                           statements=statements, description=description, audit=audit,
                           framework_slug="nspcc-hsb-2019", user=user, commit=False)
    db.session.add(ItemAction(round_id=round_.id, item_code=code, action_id=action.id))
    db.session.commit()
    return action


def item_actions(round_ids) -> dict:
    if not round_ids:
        return {}
    return {(r.round_id, r.item_code): r.action_id for r in db.session.scalars(
        select(ItemAction).where(ItemAction.round_id.in_(list(round_ids))))}


def demo(area) -> None:
    """Three schools with one round each, and the partnership's checklist, in the demo area."""

    if db.session.scalar(select(func.count()).select_from(School).where(School.area_id == area.id)):
        return
    set_area_plugin(area, PLUGIN, True)
    plans = [
        ("Riverside Academy", "secondary", "Sam Okafor", "green"),
        ("Northbank High School", "secondary", "Priya Shah", "amber"),
        ("Riverside College", "further_education", "Alex Morgan", "red"),
    ]
    definition = checklist_for(area, "school")
    cycle = ["green", "amber", "green", "red", "green", "amber"]
    for n, (name, phase, dsl, lean) in enumerate(plans):
        school = create_school(area, name, phase, dsl, "")
        if n == 0:

            lead, _created = add_lead(area, school, "school@example.org", "Sam Okafor")
            if lead.activated_at is None:  # a demo login: as if the invitation had been accepted
                lead.password_hash = hash_password(DEMO_PASSWORD)
                lead.activated_at = utcnow()
            db.session.commit()
        round_ = start_round(area, school)
        for section in definition.areas:
            data = {}
            for i, item in enumerate(section.items):
                rating = cycle[(i + n) % len(cycle)] if (i + n) % 3 else lean
                data[item.code] = {"rating": rating, "sources": ["staff", "policies"], "notes": ""}
            save_section(area, round_, section.key, data)
        save_harms(area, round_, {"name_calling": 12 - 3 * n, "online_harassment": 5 + n, "image_sharing": n})
        if n < 2:
            complete_round(area, round_)
    p_round = start_round(area, None)
    for section in checklist_for(area, "partnership").areas:
        save_section(area, p_round, section.key, {
            item.code: {"rating": ("green", "amber", "red")[i % 3], "sources": ["policies"], "notes": ""}
            for i, item in enumerate(section.items)})
    complete_round(area, p_round)


# -- the yearly report (hsbtrack_yearly_report_data) ------------------------------------------------------


def completed_in_period(area, start, end) -> list[dict]:
    """Schools' self-assessments completed between ``start`` and ``end`` (the partnership's calendar): each
    with its school, date and how many items it rated green, amber and red. Two queries."""
    rounds = [r for r in db.session.scalars(
        select(Round).where(Round.area_id == area.id, Round.checklist == "school", Round.school_id.is_not(None),
                            Round.completed_at >= datetime.combine(start - timedelta(days=1), time()),
                            Round.completed_at < datetime.combine(end + timedelta(days=2), time()))
        .order_by(Round.completed_at, Round.id))
        if start <= local_date(r.completed_at) <= end]
    if not rounds:
        return []
    schools = {s.id: s for s in db.session.scalars(select(School).where(School.id.in_({r.school_id for r in rounds})))}
    definition = checklist_for(area, "school")
    ratings = ratings_for([r.id for r in rounds])
    return [{"school": schools[r.school_id], "round": r, "completed_on": local_date(r.completed_at),
             "counts": counts(definition, ratings.get(r.id, {}))} for r in rounds]
