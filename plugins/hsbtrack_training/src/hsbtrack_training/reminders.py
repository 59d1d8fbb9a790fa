"""Scheduler job: refresher training due soon or expired, to the area's training leads.

One message per training lead, area and ISO week (the idempotency key), listing how many people's
training expires in the next 30 days and how many expired in the last 30 days without being
renewed. Names stay in the app: the message links to the coverage page.
"""

from collections import defaultdict
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from hsbtrack.areas.models import Area, Membership
from hsbtrack.audits.exports import long_date
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.mail import send_email
from hsbtrack.notifications.services import existing_keys, in_language_of, notify
from hsbtrack.plugins.services import is_enabled, plugin_settings
from hsbtrack.scheduler.jobs import local_day

from .models import COMPLETED, TrainingCompletion, TrainingCourse, TrainingPerson, TrainingReminder

WINDOW_DAYS = 30


def refresher_counts(day) -> dict[int, tuple[int, int]]:
    """``{area_id: (due, expired)}`` over every area, two queries whatever the data."""
    low, high = day - timedelta(days=WINDOW_DAYS), day + timedelta(days=WINDOW_DAYS)
    rows = db.session.execute(
        select(TrainingCompletion.area_id, TrainingCompletion.person_id, TrainingCompletion.course_id,
               TrainingCompletion.completed_on, TrainingCompletion.expires_on)
        .where(TrainingCompletion.status == COMPLETED, TrainingCompletion.expires_on >= low,
               TrainingCompletion.expires_on <= high)).all()
    if not rows:
        return {}
    people = {r.person_id for r in rows}
    latest = dict(((p, c), on) for p, c, on in db.session.execute(
        select(TrainingCompletion.person_id, TrainingCompletion.course_id, func.max(TrainingCompletion.completed_on))
        .where(TrainingCompletion.status == COMPLETED, TrainingCompletion.person_id.in_(people))
        .group_by(TrainingCompletion.person_id, TrainingCompletion.course_id)).all())
    counts = defaultdict(lambda: [0, 0])
    for area_id, person_id, course_id, completed_on, expires_on in rows:
        if latest.get((person_id, course_id)) != completed_on:
            continue  # renewed since
        counts[area_id][0 if expires_on >= day else 1] += 1
    return {a: tuple(v) for a, v in counts.items()}


def people_due(day, area_ids) -> list[tuple]:
    """``[(completion id, area id, expires_on, person name, email, course title)]`` expiring in the next
    30 days or expired in the last 30, not renewed, for people with an email (one query + one)."""

    low, high = day - timedelta(days=WINDOW_DAYS), day + timedelta(days=WINDOW_DAYS)
    rows = db.session.execute(
        select(TrainingCompletion.id, TrainingCompletion.area_id, TrainingCompletion.expires_on,
               TrainingCompletion.person_id, TrainingCompletion.course_id, TrainingCompletion.completed_on,
               TrainingPerson.name, TrainingPerson.email, TrainingCourse.title)
        .join(TrainingPerson, TrainingPerson.id == TrainingCompletion.person_id)
        .join(TrainingCourse, TrainingCourse.id == TrainingCompletion.course_id)
        .where(TrainingCompletion.status == COMPLETED, TrainingCompletion.expires_on >= low,
               TrainingCompletion.expires_on <= high, TrainingCompletion.area_id.in_(area_ids),
               TrainingPerson.email.is_not(None))).all()
    if not rows:
        return []
    latest = dict(((p, c), on) for p, c, on in db.session.execute(
        select(TrainingCompletion.person_id, TrainingCompletion.course_id, func.max(TrainingCompletion.completed_on))
        .where(TrainingCompletion.status == COMPLETED, TrainingCompletion.person_id.in_({r.person_id for r in rows}))
        .group_by(TrainingCompletion.person_id, TrainingCompletion.course_id)).all())
    return [(r.id, r.area_id, r.expires_on, r.name, r.email, r.title) for r in rows
            if latest.get((r.person_id, r.course_id)) == r.completed_on]


def send_people_reminders(areas, day) -> int:
    """Email people (not users) whose area chose ``remind_people``; once per completion and stage."""
    from flask import current_app
    from sqlalchemy.exc import IntegrityError



    chosen = [a for a in areas.values() if plugin_settings(a, "training").get("remind_people")]
    if not chosen:
        return 0
    sent = 0
    for completion_id, area_id, expires_on, name, email, title in people_due(day, [a.id for a in chosen]):
        stage = "due" if expires_on >= day else "expired"
        key = f"training-person:{completion_id}:{stage}"
        db.session.add(TrainingReminder(area_id=area_id, key=key))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        area = areas[area_id]
        if stage == "due":
            subject = _("Your %(course)s training is due for a refresher", course=title)
        else:
            subject = _("Your %(course)s training has expired", course=title)
        body = _("Dear %(name)s,\n\nyour %(course)s training recorded by %(area)s expires on %(date)s. Please book "
                 "a refresher with your training lead.", name=name, course=title, area=area.display_name,
                 date=long_date(expires_on))
        try:
            send_email(email, subject, body)
        except Exception:  # an unreachable mail server must not stop the scan
            current_app.logger.exception("could not email training reminder %s", key)
            continue
        sent += 1
    return sent


def send_refresher_reminders(app, now) -> int:
    day = local_day(app, now)
    counts = refresher_counts(day)
    if not counts:
        return 0
    areas = {a.id: a for a in db.session.scalars(select(Area).where(Area.id.in_(counts)))}
    areas = {i: a for i, a in areas.items() if is_enabled(a, "training")}
    leads = defaultdict(list)
    for area_id, user in db.session.execute(
            select(Membership.area_id, User).join(User, User.id == Membership.user_id)
            .where(Membership.role == "training_lead", Membership.area_id.in_(areas))).all():
        leads[area_id].append(user)
    year, week, _weekday = day.isocalendar()
    planned = [(f"training-refresher:{area_id}:{year}-W{week:02d}:{user.id}", area_id, user)
               for area_id in sorted(areas) for user in leads.get(area_id, [])]
    done = existing_keys(k for k, *_rest in planned)
    sent = 0
    for key, area_id, user in planned:
        if key in done:
            continue
        area = areas[area_id]
        due, expired = counts[area_id]
        with in_language_of(user):
            subject = _("Refresher training in %(area)s: %(due)d due soon, %(expired)d expired",
                        area=area.display_name, due=due, expired=expired)
            body = _("In the next 30 days, %(due)d people’s training at %(area)s reaches the end of its refresher "
                     "period; in the last 30 days, %(expired)d people’s training expired without being renewed. "
                     "The coverage page lists them.", area=area.display_name, due=due, expired=expired)
            link = url_for("training.coverage", area_id=area.id) + "#expiring"
        if notify(user, key=key, kind="training_refresher", subject=subject, body=body, link=link, area_id=area.id):
            sent += 1
    return sent + send_people_reminders(areas, day)
