"""Retention (UK GDPR storage limitation): how long each type of record is kept, a scan that lists what is
due, and the deletion an administrator confirms.

- **Rules** come from ``hsbtrack_retention_rules`` (the core's own below, the plugins': CARM cases, training
  records of people who left). A rule's period is ``HSBTRACK_RETENTION_<NAME>`` when the install sets it
  (``6y``, ``18m``, ``90d`` or ``never``), else its documented default (docs/privacy.md).
- **The scan** (``core.retention``, daily) asks each rule for the records whose clock started before
  now minus the period and lists them in ``privacy_retention_items``, the retention review. It deletes
  nothing: a record no longer due (a case reopened) leaves the list.
- **Deletion** is confirmed per rule on ``/admin/privacy/retention``: the records ticked, still due when
  confirmed (else nothing is deleted: the list changed), go in one transaction with everything made from
  them, their history entries included (the one exception to the history's append-only rule). What stays is
  that it happened: the privacy log (rule, how many, who, when) and an entry in each area's history — never
  what the records were.
"""

import logging
import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from hsbtrack.auth.models import LoginAttempt
from hsbtrack.downloads.models import DownloadEntry
from hsbtrack.errors import ConflictError, NotFoundError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.notifications.models import Notification
from hsbtrack.plugins.services import registry
from hsbtrack.plugins.types import RetentionItem, RetentionRule
from hsbtrack.privacy.models import RETENTION_DELETION, RetentionReviewItem
from hsbtrack.privacy.services import record, require_admin
from hsbtrack.storage import storage
from hsbtrack.timeutil import utcnow

log = logging.getLogger(__name__)

ENTITY = "retention"  # the history's name for a retention deletion (entity id: the privacy log entry)
NEVER = "never"
PERIOD = re.compile(r"^\s*(\d+)\s*([ymd])\s*$", re.IGNORECASE)


# -- periods ------------------------------------------------------------------------------------


def parse_period(text: str) -> tuple[int, str] | None:
    """``"6y"`` -> ``(6, "y")``; ``"never"`` -> None. Raises ValueError for anything else."""
    if (text or "").strip().lower() == NEVER:
        return None
    match = PERIOD.match(text or "")
    if not match:
        raise ValueError(f"a retention period is a number of years, months or days (6y, 18m, 90d) or never, "
                         f"not {text!r}")
    return int(match.group(1)), match.group(2).lower()


def _months_before(day: datetime, months: int) -> datetime:
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return day.replace(year=year, month=month, day=min(day.day, last))


def cutoff_for(period: tuple[int, str] | None, now: datetime) -> datetime | None:
    """The moment before which a record's clock must have started for it to be due (None: never)."""
    if period is None:
        return None
    amount, unit = period
    if unit == "d":
        return now - timedelta(days=amount)
    return _months_before(now, amount * 12 if unit == "y" else amount)


def setting_name(rule_name: str) -> str:
    """``scotland.carm_cases`` -> ``HSBTRACK_RETENTION_SCOTLAND_CARM_CASES``."""
    return "HSBTRACK_RETENTION_" + re.sub(r"[^A-Z0-9]+", "_", rule_name.upper())


def period_text(rule: RetentionRule) -> str:
    """The period in force for ``rule``: the install's setting, else the rule's default."""
    overrides = current_app.config.get("HSBTRACK_RETENTION") or {}
    return overrides.get(setting_name(rule.name), rule.default)


def describe_period(text: str) -> str:
    period = parse_period(text)
    if period is None:
        return _("kept until deleted by hand")
    amount, unit = period
    if unit == "y":
        return ngettext("%(num)d year", "%(num)d years", amount)
    if unit == "m":
        return ngettext("%(num)d month", "%(num)d months", amount)
    return ngettext("%(num)d day", "%(num)d days", amount)


# -- rules --------------------------------------------------------------------------------------


def rules() -> list[RetentionRule]:
    return registry().collect("hsbtrack_retention_rules", None)


def rule_named(name: str) -> RetentionRule:
    for rule in rules():
        if rule.name == name:
            return rule
    raise NotFoundError(_("There is no retention rule of this name"))


def due_now(rule: RetentionRule, now: datetime | None = None) -> list[RetentionItem]:
    cutoff = cutoff_for(parse_period(period_text(rule)), (now or utcnow()).replace(tzinfo=None))
    return [] if cutoff is None else list(rule.due(cutoff))


def scan_retention(app=None, now=None) -> int:
    """The ``core.retention`` scan: list every rule's due records in the retention review (deleting
    nothing). Idempotent. Returns how many records are due."""
    now = (now or utcnow()).replace(tzinfo=None)
    total = 0
    for rule in rules():
        items = {item.key: item for item in due_now(rule, now)}
        listed = {row.item_key: row for row in db.session.scalars(
            select(RetentionReviewItem).where(RetentionReviewItem.rule == rule.name))}
        gone = [key for key in listed if key not in items]
        if gone:
            db.session.execute(delete(RetentionReviewItem).where(RetentionReviewItem.rule == rule.name,
                                                                 RetentionReviewItem.item_key.in_(gone)))
        for key, item in items.items():
            row = listed.get(key)
            if row is None:
                db.session.add(RetentionReviewItem(rule=rule.name, item_key=key[:80], area_id=item.area_id,
                                                   label=str(item.label)[:200], since=_day(item.since), found_at=now))
            else:
                row.label, row.since, row.area_id = str(item.label)[:200], _day(item.since), item.area_id
        db.session.commit()
        total += len(items)
    return total


