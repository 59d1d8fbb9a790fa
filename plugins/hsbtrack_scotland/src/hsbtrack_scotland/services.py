"""CARM rules: case validation, the stage machine, meetings, risk classification, plan actions,
review scheduling, access logging and suppressed aggregates. No request objects here."""

from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hsbtrack.actions.models import Action
from hsbtrack.actions.services import create_action, resolve_owner
from hsbtrack.areas.models import Area, Membership
from hsbtrack.auth.models import User
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.notifications.services import in_language_of, notify
from hsbtrack.permissions import can
from hsbtrack.plugins.services import is_enabled, plugin_settings
from hsbtrack.plugins.types import Evidence
from hsbtrack.timeutil import today, utcnow

from .models import AccessLog, CarmCase, Classification, Meeting, PlanAction, StageEvent

PLUGIN = "scotland"
CASE_PERM = "scotland.cases"
SUPPRESS_BELOW = 5

GENDERS = {"female": _l("Female"), "male": _l("Male"), "other": _l("Other or not stated")}
HACKETT = {"inappropriate": _l("Inappropriate"), "problematic": _l("Problematic"), "abusive": _l("Abusive"),
           "violent": _l("Violent")}
SETTINGS = {"home": _l("Home"), "care": _l("Care"), "secure": _l("Secure")}
STAGES = {
    "referral": _l("Referral"),
    "decision": _l("Decision to proceed"),
    "initial_meeting": _l("Initial CARM meeting"),
    "risk_assessment": _l("Risk assessment"),
    "risk_management_plan": _l("Risk management plan"),
    "review": _l("Reviews"),
    "closed": _l("Closed"),
}
STAGE_ORDER = list(STAGES)
CLOSURE_REASONS = {"risk_reduced": _l("Risk reduced"), "transfer": _l("Transfer"), "mappa": _l("MAPPA"),
                   "moved_away": _l("Moved away"), "turned_18": _l("Turned 18")}
LEVELS = {"aware": _l("Aware"), "attentive": _l("Attentive"), "active_alert": _l("Active and Alert")}
DEFAULT_REVIEW_DAYS = {"aware": 84, "attentive": 42, "active_alert": 14}
REMIND_DAYS_BEFORE = 7
CORE_AGENCIES = {"police": _l("Police"), "health": _l("Health"), "social_work": _l("Social work"),
                 "education": _l("Education")}
OTHER_AGENCIES = {"youth_justice": _l("Youth justice"), "housing": _l("Housing"), "third_sector": _l("Third sector")}
AGENCIES = {**CORE_AGENCIES, **OTHER_AGENCIES}
PARTICIPATION = {"attended": _l("Attended"), "views_given": _l("Views given, did not attend"),
                 "declined": _l("Declined"), "not_invited": _l("Not invited")}
PLAN_SECTIONS = {
    "nature": (_l("Nature of harm and likelihood"), "1.6a"),
    "monitoring": (_l("Monitoring"), "1.6a"),
    "supervision": (_l("Supervision"), "1.6b"),
    "interventions": (_l("Interventions"), "1.6b"),
    "information_sharing": (_l("Information sharing"), "1.6a"),
    "victim_safety": (_l("Victim safety planning"), "1.6c"),
    "contingency": (_l("Contingency"), "1.6c"),
}


# -- access -----------------------------------------------------------------------------------


def is_case_worker(user, area) -> bool:
    """Case workers (and admins) reach case records; board managers only see aggregates."""
    return user.is_authenticated and can(user, CASE_PERM, area.id)


def get_case(area, case_id) -> CarmCase | None:
    case = db.session.get(CarmCase, case_id)
    return case if case is not None and case.area_id == area.id else None


PAGES = {"case": _l("The case"), "edit_case": _l("Change the case"), "stage": _l("Move the case on"),
         "new_meeting": _l("Record a CARM meeting"), "classification": _l("Risk classification"),
         "new_plan_action": _l("Risk management plan"), "access_log": _l("Who has read this case")}


def log_read(case, user, page: str) -> None:
    db.session.add(AccessLog(area_id=case.area_id, case_id=case.id, user_id=getattr(user, "id", None),
                             page=page[:40], at=utcnow()))
    db.session.commit()


def access_log(case) -> list[AccessLog]:
    return db.session.scalars(select(AccessLog).where(AccessLog.case_id == case.id)
                              .order_by(AccessLog.at.desc(), AccessLog.id.desc())).all()


# -- parsing ----------------------------------------------------------------------------------


