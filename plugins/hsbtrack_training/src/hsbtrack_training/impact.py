"""The evaluation instrument (items in three subscales, answered 1–5 before and after a course)
and the paired pre/post change per course and per tier."""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hsbtrack.audits.charts import COLOURS, _style, make_accessible
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.services import record
from hsbtrack.timeutil import local_today

from . import services
from .models import (
    POST,
    PRE,
    SUBSCALES,
    TrainingCourse,
    TrainingImpactItem,
    TrainingImpactResponse,
    TrainingPerson,
)

SCALE = (1, 2, 3, 4, 5)
SUBSCALE_LABELS = {
    "attitudes": _l("Professional attitudes"),
    "knowledge": _l("Knowledge and awareness"),
    "self_efficacy": _l("Self-efficacy"),
}
PHASE_LABELS = {PRE: _l("Before the course"), POST: _l("After the course")}


def items(area) -> list[TrainingImpactItem]:
    order = {s: i for i, s in enumerate(SUBSCALES)}
    found = db.session.scalars(select(TrainingImpactItem).where(TrainingImpactItem.area_id == area.id)
                               .order_by(TrainingImpactItem.position, TrainingImpactItem.id)).all()
    return sorted(found, key=lambda i: (order.get(i.subscale, 9), i.position, i.id))


def add_item(area, *, subscale, text, user=None) -> TrainingImpactItem:
    text = (text or "").strip()
    errors = {}
    if subscale not in SUBSCALES:
        errors["subscale"] = _l("Choose attitudes, knowledge or self-efficacy")
    if not text:
        errors["text"] = _l("Enter the statement people rate")
    elif len(text) > 300:
        errors["text"] = _l("The statement must be 300 characters or fewer")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    position = (db.session.scalar(select(func.max(TrainingImpactItem.position))
                                  .where(TrainingImpactItem.area_id == area.id)) or 0) + 1
    item = TrainingImpactItem(area_id=area.id, subscale=subscale, text=text, position=position)
    db.session.add(item)
    db.session.flush()
    record(area_id=area.id, entity="training_impact_item", entity_id=item.id, user=user,
           changes={"subscale": (None, subscale), "text": (None, text)})
    db.session.commit()
    return item


def record_responses(area, *, course_id, person_id, phase, answered_on, scores: dict, user=None) -> int:
    """One person's answers (``{item_id: 1..5}``) before or after a course. Every item needs an answer."""
    errors = {}
    course = services.get_course(area, course_id)
    if course is None:
        errors["course_id"] = _l("Choose a course")
    person = db.session.get(TrainingPerson, person_id) if person_id else None
    if person is None or person.area_id != area.id:
        errors["person_id"] = _l("Choose a person")
    if phase not in (PRE, POST):
        errors["phase"] = _l("Choose before or after the course")
    if answered_on is None:
        errors["answered_on"] = _l("Enter the date of the answers")
    elif answered_on > local_today():
        errors["answered_on"] = _l("The date must be today or in the past")
    all_items = items(area)
    if not all_items:
        errors["scores"] = _l("Add the instrument’s items first")
    for item in all_items:
        if scores.get(item.id) not in SCALE:
            errors[f"item-{item.id}"] = _l("Choose a rating from 1 to 5")
    if errors:
        raise ServiceError(next(iter(errors.values())), errors)
    existing = db.session.scalar(select(func.count(TrainingImpactResponse.id)).where(
        TrainingImpactResponse.person_id == person.id, TrainingImpactResponse.course_id == course.id,
        TrainingImpactResponse.phase == phase))
    if existing:
        raise ServiceError.field("phase", _l("This person’s answers for this course and phase are already recorded"))
    db.session.add_all([
        TrainingImpactResponse(area_id=area.id, person_id=person.id, course_id=course.id, item_id=item.id,
                               phase=phase, score=scores[item.id], answered_on=answered_on)
        for item in all_items])
    record(area_id=area.id, entity="training_impact", entity_id=person.id, user=user, changes={
        f"{phase}:{course.id}": (None, {str(k): v for k, v in sorted(scores.items())})})
    db.session.commit()
    return len(all_items)


