"""A Child Protection Committee's self-evaluation, as a kind of the core's yearly report: the three questions of
the Care Inspectorate's quality framework — How good are we now? How do we know? What do we plan to do next? —
as the narrative sections, beside a data draft of the period: the area's audits closed in it (domain means and
their change, open cycles named and left out as provisional), its actions completed and overdue (the core's
draft, :mod:`hsbtrack.yearly_reports.drafts`), and the blocks of the plugins on in the area — this plugin's
CARM case figures among them (``hsbtrack_yearly_report_data``), counts under 5 never shown.

The kind is offered only where this plugin is on (the core offers a plugin's kind nowhere else), and there in
place of England's yearly report (whose kind is offered where the area is a safeguarding partnership)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hsbtrack.areas.roles import Perm
from hsbtrack.extensions import db
from hsbtrack.plugins.types import DataBlock, NarrativeSection, YearlyReportKind
from hsbtrack.yearly_reports.drafts import assemble_england

from .models import CarmCase
from .services import HACKETT, _suppress_group, shown, suppress

SELF_EVALUATION = "scotland.self_evaluation"


def title() -> str:
    return _("Child Protection Committee self-evaluation")


def kinds() -> list[YearlyReportKind]:
    return [YearlyReportKind(
        SELF_EVALUATION, "area", title,
        sections=(
            NarrativeSection("how_good_now", _l("How good are we now?"),
                             _l("Your judgement of how well the committee's multi-agency response to harmful sexual "
                                "behaviour works today, domain by domain: its strengths and what needs to improve.")),
            NarrativeSection("how_do_we_know", _l("How do we know?"),
                             _l("The evidence behind each judgement: the audit's agreed scores and their change, the "
                                "CARM case figures, case file reading, and what children, families and staff said.")),
            NarrativeSection("plan_next", _l("What do we plan to do next?"),
                             _l("The improvements the committee will make, who leads each and by when, linked to "
                                "the action plan.")),
        ),
        assemble=assemble_self_evaluation, draft_template="yearly_reports/_england_draft.html",
        read_permission=Perm.READ_AUDIT, write_permission=Perm.MANAGE_AREA, order=30)]


def assemble_self_evaluation(report, user) -> dict:
    """The core's draft of the period (audits, actions, the plugins' blocks), under the self-evaluation's heading."""
    return {**assemble_england(report, user), "heading": _("The evidence for the period")}


def carm_block(area, start, end) -> list[DataBlock]:
    """CARM cases in the period: referred, closed, open at its end, and those referred by Hackett's category —
    counts under 5 shown as "fewer than 5" (one query)."""
    rows = db.session.execute(select(CarmCase.referral_on, CarmCase.stage, CarmCase.stage_on, CarmCase.hackett)
                              .where(CarmCase.area_id == area.id, CarmCase.referral_on <= end)).all()
    referred = [r for r in rows if r.referral_on >= start]
    closed = [r for r in rows if r.stage == "closed" and start <= r.stage_on <= end]
    still_open = [r for r in rows if not (r.stage == "closed" and r.stage_on <= end)]
    # (secondary suppression too: one hidden category could be worked out from the total)
    by_category = _suppress_group({key: sum(1 for r in referred if r.hackett == key) for key in HACKETT},
                                  len(referred))
    table = [(_("Referred in the period"), shown(suppress(len(referred)))),
             (_("Closed in the period"), shown(suppress(len(closed)))),
             (_("Open at the end of the period"), shown(suppress(len(still_open))))]
    table += [(_("Referred in the period: %(category)s", category=HACKETT[key]), shown(value))
              for key, value in by_category.items()]
    return [DataBlock(_l("CARM cases"), "carm-cases",
                      paragraphs=(_("Children referred to Care and Risk Management (CARM) for a risk of serious harm. "
                                    "Counts under 5 are not shown: they could identify a child."),),
                      columns=(_("Cases"), _("Number")), rows=tuple(table), numeric=(1,), order=50)]
