"""Reflective supervision log (statement 5.8): who receives it and how often, by agency."""

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.services import record
from hsbtrack.timeutil import local_today

from . import services
from .models import TrainingPerson, TrainingSupervision

KINDS = {"individual": _l("Individual"), "group": _l("Group")}
WINDOW_DAYS = 365


def log(area, *, person_id, held_on, kind, user=None) -> TrainingSupervision:
    errors = {}
    person = db.session.get(TrainingPerson, person_id) if person_id else None
    if person is None or person.area_id != area.id:
        errors["person_id"] = _l("Choose a person")
    if held_on is None:
        errors["held_on"] = _l("Enter the date of the supervision")
    elif held_on > local_today():
        errors["held_on"] = _l("The date must be today or in the past")
    if kind not in KINDS:
        errors["kind"] = _l("Choose individual or group supervision")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    entry = TrainingSupervision(area_id=area.id, person_id=person.id, held_on=held_on, kind=kind)
    db.session.add(entry)
    db.session.flush()
    record(area_id=area.id, entity="training_supervision", entity_id=entry.id, user=user,
           changes={"person_id": (None, person.id), "held_on": (None, held_on), "kind": (None, kind)})
    db.session.commit()
    return entry


def recent(area, limit=50) -> list[tuple]:
    return list(db.session.execute(
        select(TrainingSupervision, TrainingPerson)
        .join(TrainingPerson, TrainingPerson.id == TrainingSupervision.person_id)
        .where(TrainingSupervision.area_id == area.id)
        .order_by(TrainingSupervision.held_on.desc(), TrainingSupervision.id.desc()).limit(limit)).all())


def by_agency(area, today: date | None = None) -> dict:
    """Per agency, over the last 12 months: people recorded, people supervised, sessions, and the
    mean number of sessions per supervised person. Three queries whatever the data."""
    today = today or date.today()
    since = today - timedelta(days=WINDOW_DAYS)
    people = dict(db.session.execute(
        select(TrainingPerson.agency_id, func.count(TrainingPerson.id)).where(TrainingPerson.area_id == area.id)
        .group_by(TrainingPerson.agency_id)).all())
    rows = db.session.execute(
        select(TrainingPerson.agency_id, func.count(func.distinct(TrainingSupervision.person_id)),
               func.count(TrainingSupervision.id))
        .join(TrainingPerson, TrainingPerson.id == TrainingSupervision.person_id)
        .where(TrainingSupervision.area_id == area.id, TrainingSupervision.held_on > since)
        .group_by(TrainingPerson.agency_id)).all()
    supervised = {a: (p, s) for a, p, s in rows}
    out = []
    totals = defaultdict(int)
    for agency in services.agencies(area):
        n_people = people.get(agency.id, 0)
        n_supervised, n_sessions = supervised.get(agency.id, (0, 0))
        if not n_people:
            continue
        out.append({"agency": agency, "people": n_people, "supervised": n_supervised, "sessions": n_sessions,
                    "share": round(100 * n_supervised / n_people) if n_people else None,
                    "per_person": (n_sessions / n_supervised) if n_supervised else None})
        totals["people"] += n_people
        totals["supervised"] += n_supervised
        totals["sessions"] += n_sessions
    total = dict(totals)
    total["share"] = round(100 * total["supervised"] / total["people"]) if total.get("people") else None
    total["per_person"] = total["sessions"] / total["supervised"] if total.get("supervised") else None
    return {"agencies": out, "total": total}
