"""Training rules: tiers, courses, people, sessions, completions, headcounts and coverage.

No request objects here: views and the CLI call these functions.
"""

import calendar
import re
import unicodedata
from collections import defaultdict
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from hsbtrack.areas.models import Agency
from hsbtrack.areas.roles import Perm
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.services import record
from hsbtrack.i18n import current_language
from hsbtrack.permissions import can
from hsbtrack.plugins.services import plugin_settings, set_area_plugin
from hsbtrack.timeutil import local_today

from .models import (
    ATTENDED,
    COMPLETED,
    DID_NOT_ATTEND,
    STATUSES,
    TrainingCompletion,
    TrainingCourse,
    TrainingHeadcount,
    TrainingPerson,
    TrainingSession,
)

NAME = "training"
EXPIRING_DAYS = 60

# The default disciplines of an area (each area may change its list: ``disciplines(area)``).
# Statement 5.4 lists most of them; 5.5 adds foster carers and adopters; school nurses and health
# visitors are where much early identification happens.
DISCIPLINES = {
    "teacher": _l("Teachers"),
    "volunteer": _l("Volunteers"),
    "mentor": _l("Mentors"),
    "residential_care": _l("Residential care practitioners"),
    "youth_justice": _l("Youth justice"),
    "youth_worker": _l("Youth workers"),
    "social_worker": _l("Social workers"),
    "clinical": _l("Clinical practitioners"),
    "yot_worker": _l("Youth offending team workers"),
    "camhs": _l("Child and adolescent mental health workers"),
    "police": _l("Police"),
    "school_nurse": _l("School nurses"),
    "health_visitor": _l("Health visitors"),
    "foster_carer": _l("Foster carers"),
    "adopter": _l("Adopters"),
}
MAX_DISCIPLINES = 40
DISCIPLINE_NAME_MAX = 100

STATUS_LABELS = {
    COMPLETED: _l("Completed"),
    ATTENDED: _l("Attended (not completed)"),
    DID_NOT_ATTEND: _l("Did not attend"),
}

DEFAULT_TIERS = [
    {"number": 1, "name": "Universal awareness"},
    {"number": 2, "name": "Targeted practice"},
    {"number": 3, "name": "Specialist assessment and intervention"},
    {"number": 4, "name": "Specialist therapy"},
]
DEFAULT_TIER_LABELS = {
    1: _l("Universal awareness"),
    2: _l("Targeted practice"),
    3: _l("Specialist assessment and intervention"),
    4: _l("Specialist therapy"),
}


# -- permissions --------------------------------------------------------------------------------


def can_manage(user, area) -> bool:
    """Training leads and admins record training and see people's names."""
    return can(user, Perm.MANAGE_TRAINING, area.id)


can_see_names = can_manage


# -- tiers (area settings) ----------------------------------------------------------------------


def tiers(area) -> list[dict]:
    """``[{number, name}]`` from the area's settings, else the four default tiers (translated)."""
    configured = plugin_settings(area, NAME).get("tiers")
    if configured:
        return [{"number": int(t["number"]), "name": t["name"]} for t in configured]
    return [{"number": t["number"], "name": DEFAULT_TIER_LABELS[t["number"]]} for t in DEFAULT_TIERS]


def tier_names(area) -> dict[int, str]:
    return {t["number"]: t["name"] for t in tiers(area)}


def _clean_tiers(names: list[str]) -> list[dict]:
    cleaned = [n.strip() for n in names if n and n.strip()]
    if not cleaned:
        raise ServiceError.field("tiers", _l("Enter at least one tier"))
    if len(cleaned) > 8:
        raise ServiceError.field("tiers", _l("Enter at most 8 tiers"))
    return [{"number": i, "name": n[:100]} for i, n in enumerate(cleaned, start=1)]


def set_tiers(area, names: list[str], user=None) -> list[dict]:
    new = _clean_tiers(names)
    settings = dict(plugin_settings(area, NAME))
    old = settings.get("tiers")
    settings["tiers"] = new
    record(area_id=area.id, entity="training_settings", entity_id=area.id, changes={"tiers": (old, new)}, user=user)
    set_area_plugin(area, NAME, settings=settings, user=user)
    return new


