"""The regional plugin's part of an area's archive (``hsbtrack_area_archive_types``, docs/area-archive.md).

A region and what the regional board owns — its rounds, its regional actions, shared commissioning — are the
region's, not any one area's: they stay behind. What is the area's is how its own records take part in the
region's: which of its audits answers which round, and which of its actions carries which regional action.
These travel as links named by the region's records (a round's framework and cycle, a regional action's title
and due date). On import they are made again where the area joins a region of the same name that has those
rounds and regional actions; otherwise the area's audits and actions arrive as its own, and the person
importing is told which links were left out."""

from flask_babel import gettext as _
from sqlalchemy import select

from hsbtrack.area_archive.schema import RecordType, col, key, ref
from hsbtrack.extensions import db

from .models import RegionalAction, RegionalAssignment, RegionalRound, RegionalRoundAudit

ROUND_FIELDS = (
    key(), col("framework", "text", "the round's framework"), col("cycle", "int", "the round's cycle (T1, T2...)"),
    col("title", "text", "the round's title"), ref("audit_id", "audits", "the area's audit in the round"),
)


def _export_rounds(area, context):
    rows = db.session.execute(
        select(RegionalRoundAudit.id, RegionalRound.framework, RegionalRound.cycle, RegionalRound.title,
               RegionalRoundAudit.audit_id)
        .join(RegionalRound, RegionalRound.id == RegionalRoundAudit.round_id)
        .where(RegionalRoundAudit.area_id == area.id).order_by(RegionalRoundAudit.id))
    for row in rows.mappings():
        yield dict(row)


def _import_rounds(area, rows, context):
    made = 0
    rounds = {}
    if area.region_id is not None:
        rounds = {(r.framework, r.cycle): r for r in db.session.scalars(
            select(RegionalRound).where(RegionalRound.region_id == area.region_id))}
    for row in rows:
        round_ = rounds.get((row["framework"], row["cycle"]))
        if round_ is None:
            context.note(_("The area's audit in the regional round %(title)s was imported as its own: the round is "
                           "not in a region of the same name here.", title=row["title"]))
            continue
        db.session.add(RegionalRoundAudit(round_id=round_.id, area_id=area.id,
                                          audit_id=context.new_id("audits", row["audit_id"],
                                                                  field="regional.round_audits.audit_id")))
        made += 1
    db.session.flush()
    return made


ASSIGNMENT_FIELDS = (
    key(), col("title", "text", "the regional action's title"), col("due_on", "date", "the regional action's due date"),
    ref("action_id", "actions", "the area's own action carrying it"),
)


def _export_assignments(area, context):
    rows = db.session.execute(
        select(RegionalAssignment.id, RegionalAction.title, RegionalAction.due_on, RegionalAssignment.action_id)
        .join(RegionalAction, RegionalAction.id == RegionalAssignment.regional_action_id)
        .where(RegionalAssignment.area_id == area.id).order_by(RegionalAssignment.id))
    for row in rows.mappings():
        yield dict(row)


def _import_assignments(area, rows, context):
    made = 0
    actions = {}
    if area.region_id is not None:
        actions = {(a.title, a.due_on): a for a in db.session.scalars(
            select(RegionalAction).where(RegionalAction.region_id == area.region_id))}
    for row in rows:
        regional = actions.get((row["title"], row["due_on"]))
        if regional is None:
            context.note(_("The area's action for the regional action %(title)s was imported as its own: the regional "
                           "action is not in a region of the same name here.", title=row["title"]))
            continue
        db.session.add(RegionalAssignment(regional_action_id=regional.id, area_id=area.id,
                                          action_id=context.new_id("actions", row["action_id"],
                                                                   field="regional.assignments.action_id")))
        made += 1
    db.session.flush()
    return made


def archive_types():
    return [RecordType("regional.round_audits", "Which of the area's audits answer which regional round.",
                       ROUND_FIELDS, _export_rounds, _import_rounds),
            RecordType("regional.assignments", "Which of the area's actions carry which regional action.",
                       ASSIGNMENT_FIELDS, _export_assignments, _import_assignments)]
