"""Demo audits: a closed baseline (T1) and a re-audit (T2) under way, with believable scores.

It should read like a real partnership: every date in order and in the past (T1 opened, scored domain by
domain, submitted, moderated, completed; T2 opened after that), answers written by several people of
each agency, and evidence that sounds like evidence ("Multi-agency HSB protocol agreed March 2026; 14 of
16 social workers attended AIM3 training"), made from small lists, the same on every run. The services
stamp records with the present time, so the demo moves each phase's timestamps back to when it
happened (:func:`backdate`), history included.
"""

import hashlib
import random
from contextlib import contextmanager
from datetime import datetime, time, timedelta

from sqlalchemy import bindparam, func, select, update

from hsbtrack.areas import services as areas
from hsbtrack.audits import services
from hsbtrack.audits.models import AgreedScore, AuditAgency, DomainResponse, Response
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.timeutil import today

# -- people ---------------------------------------------------------------------------------------

# A second person in each agency who scores and updates alongside its lead (no password: they never sign
# in, and `make run` prints only the demo logins).
COLLEAGUES = {
    "Police": ("Dylan Hughes", "dylan.hughes@police.riverside.example"),
    "Health": ("Nia Roberts", "nia.roberts@health.riverside.example"),
    "Children's social care": ("Gareth Price", "gareth.price@csc.riverside.example"),
    "Education": ("Lowri Evans", "lowri.evans@education.riverside.example"),
    "Youth justice": ("Owen Jones", "owen.jones@yjs.riverside.example"),
}
LEADS = {
    "Police": "police@example.org", "Health": "health@example.org",
    "Children's social care": "social@example.org", "Education": "education@example.org",
}


def demo_people(area) -> dict:
    """``{agency name: [users who score for it]}``: its demo login first (where there is one), then a
    colleague, created here."""
    users = {u.email: u for u in db.session.scalars(select(User).where(
        User.email.in_([*LEADS.values(), *(email for _name, email in COLLEAGUES.values())])))}
    people = {}
    for agency in area.agencies:
        team = [users[LEADS[agency.name]]] if LEADS.get(agency.name) in users else []
        if agency.name in COLLEAGUES:
            name, email = COLLEAGUES[agency.name]
            user = users.get(email)
            if user is None:
                _m, user, _created = areas.add_area_member(area, email, "agency_lead", agency.id, name)
            team.append(user)
        people[agency.name] = team
    db.session.commit()
    return people


# -- evidence -------------------------------------------------------------------------------------

STAFF = {  # who the agency trains and supervises, and what its guidance is called
    "Police": ("officers", "Public Protection Unit", "force HSB guidance"),
    "Health": ("school nurses and health visitors", "safeguarding children team", "trust safeguarding policy"),
    "Children's social care": ("social workers", "front door (MASH) team", "HSB practice guidance"),
    "Education": ("designated safeguarding leads", "inclusion service", "schools' HSB toolkit"),
    "Youth justice": ("case managers", "youth justice service", "AssetPlus procedure"),
}
EVIDENCE = {  # per domain; {staff}, {team}, {doc}, {when}, {n} of {m}
    1: ("Multi-agency HSB protocol agreed {when}; {n} of {m} {staff} attended AIM3 training.",
        "The {doc}, revised {when}, follows Hackett's continuum; {n} of {m} {staff} trained to use it.",
        "Case sample of {m} HSB cases in {when}: {n} had a response matched to the behaviour."),
    2: ("Brook Traffic Light Tool in use across the {team}; {n} of {m} {staff} trained by {when}.",
        "Early help screening audit, {when}: HSB identified at first contact in {n} of {m} referrals.",
        "Healthy relationships sessions in {m} schools; {n} reviewed with the school by {when}."),
    3: ("Referral pathway to the specialist HSB service agreed {when}; {n} of {m} referrals within 10 days.",
        "AIM3 assessments: {n} of {m} completed within timescale in the quarter to {when}.",
        "Joint strategy discussion held in {n} of {m} HSB cases audited in {when}."),
    4: ("Intervention plans reviewed in supervision ({when}): {n} of {m} included work with parents or carers.",
        "Therapeutic service commissioned {when}; {n} of {m} children completed the programme.",
        "Safety plans in place for {n} of {m} children on the HSB caseload at the {when} review."),
    5: ("{n} of {m} {staff} completed HSB awareness training by {when}; training needs analysis updated.",
        "Reflective supervision on HSB cases: {n} of {m} {staff} had monthly sessions ({when} audit).",
        "Practice development day held {when}; {n} of {m} {staff} attended."),
}
ASSURANCE = ("Quarterly audit of case files", "Multi-agency case audit", "Supervision records sampled",
             "Training register checked by the partnership", "Performance report to the partnership board",
             "Peer review by a neighbouring partnership")