def set_remind_people(area, value: bool, user=None) -> None:
    """Whether refresher reminders also go to the people themselves (those with a work email)."""
    settings = dict(plugin_settings(area, NAME))
    old = bool(settings.get("remind_people"))
    if old == bool(value):
        return
    settings["remind_people"] = bool(value)
    record(area_id=area.id, entity="training_settings", entity_id=area.id, changes={"remind_people": (old, bool(value))},
           user=user)
    set_area_plugin(area, NAME, settings=settings, user=user)


def remind_people(area) -> bool:
    return bool(plugin_settings(area, NAME).get("remind_people"))


# -- disciplines (area settings) ------------------------------------------------------------------


def _default_entries() -> list[dict]:
    """The default list as stored entries: English and Welsh names from the catalogues."""
    entries = []
    with force_locale("cy"):
        for key, label in DISCIPLINES.items():
            english, welsh = label._args[0], str(label)
            entries.append({"key": key, "name": english, "name_cy": welsh if welsh != english else ""})
    return entries


def discipline_entries(area) -> list[dict]:
    """``[{key, name, name_cy}]``: the area's disciplines, in its order (the defaults if not set)."""
    configured = plugin_settings(area, NAME).get("disciplines")
    if configured:
        return [{"key": d["key"], "name": d["name"], "name_cy": d.get("name_cy") or ""} for d in configured]
    return _default_entries()


def _label(entry) -> str:
    if current_language() == "cy" and entry["name_cy"]:
        return entry["name_cy"]
    default = DISCIPLINES.get(entry["key"])
    if default is not None and entry["name"] == default._args[0]:
        return str(default)  # a default name: its translation
    return entry["name"]


def disciplines(area) -> dict[str, str]:
    """``{key: name in the reader's language}`` of the area's disciplines, in order."""
    configured = plugin_settings(area, NAME).get("disciplines")
    if not configured:
        return dict(DISCIPLINES)
    return {entry["key"]: _label(entry) for entry in discipline_entries(area)}


def disciplines_text(area) -> str:
    """The area's list as the settings page's textarea shows it: one a line, "English | Welsh"."""
    return "\n".join(f"{e['name']} | {e['name_cy']}" if e["name_cy"] else e["name"] for e in discipline_entries(area))


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:40] or "discipline"


def _discipline_keys_in_use(area) -> set[str]:
    used = set(db.session.scalars(select(TrainingPerson.discipline).where(TrainingPerson.area_id == area.id)
                                  .distinct()))
    return used | set(db.session.scalars(select(TrainingHeadcount.discipline)
                                         .where(TrainingHeadcount.area_id == area.id).distinct()))


def parse_disciplines(area, text: str) -> list[dict]:
    """The textarea's lines as stored entries, keeping the key of each discipline already known (by its
    English or Welsh name). Raises ServiceError (field ``disciplines``) with every problem at once."""
    current = discipline_entries(area)
    known = {}
    for entry in [*current, *_default_entries()]:
        for name in (entry["name"], entry["name_cy"]):
            if name:
                known.setdefault(name.strip().lower(), entry["key"])
    in_use = _discipline_keys_in_use(area)
    taken = set(known.values()) | in_use  # a new discipline never takes over an old one's key
    problems, entries, seen_names, keys = [], [], set(), set()
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise ServiceError.field("disciplines", _l("Enter at least one discipline"))
    if len(lines) > MAX_DISCIPLINES:
        problems.append(str(_l("Enter at most %(n)d disciplines", n=MAX_DISCIPLINES)))
    for line in lines:
        name, _bar, welsh = (part.strip() for part in line.partition("|"))
        if not name:
            problems.append(str(_l("Enter the English name before the “|” on the line “%(line)s”", line=line)))
            continue
        if len(name) > DISCIPLINE_NAME_MAX or len(welsh) > DISCIPLINE_NAME_MAX:
            problems.append(str(_l("“%(name)s” is longer than %(n)d characters", name=name[:40] + "…",
                                   n=DISCIPLINE_NAME_MAX)))
            continue
        if name.lower() in seen_names:
            problems.append(str(_l("“%(name)s” is in the list twice", name=name)))
            continue
        seen_names.add(name.lower())
        key = known.get(name.lower()) or (known.get(welsh.lower()) if welsh else None)
        if key is None or key in keys:
            base = _slug(name)
            key, n = base, 2
            while key in keys or key in taken:
                key, n = f"{base}_{n}", n + 1
        keys.add(key)
        entries.append({"key": key, "name": name, "name_cy": welsh})
    labels = disciplines(area)
    for key in sorted(in_use - keys):
        problems.append(str(_l("Keep “%(name)s”: people or headcounts are recorded under it",
                               name=labels.get(key, key))))
    if problems:
        raise ServiceError.field("disciplines", " ".join(problems))
    return entries


