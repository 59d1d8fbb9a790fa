"""The regional board's yearly reports (Social Services and Well-being (Wales) Act 2014): the **annual report**
a regional safeguarding board publishes by 31 July on the year before, and its **annual plan**. Both are
region-scoped kinds of the core's yearly report builder (``hsbtrack_yearly_report_kinds``): the core gives the
pages, the API, the versions, the refusal of a stale save, the history and the PDF and Word files; this module
gives the sections and the data drafts.

The annual report's draft is what the old annual-report page showed, for the report's period: the roll-up of
the latest regional round opened by the period's last day (each authority's domain means and the regional
median, an authority whose audit is still open marked provisional with its returns in), the regional means
round by round (T1, T2…), the regional action plan's progress and the shared commissioning in force. The plan's
draft is the evidence for next year's priorities: the domains from the lowest regional median up, the regional
actions due in the plan's period (and those still open from before) and the commissioning to be reviewed.

Who reads them: those who may see the region's pages (``region.view``: the regional coordinators), who see each
authority's figures on the round's page already; the authorities' own people, who see only the median of the
others and band counts unless the region shares scores, have no region permission and never reach them. Figures
come from the plugin's services (the roll-up and trend caches, the core's provisional status): none is worked
out a second way."""

from datetime import timedelta

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hsbtrack.actions.services import status_labels
from hsbtrack.areas.roles import Perm
from hsbtrack.audits.overview import format_mean, language
from hsbtrack.plugins.types import NarrativeSection, YearlyReportKind
from hsbtrack.timeutil import local_date
from hsbtrack_regional import services

ANNUAL_REPORT = "regional.annual_report"
ANNUAL_PLAN = "regional.annual_plan"
DRAFT_TEMPLATE = "regional/yearly_draft.html"
DATE = "d MMMM yyyy"


def _day(value) -> str:
    return format_date(value, DATE) if value else ""


def annual_report_title() -> str:
    return _("Regional safeguarding board annual report")


def annual_plan_title() -> str:
    return _("Regional safeguarding board annual plan")


def kinds() -> list[YearlyReportKind]:
    report = YearlyReportKind(
        ANNUAL_REPORT, "region", annual_report_title,
        sections=(
            NarrativeSection("summary", _l("Summary"),
                             _l("The year in a few paragraphs, for the public: what the board set out to do, what it "
                                "did and what difference it made to children in the region.")),
            NarrativeSection("what_we_did", _l("What the board did"),
                             _l("The board's work over the year against its annual plan: the regional audit round, "
                                "the regional actions, shared commissioning, training, work with the sub-regional "
                                "delivery groups.")),
            NarrativeSection("effectiveness", _l("How effective it was"),
                             _l("What the audit across the authorities shows: the domains that improved or fell "
                                "since the last round, where the authorities differ, actions completed and still "
                                "open. Say which figures are provisional.")),
            NarrativeSection("learning", _l("Learning"),
                             _l("What the board learnt: from practice reviews, from children, families and "
                                "practitioners, and from the audit's evidence.")),
            NarrativeSection("priorities", _l("Priorities for the year ahead"),
                             _l("The priorities the annual plan takes forward, and why.")),
        ),
        assemble=assemble_annual_report, draft_template=DRAFT_TEMPLATE,
        read_permission=Perm.VIEW_REGION, write_permission=Perm.MANAGE_REGION, order=20)
    plan = YearlyReportKind(
        ANNUAL_PLAN, "region", annual_plan_title,
        sections=(
            NarrativeSection("priorities", _l("Priorities"),
                             _l("The board's priorities for the year and the evidence behind each: the audit's "
                                "lowest domains, learning from reviews, what partners and children said.")),
            NarrativeSection("actions", _l("Actions planned"),
                             _l("What the board and its partners will do for each priority, who leads and by "
                                "when. The regional actions below are the starting point.")),
            NarrativeSection("measures", _l("How progress will be measured"),
                             _l("How the board will know each priority is met: the next audit round, the actions' "
                                "progress, performance figures, what children and practitioners say.")),
            NarrativeSection("resources", _l("Resources"),
                             _l("The money, staff and shared services the plan relies on: the partners' "
                                "contributions and the services commissioned together.")),
        ),
        assemble=assemble_annual_plan, draft_template=DRAFT_TEMPLATE,
        read_permission=Perm.VIEW_REGION, write_permission=Perm.MANAGE_REGION, order=21)
    return [report, plan]


# -- the figures --------------------------------------------------------------------------------------------


def rounds_by(region_id: int, end) -> list:
    """The region's rounds opened on or before ``end``, in the order they were opened."""
    return sorted((r for r in services.rounds_for_region(region_id) if local_date(r.opened_at) <= end),
                  key=lambda r: (r.opened_at, r.id))


