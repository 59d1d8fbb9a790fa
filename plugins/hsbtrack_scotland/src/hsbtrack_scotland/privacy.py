"""UK GDPR for CARM records (the core's ``hsbtrack/privacy``, docs/privacy.md).

- **What it holds about staff** (subject access): the cases where they are the lead professional, the
  stages, meetings and classifications they recorded, and their reads of cases (the access log) — each by
  case reference and date. The content of a case is about a child, never about them: it is left out.
- **Erasure**: records point to staff by user id (they then read "former member"); their name or address
  typed in a case's free text (meeting attendees, notes) is replaced.
- **Retention** (``scotland.carm_cases``): a closed case is due for review a number of years after it closed
  (default 6 years, for the data protection officer to confirm: docs/privacy.md). Deleting it deletes
  everything made from it: its stages, meetings, classifications, reads, its risk management plan's actions
  (with their updates and documents) and every history entry about them. The history then keeps only that a
  CARM case was deleted under the rule, by whom and when.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.notifications.models import Notification
from hsbtrack.plugins.types import PersonalData, RetentionItem, RetentionRule
from hsbtrack.privacy.services import delete_actions, needles_for, replace_text

from .models import AccessLog, CarmCase, Classification, Meeting, PlanAction, StageEvent

RULE = "scotland.carm_cases"
TEXT_COLUMNS = (CarmCase.referral_source, CarmCase.ird_outcome, CarmCase.age_reason, StageEvent.note,
                Meeting.other_attendees, Meeting.decisions, Classification.reason)


def personal_data(user) -> list[PersonalData]:
    def rows(query):
        return tuple(tuple(row) for row in db.session.execute(query).all())

    lead = rows(select(CarmCase.reference, CarmCase.stage, CarmCase.referral_on)
                .where(CarmCase.lead_professional_id == user.id).order_by(CarmCase.id))
    stages = rows(select(CarmCase.reference, StageEvent.stage, StageEvent.on).join(CarmCase, CarmCase.id == StageEvent.case_id)
                  .where(StageEvent.user_id == user.id).order_by(StageEvent.id))
    meetings = rows(select(CarmCase.reference, Meeting.held_on).join(CarmCase, CarmCase.id == Meeting.case_id)
                    .where(Meeting.user_id == user.id).order_by(Meeting.id))
    levels = rows(select(CarmCase.reference, Classification.level, Classification.on)
                  .join(CarmCase, CarmCase.id == Classification.case_id)
                  .where(Classification.user_id == user.id).order_by(Classification.id))
    reads = rows(select(CarmCase.reference, AccessLog.page, AccessLog.at).join(CarmCase, CarmCase.id == AccessLog.case_id)
                 .where(AccessLog.user_id == user.id).order_by(AccessLog.at, AccessLog.id))
    case, on = ("case", _l("Case reference")), ("on", _l("Date"))
    note = _l("CARM records are about children: only what you did, by case reference and date, is here.")
    return [
        PersonalData("scotland.lead_professional", _l("CARM cases where you are the lead professional"),
                     (case, ("stage", _l("Stage")), ("referral_on", _l("Referred on"))), lead, note=note, order=70),
        PersonalData("scotland.stages", _l("CARM stages you recorded"), (case, ("stage", _l("Stage")), on), stages,
                     order=71),
        PersonalData("scotland.meetings", _l("CARM meetings you recorded"), (case, on), meetings, order=72),
        PersonalData("scotland.classifications", _l("CARM risk classifications you set"),
                     (case, ("level", _l("Classification")), on), levels, order=73),
        PersonalData("scotland.reads", _l("CARM cases you read"), (case, ("page", _l("Page")), ("at", _l("When"))),
                     reads, order=74),
    ]


def erase_person(user, replacement) -> list[tuple]:
    return [("CARM texts", replace_text(TEXT_COLUMNS, needles_for(user), replacement))]


# -- retention ------------------------------------------------------------------------------------


def closed_before(cutoff) -> list[RetentionItem]:
    rows = db.session.execute(select(CarmCase.id, CarmCase.area_id, CarmCase.reference, CarmCase.stage_on)
                              .where(CarmCase.stage == "closed", CarmCase.stage_on < cutoff.date())
                              .order_by(CarmCase.stage_on, CarmCase.id)).all()
    return [RetentionItem(str(case_id), area_id, _("CARM case %(ref)s", ref=reference), since=closed_on)
            for case_id, area_id, reference, closed_on in rows]


def delete_cases(keys) -> list[str]:
    """Delete the closed cases ``keys`` and everything made from them (see the module text)."""
    case_ids = [int(key) for key in keys]
    action_ids = list(db.session.scalars(select(PlanAction.action_id).where(PlanAction.case_id.in_(case_ids))))
    meeting_ids = list(db.session.scalars(select(Meeting.id).where(Meeting.case_id.in_(case_ids))))
    files = delete_actions(action_ids)
    history.forget("scotland_case", case_ids)
    history.forget("scotland_meeting", meeting_ids)
    for case_id in case_ids:  # (review reminders quote the case reference)
        db.session.execute(delete(Notification).where(Notification.key.like(f"scotland.review.{case_id}.%")))
    for model in (PlanAction, StageEvent, Meeting, Classification, AccessLog):
        db.session.execute(delete(model).where(model.case_id.in_(case_ids)))
    db.session.execute(delete(CarmCase).where(CarmCase.id.in_(case_ids)))
    db.session.flush()
    return files


def retention_rules() -> list[RetentionRule]:
    return [RetentionRule(RULE, _l("CARM cases"), "6y",
                          _l("Closed CARM cases with everything recorded about them, counted from the day the case "
                             "closed"), closed_before, delete_cases, order=40)]