def save_settings(area, *, tier_names_in, disciplines_in: str, remind: bool, user=None) -> None:
    """The settings page: tiers, disciplines and reminders, all checked first, saved together."""
    errors = {}
    try:
        new_tiers = _clean_tiers(tier_names_in)
    except ServiceError as error:
        errors.update(error.fields)
    try:
        entries = parse_disciplines(area, disciplines_in)
    except ServiceError as error:
        errors.update(error.fields)
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    settings = dict(plugin_settings(area, NAME))
    changes = {}
    if settings.get("tiers") != new_tiers:
        changes["tiers"] = (settings.get("tiers"), new_tiers)
        settings["tiers"] = new_tiers
    old_entries = settings.get("disciplines")
    if (old_entries or _default_entries()) != entries:
        changes["disciplines"] = (old_entries, entries)
        settings["disciplines"] = entries
    if bool(settings.get("remind_people")) != bool(remind):
        changes["remind_people"] = (bool(settings.get("remind_people")), bool(remind))
        settings["remind_people"] = bool(remind)
    if not changes:
        return
    record(area_id=area.id, entity="training_settings", entity_id=area.id, changes=changes, user=user)
    set_area_plugin(area, NAME, settings=settings, user=user)


# -- courses ------------------------------------------------------------------------------------


def courses(area) -> list[TrainingCourse]:
    return list(db.session.scalars(
        select(TrainingCourse).where(TrainingCourse.area_id == area.id).order_by(TrainingCourse.tier,
                                                                                TrainingCourse.title)))


def get_course(area, course_id) -> TrainingCourse | None:
    course = db.session.get(TrainingCourse, course_id)
    return course if course is not None and course.area_id == area.id else None


def create_course(area, *, title, tier, provider="", length_hours=None, refresher_months=None, user=None):
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _l("Enter the course title")
    elif len(title) > 200:
        errors["title"] = _l("Course title must be 200 characters or fewer")
    if tier not in tier_names(area):
        errors["tier"] = _l("Choose a tier")
    if length_hours is not None and not (0 < length_hours <= 1000):
        errors["length_hours"] = _l("Length must be between 0 and 1,000 hours")
    if refresher_months is not None and not (1 <= refresher_months <= 120):
        errors["refresher_months"] = _l("Refresher period must be between 1 and 120 months")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    course = TrainingCourse(area_id=area.id, title=title, tier=tier, provider=(provider or "").strip()[:200],
                            length_hours=length_hours, refresher_months=refresher_months)
    db.session.add(course)
    db.session.flush()
    record(area_id=area.id, entity="training_course", entity_id=course.id, user=user, changes={
        "title": (None, title), "tier": (None, tier), "provider": (None, course.provider),
        "length_hours": (None, length_hours), "refresher_months": (None, refresher_months)})
    db.session.commit()
    return course


def expiry_for(completed_on: date, refresher_months: int | None, status: str) -> date | None:
    if status != COMPLETED or not refresher_months:
        return None
    return add_months(completed_on, refresher_months)


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- people -------------------------------------------------------------------------------------


def agencies(area) -> list[Agency]:
    return list(db.session.scalars(select(Agency).where(Agency.area_id == area.id).order_by(Agency.name)))


def people(area) -> list[TrainingPerson]:
    return list(db.session.scalars(
        select(TrainingPerson).where(TrainingPerson.area_id == area.id).order_by(TrainingPerson.name)))


def create_person(area, *, name, agency_id, discipline, email=None, user=None) -> TrainingPerson:
    errors = {}
    name = (name or "").strip()
    email = (email or "").strip().lower() or None
    if not name:
        errors["name"] = _l("Enter the person’s name")
    elif len(name) > 200:
        errors["name"] = _l("Name must be 200 characters or fewer")
    if email is not None and ("@" not in email or len(email) > 254):
        errors["email"] = _l("Enter an email address in the correct format, like name@example.org")
    if discipline not in disciplines(area):
        errors["discipline"] = _l("Choose a discipline")
    if agency_id not in {a.id for a in agencies(area)}:
        errors["agency_id"] = _l("Choose an agency")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    person = TrainingPerson(area_id=area.id, name=name, email=email, discipline=discipline, agency_id=agency_id)
    db.session.add(person)
    db.session.flush()
    record(area_id=area.id, entity="training_person", entity_id=person.id, user=user, changes={
        "name": (None, name), "email": (None, email), "discipline": (None, discipline),
        "agency_id": (None, agency_id)})
    db.session.commit()
    return person