def _day(value):
    return value.date() if isinstance(value, datetime) else value


def review() -> list[dict]:
    """Each rule with its period and the records the last scan listed that are still due (for the admin
    pages), each with its label in the reader's language (asked of the rule again: the stored one is in the
    language the scan ran in)."""
    rows = db.session.scalars(select(RetentionReviewItem).order_by(RetentionReviewItem.rule,
                                                                   RetentionReviewItem.since,
                                                                   RetentionReviewItem.id)
                              .options(db.joinedload(RetentionReviewItem.area))).all()
    by_rule = {}
    for row in rows:
        by_rule.setdefault(row.rule, []).append(row)
    out = []
    for rule in rules():
        text = period_text(rule)
        listed = by_rule.get(rule.name, [])
        live = {item.key: item for item in due_now(rule)} if listed else {}
        items = [SimpleNamespace(item_key=row.item_key, label=str(live[row.item_key].label), area=row.area,
                                 since=row.since) for row in listed if row.item_key in live]
        out.append({"rule": rule, "period": describe_period(text), "overridden": text != rule.default,
                    "default": describe_period(rule.default), "items": items})
    return out


def last_scan():
    return db.session.scalar(select(func.max(RetentionReviewItem.found_at)))


def delete_due(rule_name: str, keys, *, by) -> int:
    """Delete the records ``keys`` of a rule, all or nothing: each must still be due now (else
    :class:`ConflictError`, nothing deleted). Recorded in the privacy log and each area's history, without
    what the records were. Returns how many were deleted."""
    require_admin(by)
    rule = rule_named(rule_name)
    keys = list(dict.fromkeys(str(k) for k in keys or ()))
    if not keys:
        raise ServiceError.field("keys", _("Choose the records to delete"))
    due = {item.key: item for item in due_now(rule)}
    if any(key not in due for key in keys):
        raise ConflictError(_("The records due changed since you read the list: nothing was deleted. "
                              "Check the list again."))
    try:
        files = list(rule.delete(keys) or ())
        db.session.execute(delete(RetentionReviewItem).where(RetentionReviewItem.rule == rule.name,
                                                             RetentionReviewItem.item_key.in_(keys)))
        entry = record(RETENTION_DELETION, subject=rule.name, count=len(keys), by=by)
        per_area = {}
        for key in keys:
            if due[key].area_id is not None:
                per_area[due[key].area_id] = per_area.get(due[key].area_id, 0) + 1
        for area_id, count in sorted(per_area.items()):
            history.record(area_id=area_id, entity=ENTITY, entity_id=entry.id, user=by,
                           changes={rule.name[:50]: (None, {"deleted": count})})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for key in files:
        try:
            storage().delete(key)
        except Exception:
            log.exception("retention %s: could not delete %s from storage", rule.name, key)
    return len(keys)


# -- the core's rules ---------------------------------------------------------------------------


def _month_start(day: datetime) -> datetime:
    return day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(day: datetime) -> datetime:
    return (_month_start(day) + timedelta(days=32)).replace(day=1)


def monthly(model, column, label):
    """A rule's ``due`` and ``delete`` over rows counted by month: one item per calendar month wholly before
    the cutoff (key ``2025-03``), deleted in one statement."""

    def due(cutoff: datetime) -> list[RetentionItem]:
        end = _month_start(cutoff)
        first = db.session.scalar(select(func.min(column)).where(column < end))
        items, month = [], _month_start(first) if first is not None else end
        while month < end:  # (one counted index range a month: the scan stays light however many rows)
            following = _next_month(month)
            count = db.session.scalar(select(func.count()).select_from(model).where(column >= month,
                                                                                    column < following))
            if count:
                key = month.strftime("%Y-%m")
                items.append(RetentionItem(key, None, label(key, count), since=month.date()))
            month = following
        return items

    def delete_(keys) -> list[str]:
        for key in keys:
            start = datetime.fromisoformat(key + "-01")
            db.session.execute(delete(model).where(column >= start, column < _next_month(start)))
        return []

    return due, delete_


def _month_label(template):
    def label(key, count):
        return template(month=format_date(date.fromisoformat(key + "-01"), "MMMM yyyy"), num=count)

    return label


def core_rules() -> list[RetentionRule]:
    attempts_due, attempts_delete = monthly(LoginAttempt, LoginAttempt.at, _month_label(
        lambda **v: _("Sign-in attempts of %(month)s (%(num)d)", **v)))
    downloads_due, downloads_delete = monthly(DownloadEntry, DownloadEntry.at, _month_label(
        lambda **v: _("Download log of %(month)s (%(num)d)", **v)))
    notes_due, notes_delete = monthly(Notification, Notification.created_at, _month_label(
        lambda **v: _("Notifications of %(month)s (%(num)d)", **v)))
    return [
        RetentionRule("core.sign_in_attempts", _l("Sign-in attempts"), "1y",
                      _l("Each attempt to sign in (address, internet address, success), counted from the attempt"),
                      attempts_due, attempts_delete, order=10),
        RetentionRule("core.download_log", _l("Download log"), "2y",
                      _l("Who downloaded which export, report or file, counted from the download"),
                      downloads_due, downloads_delete, order=11),
        RetentionRule("core.notifications", _l("Notifications"), "1y",
                      _l("Reminders and messages to users, counted from when they were made"),
                      notes_due, notes_delete, order=12),
    ]