def paired_change(area) -> dict:
    """Mean score per subscale before and after, for people who answered both, per course and per tier.

    ``{"courses": [{course, n, subscales: {s: {pre, post, change}}}], "tiers": [{tier, name, n, subscales}]}``;
    two queries whatever the data.
    """
    rows = db.session.execute(
        select(TrainingImpactResponse.course_id, TrainingImpactResponse.person_id, TrainingImpactResponse.phase,
               TrainingImpactItem.subscale, func.avg(TrainingImpactResponse.score))
        .join(TrainingImpactItem, TrainingImpactItem.id == TrainingImpactResponse.item_id)
        .where(TrainingImpactResponse.area_id == area.id)
        .group_by(TrainingImpactResponse.course_id, TrainingImpactResponse.person_id, TrainingImpactResponse.phase,
                  TrainingImpactItem.subscale)
    ).all()
    per = defaultdict(dict)  # (course, person) -> {(phase, subscale): mean}
    for course_id, person_id, phase, subscale, mean in rows:
        per[course_id, person_id][phase, subscale] = float(mean)
    course_list = db.session.scalars(select(TrainingCourse).where(TrainingCourse.area_id == area.id)
                                     .order_by(TrainingCourse.tier, TrainingCourse.title)).all()

    def summarise(pairs):
        result, n = {}, 0
        for subscale in SUBSCALES:
            pre = [p[PRE, subscale] for p in pairs if (PRE, subscale) in p and (POST, subscale) in p]
            post = [p[POST, subscale] for p in pairs if (PRE, subscale) in p and (POST, subscale) in p]
            if pre:
                result[subscale] = {"pre": sum(pre) / len(pre), "post": sum(post) / len(post),
                                    "change": (sum(post) - sum(pre)) / len(pre), "n": len(pre)}
                n = max(n, len(pre))
        return result, n

    courses_out, tiers_pairs = [], defaultdict(list)
    for course in course_list:
        pairs = [answers for (cid, _pid), answers in per.items() if cid == course.id]
        tiers_pairs[course.tier].extend(pairs)
        subscales, n = summarise(pairs)
        if n:
            courses_out.append({"course": course, "n": n, "subscales": subscales})
    names = services.tier_names(area)
    tiers_out = []
    for tier in sorted(tiers_pairs):
        subscales, n = summarise(tiers_pairs[tier])
        if n:
            tiers_out.append({"tier": tier, "name": names.get(tier, ""), "n": n, "subscales": subscales})
    return {"courses": courses_out, "tiers": tiers_out}


def data_version(area) -> str:
    """Changes whenever responses change (for the chart's cache key and ETag)."""
    count, last = db.session.execute(select(func.count(TrainingImpactResponse.id), func.max(TrainingImpactResponse.id))
                                     .where(TrainingImpactResponse.area_id == area.id)).one()
    return f"{count}-{last}"


def chart_svg(area, lang=None) -> bytes:
    """Grouped bars: mean before and after per subscale, all courses pooled by tier (pygal)."""
    import pygal


    change = paired_change(area)
    title = str(_l("Ratings before and after training, by tier"))
    labels, pre, post, desc = [], [], [], []
    for tier in change["tiers"]:
        for subscale in SUBSCALES:
            values = tier["subscales"].get(subscale)
            if values is None:
                continue
            label = str(_l("Tier %(n)d %(subscale)s (n=%(count)d)", n=tier["tier"],
                           subscale=SUBSCALE_LABELS[subscale], count=values["n"]))
            labels.append(label)
            pre.append(round(values["pre"], 2))
            post.append(round(values["post"], 2))
            desc.append(str(_l("%(label)s: %(pre).1f before, %(post).1f after", label=label, pre=values["pre"],
                               post=values["post"])))
    chart = pygal.HorizontalBar(style=_style(COLOURS[:2]), width=760, height=max(260, 90 + 52 * len(labels)),
                                range=(0, 5), include_x_axis=True, legend_at_bottom=True, show_legend=True,
                                print_values=True, value_formatter=lambda v: f"{v:.1f}", truncate_label=-1, truncate_legend=-1,
                                js=[], disable_xml_declaration=True, title=title,
                                no_data_text=str(_l("No paired answers yet")))
    # pygal draws horizontal bars from the bottom up: reverse so that the first tier is on top
    chart.x_labels = labels[::-1]
    chart.add(str(PHASE_LABELS[PRE]), pre[::-1])
    chart.add(str(PHASE_LABELS[POST]), post[::-1])
    description = " ".join(desc) or str(_l("No paired answers yet"))
    chart.add_xml_filter(lambda root: make_accessible(root, "impact-chart", title, description))
    return chart.render()