def mark_left(area, *, person_id, left_on, user=None) -> TrainingPerson:
    """Record the day a person left their agency (or clear it: ``left_on`` None). Their training records are
    then kept for the retention period after it (``training.people_left``, docs/privacy.md). In the history."""
    errors = {}
    person = db.session.get(TrainingPerson, person_id) if isinstance(person_id, int) else None
    if person is None or person.area_id != area.id:
        errors["person_id"] = _l("Choose a person")
    if left_on is not None and left_on > local_today():
        errors["left_on"] = _l("The date they left cannot be in the future")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    if person.left_on != left_on:
        record(area_id=area.id, entity="training_person", entity_id=person.id, user=user,
               changes={"left_on": (person.left_on, left_on)})
        person.left_on = left_on
    db.session.commit()
    return person


# -- sessions and completions -------------------------------------------------------------------


def record_session(area, *, course_id, held_on, outcomes: dict, user=None) -> TrainingSession:
    """Record a session of a course with each person's outcome: ``{person_id: status}``.

    Outcomes of "" are skipped. All or nothing.
    """
    errors = {}
    course = get_course(area, course_id)
    if course is None:
        errors["course_id"] = _l("Choose a course")
    if held_on is None:
        errors["held_on"] = _l("Enter the date the session was held")
    elif held_on > local_today():
        errors["held_on"] = _l("The session date must be today or in the past")
    chosen = {int(pid): status for pid, status in outcomes.items() if status}
    if any(status not in STATUSES for status in chosen.values()):
        errors["outcomes"] = _l("Choose completed, attended or did not attend")
    own_people = set(db.session.scalars(select(TrainingPerson.id).where(TrainingPerson.area_id == area.id)))
    if not chosen:
        errors.setdefault("outcomes", _l("Record an outcome for at least one person"))
    elif not set(chosen) <= own_people:
        errors["outcomes"] = _l("Choose people of this area")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    existing = set(db.session.scalars(select(TrainingCompletion.person_id).where(
        TrainingCompletion.course_id == course.id, TrainingCompletion.completed_on == held_on,
        TrainingCompletion.person_id.in_(chosen))))
    if existing:
        raise ServiceError.field("outcomes", _l("%(n)d of these people already have a record of this course on "
                                                "this date", n=len(existing)))
    session = TrainingSession(area_id=area.id, course_id=course.id, held_on=held_on)
    db.session.add(session)
    db.session.flush()
    db.session.add_all([
        TrainingCompletion(area_id=area.id, person_id=pid, course_id=course.id, session_id=session.id,
                           status=status, completed_on=held_on,
                           expires_on=expiry_for(held_on, course.refresher_months, status))
        for pid, status in sorted(chosen.items())
    ])
    record(area_id=area.id, entity="training_session", entity_id=session.id, user=user, changes={
        "course_id": (None, course.id), "held_on": (None, held_on),
        "outcomes": (None, {str(k): v for k, v in sorted(chosen.items())})})
    db.session.commit()
    return session


def sessions(area) -> list[tuple]:
    """``[(session, course title, n completed, n recorded)]``, newest first, in one query."""
    completed = func.sum(case((TrainingCompletion.status == COMPLETED, 1), else_=0))
    return list(db.session.execute(
        select(TrainingSession, TrainingCourse.title, completed, func.count(TrainingCompletion.id))
        .join(TrainingCourse, TrainingCourse.id == TrainingSession.course_id)
        .outerjoin(TrainingCompletion, TrainingCompletion.session_id == TrainingSession.id)
        .where(TrainingSession.area_id == area.id)
        .group_by(TrainingSession.id, TrainingCourse.title)
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
    ).all())


# -- headcounts and coverage --------------------------------------------------------------------