def _pick(*key) -> int:
    """A number from ``key``, the same on every run (not Python's salted ``hash``)."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, key)).encode()).digest()[:4], "big")


def evidence_for(agency_name: str, statement, cycle: int, on) -> tuple[str, str]:
    """(evidence, assurance) an agency might write for ``statement`` on the day ``on``: varied by agency,
    domain and statement, a little better at each re-audit, and about something before ``on``."""
    staff, team, doc = STAFF.get(agency_name, ("staff", "service", "HSB guidance"))
    key = _pick(agency_name, statement.code, cycle)
    templates = EVIDENCE[statement.domain_number]
    m = 8 + key % 17
    share = min(0.95, 0.5 + 0.15 * (cycle - 1) + (key >> 8) % 30 / 100)
    when = (on - timedelta(days=30 * (1 + (key >> 16) % 6))).strftime("%B %Y")
    text = templates[(key >> 4) % len(templates)].format(staff=staff, team=team, doc=doc, when=when,
                                                        n=max(1, round(m * share)), m=m)
    return text[0].upper() + text[1:], ASSURANCE[(key >> 12) % len(ASSURANCE)]


# -- dates ----------------------------------------------------------------------------------------


def at(day, hour=10, minute=0) -> datetime:
    """A stored (naive UTC) time on ``day``."""
    return datetime.combine(day, time(hour, minute))


class Timeline:
    """Puts the demo's writes back in the past. The services stamp records and their history with the
    present time; the demo says when each write happened (:meth:`during`, :meth:`stamp`) and
    :meth:`apply` moves the timestamps there, in a few statements. Demo data only: real records and
    their history are never moved."""

    def __init__(self):
        self.ranges = []  # history entries written during a step: {"lo", "hi", "stamp"}
        self.rows = {}  # (model, column) -> {row id: time}

    @staticmethod
    def _last_history_id() -> int:
        return db.session.scalar(select(func.max(HistoryEntry.id))) or 0

    @contextmanager
    def during(self, when):
        """The history written inside the block happened at ``when``."""
        first = self._last_history_id()
        yield
        self.ranges.append({"lo": first, "hi": self._last_history_id(), "stamp": when})

    def stamp(self, model, column: str, row_id: int, when) -> None:
        self.rows.setdefault((model, column), {})[row_id] = when

    def apply(self) -> None:
        for (model, column), stamps in self.rows.items():
            table = model.__table__
            db.session.execute(update(table).where(table.c.id == bindparam("row_id"))
                               .values({column: bindparam("stamp")}),
                               [{"row_id": i, "stamp": s} for i, s in stamps.items()])
        if self.ranges:
            history = HistoryEntry.__table__
            db.session.execute(update(history).where(history.c.id > bindparam("lo"), history.c.id <= bindparam("hi"))
                               .values(at=bindparam("stamp")), self.ranges)
        db.session.commit()
        self.ranges, self.rows = [], {}


def _scores_for(rng, framework, base_by_domain, spread=1):
    scores = {}
    for statement in framework.scored_statements:
        base = base_by_domain[statement.domain_number]
        scores[statement.code] = max(0, min(4, base + rng.randint(-spread, spread)))
    return scores


def _score_cycle(timeline, audit, agencies, people, levels, rng, start, days_per_domain):
    """Every listed agency scores every statement, domain by domain from ``start``; its people take turns
    by domain. Returns ``{agency id: last day scored}``."""
    framework = services.framework_of(audit)
    scores_by_agency = {a.id: _scores_for(rng, framework, levels) for a in agencies}
    last = {}
    for index, agency in enumerate(agencies):
        team = people[agency.name]
        for domain in framework.domains:
            day = start + timedelta(days=days_per_domain * (domain.number - 1) + index)
            author = team[(domain.number - 1) % len(team)]
            for position, statement in enumerate(domain.scored_statements):
                when = at(day, 9 + position % 7, (7 * position) % 60)
                evidence, assurance = evidence_for(agency.name, statement, audit.cycle, day)
                with timeline.during(when):
                    row = services.save_response(audit, agency.id, statement.code,
                                                 score=scores_by_agency[agency.id][statement.code],
                                                 evidence=evidence, assurance=assurance, user=author)
                timeline.stamp(Response, "updated_at", row.id, when)
            when = at(day, 16, 30)
            with timeline.during(when):
                row = services.save_domain_response(
                    audit, agency.id, domain.number, date_completed=day, user=author,
                    comments=f"Scored by {author.display_name} with the {STAFF[agency.name][1]}.")
            timeline.stamp(DomainResponse, "updated_at", row.id, when)
            last[agency.id] = day
    return last


def load_demo_audits(area) -> None:
    rng = random.Random(2019)  # nosec B311  # made-up demo scores, the same every time; nothing secret
    board = db.session.scalar(db.select(User).where(User.email == "board@example.org"))
    people = demo_people(area)
    agencies = list(area.agencies)[:4]
    on = today()
    timeline = Timeline()
    # The baseline opened about eight months ago: scored over seven weeks, submitted, moderated and
    # completed six months ago. T2 opened three weeks ago and three agencies have scored it.
    t1_opened = at(on - timedelta(days=250), 9)
    with timeline.during(t1_opened):
        t1 = services.open_audit(area, title="Baseline audit (T1)", agency_ids=[a.id for a in agencies],
                                 user=board, opened_at=t1_opened)
    t1_levels = {1: 2, 2: 2, 3: 2, 4: 1, 5: 2}
    last = _score_cycle(timeline, t1, agencies, people, t1_levels, rng, t1_opened.date() + timedelta(days=6), 9)
    for agency in agencies:
        when = at(last[agency.id] + timedelta(days=2), 15)
        with timeline.during(when):
            link = services.submit_agency(t1, agency.id, user=people[agency.name][0])
        timeline.stamp(AuditAgency, "submitted_at", link.id, when)
    moderated = at(max(last.values()) + timedelta(days=6), 11)
    with timeline.during(moderated):
        agreed = services.set_agreed_score(t1, "3.1", 2, "Police and health agreed at the moderation meeting that "
                                           "the lower score reflected an old pathway, replaced in March.", user=board)
    timeline.stamp(AgreedScore, "moderated_at", agreed.id, moderated)
    completed_on = on - timedelta(days=190)
    with timeline.during(at(completed_on, 14)):
        services.close_audit(t1, user=board, completed_on=completed_on)

    t2_opened = at(on - timedelta(days=20), 9)
    with timeline.during(t2_opened):
        t2 = services.open_audit(area, title="Six-month re-audit (T2)", agency_ids=[a.id for a in agencies],
                                 user=board, opened_at=t2_opened,
                                 return_due_on=on + timedelta(days=21))  # (the task panel counts down to it)
    t2_levels = {1: 3, 2: 3, 3: 3, 4: 2, 5: 3}
    _score_cycle(timeline, t2, agencies[:3], people, t2_levels, rng, t2_opened.date() + timedelta(days=2), 3)
    timeline.apply()
