"""Training numbers as evidence for audit statements 2.6, 5.4, 5.5 and 5.8."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hsbtrack.plugins.types import Evidence

from . import impact, services, supervision

CODES = ("2.6", "5.4", "5.5", "5.8")
FAMILY = ("foster_carer", "adopter")
# the disciplines statement 5.4 names (an area's own list may hold more, or name them differently)
DISCIPLINES_5_4 = ["teacher", "volunteer", "mentor", "residential_care", "youth_justice", "youth_worker",
                   "social_worker", "clinical", "yot_worker", "camhs", "police"]


def _tier_parts(coverage, cells_by_tier, headcount):
    parts = []
    for tier, count in zip(coverage["tiers"], cells_by_tier, strict=True):
        if headcount:
            parts.append(_("tier %(n)d (%(name)s): %(count)d trained, %(share)d%% of the headcount of %(head)d",
                           n=tier["number"], name=tier["name"], count=count, share=round(100 * count / headcount),
                           head=headcount))
        else:
            parts.append(_("tier %(n)d (%(name)s): %(count)d trained", n=tier["number"], name=tier["name"], count=count))
    return "; ".join(parts)


def _counts(coverage, disciplines):
    cells = coverage["cells"]
    by_tier = [sum(n for (a, d, t), n in cells.items() if d in disciplines and t == tier["number"])
               for tier in coverage["tiers"]]
    head = sum(n for (a, d), n in coverage["headcounts"].items() if d in disciplines) or None
    return by_tier, head


def statement_evidence(area, codes) -> list[Evidence]:
    wanted = [c for c in codes if c in CODES]
    if not wanted:
        return []
    coverage = services.coverage(area)
    link = url_for("training.coverage", area_id=area.id)
    found = []
    if "5.4" in wanted:
        by_tier, head = _counts(coverage, set(DISCIPLINES_5_4))
        reached = {d for (a, d, t) in coverage["cells"] if d in DISCIPLINES_5_4}
        found.append(Evidence("5.4", _l("Training coverage across disciplines"), _(
            "People with current training: %(tiers)s. %(reached)d of the %(all)d disciplines listed in 5.4 have "
            "someone trained.", tiers=_tier_parts(coverage, by_tier, head), reached=len(reached),
            all=len(DISCIPLINES_5_4)), url=link, order=10))
    for code in ("2.6", "5.5"):
        if code in wanted:
            disciplines = set(FAMILY) | ({"residential_care"} if code == "2.6" else set())
            by_tier, head = _counts(coverage, disciplines)
            title = _l("Training of foster carers, adopters and residential staff") if code == "2.6" else \
                _l("Bespoke training for foster carers and adopters")
            found.append(Evidence(code, title, _("People with current training: %(tiers)s.",
                                                 tiers=_tier_parts(coverage, by_tier, head)), url=link, order=10))
    if "5.4" in wanted or "5.5" in wanted:

        change = impact.paired_change(area)
        if change["tiers"]:
            parts = []
            for tier in change["tiers"]:
                values = "; ".join(_("%(subscale)s %(change)+.1f", subscale=impact.SUBSCALE_LABELS[s],
                                     change=v["change"]) for s, v in tier["subscales"].items())
                parts.append(_("tier %(n)d (n=%(count)d): %(values)s", n=tier["tier"], count=tier["n"], values=values))
            summary = _("Change in mean rating (1 to 5) from before to after training, people who answered both "
                        "times: %(parts)s.", parts=". ".join(parts))
            link_impact = url_for("training.impact_home", area_id=area.id)
            for code in ("5.4", "5.5"):
                if code in wanted:
                    found.append(Evidence(code, _l("Impact of training"), summary, url=link_impact, order=20))
    if "5.8" in wanted:

        total = supervision.by_agency(area)["total"]
        if total.get("people"):
            summary = _("In the last 12 months %(supervised)d of the %(people)d people whose training is recorded "
                        "received reflective supervision (%(share)d%%), %(sessions)d sessions in all.",
                        supervised=total["supervised"], people=total["people"], share=total["share"],
                        sessions=total["sessions"])
        else:
            summary = _("No supervision recorded yet.")
        found.append(Evidence("5.8", _l("Reflective supervision log"), summary,
                              url=url_for("training.supervision_log", area_id=area.id), order=10))
    return found