def headcounts(area) -> dict[tuple[int, str], int]:
    rows = db.session.execute(select(TrainingHeadcount.agency_id, TrainingHeadcount.discipline,
                                     TrainingHeadcount.headcount).where(TrainingHeadcount.area_id == area.id))
    return {(a, d): n for a, d, n in rows}


def set_headcounts(area, values: dict[tuple[int, str], int | None], user=None) -> None:
    """Set headcounts per (agency id, discipline); None removes one. All or nothing."""
    agency_ids = {a.id for a in agencies(area)}
    known = disciplines(area)
    errors = {}
    for (agency_id, discipline), n in values.items():
        if agency_id not in agency_ids or discipline not in known:
            errors[f"hc-{agency_id}-{discipline}"] = _l("Unknown agency or discipline")
        elif n is not None and not (0 <= n <= 1_000_000):
            errors[f"hc-{agency_id}-{discipline}"] = _l("Enter a whole number from 0 to 1,000,000")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    rows = {(r.agency_id, r.discipline): r for r in db.session.scalars(
        select(TrainingHeadcount).where(TrainingHeadcount.area_id == area.id))}
    for key, n in values.items():
        row = rows.get(key)
        old = row.headcount if row else None
        if old == n:
            continue
        if n is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(TrainingHeadcount(area_id=area.id, agency_id=key[0], discipline=key[1], headcount=n))
        else:
            row.headcount = n
        record(area_id=area.id, entity="training_headcount", entity_id=key[0], user=user,
               changes={f"headcount:{key[1]}": (old, n)})
    db.session.commit()


def _current(today):
    return and_(TrainingCompletion.status == COMPLETED,
                or_(TrainingCompletion.expires_on.is_(None), TrainingCompletion.expires_on >= today))


def coverage(area, today: date | None = None) -> dict:
    """People with current (completed, unexpired) training, by agency × discipline × tier.

    Returns ``{"agencies", "tiers", "disciplines", "cells": {(agency, discipline, tier): n},
    "headcounts": {(agency, discipline): n}, "rows": [...], "totals": {...}}``. A person counts at a
    tier once, however many courses of that tier they did. Three queries whatever the data.
    """
    today = today or date.today()
    rows = db.session.execute(
        select(TrainingPerson.agency_id, TrainingPerson.discipline, TrainingCourse.tier,
               func.count(func.distinct(TrainingPerson.id)))
        .select_from(TrainingCompletion)
        .join(TrainingPerson, TrainingPerson.id == TrainingCompletion.person_id)
        .join(TrainingCourse, TrainingCourse.id == TrainingCompletion.course_id)
        .where(TrainingCompletion.area_id == area.id, _current(today))
        .group_by(TrainingPerson.agency_id, TrainingPerson.discipline, TrainingCourse.tier)
    ).all()
    cells = {(a, d, t): n for a, d, t, n in rows}
    heads = headcounts(area)
    tier_list = tiers(area)
    agency_list = agencies(area)
    present = {(a, d) for a, d, _t in cells} | set(heads)
    labels = disciplines(area)
    table = []
    for agency in agency_list:
        for key, label in labels.items():
            if (agency.id, key) not in present:
                continue
            head = heads.get((agency.id, key))
            table.append({
                "agency": agency, "discipline": key, "discipline_label": label, "headcount": head,
                "tiers": [_cell(cells.get((agency.id, key, t["number"]), 0), head) for t in tier_list],
            })
    by_discipline = []
    for key, label in labels.items():
        head = sum(n for (a, d), n in heads.items() if d == key) or None
        counts = [sum(n for (a, d, t), n in cells.items() if d == key and t == tier["number"]) for tier in tier_list]
        if head or any(counts):
            by_discipline.append({"discipline": key, "discipline_label": label, "headcount": head,
                                  "tiers": [_cell(c, head) for c in counts]})
    total_head = sum(heads.values()) or None
    totals = [_cell(sum(n for (a, d, t), n in cells.items() if t == tier["number"]), total_head) for tier in tier_list]
    return {"tiers": tier_list, "rows": table, "by_discipline": by_discipline, "totals": totals,
            "headcount": total_head, "cells": cells, "headcounts": heads}


def _cell(count, headcount):
    share = round(100 * count / headcount) if headcount else None
    return {"count": count, "share": share}


