"""The figures of a regional annual report or plan as an XLSX workbook, offered on the report's page (the
yearly report itself is the paper; this is the data behind it for the board's analysts): the roll-up of every
statement by authority for the latest round opened by the report's period end, T1 → T2 → T3 to then, and the
regional action plan. Formula-safe cells and UK dates (real Excel dates shown dd/mm/yyyy) through the
core's export helpers; while an authority's audit of that round is open, the roll-up says its
figures are provisional, with how many returns are in."""

import io

from flask import Response
from flask_babel import gettext as _
from flask_babel import ngettext

from hsbtrack.actions.services import status_labels
from hsbtrack.audits.exports import PROVISIONAL_FILL, XLSX_MIMETYPE, _Sheet, slugify
from hsbtrack.audits.overview import language
from hsbtrack_regional import services
from hsbtrack_regional.yearly import rounds_by


def build_annual_report(report) -> bytes:
    """The workbook of ``report`` (a region's yearly report): its region's figures up to its period's end."""
    from openpyxl import Workbook

    region = report.region
    lang = language()
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = _("%(region)s: regional annual report", region=region.display_name)
    workbook.properties.creator = "hsbtrack"
    rounds = rounds_by(region.id, report.period_end)
    latest = rounds[-1] if rounds else None
    members = services.round_status(latest) if latest is not None else []
    returns = _returns(members)
    notice = provisional_line(*returns)
    title = _("%(region)s: regional annual report", region=region.display_name)
    if notice:
        title = f"{title} ({provisional_tag(*returns)})"
        workbook.properties.title = title

    sheet = _Sheet(workbook, _("Roll-up")[:31], [12, 50] + [14] * 9)
    sheet.line([title], bold=True, size=14, wrap=False)
    if notice:
        sheet.line([notice], bold=True, fill=PROVISIONAL_FILL, wrap=False)
    if latest is None:
        sheet.line([_("No regional round had been opened by the end of the period.")])
    else:
        rollup = services.rollup(latest, members)
        names = [m.area.display_name for m in rollup.members]
        sheet.line([latest.title])
        sheet.row += 1
        sheet.header([_("Code"), _("Statement"), *names, _("Lowest"), _("Median"), _("Spread")])
        for statement, spread in rollup.statements:
            sheet.line([statement.code, statement.text_for(lang),
                        *[spread.by_area.get(m.area.id) for m in rollup.members],
                        spread.lowest, spread.median, spread.spread])
        sheet.row += 1
        sheet.header([_("Domain"), _("Title"), *names, _("Lowest"), _("Median"), _("Spread")])
        for domain, spread in rollup.domains:
            sheet.line([domain.number, domain.title_for(lang), *[spread.by_area.get(m.area.id) for m in rollup.members],
                        spread.lowest, spread.median, spread.spread], fmt="0.00")

    ids = {r.id for r in rounds}
    trend = [(r, means) for r, means in services.trend(region.id) if r.id in ids]
    sheet = _Sheet(workbook, _("T1 to T3")[:31], [12] + [16] * 5)
    framework = services.audits.catalogue().get(services.audits.DEFAULT_FRAMEWORK)
    sheet.header([_("Round"), *[d.short_title_for(lang) for d in framework.domains]])
    for round_, means in trend:
        sheet.line([round_.label, *means], fmt="0.00")

    sheet = _Sheet(workbook, _("Action plan")[:31], [40, 14, 24, 18, 12])
    sheet.header([_("Regional action"), _("Due"), _("Authority"), _("Status"), _("Progress")])
    labels = status_labels()
    for regional, assignments in services.regional_plan(region.id):
        for area, action in assignments:
            sheet.line([regional.title, regional.due_on, area.display_name, str(labels.get(action.status, action.status)),
                        action.progress])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _returns(members) -> tuple[list, int, int]:
    """The round's open audits' authorities, and the returns in / expected over those audits."""
    statuses = services.audits.provisional_status([m.audit for m in members])
    open_members = [m for m in members if statuses[m.audit.id].provisional]
    returns_in = sum(statuses[m.audit.id].returns_in for m in open_members)
    total = sum(statuses[m.audit.id].returns_total for m in open_members)
    return open_members, returns_in, total


def provisional_tag(open_members, returns_in, total) -> str:
    if not open_members:
        return ""
    return ngettext("provisional, %(n)d of %(num)d return in", "provisional, %(n)d of %(num)d returns in",
                    total, n=returns_in)


def provisional_line(open_members, returns_in, total) -> str:
    """"Provisional: …" while an authority's audit of the round is open, else ""."""
    if not open_members:
        return ""
    return ngettext(
        "Provisional: the audits of %(authorities)s are still open, so these figures can change until they "
        "are closed. %(n)d of %(num)d return in.",
        "Provisional: the audits of %(authorities)s are still open, so these figures can change until they "
        "are closed. %(n)d of %(num)d returns in.",
        total, authorities=", ".join(m.area.display_name for m in open_members), n=returns_in)


def annual_report_response(report) -> Response:
    response = Response(build_annual_report(report), mimetype=XLSX_MIMETYPE)
    name = slugify(f"{report.region.name} {report.period_start.isoformat()} {report.period_end.isoformat()}")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-figures.xlsx"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