def _date(value, field, errors, required=True, not_after=None):
    if value in (None, ""):
        if required:
            errors[field] = _("Enter a date")
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            errors[field] = _("Enter a real date, for example 2026-03-27")
            return None
    if not_after is not None and value > not_after:
        errors[field] = _("The date cannot be in the future")
        return None
    return value


def _choice(value, allowed, field, errors, message):
    if value not in allowed:
        errors[field] = message
    return value


def _lead_professional(area, user_id, errors):
    if user_id in (None, "", 0):
        return None
    try:
        return resolve_owner(area, owner_id=int(user_id))
    except (ServiceError, ValueError):
        errors["lead_professional_id"] = _("Choose a member of this area")
        return None


CASE_FIELDS = ("reference", "age_at_referral", "age_reason", "gender", "learning_needs", "hackett", "setting",
               "lead_professional_id", "ird_on", "ird_outcome", "referral_source", "referral_on")


def validate_case(area, data: dict, case=None) -> dict:
    errors, values = {}, {}
    reference = (data.get("reference") or "").strip()
    if not reference:
        errors["reference"] = _("Enter the case reference (never the child's name)")
    elif len(reference) > 40:
        errors["reference"] = _("The case reference must be 40 characters or fewer")
    else:
        clash = db.session.scalar(select(CarmCase.id).where(CarmCase.area_id == area.id,
                                                            CarmCase.reference == reference))
        if clash is not None and (case is None or clash != case.id):
            errors["reference"] = _("Another case already has this reference")
    values["reference"] = reference
    try:
        age = int(data.get("age_at_referral"))
    except (TypeError, ValueError):
        age = None
        errors["age_at_referral"] = _("Enter the age at referral as a whole number")
    reason = (data.get("age_reason") or "").strip()
    if age is not None:
        if not 5 <= age <= 25:
            errors["age_at_referral"] = _("Enter an age from 5 to 25")
        elif not 12 <= age <= 17 and not reason:
            errors["age_reason"] = _("CARM covers ages 12 to 17: record why this child is included")
    values["age_at_referral"], values["age_reason"] = age, reason
    values["gender"] = _choice(data.get("gender"), GENDERS, "gender", errors, _("Choose a gender"))
    values["learning_needs"] = bool(data.get("learning_needs"))
    values["hackett"] = _choice(data.get("hackett"), HACKETT, "hackett", errors,
                                _("Choose where the behaviour sits on Hackett's continuum"))
    values["setting"] = _choice(data.get("setting"), SETTINGS, "setting", errors, _("Choose home, care or secure"))
    lead = _lead_professional(area, data.get("lead_professional_id"), errors)
    values["lead_professional_id"] = lead.id if lead else None
    values["ird_on"] = _date(data.get("ird_on"), "ird_on", errors, required=False, not_after=today())
    values["ird_outcome"] = (data.get("ird_outcome") or "").strip()
    source = (data.get("referral_source") or "").strip()
    if not source:
        errors["referral_source"] = _("Enter who referred the child")
    values["referral_source"] = source[:100]
    values["referral_on"] = _date(data.get("referral_on"), "referral_on", errors, not_after=today())
    if errors:
        raise ServiceError(_("The case was not saved: check the fields"), errors)
    return values


def create_case(area, data: dict, user=None) -> CarmCase:
    values = validate_case(area, data)
    case = CarmCase(area_id=area.id, stage="referral", stage_on=values["referral_on"], created_at=utcnow(),
                    version=1, **values)
    db.session.add(case)
    db.session.flush()
    db.session.add(StageEvent(case_id=case.id, stage="referral", on=values["referral_on"], note="",
                              user_id=getattr(user, "id", None)))
    history.record(area_id=area.id, entity="scotland_case", entity_id=case.id, user=user,
                   changes={"created": (None, case.reference)})
    db.session.commit()
    return case


def update_case(area, case, data: dict, user=None) -> CarmCase:
    values = validate_case(area, data, case)
    changes = {k: (getattr(case, k), v) for k, v in values.items() if getattr(case, k) != v}
    for key, (_old, new) in changes.items():
        setattr(case, key, new)
    if changes:
        case.version += 1
        history.record(area_id=area.id, entity="scotland_case", entity_id=case.id, user=user, changes=changes)
    db.session.commit()
    return case


# -- the stage machine ------------------------------------------------------------------------


def next_stages(case) -> list[str]:
    """Stages the case may move to now (closure is always possible while open)."""
    if case.stage == "closed":
        return []
    index = STAGE_ORDER.index(case.stage)
    following = STAGE_ORDER[index + 1]
    out = [following] if following != "closed" else []
    if case.stage == "review":
        out = ["review"]
    return out + ["closed"]