def expiring(area, today: date | None = None, days: int = EXPIRING_DAYS) -> list[tuple]:
    """Completions expiring within ``days`` (or already expired in the last year), soonest first:
    ``[(completion, person, course)]``; one query."""
    today = today or date.today()
    return list(db.session.execute(
        select(TrainingCompletion, TrainingPerson, TrainingCourse)
        .join(TrainingPerson, TrainingPerson.id == TrainingCompletion.person_id)
        .join(TrainingCourse, TrainingCourse.id == TrainingCompletion.course_id)
        .where(TrainingCompletion.area_id == area.id, TrainingCompletion.status == COMPLETED,
               TrainingCompletion.expires_on.is_not(None),
               TrainingCompletion.expires_on <= today + timedelta(days=days),
               TrainingCompletion.expires_on >= today - timedelta(days=365))
        .order_by(TrainingCompletion.expires_on, TrainingPerson.name)
    ).all())


def expiring_summary(area, today: date | None = None, days: int = EXPIRING_DAYS) -> dict:
    """Counts only (for users who may not see names): ``{"due": n, "expired": n, "by_course": [...]}``."""
    today = today or date.today()
    by_course = defaultdict(lambda: [0, 0])
    due = expired = 0
    for completion, _person, course in expiring(area, today, days):
        if completion.expires_on < today:
            expired += 1
            by_course[course.title][1] += 1
        else:
            due += 1
            by_course[course.title][0] += 1
    return {"due": due, "expired": expired,
            "by_course": [{"title": t, "due": d, "expired": e} for t, (d, e) in sorted(by_course.items())]}


def counts(area) -> dict:
    """Numbers for the home page: courses, people, sessions, completions (4 queries)."""
    def n(model):
        return db.session.scalar(select(func.count(model.id)).where(model.area_id == area.id))
    return {"courses": n(TrainingCourse), "people": n(TrainingPerson), "sessions": n(TrainingSession),
            "completions": n(TrainingCompletion)}


def quarter_ends(today: date, count: int = 8) -> list[date]:
    """The last ``count`` quarter ends up to today (today itself last)."""
    ends = []
    year, quarter = today.year, (today.month - 1) // 3  # the quarter before the current one
    for _i in range(count - 1):
        if quarter == 0:
            year, quarter = year - 1, 4
        month = quarter * 3
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        quarter -= 1
    return [*reversed(ends), today]


def trend(area, today: date | None = None, count: int = 8) -> dict:
    """People with current training per tier at each of the last quarter ends: one query, then Python."""
    today = today or date.today()
    points = quarter_ends(today, count)
    rows = db.session.execute(
        select(TrainingCompletion.person_id, TrainingCourse.tier, TrainingCompletion.completed_on,
               TrainingCompletion.expires_on)
        .join(TrainingCourse, TrainingCourse.id == TrainingCompletion.course_id)
        .where(TrainingCompletion.area_id == area.id, TrainingCompletion.status == COMPLETED,
               TrainingCompletion.completed_on <= today)).all()
    tier_list = tiers(area)
    table = []
    for point in points:
        current = defaultdict(set)
        for person_id, tier, completed_on, expires_on in rows:
            if completed_on <= point and (expires_on is None or expires_on >= point):
                current[tier].add(person_id)
        table.append({"date": point, "counts": [len(current[t["number"]]) for t in tier_list]})
    return {"tiers": tier_list, "points": table}


# -- the yearly report (hsbtrack_yearly_report_data) ------------------------------------------------------


def reach_in_period(area, start: date, end: date) -> list[dict]:
    """Training reach by tier over a period: ``[{tier, name, people, completions}]`` — the people who completed
    a course of the tier between ``start`` and ``end`` (each person once per tier) and how many completions
    that was. One query."""
    rows = db.session.execute(
        select(TrainingCourse.tier, func.count(func.distinct(TrainingCompletion.person_id)), func.count())
        .select_from(TrainingCompletion)
        .join(TrainingCourse, TrainingCourse.id == TrainingCompletion.course_id)
        .where(TrainingCompletion.area_id == area.id, TrainingCompletion.status == COMPLETED,
               TrainingCompletion.completed_on >= start, TrainingCompletion.completed_on <= end)
        .group_by(TrainingCourse.tier)).all()
    found = {tier: (people, completions) for tier, people, completions in rows}
    return [{"tier": t["number"], "name": t["name"], "people": found.get(t["number"], (0, 0))[0],
             "completions": found.get(t["number"], (0, 0))[1]} for t in tiers(area)]
