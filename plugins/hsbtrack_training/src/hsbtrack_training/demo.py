"""Demo data for the Riverside demo partnership: courses at four tiers, people across the agencies,
sessions over two years, headcounts, an evaluation instrument with answers, and supervision."""

import random
from datetime import date, timedelta

from sqlalchemy import insert

from hsbtrack.extensions import db
from hsbtrack.plugins.services import set_area_plugin

from . import impact, services, supervision
from .models import TrainingCompletion, TrainingSession

COURSES = [
    ("HSB awareness: healthy, problematic and harmful behaviour", 1, "Partnership training team", 3, 36),
    ("Understanding sexual development for foster carers and adopters", 1, "Fostering service", 6, 36),
    ("Responding to problematic sexual behaviour", 2, "Partnership training team", 6, 24),
    ("AIM3 assessment", 3, "AIM Project", 21, None),
    ("Specialist therapeutic work with children who display HSB", 4, "Specialist HSB service", 35, None),
]
# agency -> [(discipline, headcount, people recorded)]
STAFF = {
    "Police": [("police", 40, 14)],
    "Health": [("camhs", 18, 8), ("clinical", 12, 5)],
    "Children's social care": [("social_worker", 45, 16), ("residential_care", 20, 6), ("foster_carer", 30, 8),
                               ("adopter", 12, 3)],
    "Education": [("teacher", 120, 18), ("mentor", 10, 3)],
    "Youth justice": [("yot_worker", 14, 6), ("youth_worker", 9, 3)],
}
FIRST = ["Aled", "Bethan", "Carys", "Dafydd", "Elin", "Ffion", "Gareth", "Harriet", "Ifan", "Jasmine", "Kieran",
         "Lowri", "Mohammed", "Nia", "Owen", "Priya", "Rhys", "Sian", "Tariq", "Zara"]
LAST = ["Evans", "Hughes", "Khan", "Lloyd", "Morgan", "Patel", "Price", "Roberts", "Thomas", "Williams"]
ITEMS = [
    ("attitudes", "Children who display harmful sexual behaviour are children first"),
    ("attitudes", "Working with sexual behaviour in children is part of my role"),
    ("knowledge", "I can tell healthy, problematic and harmful sexual behaviour apart"),
    ("knowledge", "I know the local pathway for referring a concern about sexual behaviour"),
    ("self_efficacy", "I feel confident talking with a child about their sexual behaviour"),
    ("self_efficacy", "I feel confident talking with parents and carers about a child’s sexual behaviour"),
]


def load(area) -> None:
    rng = random.Random(2019)  # nosec B311  # made-up demo records, the same every time; nothing secret
    set_area_plugin(area, "training", True)
    agencies = {a.name: a for a in services.agencies(area)}
    courses = [services.create_course(area, title=t, tier=tier, provider=p, length_hours=h, refresher_months=r)
               for t, tier, p, h, r in COURSES]
    people = []
    used = set()
    for agency_name, rows in STAFF.items():
        agency = agencies.get(agency_name)
        if agency is None:
            continue
        for discipline, _head, n in rows:
            for _i in range(n):
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                while name in used:
                    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}-{rng.choice(LAST)}"
                used.add(name)
                email = f"{name.lower().replace(' ', '.')}@example.org"
                people.append(services.create_person(area, name=name, email=email, agency_id=agency.id,
                                                     discipline=discipline))
    services.set_headcounts(area, {(agencies[a].id, d): head for a, rows in STAFF.items() if a in agencies
                                   for d, head, _n in rows})
    today = date.today()
    completions = []
    by_tier = {}
    for course in courses:
        by_tier.setdefault(course.tier, []).append(course)
    family = {"foster_carer", "adopter"}
    for index, person in enumerate(people):
        # everyone gets awareness (the Norfolk model); deeper tiers for some in every agency
        first = courses[1] if person.discipline in family else courses[0]
        wanted = [first]
        if person.discipline not in family and index % 3 == 0:
            wanted.append(courses[2])
        if person.discipline in {"social_worker", "camhs", "clinical", "yot_worker"} and index % 4 == 0:
            wanted.append(courses[3])
        if person.discipline in {"camhs", "clinical"} and index % 5 == 0:
            wanted.append(courses[4])
        for course in wanted:
            if rng.random() < 0.12:
                continue  # not trained yet
            held = today - timedelta(days=rng.randint(20, 1000))
            status = "completed" if rng.random() < 0.9 else rng.choice(["attended", "did_not_attend"])
            completions.append({"area_id": area.id, "person_id": person.id, "course_id": course.id, "status": status,
                                "completed_on": held, "session_id": None,
                                "expires_on": services.expiry_for(held, course.refresher_months, status)})
    db.session.execute(insert(TrainingCompletion), completions)
    for course in courses[:2]:
        db.session.add(TrainingSession(area_id=area.id, course_id=course.id, held_on=today - timedelta(days=30)))
    db.session.commit()
    items = [impact.add_item(area, subscale=s, text=t) for s, t in ITEMS]
    for course, gain in ((courses[0], 0.9), (courses[1], 1.2), (courses[2], 0.7)):
        sample = [p for p in people if p.discipline not in family][:12] if course is not courses[1] else \
            [p for p in people if p.discipline in family][:8]
        for person in sample:
            base = {i.id: rng.randint(1, 3) for i in items}
            when = today - timedelta(days=rng.randint(40, 300))
            impact.record_responses(area, course_id=course.id, person_id=person.id, phase="pre", answered_on=when,
                                    scores=base)
            after = {k: max(1, min(5, v + round(gain + rng.uniform(-0.6, 0.8)))) for k, v in base.items()}
            impact.record_responses(area, course_id=course.id, person_id=person.id, phase="post",
                                    answered_on=when + timedelta(days=1), scores=after)
    for person in people:
        if person.discipline in {"social_worker", "camhs", "clinical", "yot_worker", "residential_care"} \
                or rng.random() < 0.15:
            for _n in range(rng.randint(1, 6)):
                supervision.log(area, person_id=person.id, held_on=today - timedelta(days=rng.randint(1, 330)),
                                kind=rng.choice(["individual", "group"]))