def meetings(case) -> list[Meeting]:
    return db.session.scalars(select(Meeting).where(Meeting.case_id == case.id)
                              .order_by(Meeting.held_on, Meeting.id)).all()


def move_to(case, stage: str, on, *, reason=None, note="", user=None) -> CarmCase:
    """Move a case on one stage. Checked: the order, the dates, a meeting before the plan, a
    classification before reviews, a reason for closure."""
    errors = {}
    if stage not in next_stages(case):
        raise ServiceError.field("stage", _("A case at this stage cannot move there"))
    on = _date(on, "on", errors, not_after=today())
    if on is not None and on < case.stage_on:
        errors["on"] = _("The date cannot be before the case's current stage (%(date)s)", date=format_date(case.stage_on, "d MMMM yyyy"))
    has_meeting = db.session.scalar(select(func.count(Meeting.id)).where(Meeting.case_id == case.id)) > 0
    if stage == "initial_meeting" and not has_meeting:
        errors["stage"] = _("Record the initial CARM meeting first")
    if stage == "risk_management_plan" and not has_meeting:
        errors["stage"] = _("A risk management plan needs a CARM meeting first")
    if stage == "review" and not case.classification:
        errors["stage"] = _("Set the risk classification before reviews")
    if stage == "closed" and reason not in CLOSURE_REASONS:
        errors["reason"] = _("Choose the reason for closing the case")
    if errors:
        raise ServiceError(_("The stage was not changed: check the fields"), errors)
    old = case.stage
    changes = {"stage": (old, stage)}
    case.stage, case.stage_on = stage, on
    if stage == "closed":
        changes["closure_reason"] = (case.closure_reason, reason)
        case.closure_reason = reason
        case.next_review_on = None
    elif stage in ("risk_management_plan", "review") and case.classification:
        case.next_review_on = on + timedelta(days=review_days(case.area_id, case.classification))
    case.version += 1
    db.session.add(StageEvent(case_id=case.id, stage=stage, on=on, note=(note or "").strip(),
                              user_id=getattr(user, "id", None)))
    history.record(area_id=case.area_id, entity="scotland_case", entity_id=case.id, user=user, changes=changes)
    db.session.commit()
    return case


def stage_events(case) -> list[StageEvent]:
    return db.session.scalars(select(StageEvent).where(StageEvent.case_id == case.id)
                              .order_by(StageEvent.on, StageEvent.id)).all()


# -- meetings ---------------------------------------------------------------------------------


def missing_core(meeting) -> list[str]:
    return [key for key in CORE_AGENCIES if key not in meeting.agency_keys]


def add_meeting(case, data: dict, user=None) -> Meeting:
    errors = {}
    held_on = _date(data.get("held_on"), "held_on", errors, not_after=today())
    if held_on is not None and held_on < case.referral_on:
        errors["held_on"] = _("The meeting cannot be before the referral")
    agencies = [a for a in (data.get("agencies") or []) if a in AGENCIES]
    if not agencies:
        errors["agencies"] = _("Choose the agencies that attended")
    child = _choice(data.get("child_participation"), PARTICIPATION, "child_participation", errors,
                    _("Choose how the child took part"))
    parents = _choice(data.get("parents_participation"), PARTICIPATION, "parents_participation", errors,
                      _("Choose how the parents or carers took part"))
    if case.stage == "closed":
        errors["held_on"] = _("The case is closed")
    if errors:
        raise ServiceError(_("The meeting was not saved: check the fields"), errors)
    meeting = Meeting(case_id=case.id, held_on=held_on, agencies=",".join(agencies),
                      other_attendees=(data.get("other_attendees") or "").strip(), child_participation=child,
                      parents_participation=parents, decisions=(data.get("decisions") or "").strip(),
                      user_id=getattr(user, "id", None))
    db.session.add(meeting)
    db.session.flush()
    history.record(area_id=case.area_id, entity="scotland_meeting", entity_id=meeting.id, user=user,
                   changes={"created": (None, held_on.isoformat())})
    db.session.commit()
    return meeting


# -- risk classification and reviews ----------------------------------------------------------


def review_days(area_id, level) -> int:
    settings = plugin_settings(db.session.get(Area, area_id), PLUGIN) or {}
    value = settings.get(f"review_days_{level}")
    try:
        return int(value) if value else DEFAULT_REVIEW_DAYS[level]
    except (TypeError, ValueError):
        return DEFAULT_REVIEW_DAYS[level]


