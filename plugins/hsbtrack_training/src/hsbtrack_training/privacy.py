"""UK GDPR for training records (the core's ``hsbtrack/privacy``, docs/privacy.md).

Training records are about people who are mostly not users: they are matched to a user by their work
email address only — never by name (two people share a name; a record of someone else must never reach a
subject access export, nor be erased).

- **Subject access**: the person records with their address, their completions, supervision and answers to
  the impact questions (their own scores).
- **Erasure**: the records stay, for the partnership's figures, without their name and address ("former
  member").
- **Retention** (``training.people_left``): the records of someone who left (the day a training lead
  recorded) are due for review a number of years after it (default 3 years, for the data protection officer
  to confirm); deleting them deletes the person, their completions, supervision and answers, and their
  history entries.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.plugins.types import PersonalData, RetentionItem, RetentionRule

from .models import (
    TrainingCompletion,
    TrainingCourse,
    TrainingImpactItem,
    TrainingImpactResponse,
    TrainingPerson,
    TrainingSupervision,
)

RULE = "training.people_left"


def _people_ids(user) -> list[int]:
    address = (user.email or "").strip().lower()
    if not address:
        return []
    return list(db.session.scalars(select(TrainingPerson.id).where(func.lower(TrainingPerson.email) == address)))


def personal_data(user) -> list[PersonalData]:
    ids = _people_ids(user)
    if not ids:
        return []
    people = db.session.execute(select(TrainingPerson.name, TrainingPerson.email, TrainingPerson.discipline,
                                       TrainingPerson.created_at, TrainingPerson.left_on)
                                .where(TrainingPerson.id.in_(ids)).order_by(TrainingPerson.id)).all()
    completions = db.session.execute(
        select(TrainingCourse.title, TrainingCourse.tier, TrainingCompletion.status, TrainingCompletion.completed_on,
               TrainingCompletion.expires_on)
        .join(TrainingCourse, TrainingCourse.id == TrainingCompletion.course_id)
        .where(TrainingCompletion.person_id.in_(ids))
        .order_by(TrainingCompletion.completed_on, TrainingCompletion.id)).all()
    supervision = db.session.execute(select(TrainingSupervision.held_on, TrainingSupervision.kind)
                                     .where(TrainingSupervision.person_id.in_(ids))
                                     .order_by(TrainingSupervision.held_on, TrainingSupervision.id)).all()
    answers = db.session.execute(
        select(TrainingCourse.title, TrainingImpactResponse.phase, TrainingImpactItem.text,
               TrainingImpactResponse.score, TrainingImpactResponse.answered_on)
        .join(TrainingCourse, TrainingCourse.id == TrainingImpactResponse.course_id)
        .join(TrainingImpactItem, TrainingImpactItem.id == TrainingImpactResponse.item_id)
        .where(TrainingImpactResponse.person_id.in_(ids))
        .order_by(TrainingImpactResponse.answered_on, TrainingImpactResponse.id)).all()
    return [
        PersonalData("training.people", _l("Training records about you"), (
            ("name", _l("Name")), ("email", _l("Work email")), ("discipline", _l("Discipline")),
            ("recorded_at", _l("Recorded")), ("left_on", _l("Left on"))), tuple(tuple(r) for r in people),
            note=_l("Matched by your work email address."), order=80),
        PersonalData("training.completions", _l("Your training"), (
            ("course", _l("Course")), ("tier", _l("Tier")), ("status", _l("Outcome")),
            ("completed_on", _l("Date")), ("expires_on", _l("Expires"))), tuple(tuple(r) for r in completions),
            order=81),
        PersonalData("training.supervision", _l("Your reflective supervision"), (
            ("held_on", _l("Date")), ("kind", _l("Kind"))), tuple(tuple(r) for r in supervision), order=82),
        PersonalData("training.impact", _l("Your answers to the training evaluation"), (
            ("course", _l("Course")), ("phase", _l("Before or after")), ("item", _l("Statement")),
            ("score", _l("Score")), ("answered_on", _l("Date"))), tuple(tuple(r) for r in answers), order=83),
    ]


def erase_person(user, replacement) -> list[tuple]:
    people = db.session.scalars(select(TrainingPerson).where(TrainingPerson.id.in_(_people_ids(user)))).all()
    for person in people:
        person.name, person.email = replacement, None
    db.session.flush()
    return [("training people", len(people))]


# -- retention ------------------------------------------------------------------------------------


def left_before(cutoff) -> list[RetentionItem]:
    rows = db.session.execute(select(TrainingPerson.id, TrainingPerson.area_id, TrainingPerson.left_on)
                              .where(TrainingPerson.left_on.is_not(None), TrainingPerson.left_on < cutoff.date())
                              .order_by(TrainingPerson.left_on, TrainingPerson.id)).all()
    return [RetentionItem(str(person_id), area_id, _("Training records of person %(id)s", id=person_id),
                          since=left_on) for person_id, area_id, left_on in rows]


def delete_people(keys) -> list[str]:
    ids = [int(key) for key in keys]
    history.forget("training_person", ids)
    history.forget("training_impact", ids)
    for model in (TrainingCompletion, TrainingImpactResponse, TrainingSupervision):
        db.session.execute(delete(model).where(model.person_id.in_(ids)))
    db.session.execute(delete(TrainingPerson).where(TrainingPerson.id.in_(ids)))
    db.session.flush()
    return []


def retention_rules() -> list[RetentionRule]:
    return [RetentionRule(RULE, _l("Training records of people who left"), "3y",
                          _l("A person's training records (courses, supervision, evaluation answers), counted from "
                             "the day a training lead recorded that they left"), left_before, delete_people, order=50)]