def _open_note(open_members) -> list[str]:
    return [_("%(authority)s (%(cycle)s): %(n)d of %(num)d returns in", authority=area.display_name,
              cycle=p.label, n=p.returns_in, num=p.returns_total) for area, p in open_members]


def picture(round_, lang) -> dict | None:
    """The roll-up of ``round_``: each authority's domain means and the regional median."""
    if round_ is None:
        return None
    members = services.round_status(round_)
    rollup = services.rollup(round_, members)
    open_members = services.open_authorities(members)
    open_ids = {area.id for area, _p in open_members}
    return {"label": round_.label, "framework": rollup.framework.title_for(lang),
            "columns": [(m.area.display_name, m.area.id in open_ids) for m in rollup.members],
            "rows": [(f"{domain.number}. {domain.short_title_for(lang)}",
                      [format_mean(s.by_area.get(m.area.id)) for m in rollup.members], format_mean(s.median),
                      format_mean(s.lowest))
                     for domain, s in rollup.domains],
            "open": _open_note(open_members), "provisional": bool(open_members), "rollup": rollup}


def trend_table(region_id: int, rounds: list, lang) -> dict | None:
    """The regional mean of each domain, round by round (the default framework's rounds opened by then)."""
    ids = {r.id for r in rounds}
    trend = [(r, means) for r, means in services.trend(region_id) if r.id in ids]
    if not trend:
        return None
    open_by_round = services.open_authorities_by_round(region_id)
    framework = services.audits.catalogue().get(services.audits.DEFAULT_FRAMEWORK)
    return {"columns": [(r.label, r.id in open_by_round) for r, _m in trend],
            "rows": [(f"{d.number}. {d.short_title_for(lang)}", [format_mean(means[i]) for _r, means in trend])
                     for i, d in enumerate(framework.domains)]}


def plan_rows(region_id: int, keep) -> list[dict]:
    """The regional actions ``keep(regional, assignments)`` lets through, with each authority's status."""
    labels = status_labels()
    out = []
    for regional, assignments in services.regional_plan(region_id):
        if not keep(regional, assignments):
            continue
        out.append({"title": regional.title, "due_on": _day(regional.due_on), "statements": ", ".join(regional.codes),
                    "authorities": [{"name": area.display_name, "status": str(labels.get(a.status, a.status)),
                                     "progress": a.progress} for area, a in assignments]})
    return out


def commissioning_rows(region_id: int, start, end) -> list[dict]:
    """The shared commissioning in force in the period (started by its end), with the review dates."""
    names = services.area_names(region_id)
    return [{"arrangement": row.arrangement, "service": row.service,
             "partners": ", ".join(names.get(i, "?") for i in row.partner_area_ids), "cost_share": row.cost_share,
             "start_on": _day(row.start_on), "review_on": _day(row.review_on),
             "review_due": start <= row.review_on <= end}
            for row in services.arrangements(region_id) if row.start_on <= end]


def figures_url(report) -> str:
    return url_for("regional_region.figures", region_id=report.region_id, report_id=report.id)


def assemble_annual_report(report, user) -> dict:
    region, start, end = report.region, report.period_start, report.period_end
    lang = language()
    rounds = rounds_by(region.id, end)
    return {"kind": "report", "heading": _("The regional figures for the year"),
            "period_start": _day(start), "period_end": _day(end),
            "deadline": _day(services.report_deadline(end + timedelta(days=1))),
            "picture": picture(rounds[-1] if rounds else None, lang),
            "trend": trend_table(region.id, rounds, lang),
            "actions": plan_rows(region.id, lambda regional, _a: local_date(regional.created_at) <= end),
            "commissioning": commissioning_rows(region.id, start, end),
            "figures_url": figures_url(report)}


def assemble_annual_plan(report, user) -> dict:
    region, start, end = report.region, report.period_start, report.period_end
    lang = language()
    rounds = rounds_by(region.id, end)
    shown = picture(rounds[-1] if rounds else None, lang)
    priorities = None
    if shown is not None:
        ranked = sorted(shown["rollup"].domains, key=lambda pair: (pair[1].median is None, pair[1].median or 0))
        priorities = [{"domain": f"{d.number}. {d.short_title_for(lang)}", "median": format_mean(s.median),
                       "lowest": format_mean(s.lowest)} for d, s in ranked]

    def due_or_still_open(regional, assignments):
        if start <= regional.due_on <= end:
            return True
        return regional.due_on < start and any(a.status not in ("done", "cancelled") for _area, a in assignments)

    return {"kind": "plan", "heading": _("The evidence for the plan"),
            "period_start": _day(start), "period_end": _day(end),
            "picture": shown, "priorities": priorities,
            "actions": plan_rows(region.id, due_or_still_open),
            "commissioning": commissioning_rows(region.id, start, end),
            "figures_url": figures_url(report)}