def classify(case, level, on, reason="", user=None) -> Classification:
    errors = {}
    _choice(level, LEVELS, "level", errors, _("Choose Aware, Attentive or Active and Alert"))
    on = _date(on, "on", errors, not_after=today())
    if case.stage == "closed":
        errors["level"] = _("The case is closed")
    if errors:
        raise ServiceError(_("The classification was not saved: check the fields"), errors)
    entry = Classification(case_id=case.id, level=level, on=on, reason=(reason or "").strip(),
                           user_id=getattr(user, "id", None))
    db.session.add(entry)
    history.record(area_id=case.area_id, entity="scotland_case", entity_id=case.id, user=user,
                   changes={"classification": (case.classification, level)})
    case.classification = level
    if case.stage in ("risk_management_plan", "review"):
        case.next_review_on = on + timedelta(days=review_days(case.area_id, level))
    case.version += 1
    db.session.commit()
    return entry


def classifications(case) -> list[Classification]:
    return db.session.scalars(select(Classification).where(Classification.case_id == case.id)
                              .order_by(Classification.on.desc(), Classification.id.desc())).all()


# -- risk management plan: core actions -------------------------------------------------------


def add_plan_action(area, case, section, *, title, owner, due_on, description="", user=None):
    if section not in PLAN_SECTIONS:
        raise ServiceError.field("section", _("Choose a section of the risk management plan"))
    if STAGE_ORDER.index(case.stage) < STAGE_ORDER.index("risk_management_plan") or case.stage == "closed":
        raise ServiceError.field("section", _("Actions belong to a risk management plan: move the case to that stage first"))
    code = PLAN_SECTIONS[section][1]
    # The plan is about a child: the action keeps the case's wall wherever it travels (the core's
    # plan, exports, board paper, reminders, API), and its owner must be someone who may see cases.
    action = create_action(area, title=title, owner=owner, due_on=due_on, statements=[code],
                           description=description, user=user, commit=False, restricted_to=CASE_PERM)
    db.session.add(PlanAction(case_id=case.id, section=section, action_id=action.id))
    db.session.commit()
    return action


def plan_actions(case) -> dict[str, list]:
    from sqlalchemy.orm import joinedload


    rows = db.session.scalars(select(PlanAction).where(PlanAction.case_id == case.id)
                              .options(joinedload(PlanAction.action).joinedload(Action.owner))
                              .order_by(PlanAction.id)).unique().all()
    out = {key: [] for key in PLAN_SECTIONS}
    for row in rows:
        out[row.section].append(row.action)
    return out


# -- lists, aggregates ------------------------------------------------------------------------


def cases_for_area(area) -> list[CarmCase]:
    return db.session.scalars(select(CarmCase).where(CarmCase.area_id == area.id)
                              .order_by(CarmCase.stage == "closed", CarmCase.referral_on.desc())).unique().all()


def age_band(age: int) -> str:
    if age < 12:
        return "under 12"
    if age <= 14:
        return "12-14"
    if age <= 17:
        return "15-17"
    return "18 and over"


def suppress(count: int):
    """Counts under 5 (zero included) are never shown: they could identify a child."""
    return count if count >= SUPPRESS_BELOW else None


def aggregates(area) -> dict:
    """Counts of cases by age band, gender, learning needs, setting and stage, suppressed.

    One query whatever the number of cases. Values are ints or None (meaning "fewer than 5")."""
    rows = db.session.execute(select(CarmCase.age_at_referral, CarmCase.gender, CarmCase.learning_needs,
                                     CarmCase.setting, CarmCase.stage)
                              .where(CarmCase.area_id == area.id)).all()
    groups = {
        "age": {k: 0 for k in ("under 12", "12-14", "15-17", "18 and over")},
        "gender": {k: 0 for k in GENDERS},
        "learning_needs": {"yes": 0, "no": 0},
        "setting": {k: 0 for k in SETTINGS},
        "stage": {k: 0 for k in STAGES},
    }
    for age, gender, needs, setting, stage in rows:
        groups["age"][age_band(age)] += 1
        groups["gender"][gender] = groups["gender"].get(gender, 0) + 1
        groups["learning_needs"]["yes" if needs else "no"] += 1
        groups["setting"][setting] = groups["setting"].get(setting, 0) + 1
        groups["stage"][stage] = groups["stage"].get(stage, 0) + 1
    total = len(rows)
    return {"total": suppress(total),
            "groups": {name: _suppress_group(values, total) for name, values in groups.items()}}


def _suppress_group(values: dict, total: int) -> dict:
    """Primary suppression (under 5), then secondary: when the total is shown and only one cell is
    hidden, it could be worked out by subtraction, so the smallest shown cell is hidden too."""
    out = {k: suppress(v) for k, v in values.items()}
    hidden = [k for k, v in out.items() if v is None]
    if suppress(total) is not None and len(hidden) == 1:
        shown_cells = sorted((v, k) for k, v in out.items() if v is not None)
        if shown_cells:
            out[shown_cells[0][1]] = None
    return out


def group_labels() -> dict:
    return {
        "age": (_l("Age at referral"), {"under 12": _l("Under 12"), "12-14": _l("12 to 14"), "15-17": _l("15 to 17"),
                                        "18 and over": _l("18 and over")}),
        "gender": (_l("Gender"), GENDERS),
        "learning_needs": (_l("Learning disability or neurodevelopmental needs"), {"yes": _l("Yes"), "no": _l("No")}),
        "setting": (_l("Setting"), SETTINGS),
        "stage": (_l("Stage"), STAGES),
    }


def shown(value) -> str:
    return _("fewer than 5") if value is None else str(value)


# -- review reminders -------------------------------------------------------------------------


def case_workers(area_ids) -> dict:
    """{area id: [users with the case-worker role there]} in one query."""

    rows = db.session.execute(select(Membership.area_id, User).join(User, User.id == Membership.user_id)
                              .where(Membership.area_id.in_(area_ids), Membership.role == "case_worker")).all()
    out = {}
    for area_id, user in rows:
        out.setdefault(area_id, []).append(user)
    return out


def scan_reviews(app, now) -> int:
    """Remind case workers (and the lead professional) of reviews due within a week and overdue.
    Idempotent: one key per case, review date, kind and person. Runs in the scheduler's app and
    request context."""
    from flask import url_for


    on = now.date() if hasattr(now, "date") else now
    sent = 0
    cases = db.session.scalars(select(CarmCase).where(CarmCase.next_review_on.is_not(None),
                                                      CarmCase.stage != "closed",
                                                      CarmCase.next_review_on <= on + timedelta(days=REMIND_DAYS_BEFORE))
                               ).unique().all()
    area_ids = sorted({c.area_id for c in cases})
    areas = {a.id: a for a in db.session.scalars(select(Area).where(Area.id.in_(area_ids)))} if area_ids else {}
    workers = case_workers(area_ids) if area_ids else {}
    for case in cases:
        area = areas[case.area_id]
        if not is_enabled(area, PLUGIN):
            continue
        kind = "overdue" if case.next_review_on < on else ("due" if case.next_review_on == on else "soon")
        people = {u.id: u for u in workers.get(case.area_id, [])}
        if case.lead_professional is not None:
            people[case.lead_professional.id] = case.lead_professional
        link = url_for("scotland.case", area_id=area.id, case_id=case.id)
        for user in people.values():
            with in_language_of(user):
                if kind == "soon":
                    subject = _("CARM review of case %(ref)s due on %(date)s", ref=case.reference,
                                date=format_date(case.next_review_on, "d MMMM yyyy"))
                elif kind == "due":
                    subject = _("CARM review of case %(ref)s is due today", ref=case.reference)
                else:
                    subject = _("CARM review of case %(ref)s is overdue (due %(date)s)", ref=case.reference,
                                date=format_date(case.next_review_on, "d MMMM yyyy"))
            note = notify(user, key=f"scotland.review.{case.id}.{case.next_review_on.isoformat()}.{kind}.{user.id}",
                          kind="scotland.review", subject=subject, link=link, area_id=area.id, email=False)
            sent += note is not None
    return sent


# -- evidence for audit statements ------------------------------------------------------------

EVIDENCE_GROUPS = {
    "1.1": ("stage", "setting"),
    "1.2": ("age", "gender", "learning_needs"),
    "1.6a": ("setting", "stage"),
    "1.6b": ("setting", "stage"),
    "1.6c": ("setting", "stage"),
}


def evidence(area, codes) -> list:
    """CARM counts as evidence for 1.1, 1.2 and 1.6a–c, with counts under 5 suppressed."""
    from flask import url_for


    wanted = [c for c in codes if c in EVIDENCE_GROUPS]
    if not wanted:
        return []
    data = aggregates(area)
    labels = group_labels()
    out = []
    for code in wanted:
        parts = []
        for group in EVIDENCE_GROUPS[code]:
            title, names = labels[group]
            values = "; ".join(_("%(label)s: %(count)s", label=names.get(k, k), count=shown(v))
                               for k, v in data["groups"][group].items())
            parts.append(_("%(group)s – %(values)s", group=title, values=values))
        summary = _("CARM cases: %(total)s. %(parts)s.", total=shown(data["total"]), parts=". ".join(parts))
        out.append(Evidence(code, _l("CARM case management"), summary,
                            url=url_for("scotland.home", area_id=area.id), order=40))
    return out
